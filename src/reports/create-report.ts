/**
 * Builds, renders and stores an SLA escalation report, and queues its delivery to the
 * managers in the same transaction (outbox item `report.deliver`, see deliver-report.ts), so a
 * stored report is never silently left unsent. The scheduled job reports on the period since
 * the end of the last scheduled report (the last 24 hours for the first one).
 */
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { slaReports } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { DomainError } from '../errors.js';
import { enqueueIn } from '../outbox/dialect.js';
import type { Services } from '../services.js';
import { buildReport, type ReportOptions, type ReportSummary } from './build-report.js';
import { renderReportCsv } from './render-csv.js';
import { renderReportHtml } from './render-html.js';

export type ReportRow = typeof slaReports.$inferSelect;
export type ReportTrigger = ReportRow['trigger'];

export interface CreateReportOptions extends ReportOptions {
  trigger: ReportTrigger;
  /** Email it to the managers when a mailer is configured (default true). */
  deliver?: boolean;
}

const DAY_MS = 86_400_000;

/** Active managers and admins, in the order they were added: the report's recipients. */
export async function reportRecipients(q: Handle): Promise<string[]> {
  const staff = q.tables.staff;
  const rows = await q.db
    .select({ email: staff.email })
    .from(staff)
    .where(and(inArray(staff.role, ['manager', 'admin']), eq(staff.active, true)))
    .orderBy(asc(staff.id));
  return rows.map((r) => r.email);
}

function checkPeriod(options: ReportOptions): void {
  if (!(Number.isFinite(options.from) && Number.isFinite(options.to) && options.from < options.to)) {
    throw new DomainError('VALIDATION_FAILED', 'The report period must have from before to.', {
      issues: [{ path: 'from', message: 'must be before to' }],
    });
  }
}

/** Renders and stores a built report in `q`'s transaction, its delivery queued with it. */
async function storeReportIn(q: Handle, services: Services, options: CreateReportOptions, summary: ReportSummary): Promise<ReportRow> {
  const now = services.clock.now();
  const wantsDelivery = (options.deliver ?? true) && services.mailer !== null;
  const recipients = wantsDelivery ? await reportRecipients(q) : [];
  const [row] = await q.db
    .insert(q.tables.slaReports)
    .values({
      periodStart: options.from,
      periodEnd: options.to,
      trigger: options.trigger,
      createdAt: now,
      summary: summary as unknown as Record<string, unknown>,
      html: renderReportHtml(summary),
      csv: renderReportCsv(summary),
      deliveryState: !wantsDelivery ? 'none' : recipients.length > 0 ? 'pending' : 'failed',
      deliveryError: wantsDelivery && recipients.length === 0 ? 'No active manager or admin to send it to.' : null,
      recipients: wantsDelivery ? recipients : null,
    })
    .returning();
  if (row!.deliveryState === 'pending') await enqueueIn(q, 'report.deliver', { reportId: row!.id }, now);
  return row!;
}

/**
 * Builds the report (`buildReport`: a snapshot that other requests run beside), then stores it
 * in a short write: a long period on a large desk holds no write transaction while it is read.
 */
export async function createReport(services: Services, options: CreateReportOptions): Promise<ReportRow> {
  checkPeriod(options);
  const summary = await buildReport(services, options);
  return services.store.write((q) => storeReportIn(q, services, options, summary));
}

/** Queues the report's delivery again (after a failure, or to send it once more). */
export function redeliverReport(services: Services, id: number): Promise<ReportRow> {
  return services.store.write(async (q) => {
    const reports = q.tables.slaReports;
    const [report] = await q.db.select().from(reports).where(eq(reports.id, id)).limit(1);
    if (!report) throw new DomainError('NOT_FOUND', `No report ${id}.`);
    if (!services.mailer) throw new DomainError('CONFLICT', 'SMTP_URL is not set: reports cannot be emailed.');
    if (report.deliveryState === 'pending') throw new DomainError('CONFLICT', `Report ${id} is already waiting to be sent.`);
    const recipients = await reportRecipients(q);
    if (recipients.length === 0) throw new DomainError('CONFLICT', 'No active manager or admin to send it to.');
    const now = services.clock.now();
    const [row] = await q.db.update(reports).set({ deliveryState: 'pending', deliveryError: null, recipients }).where(eq(reports.id, id)).returning();
    await enqueueIn(q, 'report.deliver', { reportId: id }, now);
    return row!;
  });
}

export interface ScheduledReportOptions {
  atRiskHours?: number;
  timezone?: string;
  /** The end of the period: the scheduled tick (default: now). */
  at?: number;
}

/** Where the last scheduled report's period ended; null before the first. */
async function lastScheduledEnd(q: Handle): Promise<number | null> {
  const reports = q.tables.slaReports;
  const [last] = await q.db.select({ end: reports.periodEnd }).from(reports).where(eq(reports.trigger, 'schedule')).orderBy(desc(reports.periodEnd)).limit(1);
  return last ? Number(last.end) : null;
}

/**
 * The cron job: a report for the period since the last scheduled one; null if no time passed.
 * The report is built outside any write (`buildReport`), then stored in a write that reads the
 * last period again: when another process stored one meanwhile (two processes firing at once),
 * this one stores nothing and answers null, so no period is reported twice.
 */
export async function runScheduledReport(services: Services, options: ScheduledReportOptions = {}): Promise<ReportRow | null> {
  const { at, ...reportOptions } = options;
  const now = at ?? services.clock.now();
  const lastEnd = await services.store.query(lastScheduledEnd);
  const from = lastEnd ?? now - DAY_MS;
  if (from >= now) return null;
  const reportOf = { ...reportOptions, from, to: now, trigger: 'schedule' as const };
  const summary = await buildReport(services, reportOf);
  const report = await services.store.write(async (q) => ((await lastScheduledEnd(q)) === lastEnd ? storeReportIn(q, services, reportOf, summary) : null));
  if (report) {
    services.logger.info('SLA report built', { id: report.id, from: new Date(report.periodStart).toISOString(), to: new Date(now).toISOString(), delivery: report.deliveryState });
  }
  return report;
}

export type { ReportSummary };
