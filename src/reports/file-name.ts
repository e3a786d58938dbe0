/**
 * The file name of a stored SLA report's download or mail attachment:
 * `sla-report-<last day of the period>-<id>.<ext>`. The period is [from, to): its last day is
 * the local date, in the report's time zone, of the last instant before `to` — a report for
 * Monday (Monday 00:00 to Tuesday 00:00) is named for Monday, not for the Tuesday it ends at.
 */
import { DateTime } from 'luxon';
import type { slaReports } from '../db/schema/index.js';

type ReportFileRow = Pick<typeof slaReports.$inferSelect, 'id' | 'periodStart' | 'periodEnd' | 'summary'>;

/** The report's zone (the one its times are shown in), UTC for a summary without one. */
function zoneOf(row: ReportFileRow): string {
  const zone = (row.summary as { timezone?: unknown }).timezone;
  return typeof zone === 'string' && DateTime.now().setZone(zone).isValid ? zone : 'UTC';
}

/** The local date (yyyy-MM-dd) of the last instant of the report's period. */
export function reportLastDay(row: ReportFileRow): string {
  const last = Math.max(row.periodStart, row.periodEnd - 1);
  return DateTime.fromMillis(last, { zone: zoneOf(row) }).toISODate()!;
}

export function reportFileName(row: ReportFileRow, ext: 'csv' | 'html'): string {
  return `sla-report-${reportLastDay(row)}-${row.id}.${ext}`;
}
