/** The scheduled jobs of a running server. */
import type { Config } from '../config.js';
import { purgeRateBuckets } from '../auth/shared-rate-limit.js';
import { purgeKeys } from '../idempotency/store.js';
import { eraseExpiredCases, RETENTION_CRON } from '../privacy/retention.js';
import { runScheduledReport } from '../reports/create-report.js';
import { runChatSweep } from '../chat/sweep.js';
import { sweepDryRunJobs } from '../rules/dry-run-jobs.js';
import type { Services } from '../services.js';
import { runSlaSweep } from '../sla/run-sweep.js';
import type { Job } from './scheduler.js';

/** Hourly, at minute 7. */
export const IDEMPOTENCY_PURGE_CRON = '7 * * * *';

/** Hourly, at minute 17. */
export const RATE_LIMIT_PURGE_CRON = '17 * * * *';

/** Hourly, at minute 27. */
export const DRY_RUN_PURGE_CRON = '27 * * * *';

export function serverJobs(
  services: Services,
  config: Pick<Config, 'slaSweepCron' | 'reportCron' | 'reportTimezone' | 'reportAtRiskHours'> & Partial<Pick<Config, 'retentionDays' | 'chatSweepCron'>>,
): Job[] {
  const retentionDays = config.retentionDays ?? null;
  return [
    {
      // Records due SLA warnings and breaches, then performs all pending outbox work.
      name: 'sla-sweep',
      schedule: config.slaSweepCron,
      run: () => runSlaSweep(services),
    },
    {
      // Ends idle chats; while chats are open, records chat SLA warnings and breaches (second targets) between minute sweeps.
      name: 'chat-sweep',
      schedule: config.chatSweepCron ?? '*/10 * * * * *',
      run: () => runChatSweep(services),
    },
    {
      name: 'sla-report',
      schedule: config.reportCron,
      timezone: config.reportTimezone,
      // The period ends at the scheduled instant (07:00:00, not whenever the process woke up).
      run: async ({ scheduledAt }) => {
        const report = await runScheduledReport(services, { timezone: config.reportTimezone, atRiskHours: config.reportAtRiskHours, at: scheduledAt });
        if (report) await services.outbox.drain();
        return report && { id: report.id, delivery: report.deliveryState };
      },
    },
    {
      // Idempotency-Key entries are kept 24 h (a lookup ignores older ones; this frees their rows).
      name: 'idempotency-purge',
      schedule: IDEMPOTENCY_PURGE_CRON,
      run: async () => ({ purged: await services.store.write((q) => purgeKeys(q, services.clock.now())) }),
    },
    {
      // Rate-limit buckets full again are as good as new (PostgreSQL keeps them in the database; SQLite in memory: nothing to do).
      name: 'rate-limit-purge',
      schedule: RATE_LIMIT_PURGE_CRON,
      run: async () => ({ purged: await services.store.write((q) => purgeRateBuckets(q, services.clock.now())) }),
    },
    {
      // A ruleset's dry-runs: results deleted a day after they finished, jobs of a stopped instance failed.
      name: 'dry-run-purge',
      schedule: DRY_RUN_PURGE_CRON,
      run: async () => ({ purged: await services.store.query((q) => sweepDryRunJobs(q, services.clock.now())) }),
    },
    // RETENTION_DAYS: closed cases' personal data erased after the period (daily, 03:23 server time).
    ...(retentionDays === null ? [] : [{ name: 'retention', schedule: RETENTION_CRON, run: async () => eraseExpiredCases(services, retentionDays) }]),
  ];
}
