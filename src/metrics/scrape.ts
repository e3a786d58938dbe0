/**
 * `/metrics`: the gauges read from the database when scraped (each an indexed count: the
 * outbox's pending index, the SLA timers' next-due index; on SQLite the WAL's size from the
 * file system), through the storage port (sqlite.ts / pg.ts: the SQL that differs),
 * then the application's metrics and Node's process metrics in Prometheus' text format.
 */
import { sql } from 'drizzle-orm';
import { Registry } from 'prom-client';
import type { Services } from '../services.js';
import * as pgQueries from './pg.js';
import { processMetrics } from './process-metrics.js';
import * as sqliteQueries from './sqlite.js';

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

interface Pending {
  due: number;
  scheduled: number;
  oldest: number | null;
}

/** The database gauges, read through the storage port (each statement by itself: no common snapshot needed). */
export async function readGauges(services: Services): Promise<void> {
  const now = services.clock.now();
  const { gauges } = services.metrics;
  const { pending, timers, wal } = await services.store.query(async (q) => {
    const dialect = q.dialect === 'sqlite' ? sqliteQueries : pgQueries;
    const pending = await q.get<Pending>(
      sql`SELECT count(*) FILTER (WHERE available_at <= ${now}) AS due, count(*) FILTER (WHERE available_at > ${now}) AS scheduled,
                 min(available_at) FILTER (WHERE available_at <= ${now}) AS oldest
          FROM outbox WHERE done_at IS NULL AND failed_at IS NULL`,
    );
    return { pending: pending!, timers: await dialect.timersDue(q, now), wal: dialect.walBytes(q) };
  });
  gauges.outboxDue.set(pending.due);
  gauges.outboxScheduled.set(pending.scheduled);
  gauges.outboxOldestAge.set(pending.oldest === null ? 0 : Math.max(0, now - pending.oldest) / 1000);
  gauges.slaTimersDue.set({ kind: 'breach' }, timers.breach);
  gauges.slaTimersDue.set({ kind: 'warning' }, timers.warning);
  gauges.walBytes.set(wal);
}

/** The whole scrape: database gauges, application metrics, process metrics. */
export async function scrapeMetrics(services: Services): Promise<string> {
  await readGauges(services);
  const app = await services.metrics.registry.metrics();
  const node = await processMetrics().metrics();
  return `${app.trimEnd()}\n\n${node}`;
}
