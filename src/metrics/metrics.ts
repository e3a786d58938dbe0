/**
 * The application's Prometheus metrics, one set per Services (tests build many): what the
 * code counts as it runs (requests, intakes, SLA sweeps). What the database holds (outbox,
 * due timers, WAL size) is read when `/metrics` is scraped (scrape.ts); Node's process
 * metrics are per process (process-metrics.ts). Names: docs/deploying.md "Monitoring".
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RequestDurations } from './request-durations.js';

export const INTAKE_CHANNELS = ['web', 'api', 'email', 'phone', 'chat'] as const;

export interface Metrics {
  registry: Registry;
  /** `casebook_http_request_duration_seconds` (fed by src/http/middleware/observe-requests.ts). */
  requests: RequestDurations;
  /** Counts one live intake (a new case, not an imported one) on its channel. */
  countIntake(channel: string): void;
  /** `casebook_sla_sweep_duration_seconds`: `sweep` (recording warnings and breaches) and `total` (with the work they queued). */
  slaSweep: Histogram<'phase'>;
  /** Set at scrape time (scrape.ts). */
  gauges: {
    outboxDue: Gauge;
    outboxScheduled: Gauge;
    outboxOldestAge: Gauge;
    slaTimersDue: Gauge<'kind'>;
    walBytes: Gauge;
  };
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const requests = new RequestDurations();
  registry.registerMetric(requests as never);
  const intake = new Counter({ name: 'casebook_intake_total', help: 'Cases taken in (live intake, not imports), by channel.', labelNames: ['channel'], registers });
  const byChannel = new Map(INTAKE_CHANNELS.map((channel) => [channel as string, intake.labels(channel)]));
  for (const child of byChannel.values()) child.inc(0); // every channel is a series from the start (rate() needs the 0)
  const slaSweep = new Histogram({
    name: 'casebook_sla_sweep_duration_seconds',
    help: 'SLA sweep durations in seconds: phase "sweep" records due warnings and breaches, "total" includes performing the work they queued.',
    labelNames: ['phase'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  return {
    registry,
    requests,
    countIntake(channel) {
      (byChannel.get(channel) ?? intake.labels(channel)).inc();
    },
    slaSweep,
    gauges: {
      outboxDue: new Gauge({ name: 'casebook_outbox_due', help: 'Outbox items due now and not yet performed (the backlog of pending work).', registers }),
      outboxScheduled: new Gauge({ name: 'casebook_outbox_scheduled', help: 'Outbox items waiting for a later time (workflow timers, retries with back-off).', registers }),
      outboxOldestAge: new Gauge({ name: 'casebook_outbox_oldest_due_age_seconds', help: 'How long the oldest due outbox item has been due (0 when none is).', registers }),
      slaTimersDue: new Gauge({ name: 'casebook_sla_timers_due', help: 'SLA warnings and breaches due but not yet recorded by the sweep.', labelNames: ['kind'], registers }),
      walBytes: new Gauge({ name: 'casebook_sqlite_wal_bytes', help: 'Size of the SQLite write-ahead log (the -wal file) in bytes.', registers }),
    },
  };
}
