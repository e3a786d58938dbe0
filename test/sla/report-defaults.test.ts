/**
 * REPORT_TIMEZONE and REPORT_AT_RISK_HOURS are the defaults of every report built, whoever
 * builds it: `POST /api/v1/reports` without `timezone` / `atRiskHours` (it used UTC and 4),
 * the scheduled report, the reports dashboard (/manage/reports) and `GET /api/v1/metrics`.
 * The desk's services are configured as the server's are: loadConfig → serviceOptionsOf.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serviceOptionsOf } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { runScheduledReport } from '../../src/reports/create-report.js';
import { signedIn } from '../support/pages.js';
import { tempDir } from '../support/harness.js';
import { berlin, createDesk, type Desk } from './helpers.js';

let d: Desk;
let manager: string;

function configured(env: Record<string, string>) {
  return serviceOptionsOf(loadConfig(env, tempDir())).reports;
}

beforeEach(async () => {
  d = createDesk({ services: { reports: configured({ REPORT_TIMEZONE: 'Europe/Berlin', REPORT_AT_RISK_HOURS: '8' }) } });
  manager = d.h.tokenFor(d.h.agent({ name: 'Mia', email: 'mia@casebook.test', role: 'manager' }));
  // Tuesday 1 December 2026, office hours (Berlin): a normal case's first response is due 8 business hours on, at 17:00.
  d.h.clock.set(berlin('2026-12-01T09:00'));
  await d.create({ subject: 'Display name' });
  // 10:00: due in 7 business hours — at risk within 8 hours, not within 4.
  d.h.clock.set(berlin('2026-12-01T10:00'));
});
afterEach(() => d.h.close());

describe('REPORT_TIMEZONE and REPORT_AT_RISK_HOURS as defaults', () => {
  it('are taken from the configuration into the services (UTC and 4 without them)', () => {
    expect(configured({ REPORT_TIMEZONE: 'Europe/Berlin', REPORT_AT_RISK_HOURS: '8', DATABASE_REPORT_TIMEOUT_MS: '600000' })).toEqual({ timezone: 'Europe/Berlin', atRiskHours: 8, statementTimeoutMs: 600_000 });
    expect(configured({})).toEqual({ timezone: 'UTC', atRiskHours: 4, statementTimeoutMs: 300_000 });
    expect(d.h.services.reports).toEqual({ timezone: 'Europe/Berlin', atRiskHours: 8, statementTimeoutMs: 300_000 });
  });

  it('a report built through the API without timezone and atRiskHours uses them: times, file name and at-risk window', async () => {
    const made = await d.call('POST', '/api/v1/reports', manager, { from: '2026-11-30T23:00:00Z', to: '2026-12-01T23:30:00Z' });
    expect(made.status).toBe(201);
    expect(made.json.summary).toMatchObject({ timezone: 'Europe/Berlin', atRiskHours: 8, totals: { atRisk: 1 } });
    const html = await d.h.api('GET', `/api/v1/reports/${made.json.id}/report.html`, { token: manager });
    expect(await html.text()).toContain('2026-12-01 00:00 +01:00 – 2026-12-02 00:30 +01:00 (Europe/Berlin)');
    // The last day of the period in Berlin is 2 December (in UTC it would be the 1st).
    expect(html.headers.get('Content-Disposition')).toMatch(/^attachment; filename="sla-report-2026-12-02-\d+\.html"$/);
    const csv = await (await d.h.api('GET', `/api/v1/reports/${made.json.id}/report.csv`, { token: manager })).text();
    expect(csv).toContain('"summary",,,,,,,,,,,,,1,,,,"at risk (due within 8 business hours)",');
  });

  it('what the request gives still wins', async () => {
    const made = await d.call('POST', '/api/v1/reports', manager, { from: '2026-11-30T23:00:00Z', to: '2026-12-01T23:00:00Z', timezone: 'UTC', atRiskHours: 4 });
    expect(made.status).toBe(201);
    expect(made.json.summary).toMatchObject({ timezone: 'UTC', atRiskHours: 4, totals: { atRisk: 0 } });
    const zero = await d.call('POST', '/api/v1/reports', manager, { from: '2026-11-30T23:00:00Z', to: '2026-12-01T23:00:00Z', atRiskHours: 0 });
    expect(zero.json.summary).toMatchObject({ timezone: 'Europe/Berlin', atRiskHours: 0, totals: { atRisk: 0 } });
  });

  it('the scheduled report uses them too', async () => {
    const report = (await runScheduledReport(d.h.services))!;
    expect(report.summary).toMatchObject({ timezone: 'Europe/Berlin', atRiskHours: 8, totals: { atRisk: 1 } });
  });

  it('the dashboard and GET /api/v1/metrics read dates in REPORT_TIMEZONE when no tz is given', async () => {
    const html = await (await signedIn(d.h, d.h.agent({ name: 'Max', email: 'max@casebook.test', role: 'manager' })).get('/manage/reports')).text();
    expect(html).toContain('value="Europe/Berlin"');
    expect(html).toContain('value="2026-12-01"');
    const res = await d.h.api('GET', '/api/v1/metrics?from=2026-12-01&to=2026-12-01', { token: manager });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { period: unknown }).period).toEqual({ from: '2026-12-01', to: '2026-12-01', tz: 'Europe/Berlin', start: '2026-11-30T23:00:00.000Z', end: '2026-12-01T23:00:00.000Z' });
    const utc = await d.h.api('GET', '/api/v1/metrics?from=2026-12-01&to=2026-12-01&tz=UTC', { token: manager });
    expect(((await utc.json()) as { period: { tz: string } }).period.tz).toBe('UTC');
  });
});
