/**
 * `/metrics`: the gauges read from the database when scraped (each an indexed count: the
 * outbox's pending index, the SLA timers' due indexes; the WAL's size from the file system),
 * then the application's metrics and Node's process metrics in Prometheus' text format.
 */
import fs from 'node:fs';
import { Registry } from 'prom-client';
import type { Services } from '../services.js';
import { processMetrics } from './process-metrics.js';

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

interface Pending {
  due: number;
  scheduled: number;
  oldest: number | null;
}

function walBytes(file: string): number {
  if (!file || file === ':memory:') return 0;
  try {
    return fs.statSync(`${file}-wal`).size;
  } catch {
    return 0; // no WAL file (checkpointed and removed, or not in WAL mode)
  }
}

export function readGauges(services: Services): void {
  const sqlite = services.db.$client;
  const now = services.clock.now();
  const { gauges } = services.metrics;
  const pending = sqlite
    .prepare<[number, number, number], Pending>(
      `SELECT count(*) FILTER (WHERE available_at <= ?) AS due, count(*) FILTER (WHERE available_at > ?) AS scheduled,
              min(available_at) FILTER (WHERE available_at <= ?) AS oldest
       FROM outbox WHERE done_at IS NULL AND failed_at IS NULL`,
    )
    .get(now, now, now)!;
  gauges.outboxDue.set(pending.due);
  gauges.outboxScheduled.set(pending.scheduled);
  gauges.outboxOldestAge.set(pending.oldest === null ? 0 : Math.max(0, now - pending.oldest) / 1000);
  const count = (sql: string) => sqlite.prepare<[number], { n: number }>(sql).get(now)!.n;
  gauges.slaTimersDue.set({ kind: 'breach' }, count('SELECT count(*) AS n FROM sla_timers WHERE breached_at IS NULL AND due_at IS NOT NULL AND due_at <= ?'));
  gauges.slaTimersDue.set({ kind: 'warning' }, count('SELECT count(*) AS n FROM sla_timers WHERE warned_at IS NULL AND warn_at IS NOT NULL AND warn_at <= ?'));
  gauges.walBytes.set(walBytes(sqlite.name));
}

/** The whole scrape: database gauges, application metrics, process metrics. */
export async function scrapeMetrics(services: Services): Promise<string> {
  readGauges(services);
  const app = await services.metrics.registry.metrics();
  const node = await processMetrics().metrics();
  return `${app.trimEnd()}\n\n${node}`;
}
