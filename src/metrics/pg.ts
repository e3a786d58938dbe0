/**
 * The scrape's SQL that differs on PostgreSQL (the pair of sqlite.ts): no `INDEXED BY` (the
 * planner matches `sla_timers_next_idx`'s expression itself), and no WAL file of ours to
 * measure (PostgreSQL's own WAL is the server's: its exporters report it) — the gauge is 0.
 */
import { sql } from 'drizzle-orm';
import { slaNextAtSql } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';

const NEXT_AT = sql.raw(slaNextAtSql());

export async function timersDue(q: Handle, now: number): Promise<{ breach: number; warning: number }> {
  const range = sql`(${NEXT_AT}) IS NOT NULL AND (${NEXT_AT}) <= ${now}`;
  const breach = await q.get<{ n: number }>(sql`SELECT count(*) AS n FROM sla_timers WHERE ${range} AND breached_at IS NULL AND due_at IS NOT NULL AND due_at < ${now}`);
  const warning = await q.get<{ n: number }>(sql`SELECT count(*) AS n FROM sla_timers WHERE ${range} AND warned_at IS NULL AND warn_at IS NOT NULL AND warn_at <= ${now}`);
  return { breach: breach!.n, warning: warning!.n };
}

export function walBytes(_q: Handle): number {
  return 0;
}
