import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

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
