/**
 * `/api/v1/reports` (managers and admins): stored SLA escalation reports, their HTML and CSV,
 * building one on demand, and sending one again.
 */
import { desc, eq, getTableColumns } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { iso } from '../../cases/case-view.js';
import { slaReports } from '../../db/schema/index.js';
import { DomainError } from '../../errors.js';
import type { ReportSummary } from '../../reports/build-report.js';
import { createReport, redeliverReport, type ReportRow } from '../../reports/create-report.js';
import { reportFileName } from '../../reports/file-name.js';
import { jsonBody, parseWith } from '../json-body.js';
import { MANAGERS, requireRole } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';
import { apiGroup, MANAGERS_ONLY, on } from '../openapi/route-spec.js';
import { report, reportListItem } from './schemas/admin.js';

const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) });

const createSchema = z.strictObject({
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  atRiskHours: z.number().min(0).max(200).optional().meta({ description: 'Business hours ahead that count as at risk (default REPORT_AT_RISK_HOURS, else 4).' }),
  timezone: z
    .string()
    .refine((zone) => IANAZone.isValidZone(zone), 'an IANA time zone such as Europe/Berlin')
    .optional()
    .meta({ description: 'The zone the report shows times in, and its file names’ date (default REPORT_TIMEZONE, else UTC).' }),
  deliver: z.boolean().optional(),
});

export const reportApi = apiGroup('/reports', 'Reports');
const reportIdParam = { id: z.string().meta({ description: 'The report id.' }) };

export const listReportsRoute = reportApi.route({ method: 'get', path: '/', summary: 'SLA escalation reports', description: 'Newest first.', access: MANAGERS_ONLY, query: listQuery, responses: { 200: z.array(reportListItem) } });
export const createReportRoute = reportApi.route({
  method: 'post',
  path: '/',
  summary: 'Build a report now',
  description: 'For a period; `deliver` mails it to the report recipients. Without `timezone` and `atRiskHours`, the server’s REPORT_TIMEZONE and REPORT_AT_RISK_HOURS apply, as for the scheduled report.',
  access: MANAGERS_ONLY,
  body: createSchema,
  responses: { 201: { description: 'The report', schema: report, headers: { Location: 'The report’s URL' } } },
});
export const getReportRoute = reportApi.route({ method: 'get', path: '/:id', summary: 'A report', access: MANAGERS_ONLY, params: reportIdParam, responses: { 200: report } });
export const reportCsvRoute = reportApi.route({ method: 'get', path: '/:id/report.csv', summary: 'A report as CSV', access: MANAGERS_ONLY, params: reportIdParam, responses: { 200: { description: 'A download', contentType: 'text/csv' } } });
export const reportHtmlRoute = reportApi.route({
  method: 'get',
  path: '/:id/report.html',
  summary: 'A report as HTML',
  description: 'A download (the mail’s HTML body), never rendered on our origin.',
  access: MANAGERS_ONLY,
  params: reportIdParam,
  responses: { 200: { description: 'A download', contentType: 'text/html' } },
});
export const deliverReportRoute = reportApi.route({ method: 'post', path: '/:id/deliver', summary: 'Send a report again', description: '409 CONFLICT without SMTP_URL.', access: MANAGERS_ONLY, params: reportIdParam, responses: { 202: { description: 'Queued for delivery', schema: reportListItem } }, errors: [409] });

function delivery(row: ReportRow) {
  return {
    state: row.deliveryState,
    attempts: row.deliveryAttempts,
    error: row.deliveryError,
    deliveredAt: iso(row.deliveredAt),
    recipients: row.recipients ?? [],
  };
}

function listItem(row: Omit<ReportRow, 'html' | 'csv'>) {
  return {
    id: row.id,
    trigger: row.trigger,
    periodStart: iso(row.periodStart),
    periodEnd: iso(row.periodEnd),
    createdAt: iso(row.createdAt),
    totals: (row.summary as unknown as ReportSummary).totals,
    delivery: delivery(row as ReportRow),
    links: { html: `/api/v1/reports/${row.id}/report.html`, csv: `/api/v1/reports/${row.id}/report.csv` },
  };
}

async function reportOf(c: Context<AppEnv>): Promise<ReportRow> {
  const id = Number(c.req.param('id'));
  const [row] = Number.isSafeInteger(id) ? await c.get('services').store.query((q) => q.db.select().from(q.tables.slaReports).where(eq(q.tables.slaReports.id, id)).limit(1)) : [];
  if (!row) throw new DomainError('NOT_FOUND', `No report ${c.req.param('id')}.`);
  return row;
}

export function reportRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requireRole(...MANAGERS));

  on(app, listReportsRoute, async (c) => {
    const { limit } = parseWith(listReportsRoute.query, c.req.query());
    const rows = await c.get('services').store.query(({ db, tables: { slaReports } }) => {
      const { html: _html, csv: _csv, ...columns } = getTableColumns(slaReports);
      return db.select(columns).from(slaReports).orderBy(desc(slaReports.id)).limit(limit);
    });
    return c.json(rows.map(listItem));
  });

  on(app, createReportRoute, async (c) => {
    const services = c.get('services');
    const input = await jsonBody(c, createReportRoute.body);
    const row = await createReport(services, {
      from: Date.parse(input.from),
      to: Date.parse(input.to),
      trigger: 'manual',
      ...(input.atRiskHours !== undefined ? { atRiskHours: input.atRiskHours } : {}),
      ...(input.timezone ? { timezone: input.timezone } : {}),
      ...(input.deliver !== undefined ? { deliver: input.deliver } : {}),
    });
    services.outbox.kick();
    c.header('Location', `/api/v1/reports/${row.id}`);
    return c.json({ ...listItem(row), summary: row.summary }, 201);
  });

  on(app, getReportRoute, async (c) => {
    const row = await reportOf(c);
    return c.json({ ...listItem(row), summary: row.summary });
  });

  on(app, reportCsvRoute, async (c) => {
    const row = await reportOf(c);
    c.header('Content-Disposition', `attachment; filename="${reportFileName(row, 'csv')}"`);
    return c.body(row.csv, 200, { 'Content-Type': 'text/csv; charset=utf-8' });
  });

  on(app, reportHtmlRoute, async (c) => {
    // A download, like the CSV: the stored document (the mail's HTML body) carries inline
    // styles our pages' CSP would refuse, so it is never rendered on our origin.
    const row = await reportOf(c);
    c.header('Content-Disposition', `attachment; filename="${reportFileName(row, 'html')}"`);
    return c.body(row.html, 200, { 'Content-Type': 'text/html; charset=utf-8' });
  });

  on(app, deliverReportRoute, async (c) => {
    const services = c.get('services');
    const row = await redeliverReport(services, (await reportOf(c)).id);
    services.outbox.kick();
    return c.json(listItem(row), 202);
  });

  return app;
}
