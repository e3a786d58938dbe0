/**
 * Scheduled job ticks are claimed in the database, so any number of processes running the
 * same cron schedules on one database produce exactly one run per tick: each inserts
 * (job, scheduled_at) into `job_runs` and only the one whose insert lands runs the job. The
 * scheduled instant comes from the cron schedule, never from a process's clock, so processes
 * that wake a few milliseconds apart claim the same tick.
 *
 * Written once for both dialects on the storage port (src/db/store): the claim is `INSERT …
 * ON CONFLICT DO NOTHING RETURNING id` through drizzle's builder. The unique index on (job,
 * scheduled_at) decides: on SQLite the writers are serialised by BEGIN IMMEDIATE; on
 * PostgreSQL (READ COMMITTED) a second insert of the same tick waits for the first one's
 * transaction and then does nothing if it committed, or lands if it rolled back — one run
 * either way, no lock of our own.
 *
 * A process that dies mid-run leaves its row `running`; the tick is not run again (the next
 * tick catches up: the sweep records whatever fell due, the report covers the time since the
 * last one). At start-up `closeDeadRuns` marks such rows `failed` when the process that
 * claimed them is certainly gone, so the table tells what happened. Rows older than
 * `RETENTION_MS` are pruned as new ticks are claimed.
 */
import { and, eq, lt } from 'drizzle-orm';
import type { Store } from '../db/store/index.js';
import { isProcessGone, PROCESS_ID } from '../process-identity.js';

export const RETENTION_MS = 7 * 86_400_000;

/** Who claims: `host:pid:start` (src/process-identity.ts). */
export { PROCESS_ID };

/**
 * Claims a tick: the run's id, or null when another process (or an earlier wake-up of this
 * one) already claimed it. Also prunes this job's runs older than the retention, in the same
 * transaction.
 */
export function claimTick(store: Store, job: string, scheduledAt: number, now: number, owner: string = PROCESS_ID): Promise<number | null> {
  return store.write(async (q) => {
    const runs = q.tables.jobRuns;
    const [row] = await q.db
      .insert(runs)
      .values({ job, scheduledAt, claimedAt: now, claimedBy: owner })
      .onConflictDoNothing({ target: [runs.job, runs.scheduledAt] })
      .returning({ id: runs.id });
    if (row === undefined) return null;
    await q.db.delete(runs).where(and(eq(runs.job, job), lt(runs.scheduledAt, scheduledAt - RETENTION_MS)));
    return row.id;
  });
}

/** Records how a claimed run ended: `done`, or `failed` with the error's message. */
export async function finishTick(store: Store, id: number, now: number, error: unknown = null): Promise<void> {
  const message = error === null ? null : error instanceof Error ? error.message : String(error);
  await store.write(async (q) => {
    const runs = q.tables.jobRuns;
    await q.db
      .update(runs)
      .set({ state: message === null ? 'done' : 'failed', finishedAt: now, error: message })
      .where(eq(runs.id, id));
  });
}

/**
 * Marks `failed` the runs still `running` whose claiming process is certainly gone (start-up);
 * returns how many. "Certainly gone" is `isProcessGone`: a process of this host (same host
 * name) whose pid no longer runs, or runs with another start time. Claims made on other hosts
 * — other instances on one PostgreSQL database — are never judged: the database cannot tell a
 * dead instance from a live one that is busy (a pooled connection proves nothing, and the
 * tick's run holds none), so their rows stay `running` until their own host's next start or
 * the retention. That is the safe side: the tick is not run again either way, and a run another
 * live instance owns is never marked failed.
 */
export async function closeDeadRuns(store: Store, now: number, self: string = PROCESS_ID): Promise<number> {
  const holders = await store.read(async (q) => {
    const runs = q.tables.jobRuns;
    return q.db.selectDistinct({ claimedBy: runs.claimedBy }).from(runs).where(eq(runs.state, 'running'));
  });
  // Judged outside the transaction (it reads /proc). A gone process claims nothing more, so its
  // running rows can only have been finished meanwhile, which the state condition below skips.
  const gone = holders.map((h) => h.claimedBy).filter((holder) => isProcessGone(holder, self));
  if (gone.length === 0) return 0;
  return store.write(async (q) => {
    const runs = q.tables.jobRuns;
    let closed = 0;
    for (const holder of gone) {
      const rows = await q.db
        .update(runs)
        .set({ state: 'failed', finishedAt: now, error: `the process that ran it (${holder}) stopped before it finished` })
        .where(and(eq(runs.state, 'running'), eq(runs.claimedBy, holder)))
        .returning({ id: runs.id });
      closed += rows.length;
    }
    return closed;
  });
}
