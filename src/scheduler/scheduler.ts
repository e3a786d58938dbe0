/**
 * node-cron wiring only: each job is a plain async function that lives elsewhere and
 * keeps its state in the database, so a restart loses nothing. Jobs never overlap
 * themselves and a failing run is logged, never fatal.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../logger.js';

export interface Job {
  name: string;
  /** Cron expression (five or six fields). */
  schedule: string;
  timezone?: string;
  run(): Promise<unknown>;
}

export interface Scheduler {
  stop(): Promise<void>;
}

export class ScheduleError extends Error {}

export function validateSchedule(name: string, expression: string): void {
  if (!cron.validate(expression)) throw new ScheduleError(`${name}: "${expression}" is not a valid cron expression`);
}

export function startScheduler(jobs: readonly Job[], logger: Logger): Scheduler {
  for (const job of jobs) validateSchedule(job.name, job.schedule);
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(
      job.schedule,
      async () => {
        try {
          const result = await job.run();
          logger.debug('job finished', { job: job.name, result });
        } catch (error) {
          logger.error('job failed', { job: job.name, error });
        }
      },
      { name: job.name, noOverlap: true, ...(job.timezone ? { timezone: job.timezone } : {}) },
    ),
  );
  return {
    async stop() {
      await Promise.all(tasks.map((t) => t.destroy()));
    },
  };
}
