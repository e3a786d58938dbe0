/**
 * Outbox handler for `report.deliver`: emails a stored report to its recipients, the HTML
 * as the body and the CSV attached. The report row shows the delivery: `pending` (with the
 * last error while attempts remain), `sent`, or `failed` once the outbox gives up — never
 * silently lost; `POST /api/v1/reports/:id/deliver` queues it again.
 */
import { eq } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Handle } from '../db/store/index.js';
import { markItemDone } from '../outbox/dialect.js';
import { MAX_ATTEMPTS, type OutboxItem } from '../outbox/outbox.js';
import type { Services } from '../services.js';
import type { ReportSummary } from './build-report.js';
import type { ReportRow } from './create-report.js';
import { reportFileName } from './file-name.js';
import { forSpreadsheets } from './render-csv.js';

function day(isoText: string, zone: string): string {
  return DateTime.fromISO(isoText, { zone: 'utc' }).setZone(zone).toFormat('yyyy-LL-dd HH:mm');
}

export function reportMail(services: Services, report: ReportRow) {
  const s = report.summary as unknown as ReportSummary;
  const zone = s.timezone;
  const t = s.totals;
  const period = `${day(s.period.from, zone)} – ${day(s.period.to, zone)} (${zone})`;
  const attainment = t.attainment === null ? 'no outcomes' : `${t.attainment.toFixed(1)} % (${t.met} met, ${t.missed} missed)`;
  const reasons = s.escalationReasons.map((r) => `${r.reason}: ${r.count}`).join('; ');
  const text = [
    `SLA escalation report, ${period}`,
    '',
    `Breaches: ${t.breaches}`,
    `Warnings: ${t.warnings}`,
    `Escalations: ${t.escalations}${reasons ? ` (${reasons})` : ''}`,
    `At risk (due within ${s.atRiskHours} business hours): ${t.atRisk}`,
    `Attainment: ${attainment}`,
    '',
    // The console's page of the report: a manager opens it in a browser (after signing in); the
    // API's report.html wants a bearer token, which a browser does not send.
    'The full report is attached as CSV and in the manager console at',
    `${services.publicUrl}/manage/reports/sla/${report.id}`,
    '',
  ].join('\n');
  return {
    subject: `SLA report ${period}: ${t.breaches} breach${t.breaches === 1 ? '' : 'es'}, ${t.escalations} escalation${t.escalations === 1 ? '' : 's'}`,
    text,
    html: report.html,
    attachments: [{ filename: reportFileName(report, 'csv'), content: forSpreadsheets(report.csv), contentType: 'text/csv; charset=utf-8' }],
  };
}

export async function deliverReport(services: Services, item: OutboxItem): Promise<void> {
  const { store, clock } = services;
  const id = Number(item.payload.reportId);
  const [report] = await store.query((q) => q.db.select().from(q.tables.slaReports).where(eq(q.tables.slaReports.id, id)).limit(1));
  if (!report || report.deliveryState === 'sent') {
    await store.write((q) => markItemDone(q, item.id, clock.now()));
    return;
  }
  const recipients = report.recipients ?? [];
  const fail = (q: Handle, message: string, final: boolean) =>
    q.db
      .update(q.tables.slaReports)
      .set({ deliveryState: final ? 'failed' : 'pending', deliveryAttempts: report.deliveryAttempts + 1, deliveryError: message })
      .where(eq(q.tables.slaReports.id, id));
  if (!services.mailer || recipients.length === 0) {
    const mailer = services.mailer;
    await store.write(async (q) => {
      await fail(q, mailer ? 'No recipients.' : 'SMTP_URL is not set.', true);
      await markItemDone(q, item.id, clock.now());
    });
    return;
  }
  try {
    await services.mailer.send({ to: recipients, ...reportMail(services, report) });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await store.write((q) => fail(q, message, item.attempts >= MAX_ATTEMPTS));
    throw error; // the outbox retries with back-off, or marks the item failed for good
  }
  await store.write(async (q) => {
    const now = clock.now();
    await q.db
      .update(q.tables.slaReports)
      .set({ deliveryState: 'sent', deliveryAttempts: report.deliveryAttempts + 1, deliveryError: null, deliveredAt: now })
      .where(eq(q.tables.slaReports.id, id));
    await markItemDone(q, item.id, now);
  });
}
