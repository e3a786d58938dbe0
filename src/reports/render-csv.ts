/**
 * The report as one CSV table (RFC 4180: CRLF line ends, quotes doubled). Each row belongs
 * to a `section`; a section fills the columns that apply to it. Times are ISO 8601 UTC.
 *
 * Formula guard (`csvCell`, OWASP's CSV injection advice): a spreadsheet runs a cell that
 * starts with = + - @ as a formula, and may drop a leading TAB, CR or LF first. It may also
 * open the file with another separator than the comma (`;` in much of Europe, TAB, `|`), and
 * then a text field splits into several cells. So every text field is quoted, and wherever a
 * cell could start — the field's start, or after any of , ; TAB | and a line break (LF, CR,
 * CRLF), past blanks and double quotes — a single quote is put in front of = + - @ TAB CR or
 * LF: `Refund;=cmd|'/C calc'!A0` becomes `"Refund;'=cmd|'/C calc'!A0"`, and a field that
 * starts with a TAB before its formula, `\t=cmd`, becomes `"'\t'=cmd"` (the TAB is a separator
 * too, so the cell after it is guarded as well). Numbers stay unquoted numbers (a negative
 * count is not a formula). Bidi controls are removed from text (src/text/display.ts).
 */
import { displayText } from '../text/display.js';
import type { ReportSummary } from './build-report.js';

/**
 * A CSV file for people to open (the console's downloads, the report mail's attachment): a
 * UTF-8 byte order mark first. Without it spreadsheet programs (Excel) read a CSV in the
 * machine's legacy code page, and "Müller", "退款" or "प्रिया" come out garbled. The API's
 * `report.csv` stays the bare CSV, for programs; most CSV readers skip the mark anyway
 * (Python: `encoding="utf-8-sig"`).
 */
export function forSpreadsheets(csv: string): string {
  return `\uFEFF${csv}`;
}

export const CSV_COLUMNS = [
  'section', 'case', 'subject', 'queue', 'from_queue', 'tier', 'policy', 'metric', 'priority', 'state',
  'at', 'due_at', 'minutes', 'count', 'met', 'missed', 'attainment_percent', 'reason', 'rule',
  // Added last, so the columns before it keep their positions.
  'business_minutes_left',
] as const;
type Column = (typeof CSV_COLUMNS)[number];
type Row = Partial<Record<Column, string | number | null>>;

/**
 * A place where a cell could start under any common separator (the text's start, or just after
 * , ; TAB | LF, or a CR that does not begin a CRLF), then blanks and double quotes (whitespace
 * other than TAB, CR and LF, which are separators themselves), then a formula trigger. The
 * start is a lookbehind, so a match consumes no separator: a separator that is itself a
 * trigger (a TAB at the field's start) is guarded, and the cell after it is looked at too.
 */
const FORMULA_AT_CELL_START = /(?<=^|[,;\t|\n]|\r(?!\n))((?:[^\S\t\r\n]|")*)(?=[=+\-@\t\r\n])/g;

/** Text with a `'` before every would-be cell start that a spreadsheet would run as a formula. */
export function guardFormulas(text: string): string {
  return text.replace(FORMULA_AT_CELL_START, "$1'");
}

/** One CSV field: numbers as they are, text formula-guarded and always quoted. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return `"${guardFormulas(displayText(value)).replaceAll('"', '""')}"`;
}

export function renderReportCsv(report: ReportSummary): string {
  const rows: Row[] = [
    { section: 'summary', reason: 'period from', at: report.period.from },
    { section: 'summary', reason: 'period to', at: report.period.to },
    { section: 'summary', reason: 'generated', at: report.generatedAt },
    { section: 'summary', reason: 'breaches', count: report.totals.breaches },
    { section: 'summary', reason: 'warnings', count: report.totals.warnings },
    { section: 'summary', reason: 'escalations', count: report.totals.escalations },
    { section: 'summary', reason: `at risk (due within ${report.atRiskHours} business hours)`, count: report.totals.atRisk },
    { section: 'summary', reason: 'attainment', met: report.totals.met, missed: report.totals.missed, attainment_percent: report.totals.attainment },
  ];
  for (const b of report.breaches) {
    rows.push({ section: 'breach', case: b.caseId, subject: b.subject, queue: b.queue, policy: b.policy, metric: b.metric, priority: b.priority, at: b.breachedAt, due_at: b.dueAt, reason: b.assignee === undefined ? null : b.assignee ? `assigned to ${b.assignee}` : 'unassigned' });
  }
  for (const r of report.atRisk) {
    rows.push({ section: 'at_risk', case: r.caseId, subject: r.subject, queue: r.queue, policy: r.policy, metric: r.metric, priority: r.priority, due_at: r.dueAt, minutes: r.minutesLeft, business_minutes_left: r.businessMinutesLeft });
  }
  for (const e of report.escalations) {
    rows.push({ section: 'escalation', case: e.caseId, subject: e.subject, queue: e.queue, from_queue: e.fromQueue, tier: e.tier, at: e.at, reason: e.reason, rule: e.rule });
  }
  for (const r of report.escalationReasons) rows.push({ section: 'escalation_reason', reason: r.reason, count: r.count });
  for (const a of report.attainment.byQueue) {
    rows.push({ section: 'attainment_by_queue', queue: a.key, met: a.met, missed: a.missed, attainment_percent: a.attainment });
  }
  for (const a of report.attainment.byPolicy) {
    rows.push({ section: 'attainment_by_policy', policy: a.key, met: a.met, missed: a.missed, attainment_percent: a.attainment });
  }
  for (const w of report.oldestWaiting) {
    rows.push({ section: 'oldest_waiting', case: w.caseId, subject: w.subject, queue: w.queue, metric: w.metric, state: w.state, at: w.waitingSince, minutes: w.waitedMinutes, reason: w.assignee ? `assigned to ${w.assignee}` : 'unassigned' });
  }
  const lines = [CSV_COLUMNS.join(','), ...rows.map((row) => CSV_COLUMNS.map((col) => csvCell(row[col])).join(','))];
  return lines.join('\r\n') + '\r\n';
}
