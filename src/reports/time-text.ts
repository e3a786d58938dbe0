/**
 * How the report shows values to people, in its HTML (the mail's body) and on its page in the
 * console: the same words in both. The CSV and the JSON summary keep ISO times and minutes.
 */
import { DateTime } from 'luxon';
import { formatMinutes } from '../text/minutes.js';
import type { AtRiskEntry } from './build-report.js';

/**
 * An at-risk timer's time left: the business minutes left of its target ("at risk" is measured
 * in them) and the wall-clock time until it is due when that differs — "15 min in business
 * hours (2 h 15 min on the clock)" on a night shift, "35 min" around the clock. A report stored
 * before business minutes were recorded shows the clock time alone.
 */
export function timeLeftText(r: Pick<AtRiskEntry, 'minutesLeft' | 'businessMinutesLeft'>): string {
  const clock = formatMinutes(r.minutesLeft);
  if (r.businessMinutesLeft === undefined) return clock;
  const business = formatMinutes(r.businessMinutesLeft);
  return business === clock ? clock : `${business} in business hours (${clock} on the clock)`;
}

/**
 * An instant in the report's zone with its UTC offset, always: "2026-10-25 02:30 +02:00".
 * Where the clocks go back, the repeated hour's two instants read differently (the second
 * "2026-10-25 02:30 +01:00"); with the offset on every time, the columns stay alike.
 */
export function reportTime(isoText: string, zone: string): string {
  return DateTime.fromISO(isoText, { zone: 'utc' }).setZone(zone).toFormat('yyyy-LL-dd HH:mm ZZ');
}
