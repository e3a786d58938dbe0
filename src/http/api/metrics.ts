/**
 * `GET /api/v1/metrics?from=&to=&queue=&tz=` (managers and admins): the reports dashboard's
 * numbers — CSAT, churn, processing and first-response times (mean, median, p90), SLA
 * attainment, backlog and escalations — computed by the same code as /manage/reports
 * (src/dashboard/). `from` and `to` are local dates in `tz` (default REPORT_TIMEZONE; `to`
 * included; default the last 30 days up to today), at most 366 days; `queue` one queue. Bad input is 422
 * VALIDATION_FAILED naming each field (an unknown time zone, a date that is not one, from
 * after to, an unknown queue).
 */
import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { buildDashboard } from '../../dashboard/dashboard.js';
import { dashboardJson } from '../../dashboard/metrics-json.js';
import { daysIn, isZone, MAX_PERIOD_DAYS, periodOf } from '../../dashboard/period.js';
import { ValidationError } from '../../errors.js';
import { parseWith } from '../json-body.js';
import { apiGroup, MANAGERS_ONLY, on } from '../openapi/route-spec.js';
import type { AppEnv } from '../types.js';
import { dashboardMetrics } from './schemas/metrics.js';

const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date (yyyy-mm-dd)')
  .refine((text) => DateTime.fromISO(text, { zone: 'UTC' }).isValid, 'a date (yyyy-mm-dd) that exists');

export const metricsQuery = z.strictObject({
  from: date.optional().meta({ description: 'The first local day (default: 29 days before `to`).' }),
  to: date.optional().meta({ description: 'The last local day, included (default: today in `tz`).' }),
  queue: z.string().min(1).max(64).optional().meta({ description: 'One queue’s id (default: every queue).' }),
  tz: z.string().max(64).refine(isZone, 'an IANA time zone such as Europe/Berlin or UTC').optional().meta({ description: 'The IANA time zone of `from`, `to` and the buckets (default REPORT_TIMEZONE, else UTC).' }),
});

export const metricsApi = apiGroup('/metrics', 'Metrics');

export const getMetricsRoute = metricsApi.route({
  method: 'get',
  path: '/',
  summary: 'The reports dashboard’s numbers',
  description: `CSAT, churn, processing and first-response times (mean, median, p90), SLA attainment, backlog and escalations for a period of at most ${MAX_PERIOD_DAYS} days, computed like /manage/reports. 422 VALIDATION_FAILED names each bad field (a date that does not exist, \`from\` after \`to\`, an unknown time zone or queue).`,
  access: MANAGERS_ONLY,
  query: metricsQuery,
  responses: { 200: dashboardMetrics },
});

export function metricsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  on(app, getMetricsRoute, async (c) => {
    const services = c.get('services');
    const input = parseWith(getMetricsRoute.query, c.req.query());
    const zone = input.tz ?? services.reports.timezone;
    const to = input.to ?? DateTime.fromMillis(services.clock.now(), { zone }).toISODate()!;
    const from = input.from ?? DateTime.fromISO(to, { zone }).minus({ days: 29 }).toISODate()!;
    const period = periodOf(from, to, zone);
    if (period.from >= period.to) throw new ValidationError([{ path: 'from', message: `must not be after to (${to})` }]);
    if (daysIn(period.from, period.to, zone) > MAX_PERIOD_DAYS) throw new ValidationError([{ path: 'to', message: `at most ${MAX_PERIOD_DAYS} days after from` }]);
    const queue = input.queue;
    if (queue !== undefined) {
      const [known] = await services.store.query(({ db, tables: { queues } }) => db.select({ id: queues.id }).from(queues).where(eq(queues.id, queue)).limit(1));
      if (!known) throw new ValidationError([{ path: 'queue', message: `no queue "${queue}"` }]);
    }
    const dashboard = await buildDashboard(services, { ...period, queue: input.queue ?? null, zone });
    return c.json(dashboardJson(dashboard, { from, to }));
  });

  return app;
}
