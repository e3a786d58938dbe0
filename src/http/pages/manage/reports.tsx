/**
 * `/manage/reports` (managers and admins, behind requireManager):
 *
 *   GET  /manage/reports?from=&to=&queue=&tz=            the dashboard (htmx: form + dashboard fragment)
 *   GET  /manage/reports/csv/:name?…                     a chart's data as CSV (summary, backlog, escalations,
 *                                                        attainment-by-metric, attainment-by-policy, times, agents)
 *   GET  /manage/reports/drill?metric=…&…                the cases or customers behind a number
 *   GET  /manage/reports/drill.csv?metric=…&…            the same list as CSV
 *   GET  /manage/reports/sla                             stored SLA escalation reports and their delivery
 *   GET  /manage/reports/sla/:id                         one report, rendered from its summary
 *   GET  /manage/reports/sla/:id/report.csv|report.html  the stored files (downloads)
 *   POST /manage/reports/sla/:id/deliver                 queue a failed delivery again
 */
import { asc, desc, eq, getTableColumns } from 'drizzle-orm';
import { Hono } from 'hono';
import { agentsCsv, attainmentCsv, drillCsv, durationsCsv, seriesCsv, summaryCsv } from '../../../dashboard/csv.js';
import { buildDashboard, drillDown, DRILL_METRICS, type DrillSpec } from '../../../dashboard/dashboard.js';
import { DomainError } from '../../../errors.js';
import { redeliverReport, type ReportRow } from '../../../reports/create-report.js';
import { reportFileName } from '../../../reports/file-name.js';
import { forSpreadsheets } from '../../../reports/render-csv.js';
import type { Option } from '../../../../views/components.js';
import { EscalationReportPage, EscalationReportsPage } from '../../../../views/pages/manage/escalation-reports.js';
import { DrillPage, ReportsBody, ReportsPage } from '../../../../views/pages/manage/reports.js';
import { isHtmx, type PageContext, type PageEnv } from '../env.js';
import { redirectTo, sendHtml, viewerOf } from '../render.js';
import { managerOf } from './guard.js';
import { parseDashboardQuery, queryString, type ParsedQuery } from './report-query.js';

const BASE = '/manage/reports';
const LIST_LIMIT = 100;
/** A row of the per-agent table: a staff id, or `none`. */
const AGENT_KEY = /^(?:[1-9]\d{0,14}|none)$/;

async function queueOptions(c: PageContext): Promise<Option[]> {
  const rows = await c.get('services').store.query(({ db, tables: { queues } }) => db.select({ id: queues.id, name: queues.name, active: queues.active }).from(queues).orderBy(asc(queues.id)));
  return rows.map((q) => ({ value: q.id, label: `${q.name}${q.active ? '' : ' (inactive)'}` }));
}

/** The period from the query string; an invalid one is refused (422) on downloads and drill-downs. */
async function periodOrThrow(c: PageContext): Promise<Extract<ParsedQuery, { ok: true }>> {
  const parsed = await parseDashboardQuery(c.get('services'), c.req.query());
  if (!parsed.ok) {
    throw new DomainError('VALIDATION_FAILED', `The period is not valid: ${Object.entries(parsed.errors).map(([k, v]) => `${k} ${v}`).join('; ')}.`, {
      issues: Object.entries(parsed.errors).map(([path, message]) => ({ path, message })),
    });
  }
  return parsed;
}

function drillSpec(raw: Record<string, string>): DrillSpec {
  const metric = raw.metric ?? '';
  const bad = (what: string) => new DomainError('VALIDATION_FAILED', `Unknown drill-down: ${what}.`);
  if (!(DRILL_METRICS as readonly string[]).includes(metric)) throw bad('metric');
  if (metric === 'attainment') {
    const group = raw.group ?? '';
    const outcome = raw.outcome ?? '';
    const key = (raw.key ?? '').slice(0, 100);
    if (group !== 'all' && group !== 'metric' && group !== 'policy' && group !== 'agent') throw bad('group');
    if (group === 'agent' && !AGENT_KEY.test(key)) throw bad('agent');
    if (outcome !== 'met' && outcome !== 'missed') throw bad('outcome');
    return { metric, group, key, outcome };
  }
  if (metric === 'backlog' || metric === 'escalations') {
    const bucket = /^\d{1,3}$/.test(raw.bucket ?? '') ? Number(raw.bucket) : NaN;
    if (!Number.isInteger(bucket)) throw bad('bucket');
    return { metric, bucket };
  }
  if (metric === 'first-response' && raw.agent !== undefined) {
    if (!AGENT_KEY.test(raw.agent)) throw bad('agent');
    return { metric, agent: raw.agent };
  }
  return { metric: metric as 'csat' | 'csat-satisfied' | 'churn' | 'processing' | 'first-response' };
}

function csv(c: PageContext, name: string, values: Record<string, string>, body: string): Response {
  c.header('Cache-Control', 'no-store');
  c.header('Content-Disposition', `attachment; filename="casebook-${name}-${values.from}-${values.to}.csv"`);
  return c.body(forSpreadsheets(body), 200, { 'Content-Type': 'text/csv; charset=utf-8' });
}

async function reportOf(c: PageContext): Promise<ReportRow> {
  const id = /^\d{1,9}$/.test(c.req.param('id') ?? '') ? Number(c.req.param('id')) : NaN;
  const [row] = Number.isSafeInteger(id) ? await c.get('services').store.query((q) => q.db.select().from(q.tables.slaReports).where(eq(q.tables.slaReports.id, id)).limit(1)) : [];
  if (!row) throw new DomainError('NOT_FOUND', `No SLA report ${c.req.param('id')}.`);
  return row;
}

export function reportPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.get(BASE, async (c) => {
    managerOf(c);
    const services = c.get('services');
    const parsed = await parseDashboardQuery(services, c.req.query());
    const dashboard = parsed.ok ? await buildDashboard(services, parsed.query) : null;
    const state = parsed.ok ? { values: parsed.values } : { values: parsed.values, errors: parsed.errors };
    const options = await queueOptions(c);
    const queueName = parsed.ok && parsed.query.queue ? (options.find((o) => o.value === parsed.query.queue)?.label ?? parsed.query.queue) : null;
    const status = parsed.ok ? 200 : 422;
    // What the bare address shows, for the form's fields on Back and Forward.
    const defaults = (await parseDashboardQuery(services, {})).values;
    if (isHtmx(c)) return sendHtml(c, <ReportsBody state={state} queues={options} dashboard={dashboard} queueName={queueName} defaults={defaults} />, status);
    return sendHtml(c, <ReportsPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} state={state} queues={options} dashboard={dashboard} queueName={queueName} defaults={defaults} />, status);
  });

  app.get(`${BASE}/csv/:name`, async (c) => {
    managerOf(c);
    const { query, values } = await periodOrThrow(c);
    const name = c.req.param('name');
    const d = await buildDashboard(c.get('services'), query, { export: true });
    const bodies: Record<string, () => string> = {
      summary: () => summaryCsv(d),
      backlog: () => seriesCsv(d.backlog, 'open_cases'),
      escalations: () => seriesCsv(d.escalations, 'escalations'),
      'attainment-by-metric': () => attainmentCsv('metric', d.attainment.byMetric),
      'attainment-by-policy': () => attainmentCsv('policy', d.attainment.byPolicy),
      times: () => durationsCsv(d),
      agents: () => agentsCsv(d.agents),
    };
    const body = Object.hasOwn(bodies, name) ? bodies[name]! : null;
    if (!body) throw new DomainError('NOT_FOUND', `No chart "${name}".`);
    return csv(c, name, values, body());
  });

  app.get(`${BASE}/drill`, async (c) => {
    managerOf(c);
    const { query, values } = await periodOrThrow(c);
    const raw = c.req.query();
    const spec = drillSpec(raw);
    const drill = await drillDown(c.get('services'), query, spec);
    const extra = Object.fromEntries(['metric', 'group', 'key', 'outcome', 'bucket', 'agent'].filter((k) => raw[k] !== undefined).map((k) => [k, raw[k]!]));
    return sendHtml(c, <DrillPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} drill={drill} values={values} csv={`${BASE}/drill.csv?${queryString(values, extra)}`} />);
  });

  app.get(`${BASE}/drill.csv`, async (c) => {
    managerOf(c);
    const { query, values } = await periodOrThrow(c);
    const spec = drillSpec(c.req.query());
    return csv(c, `drill-${spec.metric}`, values, drillCsv(await drillDown(c.get('services'), query, spec, { export: true })));
  });

  app.get(`${BASE}/sla`, async (c) => {
    managerOf(c);
    const services = c.get('services');
    const rows = await services.store.query(({ db, tables: { slaReports } }) => {
      const { html: _html, csv: _csv, ...columns } = getTableColumns(slaReports);
      return db.select(columns).from(slaReports).orderBy(desc(slaReports.id)).limit(LIST_LIMIT);
    });
    const queued = /^\d{1,9}$/.test(c.req.query('queued') ?? '') ? `Delivery of report ${c.req.query('queued')} queued again.` : null;
    return sendHtml(c, <EscalationReportsPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} rows={rows} canSend={services.mailer !== null} notice={queued} />);
  });

  app.get(`${BASE}/sla/:id`, async (c) => {
    managerOf(c);
    const row = await reportOf(c);
    return sendHtml(c, <EscalationReportPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} row={row} canSend={c.get('services').mailer !== null} />);
  });

  app.get(`${BASE}/sla/:id/report.csv`, async (c) => {
    managerOf(c);
    const row = await reportOf(c);
    c.header('Cache-Control', 'no-store');
    c.header('Content-Disposition', `attachment; filename="${reportFileName(row, 'csv')}"`);
    return c.body(forSpreadsheets(row.csv), 200, { 'Content-Type': 'text/csv; charset=utf-8' });
  });

  app.get(`${BASE}/sla/:id/report.html`, async (c) => {
    managerOf(c);
    const row = await reportOf(c);
    // A download, never rendered on our origin: the stored document carries its own inline styles.
    c.header('Cache-Control', 'no-store');
    c.header('Content-Disposition', `attachment; filename="${reportFileName(row, 'html')}"`);
    return c.body(row.html, 200, { 'Content-Type': 'text/html; charset=utf-8' });
  });

  app.post(`${BASE}/sla/:id/deliver`, async (c) => {
    managerOf(c);
    const services = c.get('services');
    const row = await redeliverReport(services, (await reportOf(c)).id);
    services.outbox.kick();
    return redirectTo(c, `${BASE}/sla?queued=${row.id}`);
  });

  return app;
}
