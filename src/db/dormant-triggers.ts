/**
 * Triggers that sleep while they have nothing to do (SQLite only; drizzle/0043_dormant_triggers.sql).
 *
 * SQLite runs a row trigger's program for every row, its WHEN clause inside it: a trigger whose
 * condition cannot hold still costs each row its call (~1 µs; docs/performance.md "Issue 11 on
 * 2026-12-05"). A trigger that sleeps is dropped and its SQL kept in `dormant_triggers`; woken,
 * it is created again from that SQL. The migrations stay the one source of a trigger's SQL: one
 * that recreates a sleeping trigger leaves it awake with its new SQL, which the next `sleep`
 * keeps instead of the old. Both run in the caller's transaction (a rollback undoes them).
 *
 * The owner of a sleeping trigger wakes it in the same transaction as the change that gives it
 * work (the webhooks: src/webhooks/trigger.ts), and checks it at every start.
 */
import type { Database as Sqlite } from 'better-sqlite3';

const LIVE = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?";
const KEPT = 'SELECT sql FROM dormant_triggers WHERE name = ?';

function liveSql(sqlite: Sqlite, name: string): string | undefined {
  return sqlite.prepare<[string], string>(LIVE).pluck().get(name);
}

function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Drops the trigger `name`, keeping its SQL; nothing when it sleeps already or never existed. */
export function sleepTrigger(sqlite: Sqlite, name: string): void {
  const sql = liveSql(sqlite, name);
  if (sql === undefined) return;
  sqlite.prepare('INSERT INTO dormant_triggers (name, sql) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET sql = excluded.sql').run(name, sql);
  sqlite.exec(`DROP TRIGGER ${quoted(name)}`);
}

/** Creates the sleeping trigger `name` again from its kept SQL; nothing when it is awake (a stale kept copy is forgotten). */
export function wakeTrigger(sqlite: Sqlite, name: string): void {
  const kept = sqlite.prepare<[string], string>(KEPT).pluck().get(name);
  if (kept === undefined) return;
  if (liveSql(sqlite, name) === undefined) sqlite.exec(kept);
  sqlite.prepare('DELETE FROM dormant_triggers WHERE name = ?').run(name);
}

/** Whether `wakeTrigger` (`awake`) or `sleepTrigger` would leave everything as it is. */
export function triggerSettled(sqlite: Sqlite, name: string, awake: boolean): boolean {
  return awake ? sqlite.prepare<[string], string>(KEPT).pluck().get(name) === undefined : liveSql(sqlite, name) === undefined;
}

/** Whether the trigger `name` is awake (exists). */
export function triggerAwake(sqlite: Sqlite, name: string): boolean {
  return liveSql(sqlite, name) !== undefined;
}

/** The trigger's SQL, awake or sleeping (undefined: neither). */
export function triggerSql(sqlite: Sqlite, name: string): string | undefined {
  return liveSql(sqlite, name) ?? sqlite.prepare<[string], string>(KEPT).pluck().get(name);
}
