/**
 * `/metrics`: the gauges read from the database when scraped (each an indexed count: the
 * outbox's pending index, the SLA timers' next-due index; the WAL's size from the file system),
 * then the application's metrics and Node's process metrics in Prometheus' text format.
 */
import fs from 'node:fs';
import { Registry } from 'prom-client';
import { slaNextAtSql } from '../db/schema/index.js';
import type { Services } from '../services.js';
import { processMetrics } from './process-metrics.js';

/** The range of `sla_timers_next_idx` holding every timer with a warning or breach due at @now. */
const DUE_RANGE = `(${slaNextAtSql()}) IS NOT NULL AND (${slaNextAtSql()}) <= @now`;

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
  const count = (sql: string) => sqlite.prepare<[{ now: number }], { n: number }>(sql).get({ now })!.n;
  gauges.slaTimersDue.set({ kind: 'breach' }, count(`SELECT count(*) AS n FROM sla_timers INDEXED BY sla_timers_next_idx WHERE ${DUE_RANGE} AND breached_at IS NULL AND due_at IS NOT NULL AND due_at <= @now`));
  gauges.slaTimersDue.set({ kind: 'warning' }, count(`SELECT count(*) AS n FROM sla_timers INDEXED BY sla_timers_next_idx WHERE ${DUE_RANGE} AND warned_at IS NULL AND warn_at IS NOT NULL AND warn_at <= @now`));
  gauges.walBytes.set(walBytes(sqlite.name));
}

/** The whole scrape: database gauges, application metrics, process metrics. */
export async function scrapeMetrics(services: Services): Promise<string> {
  readGauges(services);
  const app = await services.metrics.registry.metrics();
  const node = await processMetrics().metrics();
  return `${app.trimEnd()}\n\n${node}`;
}
