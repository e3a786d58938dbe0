/**
 * Scheduled job ticks are claimed in the database, so any number of processes running the
 * same cron schedules on one database produce exactly one run per tick: each inserts
 * (job, scheduled_at) into `job_runs` and only the one whose insert lands runs the job. The
 * scheduled instant comes from the cron schedule, never from a process's clock, so processes
 * that wake a few milliseconds apart claim the same tick.
 *
 * A process that dies mid-run leaves its row `running`; the tick is not run again (the next
 * tick catches up: the sweep records whatever fell due, the report covers the time since the
 * last one). At start-up `closeDeadRuns` marks such rows `failed` when the process that
 * claimed them is certainly gone, so the table tells what happened. Rows older than `RETENTION_MS` are pruned as new ticks are claimed.
 */
import type { Db } from '../db/client.js';
import { isProcessGone, PROCESS_ID } from '../process-identity.js';

export const RETENTION_MS = 7 * 86_400_000;

/** Who claims: `host:pid:start` (src/process-identity.ts). */
export { PROCESS_ID };

/**
 * Claims a tick: the run's id, or null when another process (or an earlier wake-up of this
 * one) already claimed it. Also prunes this job's runs older than the retention.
 */
export function claimTick(db: Db, job: string, scheduledAt: number, now: number, owner: string = PROCESS_ID): number | null {
  const sqlite = db.$client;
  return sqlite.transaction(() => {
    const row = sqlite
      .prepare<[string, number, number, string], { id: number }>(
        `INSERT INTO job_runs (job, scheduled_at, claimed_at, claimed_by) VALUES (?, ?, ?, ?)
         ON CONFLICT (job, scheduled_at) DO NOTHING RETURNING id`,
      )
      .get(job, scheduledAt, now, owner);
    if (row === undefined) return null;
    sqlite.prepare('DELETE FROM job_runs WHERE job = ? AND scheduled_at < ?').run(job, scheduledAt - RETENTION_MS);
    return row.id;
  }).immediate();
}

/** Records how a claimed run ended. */
export function finishTick(db: Db, id: number, now: number, error: unknown = null): void {
  const message = error === null ? null : error instanceof Error ? error.message : String(error);
  db.$client
    .prepare('UPDATE job_runs SET state = ?, finished_at = ?, error = ? WHERE id = ?')
    .run(message === null ? 'done' : 'failed', now, message, id);
}

/** Marks `failed` the runs still `running` whose claiming process is certainly gone (start-up). */
export function closeDeadRuns(db: Db, now: number, self: string = PROCESS_ID): number {
  const sqlite = db.$client;
  const holders = sqlite.prepare("SELECT DISTINCT claimed_by FROM job_runs WHERE state = 'running'").pluck().all() as string[];
  let closed = 0;
  for (const holder of holders) {
    if (!isProcessGone(holder, self)) continue;
    closed += sqlite
      .prepare("UPDATE job_runs SET state = 'failed', finished_at = ?, error = ? WHERE state = 'running' AND claimed_by = ?")
      .run(now, `the process that ran it (${holder}) stopped before it finished`, holder).changes;
  }
  return closed;
}
