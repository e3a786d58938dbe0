/**
 * Builds, renders and stores an SLA escalation report, and queues its delivery to the
 * managers in the same transaction (outbox item `report.deliver`, see deliver-report.ts), so a
 * stored report is never silently left unsent. The scheduled job reports on the period since
 * the end of the last scheduled report (the last 24 hours for the first one).
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import { transaction } from '../db/client.js';
import { outbox, slaReports, staff } from '../db/schema/index.js';
import { DomainError } from '../errors.js';
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

/** Active managers and admins: the report's recipients. */
export function reportRecipients(services: Services): string[] {
  return services.db
    .select({ email: staff.email })
    .from(staff)
    .where(and(inArray(staff.role, ['manager', 'admin']), eq(staff.active, true)))
    .all()
    .map((r) => r.email);
}

function queueDelivery(services: Services, reportId: number, now: number): void {
  services.db.insert(outbox).values({ type: 'report.deliver', caseId: null, payload: { reportId }, createdAt: now, availableAt: now }).run();
}

export function createReport(services: Services, options: CreateReportOptions): ReportRow {
  if (!(Number.isFinite(options.from) && Number.isFinite(options.to) && options.from < options.to)) {
    throw new DomainError('VALIDATION_FAILED', 'The report period must have from before to.', {
      issues: [{ path: 'from', message: 'must be before to' }],
    });
  }
  return transaction(services.db, () => {
    const now = services.clock.now();
    const summary = buildReport(services, options);
    const wantsDelivery = (options.deliver ?? true) && services.mailer !== null;
    const recipients = wantsDelivery ? reportRecipients(services) : [];
    const row = services.db
      .insert(slaReports)
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
      .returning()
      .get();
    if (row.deliveryState === 'pending') queueDelivery(services, row.id, now);
    return row;
  });
}

/** Queues the report's delivery again (after a failure, or to send it once more). */
export function redeliverReport(services: Services, id: number): ReportRow {
  return transaction(services.db, () => {
    const report = services.db.select().from(slaReports).where(eq(slaReports.id, id)).get();
    if (!report) throw new DomainError('NOT_FOUND', `No report ${id}.`);
    if (!services.mailer) throw new DomainError('CONFLICT', 'SMTP_URL is not set: reports cannot be emailed.');
    if (report.deliveryState === 'pending') throw new DomainError('CONFLICT', `Report ${id} is already waiting to be sent.`);
    const recipients = reportRecipients(services);
    if (recipients.length === 0) throw new DomainError('CONFLICT', 'No active manager or admin to send it to.');
    const now = services.clock.now();
    services.db.update(slaReports).set({ deliveryState: 'pending', deliveryError: null, recipients }).where(eq(slaReports.id, id)).run();
    queueDelivery(services, id, now);
    return services.db.select().from(slaReports).where(eq(slaReports.id, id)).get()!;
  });
}

export interface ScheduledReportOptions {
  atRiskHours?: number;
  timezone?: string;
  /** The end of the period: the scheduled tick (default: now). */
  at?: number;
}

/**
 * The cron job: a report for the period since the last scheduled one; null if no time passed.
 * Reading the last period and storing the new report happen in one transaction, so two
 * processes firing at once cannot report the same period twice.
 */
export function runScheduledReport(services: Services, options: ScheduledReportOptions = {}): ReportRow | null {
  const { at, ...reportOptions } = options;
  const now = at ?? services.clock.now();
  const report = transaction(services.db, () => {
    const last = services.db
      .select({ end: slaReports.periodEnd })
      .from(slaReports)
      .where(eq(slaReports.trigger, 'schedule'))
      .orderBy(desc(slaReports.periodEnd))
      .limit(1)
      .get();
    const from = last?.end ?? now - DAY_MS;
    return from >= now ? null : createReport(services, { ...reportOptions, from, to: now, trigger: 'schedule' });
  });
  if (report) {
    services.logger.info('SLA report built', { id: report.id, from: new Date(report.periodStart).toISOString(), to: new Date(now).toISOString(), delivery: report.deliveryState });
  }
  return report;
}

export type { ReportSummary };
