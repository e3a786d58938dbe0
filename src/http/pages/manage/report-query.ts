/**
 * The reports dashboard's query string: `from` and `to` (local dates, `to` included),
 * `queue` (empty for all) and `tz` (an IANA zone, default REPORT_TIMEZONE). Without dates it shows the
 * last 30 days up to today. The same parameters drive the page, its CSV downloads and its
 * drill-down pages, so every link carries them.
 */
import { eq } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { daysIn, isZone, MAX_PERIOD_DAYS, periodOf, type DashboardQuery } from '../../../dashboard/period.js';
import type { Services } from '../../../services.js';
import type { FormErrors, FormValues } from '../../../../views/components.js';

export type ParsedQuery = { ok: true; values: FormValues; query: DashboardQuery } | { ok: false; values: FormValues; errors: FormErrors };

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function validDate(text: string, zone: string): boolean {
  return DATE.test(text) && DateTime.fromISO(text, { zone }).isValid;
}

async function queueExists(services: Services, id: string): Promise<boolean> {
  const rows = await services.store.query((q) => q.db.select({ id: q.tables.queues.id }).from(q.tables.queues).where(eq(q.tables.queues.id, id)).limit(1));
  return rows.length > 0;
}

export async function parseDashboardQuery(services: Services, raw: Record<string, string | undefined>): Promise<ParsedQuery> {
  const fallback = services.reports.timezone;
  const tz = (raw.tz ?? '').trim().slice(0, 64) || fallback;
  const errors: FormErrors = {};
  const zone = isZone(tz) ? tz : fallback;
  if (!isZone(tz)) errors.tz = 'an IANA time zone such as Europe/Berlin or UTC';
  const today = DateTime.fromMillis(services.clock.now(), { zone }).toISODate()!;
  const to = (raw.to ?? '').trim() || today;
  const from = (raw.from ?? '').trim() || DateTime.fromISO(to, { zone }).minus({ days: 29 }).toISODate() || today;
  const queue = (raw.queue ?? '').trim().slice(0, 64);
  const values: FormValues = { from, to, queue, tz };
  if (!validDate(from, zone)) errors.from = 'a date (yyyy-mm-dd)';
  if (!validDate(to, zone)) errors.to = 'a date (yyyy-mm-dd)';
  if (queue && !(await queueExists(services, queue))) errors.queue = 'no such queue: choose one, or All queues';
  if (!errors.from && !errors.to) {
    const period = periodOf(from, to, zone);
    if (period.from >= period.to) errors.to = 'must not be before the first day';
    else if (daysIn(period.from, period.to, zone) > MAX_PERIOD_DAYS) errors.to = `at most ${MAX_PERIOD_DAYS} days`;
    if (Object.keys(errors).length === 0) return { ok: true, values, query: { ...period, queue: queue || null, zone } };
  }
  return { ok: false, values, errors };
}

/** `from=…&to=…&queue=…&tz=…` for links, plus `extra`. */
export function queryString(values: FormValues, extra: Record<string, string | number> = {}): string {
  const params = new URLSearchParams();
  for (const key of ['from', 'to', 'queue', 'tz']) params.set(key, values[key] ?? '');
  for (const [key, value] of Object.entries(extra)) params.set(key, String(value));
  return params.toString();
}
