/**
 * Work known to be long that no request waits on — an SLA report, a report's CSV export, a
 * customer's data export — runs on PostgreSQL under a limit of its own
 * (DATABASE_REPORT_TIMEOUT_MS) instead of the connection's statement_timeout
 * (DATABASE_STATEMENT_TIMEOUT_MS), which is there to cut a request stuck behind a lock, not a
 * report reading a very large database. Called first in that work's transaction, it sets the
 * limit for the rest of that transaction only (`set_config(…, true)`: SET LOCAL, with the
 * value as a parameter); the connection goes back to the pool with its own. A connection
 * without a limit (the command-line jobs) keeps none. SQLite has no statement limit: nothing
 * to do.
 */
import { sql } from 'drizzle-orm';
import type { Handle } from './store.js';

/** Inside a read or write transaction (`q`): its statements may run for `timeoutMs` (0: no limit). */
export async function allowLongStatements(q: Handle, timeoutMs: number): Promise<void> {
  if (q.dialect !== 'postgres') return;
  const value = String(Math.max(0, Math.floor(timeoutMs)));
  await q.run(sql`SELECT set_config('statement_timeout', CASE WHEN current_setting('statement_timeout') = '0' THEN '0' ELSE ${value} END, true)`);
}
