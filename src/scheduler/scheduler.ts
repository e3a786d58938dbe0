/**
 * node-cron wiring only: each job is a plain async function that lives elsewhere and
 * keeps its state in the database, so a restart loses nothing. Every tick is claimed in the
 * database first (claim-tick.ts): with several processes on one database, exactly one runs
 * it. Jobs never overlap themselves and a failing run is logged, never fatal.
 */
import { IANAZone } from 'luxon';
import cron, { type ScheduledTask } from 'node-cron';
import type { Clock } from '../clock.js';
import type { Store } from '../db/store/index.js';
import type { Logger } from '../logger.js';
import { claimTick, finishTick, PROCESS_ID } from './claim-tick.js';

/** The tick a job runs for. */
export interface Tick {
  /** The instant the cron schedule fired for (epoch ms, whole seconds). */
  scheduledAt: number;
}

export interface Job {
  name: string;
  /** Cron expression (five or six fields). */
  schedule: string;
  timezone?: string;
  run(tick: Tick): Promise<unknown>;
}

export interface SchedulerOptions {
  /** Where ticks are claimed (services.store): SQLite or PostgreSQL. */
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Who claims ticks (default `host:pid`). */
  owner?: string;
}

export interface Scheduler {
  stop(): Promise<void>;
}

export type TickOutcome = { ran: true; result: unknown } | { ran: true; error: unknown } | { ran: false };

export class ScheduleError extends Error {}

export function validateSchedule(name: string, expression: string): void {
  if (!cron.validate(expression)) throw new ScheduleError(`${name}: "${expression}" is not a valid cron expression`);
}

/**
 * One tick of one job, as the cron callback runs it: claim it in the database, run it if
 * this process won the claim, record how it ended. Errors are logged, never thrown.
 */
export async function runJobTick(job: Job, scheduledAt: number, options: SchedulerOptions): Promise<TickOutcome> {
  const { store, clock, logger } = options;
  let id: number | null;
  try {
    id = await claimTick(store, job.name, scheduledAt, clock.now(), options.owner ?? PROCESS_ID);
  } catch (error) {
    logger.error('job tick could not be claimed', { job: job.name, scheduledAt: new Date(scheduledAt).toISOString(), error });
    return { ran: false };
  }
  if (id === null) {
    logger.debug('job tick claimed by another process', { job: job.name, scheduledAt: new Date(scheduledAt).toISOString() });
    return { ran: false };
  }
  try {
    const result = await job.run({ scheduledAt });
    await finishTick(store, id, clock.now());
    logger.debug('job finished', { job: job.name, result });
    return { ran: true, result };
  } catch (error) {
    logger.error('job failed', { job: job.name, error });
    try {
      await finishTick(store, id, clock.now(), error);
    } catch (recordError) {
      logger.error('job failure could not be recorded', { job: job.name, error: recordError });
    }
    return { ran: true, error };
  }
}

const MINUTE_MS = 60_000;

/**
 * Whether `schedule`, read in `timezone`, names a wall time the clocks skip at `at` (a whole
 * minute at which the zone's offset grows: a daylight-saving change forward). node-cron never
 * fires such a tick — "0 0 * * *" in America/Santiago has no run on the first Sunday of
 * September, whose midnight does not exist; "15 2 * * *" on Lord Howe Island none when its
 * clocks go from 02:00 to 02:30 — so the scheduler runs it at the jump, as cron does.
 */
export function skipsTickAt(schedule: string, timezone: string, at: number): boolean {
  if (at % MINUTE_MS !== 0) return false;
  const zone = IANAZone.create(timezone);
  if (!zone.isValid) return false;
  const before = zone.offset(at - 1);
  const gap = zone.offset(at) - before; // minutes
  if (gap <= 0) return false;
  // The skipped wall times, as instants whose UTC fields are the wall clock: [at + before, at + before + gap).
  const firstWall = at + before * MINUTE_MS;
  const matcher = cron.createTask(schedule, () => undefined, { timezone: 'UTC' });
  try {
    const seconds = cron.parse(schedule).second;
    for (let minute = 0; minute < gap; minute++) {
      for (const second of seconds) if (matcher.match(new Date(firstWall + minute * MINUTE_MS + second * 1000))) return true;
    }
    return false;
  } finally {
    void matcher.destroy();
  }
}

export function startScheduler(jobs: readonly Job[], options: SchedulerOptions): Scheduler {
  for (const job of jobs) validateSchedule(job.name, job.schedule);
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(job.schedule, (context) => runJobTick(job, Math.floor(context.date.getTime() / 1000) * 1000, options), {
      name: job.name,
      noOverlap: true,
      ...(job.timezone ? { timezone: job.timezone } : {}),
    }),
  );
  // A job in a time zone also runs the ticks its zone's clocks skip, at the jump (skipsTickAt),
  // claimed like any tick: where the schedule also names the first minute after the jump
  // (hourly), the two are one claim and run once.
  for (const job of jobs) {
    const timezone = job.timezone;
    if (!timezone) continue;
    tasks.push(
      cron.schedule(
        '0 * * * * *',
        (context) => {
          const at = Math.floor(context.date.getTime() / MINUTE_MS) * MINUTE_MS;
          return skipsTickAt(job.schedule, timezone, at) ? runJobTick(job, at, options) : undefined;
        },
        { name: `${job.name} (skipped by the clocks)`, noOverlap: true },
      ),
    );
  }
  return {
    async stop() {
      // node-cron 4's destroy() may or may not return a promise.
      await Promise.all(tasks.map((t) => Promise.resolve(t.destroy())));
    },
  };
}
