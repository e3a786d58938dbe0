import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * One row per scheduled job tick that some process ran: before running a cron tick, a
 * process inserts (job, scheduled_at); the unique index lets exactly one process claim the
 * tick, however many run on the database. The row then shows who ran it and how it ended
 * (`running` stays if that process died mid-run).
 */
export const jobRuns = sqliteTable(
  'job_runs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    job: text('job').notNull(),
    /** The instant the tick was scheduled for (whole seconds), not when a process woke up. */
    scheduledAt: integer('scheduled_at').notNull(),
    claimedAt: integer('claimed_at').notNull(),
    /** `host:pid:start` of the process that claimed it (src/process-identity.ts). */
    claimedBy: text('claimed_by').notNull(),
    state: text('state', { enum: ['running', 'done', 'failed'] }).notNull().default('running'),
    finishedAt: integer('finished_at'),
    error: text('error'),
  },
  (t) => [uniqueIndex('job_runs_job_scheduled_at_idx').on(t.job, t.scheduledAt)],
);

/**
 * A ruleset's dry-run as a background job (src/rules/dry-run-jobs.ts): its state, progress and
 * result, kept in the database so that any instance behind a load balancer answers the page
 * polling it. The instance running it renews `heartbeat_at`; a running job whose heartbeat is
 * older than the lease is reported failed (its instance stopped). Finished jobs are deleted
 * after a day.
 */
export const dryRunJobs = sqliteTable(
  'dry_run_jobs',
  {
    id: text('id').primaryKey(),
    /** Who started it (`staff:<id>`): nobody else sees it. */
    owner: text('owner').notNull(),
    ruleset: text('ruleset').notNull(),
    draftVersion: integer('draft_version').notNull(),
    /** The cases replayed, in words ("the last 1,000 cases"). */
    label: text('label').notNull(),
    state: text('state', { enum: ['running', 'done', 'failed'] }).notNull().default('running'),
    done: integer('done').notNull().default(0),
    total: integer('total'),
    /** The DryRunResult as JSON, once done. */
    result: text('result'),
    error: text('error'),
    /** `host:pid:start` of the process running it (src/process-identity.ts). */
    runBy: text('run_by').notNull(),
    startedAt: integer('started_at').notNull(),
    heartbeatAt: integer('heartbeat_at').notNull(),
    finishedAt: integer('finished_at'),
  },
  (t) => [index('dry_run_jobs_owner_state_idx').on(t.owner, t.state)],
);
