/**
 * `GET /api/v1/metrics`: the reports dashboard's numbers on the seeded week
 * (test/support/manage-history.ts) — the same as the /manage/reports page and its CSV show —
 * and problem+json for bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMinutes, formatPercent } from '../../views/pages/manage/reports-parts.js';
import { buildHistory, type History } from '../support/manage-history.js';
import { signedIn, type PageClient } from '../support/pages.js';

interface Minutes {
  mean: number | null;
  median: number | null;
  p90: number | null;
}
interface Metrics {
  period: { from: string; to: string; tz: string; start: string; end: string };
  queue: string | null;
  csat: { percent: number | null; satisfied: number; ratings: number };
  churn: { percent: number | null; churned: number; customers: number };
  processingTime: { count: number; calendarMinutes: Minutes; businessMinutes: Minutes };
  firstResponseTime: { count: number; calendarMinutes: Minutes; businessMinutes: Minutes };
  slaAttainment: { percent: number | null; met: number; missed: number; byMetric: { key: string; met: number; missed: number; percent: number | null }[] };
  backlog: { unit: string; points: { date: string; open: number }[] };
  escalations: { total: number; unit: string; points: { date: string; escalations: number }[] };
}

const WEEK = 'from=2026-03-02&to=2026-03-08&tz=Europe%2FBerlin';

let hist: History;
let managerToken: string;
let page: PageClient;
beforeAll(async () => {
  hist = await buildHistory();
  managerToken = hist.h.tokenFor(hist.mia);
  page = signedIn(hist.h, hist.mia);
}, 60_000);
afterAll(() => hist.h.close());

async function metrics(query: string, token = managerToken): Promise<{ status: number; body: Metrics }> {
  const res = await hist.h.api('GET', `/api/v1/metrics?${query}`, { token });
  return { status: res.status, body: (await res.json()) as Metrics };
}

function csvRows(text: string): string[][] {
  return text
    .trim()
    .split('\r\n')
    .slice(1)
    .map((line) => line.split(',').map((cell) => cell.replace(/^"|"$/g, '')));
}

const kpi = (html: string, id: string) => /<dd class="kpi-value">([^<]*)<\/dd>/.exec(html.slice(html.indexOf(`id="kpi-${id}"`)))![1]!;

describe('GET /api/v1/metrics', () => {
  it('answers the dashboard’s numbers: the same as the page and its CSV downloads', async () => {
    const { status, body } = await metrics(WEEK);
    expect(status).toBe(200);
    expect(body.period).toEqual({ from: '2026-03-02', to: '2026-03-08', tz: 'Europe/Berlin', start: '2026-03-01T23:00:00.000Z', end: '2026-03-08T23:00:00.000Z' });
    // The seeded week's story (src/dashboard/metrics.test.ts has every number's derivation).
    expect(body.csat).toEqual({ percent: 66.7, satisfied: 2, ratings: 3 });
    expect(body.processingTime.count).toBeGreaterThan(0);
    expect(body.escalations.total).toBeGreaterThan(0);

    const html = await (await page.get(`/manage/reports?${WEEK}&queue=`)).text();
    expect(kpi(html, 'csat')).toBe(formatPercent(body.csat.percent));
    expect(kpi(html, 'churn')).toBe(formatPercent(body.churn.percent));
    expect(kpi(html, 'attainment')).toBe(formatPercent(body.slaAttainment.percent));
    expect(kpi(html, 'processing')).toBe(formatMinutes(body.processingTime.calendarMinutes.mean));
    expect(kpi(html, 'first-response')).toBe(formatMinutes(body.firstResponseTime.calendarMinutes.median));
    expect(html).toContain(`${body.csat.satisfied} satisfied`);
    expect(html).toContain(`${body.churn.churned} churned`);
    expect(html).toContain(`${body.slaAttainment.met} met`);
    expect(html).toContain(`${body.slaAttainment.missed} missed`);
    const p = body.processingTime.calendarMinutes;
    expect(html).toContain(`average ${formatMinutes(p.mean)} · median ${formatMinutes(p.median)} · p90 ${formatMinutes(p.p90)}`);

    const summary = new Map(csvRows(await (await page.get(`/manage/reports/csv/summary?${WEEK}&queue=`)).text()).map((r) => [r[0], r[3]]));
    const num = (v: string | undefined) => (v === '' || v === undefined ? null : Number(v));
    expect(num(summary.get('csat_percent'))).toBe(body.csat.percent);
    expect(num(summary.get('churn_percent'))).toBe(body.churn.percent);
    expect(num(summary.get('sla_attainment_percent'))).toBe(body.slaAttainment.percent);
    expect(num(summary.get('processing_mean_minutes_calendar'))).toBe(body.processingTime.calendarMinutes.mean);
    expect(num(summary.get('processing_mean_minutes_business'))).toBe(body.processingTime.businessMinutes.mean);
    expect(num(summary.get('first_response_median_minutes_calendar'))).toBe(body.firstResponseTime.calendarMinutes.median);
    expect(num(summary.get('escalations'))).toBe(body.escalations.total);
    const times = csvRows(await (await page.get(`/manage/reports/csv/times?${WEEK}&queue=`)).text());
    expect(times.find((r) => r[0] === 'processing' && r[1] === 'calendar')!.slice(2).map(num)).toEqual([body.processingTime.count, p.mean, p.median, p.p90]);
    const backlog = csvRows(await (await page.get(`/manage/reports/csv/backlog?${WEEK}&queue=`)).text());
    expect(body.backlog.points.map((x) => [x.date, x.open])).toEqual(backlog.map((r) => [r[0], Number(r[3])]));
    const byMetric = csvRows(await (await page.get(`/manage/reports/csv/attainment-by-metric?${WEEK}&queue=`)).text());
    expect(body.slaAttainment.byMetric.map((g) => [g.key, g.met, g.missed, g.percent])).toEqual(byMetric.map((r) => [r[0], Number(r[1]), Number(r[2]), num(r[3])]));
  });

  it('per queue, as the page per queue', async () => {
    const { body } = await metrics(`${WEEK}&queue=billing`);
    expect(body.queue).toBe('billing');
    const html = await (await page.get(`/manage/reports?${WEEK}&queue=billing`)).text();
    expect(kpi(html, 'csat')).toBe(formatPercent(body.csat.percent));
    expect(body.csat).toEqual({ percent: 0, satisfied: 0, ratings: 1 });
  });

  it('defaults to the last 30 days up to today in UTC', async () => {
    const { status, body } = await metrics('');
    expect(status).toBe(200);
    const today = new Date(hist.h.clock.now()).toISOString().slice(0, 10);
    expect(body.period.to).toBe(today);
    expect(body.period.tz).toBe('UTC');
    expect((Date.parse(body.period.end) - Date.parse(body.period.start)) / 86_400_000).toBe(30);
  });

  it.each([
    ['tz=Mars%2FOlympus', 'tz'],
    ['from=2026-03-09&to=2026-03-02', 'from'],
    ['from=2026-02-30', 'from'],
    ['from=yesterday', 'from'],
    ['from=2024-01-01&to=2026-03-01', 'to'],
    ['queue=nowhere', 'queue'],
    ['colour=blue', '(body)'],
  ])('refuses %s with 422 problem+json naming %s', async (query, path) => {
    const res = await hist.h.api('GET', `/api/v1/metrics?${query}`, { token: managerToken });
    expect(res.status).toBe(422);
    expect(res.headers.get('Content-Type')).toContain('application/problem+json');
    const problem = (await res.json()) as { code: string; requestId: string; errors: { path: string }[] };
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.requestId).toBe(res.headers.get('X-Request-Id'));
    expect(problem.errors.map((i) => i.path)).toContain(path);
  });

  it('is for managers and admins', async () => {
    expect((await metrics(WEEK, hist.h.tokenFor(hist.alice))).status).toBe(403);
    expect((await metrics(WEEK, hist.h.tokenFor(hist.customers.chloe))).status).toBe(403);
    expect((await hist.h.api('GET', `/api/v1/metrics?${WEEK}`)).status).toBe(401);
  });
});
