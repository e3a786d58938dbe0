/**
 * Are the database's migrations those of the code that runs? The journal
 * (`drizzle/meta/_journal.json`) lists the code's migrations with their creation instants;
 * drizzle's migrator records each one it applied in `__drizzle_migrations` (`created_at` is
 * the journal's `when`) and applies those newer than the last one recorded. So the database
 * is current when its last recorded migration is the journal's last; behind when the journal
 * has newer ones (named in the answer); ahead when the database was migrated by newer code.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { MIGRATIONS_DIR } from './client.js';

export interface JournalEntry {
  tag: string;
  when: number;
}

export type MigrationStatus =
  | { state: 'current'; applied: number; latest: string }
  | { state: 'behind'; missing: string[] }
  | { state: 'ahead'; reason: string }
  | { state: 'unknown'; reason: string };

const journals = new Map<string, JournalEntry[]>();

/** The code's migrations, oldest first (read once per folder: the code does not change while it runs). */
export function journalEntries(folder: string = MIGRATIONS_DIR): JournalEntry[] {
  let entries = journals.get(folder);
  if (!entries) {
    const journal = JSON.parse(fs.readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: JournalEntry[] };
    entries = journal.entries.map((e) => ({ tag: e.tag, when: e.when })).sort((a, b) => a.when - b.when);
    journals.set(folder, entries);
  }
  return entries;
}

export function migrationStatus(sqlite: Database.Database, journal: readonly JournalEntry[] = journalEntries()): MigrationStatus {
  let last: { created_at: number; n: number } | undefined;
  try {
    last = sqlite.prepare<[], { created_at: number; n: number }>('SELECT max(created_at) AS created_at, count(*) AS n FROM __drizzle_migrations').get();
  } catch (error) {
    return { state: 'unknown', reason: `the migrations table cannot be read: ${(error as Error).message}` };
  }
  return statusFrom(last?.created_at ?? null, last?.n ?? 0, journal);
}

/** The status, given the newest recorded migration's `created_at` (null: none) and how many are recorded. */
export function statusFrom(createdAt: number | string | null, n: number, journal: readonly JournalEntry[]): MigrationStatus {
  const applied = createdAt === null ? null : Number(createdAt);
  const missing = journal.filter((e) => applied === null || e.when > applied).map((e) => e.tag);
  if (missing.length > 0) return { state: 'behind', missing };
  const newest = journal[journal.length - 1];
  if (newest && applied !== null && applied > newest.when) {
    return { state: 'ahead', reason: `the database was migrated by a newer Casebook (its last migration is dated ${new Date(applied).toISOString()}, this code's last is ${newest.tag})` };
  }
  return { state: 'current', applied: n, latest: newest?.tag ?? '' };
}
