/**
 * The dashboard's period: dates chosen in a time zone become [from, to) instants (the first
 * day's midnight up to the midnight after the last day), and the period is cut into buckets
 * for the charts — days for periods up to 31 days, otherwise weeks of 7 days counted from
 * the first day (the last one may be shorter). Calendar arithmetic happens in the zone, so a
 * daylight-saving day is 23 or 25 hours long (23½ on Lord Howe Island), and a day whose
 * midnight the clocks skip (America/Santiago in September) starts when they jump: every day
 * starts at its first instant, each bucket at a local day's start.
 */
import { DateTime, IANAZone } from 'luxon';

export const MAX_DAY_BUCKETS = 31;
export const MAX_PERIOD_DAYS = 366;

export interface DashboardQuery {
  from: number;
  to: number;
  /** Only this queue; null for all queues. */
  queue: string | null;
  /** IANA zone of the dates and of the bucket boundaries. */
  zone: string;
}

export interface Bucket {
  start: number;
  end: number;
  /** The local date the bucket starts on, `yyyy-MM-dd`. */
  label: string;
}

export function isZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** `yyyy-MM-dd` local dates (to inclusive) → [from, to) instants. */
export function periodOf(fromDate: string, toDate: string, zone: string): { from: number; to: number } {
  const from = DateTime.fromISO(fromDate, { zone }).startOf('day');
  const to = DateTime.fromISO(toDate, { zone }).plus({ days: 1 }).startOf('day');
  return { from: from.toMillis(), to: to.toMillis() };
}

/** Whole local days in [from, to). */
export function daysIn(from: number, to: number, zone: string): number {
  return Math.round(DateTime.fromMillis(to, { zone }).diff(DateTime.fromMillis(from, { zone }), 'days').days);
}

export function bucketsOf(q: Pick<DashboardQuery, 'from' | 'to' | 'zone'>): { unit: 'day' | 'week'; buckets: Bucket[] } {
  const unit = daysIn(q.from, q.to, q.zone) <= MAX_DAY_BUCKETS ? 'day' : 'week';
  const step = unit === 'day' ? { days: 1 } : { weeks: 1 };
  const buckets: Bucket[] = [];
  let cursor = DateTime.fromMillis(q.from, { zone: q.zone });
  while (cursor.toMillis() < q.to) {
    // The next local midnight, not the cursor's wall time a day on: where a day starts after
    // midnight (Santiago's clocks go from 00:00 to 01:00), 01:00 a day later is not its start.
    const next = cursor.plus(step).startOf('day');
    buckets.push({ start: cursor.toMillis(), end: Math.min(next.toMillis(), q.to), label: cursor.toISODate()! });
    cursor = next;
  }
  return { unit, buckets };
}
