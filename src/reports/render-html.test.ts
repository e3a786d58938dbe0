import { describe, expect, it } from 'vitest';
import type { ReportSummary } from './build-report.js';
import { escapeHtml, html, renderReportHtml } from './render-html.js';

describe('html', () => {
  it('escapes every interpolation and passes only its own fragments through', () => {
    const evil = `<img src=x onerror="alert('x')">&`;
    expect(escapeHtml(evil)).toBe('&#60;img src=x onerror=&#34;alert(&#39;x&#39;)&#34;&#62;&#38;');
    expect(html`<td>${evil}</td>`.value).toBe(`<td>${escapeHtml(evil)}</td>`);
    expect(html`<tr>${[html`<td>${'a<b'}</td>`, 'c>d']}</tr>`.value).toBe('<tr><td>a&#60;b</td>c&#62;d</tr>');
    expect(html`${null}${undefined}${3}`.value).toBe('3');
  });
});

describe('renderReportHtml', () => {
  const empty: ReportSummary = {
    period: { from: '2026-03-01T23:00:00.000Z', to: '2026-03-02T23:00:00.000Z' },
    generatedAt: '2026-03-02T23:00:00.000Z',
    timezone: 'Europe/Berlin',
    atRiskHours: 4,
    totals: { breaches: 0, warnings: 0, escalations: 0, atRisk: 0, met: 0, missed: 0, attainment: null },
    breaches: [],
    atRisk: [],
    escalations: [],
    escalationReasons: [],
    attainment: { byQueue: [], byPolicy: [] },
    oldestWaiting: [],
  };

  it('shows times in the report zone and says so when a list is empty', () => {
    const page = renderReportHtml(empty);
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('2026-03-02 00:00 +01:00 – 2026-03-03 00:00 +01:00 (Europe/Berlin)');
    expect(page).toContain('No breaches in this period.');
    expect(page).toContain('Nothing is due within the next 4 business hours.');
    expect(page).not.toContain('<script');
  });

  it('gives every time its UTC offset, so the repeated hour of a fall-back reads as two instants', () => {
    // Berlin, Sunday 25 October 2026: 03:00 CEST goes back to 02:00 CET; 00:30Z and 01:30Z are both 02:30 local.
    const breach = (breachedAt: string) => ({ caseId: 'C-1001', subject: 'Invoice', metric: 'firstResponse', policy: 'standard', queue: 'billing', priority: 'normal', dueAt: '', breachedAt });
    const page = renderReportHtml({ ...empty, totals: { ...empty.totals, breaches: 2 }, breaches: [breach('2026-10-25T00:30:00.000Z'), breach('2026-10-25T01:30:00.000Z')] });
    expect(page).toContain('<td></td><td>2026-10-25 02:30 +02:00</td></tr>');
    expect(page).toContain('<td></td><td>2026-10-25 02:30 +01:00</td></tr>');
  });

  it('names the metrics as people read them, as the console does', () => {
    const page = renderReportHtml({
      ...empty,
      totals: { ...empty.totals, breaches: 1, atRisk: 1 },
      breaches: [{ caseId: 'C-1001', subject: 'Invoice', metric: 'firstResponse', policy: 'standard', queue: 'billing', priority: 'normal', dueAt: empty.generatedAt, breachedAt: empty.generatedAt }],
      atRisk: [{ caseId: 'C-1002', subject: 'Export', metric: 'resolution', policy: 'standard', queue: 'general', priority: 'high', dueAt: empty.generatedAt, minutesLeft: 30 }],
      oldestWaiting: [{ caseId: 'C-1003', subject: 'Login', queue: 'technical', status: 'open', assignee: null, metric: 'nextResponse', state: 'breached', waitingSince: empty.period.from, waitedMinutes: 90 }],
    });
    expect(page).toContain('<td dir="auto">Invoice</td><td>First response</td>');
    expect(page).toContain('<td dir="auto">Export</td><td>Resolution</td>');
    expect(page).toContain('<td>Next response (breached)</td>');
    expect(page).not.toMatch(/<td>(firstResponse|nextResponse|resolution)/);
  });

  it('shows waits in days, hours and minutes (the CSV and JSON keep minutes)', () => {
    const waiting = (waitedMinutes: number) => ({ caseId: 'C-1003', subject: 'Login', queue: 'technical', status: 'open', assignee: null, metric: 'firstResponse', state: 'running', waitingSince: empty.period.from, waitedMinutes });
    const page = renderReportHtml({ ...empty, oldestWaiting: [waiting(49_590), waiting(125), waiting(45)] });
    for (const text of ['34 d 10 h', '2 h 5 min', '45 min']) expect(page).toContain(`<td class="n">${text}</td></tr>`);
  });

  it('escapes what comes from cases and rules', () => {
    const page = renderReportHtml({
      ...empty,
      totals: { ...empty.totals, escalations: 1 },
      escalations: [{ caseId: 'C-1001', subject: '<b>bold</b>', at: empty.generatedAt, fromQueue: 'general', queue: 'advanced', tier: 2, reason: '"><script>x()</script>', rule: null }],
      escalationReasons: [{ reason: '"><script>x()</script>', count: 1 }],
    });
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<b>bold</b>');
    expect(page).toContain('&#60;b&#62;bold&#60;/b&#62;');
  });

  it('shows subjects and reasons in their own direction (Arabic right to left)', () => {
    const page = renderReportHtml({
      ...empty,
      totals: { ...empty.totals, breaches: 1, escalations: 1 },
      breaches: [{ caseId: 'C-1001', subject: 'لا أستطيع الدفع!', metric: 'firstResponse', policy: 'standard', queue: 'billing', priority: 'high', dueAt: empty.generatedAt, breachedAt: empty.generatedAt }],
      escalations: [{ caseId: 'C-1001', subject: 'لا أستطيع الدفع!', at: empty.generatedAt, fromQueue: 'billing', queue: 'advanced', tier: 2, reason: 'العميل غاضب', rule: null }],
      escalationReasons: [{ reason: 'العميل غاضب', count: 1 }],
    });
    expect(page.match(/<td dir="auto">لا أستطيع الدفع!<\/td>/g)).toHaveLength(2);
    expect(page.match(/<td dir="auto">العميل غاضب<\/td>/g)).toHaveLength(2);
  });
});
