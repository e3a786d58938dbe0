/**
 * The scrape's SQL that differs on SQLite (the pair of pg.ts, chosen in scrape.ts): the SLA
 * timers' counts name their partial expression index with `INDEXED BY`, and the WAL's size is
 * the `-wal` file's.
 */
import fs from 'node:fs';
import { sql } from 'drizzle-orm';
import { slaNextAtSql } from '../db/schema/index.js';
import { sqliteOf, type Handle } from '../db/store/index.js';

const NEXT_AT = sql.raw(slaNextAtSql());

/** Timers whose breach, and whose warning, is due at `now` (the range of `sla_timers_next_idx`). */
export async function timersDue(q: Handle, now: number): Promise<{ breach: number; warning: number }> {
  const range = sql`(${NEXT_AT}) IS NOT NULL AND (${NEXT_AT}) <= ${now}`;
  const breach = await q.get<{ n: number }>(sql`SELECT count(*) AS n FROM sla_timers INDEXED BY sla_timers_next_idx WHERE ${range} AND breached_at IS NULL AND due_at IS NOT NULL AND due_at < ${now}`);
  const warning = await q.get<{ n: number }>(sql`SELECT count(*) AS n FROM sla_timers INDEXED BY sla_timers_next_idx WHERE ${range} AND warned_at IS NULL AND warn_at IS NOT NULL AND warn_at <= ${now}`);
  return { breach: breach!.n, warning: warning!.n };
}

/** The size of the database's WAL file (0 without one: checkpointed and removed, or in memory). */
export function walBytes(q: Handle): number {
  const file = sqliteOf(q).$client.name;
  if (!file || file === ':memory:') return 0;
  try {
    return fs.statSync(`${file}-wal`).size;
  } catch {
    return 0; // no WAL file (checkpointed and removed, or not in WAL mode)
  }
}
