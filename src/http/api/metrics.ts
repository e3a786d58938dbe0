/**
 * `GET /api/v1/metrics?from=&to=&queue=&tz=` (managers and admins): the reports dashboard's
 * numbers — CSAT, churn, processing and first-response times (mean, median, p90), SLA
 * attainment, backlog and escalations — computed by the same code as /manage/reports
 * (src/dashboard/). `from` and `to` are local dates in `tz` (`to` included; default the last
 * 30 days up to today, UTC), at most 366 days; `queue` one queue. Bad input is 422
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
import { queues } from '../../db/schema/index.js';
import { ValidationError } from '../../errors.js';
import { parseWith } from '../json-body.js';
import { MANAGERS, requireRole } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';

const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date (yyyy-mm-dd)')
  .refine((text) => DateTime.fromISO(text, { zone: 'UTC' }).isValid, 'a date (yyyy-mm-dd) that exists');

export const metricsQuery = z.strictObject({
  from: date.optional(),
  to: date.optional(),
  queue: z.string().min(1).max(64).optional(),
  tz: z.string().max(64).refine(isZone, 'an IANA time zone such as Europe/Berlin or UTC').default('UTC'),
});

export function metricsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requireRole(...MANAGERS));

  app.get('/', (c) => {
    const services = c.get('services');
    const input = parseWith(metricsQuery, c.req.query());
    const zone = input.tz;
    const to = input.to ?? DateTime.fromMillis(services.clock.now(), { zone }).toISODate()!;
    const from = input.from ?? DateTime.fromISO(to, { zone }).minus({ days: 29 }).toISODate()!;
    const period = periodOf(from, to, zone);
    if (period.from >= period.to) throw new ValidationError([{ path: 'from', message: `must not be after to (${to})` }]);
    if (daysIn(period.from, period.to, zone) > MAX_PERIOD_DAYS) throw new ValidationError([{ path: 'to', message: `at most ${MAX_PERIOD_DAYS} days after from` }]);
    if (input.queue !== undefined && !services.db.select({ id: queues.id }).from(queues).where(eq(queues.id, input.queue)).get()) {
      throw new ValidationError([{ path: 'queue', message: `no queue "${input.queue}"` }]);
    }
    const dashboard = buildDashboard(services, { ...period, queue: input.queue ?? null, zone });
    return c.json(dashboardJson(dashboard, { from, to }));
  });

  return app;
}
