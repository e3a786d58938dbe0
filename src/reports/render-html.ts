/**
 * The report as a self-contained HTML document (inline styles, no scripts, no external
 * resources), for the browser and the mail body. Built with the `html` tag below, which
 * escapes every interpolated value; only fragments made by the same tag pass through
 * unescaped, so no text from a case (subjects, reasons) can inject markup.
 */
import { displayText } from '../text/display.js';
import { formatMinutes } from '../text/minutes.js';
import type { AttainmentRow, ReportSummary } from './build-report.js';
import { reportTime, timeLeftText } from './time-text.js';

/** Markup made by `html`: trusted, inserted as is. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function escapeHtml(text: string): string {
  return displayText(text).replace(/[&<>"']/g, (ch: string) => `&#${ch.charCodeAt(0)};`);
}

type Value = SafeHtml | string | number | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value === null || value === undefined) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template that escapes every interpolation that is not SafeHtml. */
export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

/** How many rows of each list the HTML shows (the CSV has them all). */
const HTML_ROWS = 200;

function when(isoText: string | null, zone: string): string {
  return isoText ? reportTime(isoText, zone) : '';
}

/** The metrics as people read them (the console and the dashboard's drill-downs say the same); the CSV keeps the keys. */
const METRIC_NAMES: Record<string, string> = { firstResponse: 'First response', nextResponse: 'Next response', resolution: 'Resolution' };
const metricName = (metric: string) => METRIC_NAMES[metric] ?? metric;

function pct(value: number | null): string {
  return value === null ? '–' : `${value.toFixed(1)} %`;
}

function table(headers: readonly string[], rows: readonly SafeHtml[], total: number, empty: string): SafeHtml {
  if (total === 0) return html`<p class="empty">${empty}</p>`;
  const more = total - Math.min(rows.length, HTML_ROWS);
  return html`<table><thead><tr>${headers.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${rows.slice(0, HTML_ROWS)}</tbody></table>${
    more > 0 ? html`<p class="more">… and ${more} more in the CSV.</p>` : ''
  }`;
}

function attainmentTable(title: string, rows: readonly AttainmentRow[]): SafeHtml {
  return html`<h3>${title}</h3>${table(
    [title.replace('By ', ''), 'Met', 'Missed', 'Attainment'],
    rows.map((r) => html`<tr><td>${r.key}</td><td class="n">${r.met}</td><td class="n">${r.missed}</td><td class="n">${pct(r.attainment)}</td></tr>`),
    rows.length,
    'No SLA outcomes in this period.',
  )}`;
}

const STYLE = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2328;margin:24px;max-width:1100px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px}.period{color:#57606a;margin:0 0 16px}
table{border-collapse:collapse;width:100%;margin:4px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
th{background:#f6f8fa;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.totals td{font-size:15px}.empty,.more{color:#57606a}`;

export function renderReportHtml(report: ReportSummary): string {
  const zone = report.timezone;
  const t = report.totals;
  const title = `SLA escalation report ${when(report.period.from, zone)} – ${when(report.period.to, zone)}`;
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${new SafeHtml(STYLE)}</style></head>
<body>
<h1>SLA escalation report</h1>
<p class="period">${when(report.period.from, zone)} – ${when(report.period.to, zone)} (${zone}); built ${when(report.generatedAt, zone)}</p>
<table class="totals"><tbody>
<tr><th>Breaches</th><td class="n">${t.breaches}</td><th>Warnings</th><td class="n">${t.warnings}</td></tr>
<tr><th>Escalations</th><td class="n">${t.escalations}</td><th>At risk (next ${report.atRiskHours} business hours)</th><td class="n">${t.atRisk}</td></tr>
<tr><th>Attainment</th><td class="n">${pct(t.attainment)}</td><th>Met / missed</th><td class="n">${t.met} / ${t.missed}</td></tr>
</tbody></table>

<h2>Breaches</h2>
${table(
  ['Case', 'Subject', 'Metric', 'Policy', 'Queue', 'Assigned to', 'Priority', 'Due', 'Breached'],
  report.breaches.map((b) => html`<tr><td>${b.caseId}</td><td dir="auto">${b.subject}</td><td>${metricName(b.metric)}</td><td>${b.policy}</td><td>${b.queue}</td><td>${b.assignee === undefined ? '' : (b.assignee ?? 'unassigned')}</td><td>${b.priority}</td><td>${when(b.dueAt, zone)}</td><td>${when(b.breachedAt, zone)}</td></tr>`),
  t.breaches,
  'No breaches in this period.',
)}

<h2>At risk</h2>
${table(
  ['Case', 'Subject', 'Metric', 'Policy', 'Queue', 'Priority', 'Due', 'Time left'],
  report.atRisk.map((r) => html`<tr><td>${r.caseId}</td><td dir="auto">${r.subject}</td><td>${metricName(r.metric)}</td><td>${r.policy}</td><td>${r.queue}</td><td>${r.priority}</td><td>${when(r.dueAt, zone)}</td><td class="n">${timeLeftText(r)}</td></tr>`),
  t.atRisk,
  `Nothing is due within the next ${report.atRiskHours} business hours.`,
)}

<h2>Escalations</h2>
${table(
  ['Reason', 'Count'],
  report.escalationReasons.map((r) => html`<tr><td dir="auto">${r.reason}</td><td class="n">${r.count}</td></tr>`),
  report.escalationReasons.length,
  'No escalations in this period.',
)}
${report.escalations.length > 0
  ? table(
      ['Case', 'Subject', 'When', 'From', 'To', 'Reason', 'Rule'],
      report.escalations.map((e) => html`<tr><td>${e.caseId}</td><td dir="auto">${e.subject}</td><td>${when(e.at, zone)}</td><td>${e.fromQueue}</td><td>${e.queue} (tier ${e.tier})</td><td dir="auto">${e.reason}</td><td>${e.rule}</td></tr>`),
      t.escalations,
      '',
    )
  : ''}

<h2>SLA attainment</h2>
<p>Met: timers fulfilled for the first time in the period without a breach. Missed: breaches in the period.</p>
${attainmentTable('By queue', report.attainment.byQueue)}
${attainmentTable('By policy', report.attainment.byPolicy)}

<h2>Oldest waiting cases</h2>
${table(
  ['Case', 'Subject', 'Queue', 'Status', 'Assignee', 'Waiting for', 'Since', 'Waited'],
  report.oldestWaiting.map((w) => html`<tr><td>${w.caseId}</td><td dir="auto">${w.subject}</td><td>${w.queue}</td><td>${w.status}</td><td>${w.assignee ?? 'unassigned'}</td><td>${metricName(w.metric)}${w.state === 'breached' ? ' (breached)' : ''}</td><td>${when(w.waitingSince, zone)}</td><td class="n">${formatMinutes(w.waitedMinutes)}</td></tr>`),
  report.oldestWaiting.length,
  'No customer is waiting for an answer.',
)}
</body></html>
`;
  return page.value;
}
