/**
 * `npm run report -- --from 2026-03-01 --to 2026-03-02 [--at-risk-hours 4] [--out DIR] [--no-email]`
 * builds an SLA escalation report on demand, stores it (the UI lists it) and, when SMTP_URL is
 * set, emails it to the managers. Dates without a time are midnight in REPORT_TIMEZONE; full ISO
 * instants are taken as they are. Defaults: the last 24 hours, REPORT_TIMEZONE's times and
 * REPORT_AT_RISK_HOURS (the services' report settings, as for the scheduled report and the API).
 */
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { openForCli, readCommandLine, runCli } from '../src/cli.js';
import { makeFolder } from '../src/db/make-folder.js';
import type { ReportSummary } from '../src/reports/build-report.js';
import { createReport } from '../src/reports/create-report.js';
import { reportFileName, reportLastDay } from '../src/reports/file-name.js';
import { drainOutboxFully } from '../src/sla/run-sweep.js';

function instant(name: string, text: string | true | undefined, zone: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (text === true) throw new Error(`--${name} needs a date (2026-03-01) or an ISO instant (2026-03-01T07:00:00Z)`);
  const parsed = /^\d{4}-\d{2}-\d{2}$/.test(text) ? DateTime.fromISO(text, { zone }) : DateTime.fromISO(text, { setZone: true });
  if (!parsed.isValid) throw new Error(`--${name} "${text}" is not a date or ISO instant`);
  return parsed.toMillis();
}

/** `--out DIR`: made (makeFolder: mkdirSync's `recursive` loops for ever under /proc) and writable, or a one-line refusal. */
function writableFolder(dir: string): void {
  try {
    makeFolder(dir);
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    throw new Error(`--out ${dir} cannot be made or written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); nothing was built`);
  }
}

function localTime(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat('yyyy-LL-dd HH:mm');
}

function hoursOf(text: string | true | undefined): number | undefined {
  if (text === undefined) return undefined;
  const hours = text === true ? Number.NaN : Number(text);
  if (text === true || text.trim() === '' || !Number.isFinite(hours) || hours < 0 || hours > 200) {
    throw new Error(`--at-risk-hours needs a number of business hours from 0 to 200${text === true ? '' : ` (not "${text}")`}`);
  }
  return hours;
}

runCli(async () => {
  const { options: args } = readCommandLine(process.argv.slice(2), {
    usage: [
      'Usage: npm run report -- [--from DATE] [--to DATE] [--at-risk-hours N] [--out DIR] [--no-email]',
      '  builds an SLA escalation report, stores it and mails it to the managers (with SMTP_URL)',
      '  --from, --to        2026-03-01 (midnight in REPORT_TIMEZONE) or an ISO instant; default: the last 24 hours',
      '  --at-risk-hours N   business hours ahead that count as at risk (default REPORT_AT_RISK_HOURS)',
      '  --out DIR           also write the report as HTML and CSV into DIR',
      '  --no-email          do not mail it',
    ].join('\n'),
    options: { from: 'value', to: 'value', 'at-risk-hours': 'value', out: 'value', 'no-email': 'flag' },
  });
  const hours = hoursOf(args.get('at-risk-hours'));
  const out = args.get('out');
  // The folder is made and checked before the report: one it cannot write stops the script
  // before a report is stored and mailed (a second run would mail the managers again).
  if (typeof out === 'string') writableFolder(out);
  const cli = await openForCli();
  try {
    const zone = cli.services.reports.timezone;
    const now = cli.services.clock.now();
    const to = instant('to', args.get('to'), zone, now);
    const from = instant('from', args.get('from'), zone, to - 86_400_000);
    // Time zone and at-risk hours default to the services' (REPORT_TIMEZONE, REPORT_AT_RISK_HOURS).
    const report = await createReport(cli.services, { from, to, trigger: 'manual', deliver: !args.has('no-email'), ...(hours !== undefined ? { atRiskHours: hours } : {}) });
    if (report.deliveryState === 'pending') await drainOutboxFully(cli.services);
    const [stored] = await cli.services.store.query(({ db, tables: { slaReports } }) =>
      db.select({ state: slaReports.deliveryState, error: slaReports.deliveryError }).from(slaReports).where(eq(slaReports.id, report.id)).limit(1),
    );
    const t = (report.summary as unknown as ReportSummary).totals;
    process.stdout.write(
      [
        // The period as the desk reads it: `--to` is an exclusive midnight, so the last day is the one before it.
        `Report ${report.id}: ${localTime(from, zone)} – ${localTime(to, zone)} (${zone}), last day ${reportLastDay(report)}; ${new Date(from).toISOString()} → ${new Date(to).toISOString()}`,
        `  breaches ${t.breaches}, warnings ${t.warnings}, escalations ${t.escalations}, at risk ${t.atRisk}`,
        `  attainment ${t.attainment === null ? '–' : `${t.attainment} %`} (${t.met} met, ${t.missed} missed)`,
        `  email: ${stored!.state}${stored!.error ? ` (${stored!.error})` : ''}`,
      ].join('\n') + '\n',
    );
    if (typeof out === 'string') {
      const html = path.join(out, reportFileName(report, 'html'));
      const csv = path.join(out, reportFileName(report, 'csv'));
      fs.writeFileSync(html, report.html);
      fs.writeFileSync(csv, report.csv);
      process.stdout.write(`  wrote ${html} and ${csv}\n`);
    }
  } finally {
    await cli.close();
  }
});
