/**
 * `/manage/reports` through `app.request()` on the seeded week (test/support/manage-history.ts):
 * the dashboard's numbers, every drill-down and CSV link on the page, the stored SLA
 * escalation reports with their delivery, authorization, CSRF and escaping (HTML and SVG).
 */
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { createReport } from '../../src/reports/create-report.js';
import { BarChart, ColumnChart, LineChart } from '../../views/pages/manage/charts.js';
import { ADMIN_TOKEN } from '../support/harness.js';
import { buildHistory, type History } from '../support/manage-history.js';
import { signedIn, visitor, type PageClient } from '../support/pages.js';

const WEEK = 'from=2026-03-02&to=2026-03-08&queue=&tz=Europe%2FBerlin';
const XSS = `<script>alert('x')</script>"><img src=x onerror=alert(1)>`;

let hist: History;
let m: PageClient;
let reportId: number;
let failedId: number;
const sent: string[][] = [];

beforeAll(async () => {
  hist = await buildHistory();
  // What the history left due runs now (C-1001's auto-close, 72 h after it was resolved), not
  // whenever the background drain next gets a turn: the pages below see one settled state.
  await hist.h.services.outbox.idle();
  // A mailer that records report deliveries, so failed ones can be queued again (the history's
  // reply mails, which name a case in their subject, go through it too and are not recorded).
  (hist.h.services as { mailer: unknown }).mailer = {
    send: async (msg: { to: string[]; subject: string }) => void (/\[C-\d+\]/.test(msg.subject) ? undefined : sent.push(msg.to)),
    close: () => undefined,
  };
  m = signedIn(hist.h, hist.mia);
  reportId = (await createReport(hist.h.services, { from: hist.week.from, to: hist.week.to, trigger: 'schedule', timezone: 'Europe/Berlin', deliver: false })).id;
  failedId = (await createReport(hist.h.services, { from: hist.week.from, to: hist.week.to, trigger: 'manual', deliver: false })).id;
  await hist.h.services.store.write((q) =>
    q.db.update(q.tables.slaReports).set({ deliveryState: 'failed', deliveryAttempts: 8, deliveryError: 'SMTP 550 <mailbox> unavailable' }).where(eq(q.tables.slaReports.id, failedId)),
  );
}, 60_000);
afterAll(() => hist.h.close());

const reports = () => hist.h.query((q) => q.db.select().from(q.tables.slaReports).orderBy(asc(q.tables.slaReports.id)));
const report = async (id: number) => (await hist.h.query((q) => q.db.select().from(q.tables.slaReports).where(eq(q.tables.slaReports.id, id))))[0];

const links = (html: string, prefix: string) => [...new Set([...html.matchAll(/href="([^"]+)"/g)].map((x) => x[1]!.replaceAll('&amp;', '&')).filter((u) => u.startsWith(prefix)))];

describe('the dashboard', () => {
  it('shows the week’s numbers', async () => {
    const res = await m.get(`/manage/reports?${WEEK}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const kpi = (id: string) => html.slice(html.indexOf(`id="kpi-${id}"`), html.indexOf('</div>', html.indexOf(`id="kpi-${id}"`)));
    expect(kpi('csat')).toContain('66.7 %');
    expect(kpi('csat')).toContain('2 satisfied');
    expect(kpi('csat')).toContain('3 ratings');
    expect(kpi('churn')).toContain('50.0 %');
    expect(kpi('churn')).toContain('of 4 customers at the start');
    expect(kpi('attainment')).toContain('66.7 %');
    expect(kpi('attainment')).toContain('6 met');
    expect(kpi('attainment')).toContain('3 missed');
    // Processing: average 1820 min calendar = 30 h 20 min, 1180 min business = 19 h 40 min; medians 2520 / 600; p90 2820.
    expect(kpi('processing')).toContain('30 h 20 min');
    expect(kpi('processing')).toContain('19 h 40 min');
    expect(kpi('processing')).toContain('42 h');
    expect(kpi('processing')).toContain('47 h');
    // First response: median 180 min calendar, 90 business; p90 1320 / 360.
    expect(kpi('first-response')).toContain('<dd class="kpi-value">3 h</dd>');
    expect(kpi('first-response')).toContain('1 h 30 min');
    expect(kpi('first-response')).toContain('22 h');
    expect(html).toContain('2026-03-02 to 2026-03-08 (Europe/Berlin), all queues.');
  });

  it('draws accessible SVG charts with a data table and a CSV link each', async () => {
    const html = await (await m.get(`/manage/reports?${WEEK}`)).text();
    for (const id of ['svg-backlog', 'svg-escalations', 'svg-attainment-metric', 'svg-attainment-policy', 'svg-times']) {
      const at = html.indexOf(`id="${id}"`);
      const svg = html.slice(html.lastIndexOf('<svg', at), html.indexOf('</svg>', at));
      expect(svg, id).toContain('role="img"');
      expect(svg, id).toContain('aria-label="');
      expect(svg, id).toContain(`<title id="${id}-title">`);
      expect(svg, id).toContain(`<desc id="${id}-desc">`);
    }
    expect(html).toContain('<desc id="svg-backlog-desc">2026-03-02: 1; 2026-03-03: 1; 2026-03-04: 2; 2026-03-05: 2; 2026-03-06: 2</desc>');
    expect(html).toContain('<desc id="svg-escalations-desc">2026-03-02: 0; 2026-03-03: 1; 2026-03-04: 0; 2026-03-05: 1; 2026-03-06: 0; 2026-03-07: 0; 2026-03-08: 0</desc>');
    expect(html).toContain('<desc id="svg-attainment-policy-desc">premium: 33.3 %; standard: 83.3 %</desc>');
    expect(html.match(/<details class="chart-data">/g)).toHaveLength(5);
    expect(links(html, '/manage/reports/csv/').map((u) => u.split('?')[0])).toEqual([
      '/manage/reports/csv/summary',
      '/manage/reports/csv/backlog',
      '/manage/reports/csv/escalations',
      '/manage/reports/csv/attainment-by-metric',
      '/manage/reports/csv/attainment-by-policy',
      '/manage/reports/csv/times',
      '/manage/reports/csv/agents',
    ]);
  });

  it('every CSV link downloads exactly its chart’s data', async () => {
    const html = await (await m.get(`/manage/reports?${WEEK}`)).text();
    const files: Record<string, string> = {};
    for (const url of links(html, '/manage/reports/csv/')) {
      const res = await m.get(url);
      expect(res.status, url).toBe(200);
      expect(res.headers.get('Content-Type')).toBe('text/csv; charset=utf-8');
      expect(res.headers.get('Content-Disposition')).toMatch(/^attachment; filename="casebook-[a-z-]+-2026-03-02-2026-03-08\.csv"$/);
      // A UTF-8 byte order mark first, for spreadsheet programs (text() takes it off, as CSV readers do).
      const bytes = Buffer.from(await res.arrayBuffer());
      expect([...bytes.subarray(0, 3)], url).toEqual([0xef, 0xbb, 0xbf]);
      files[url.split('?')[0]!.split('/').pop()!] = bytes.subarray(3).toString('utf8');
    }
    expect(files.backlog).toBe(
      [
        'bucket,bucket_start,bucket_end,open_cases',
        '"2026-03-02","2026-03-01T23:00:00.000Z","2026-03-02T23:00:00.000Z",1',
        '"2026-03-03","2026-03-02T23:00:00.000Z","2026-03-03T23:00:00.000Z",1',
        '"2026-03-04","2026-03-03T23:00:00.000Z","2026-03-04T23:00:00.000Z",2',
        '"2026-03-05","2026-03-04T23:00:00.000Z","2026-03-05T23:00:00.000Z",2',
        '"2026-03-06","2026-03-05T23:00:00.000Z","2026-03-06T23:00:00.000Z",2',
        '',
      ].join('\r\n'),
    );
    expect(files['attainment-by-metric']).toBe('metric,met,missed,attainment_percent\r\n"firstResponse",3,2,60\r\n"resolution",3,1,75\r\n');
    expect(files['attainment-by-policy']).toBe('policy,met,missed,attainment_percent\r\n"premium",1,2,33.3\r\n"standard",5,1,83.3\r\n');
    expect(files.times).toBe(
      [
        'measure,basis,cases,mean_minutes,median_minutes,p90_minutes',
        '"first_response","calendar",4,645,180,1320',
        '"first_response","business",4,165,90,360',
        '"processing","calendar",3,1820,2520,2820',
        '"processing","business",3,1180,600,2820',
        '',
      ].join('\r\n'),
    );
    // Alice answered A (30 min), B (1050; 90 business) and E (1320; 360) first; Dana C (180).
    expect(files.agents).toBe(
      [
        'agent_id,agent,first_responses,first_response_median_minutes_calendar,first_response_p90_minutes_calendar,first_response_median_minutes_business,first_response_p90_minutes_business,sla_met,sla_missed,attainment_percent',
        `${hist.alice.id},"Alice",3,1050,1320,90,360,5,2,71.4`,
        `${hist.dana.id},"Dana",1,180,180,180,180,1,1,50`,
        '',
      ].join('\r\n'),
    );
    expect(files.escalations!.split('\r\n').map((l) => l.split(',').at(-1))).toEqual(['escalations', '0', '1', '0', '1', '0', '0', '0', '']);
    expect(files.summary).toContain('"csat_percent",2,3,66.7\r\n');
    expect(files.summary).toContain('"churn_percent",2,4,50\r\n');
    expect(files.summary).toContain('"sla_attainment_percent",6,9,66.7\r\n');
    expect((await m.get(`/manage/reports/csv/nope?${WEEK}`)).status).toBe(404);
  });

  it('every number links to the cases or customers behind it', async () => {
    const html = await (await m.get(`/manage/reports?${WEEK}`)).text();
    const drills = links(html, '/manage/reports/drill?');
    expect(drills.length).toBeGreaterThanOrEqual(5 + 5 + 7 + 4 + 4);
    for (const url of drills) {
      const res = await m.get(url);
      expect(res.status, url).toBe(200);
      const page = await res.text();
      const csv = links(page, '/manage/reports/drill.csv?');
      expect(csv, url).toHaveLength(1);
      expect((await m.get(csv[0]!)).status).toBe(200);
    }
    const { A, B, C } = hist.ids;
    const rated = await (await m.get(`/manage/reports/drill?${WEEK}&metric=csat`)).text();
    expect(links(rated, '/cases/C-')).toEqual([`/cases/C-${A}`, `/cases/C-${C}`, `/cases/C-${B}`]);
    const churn = await (await m.get(`/manage/reports/drill?${WEEK}&metric=churn`)).text();
    expect(links(churn, '/manage/team/customers/')).toEqual([`/manage/team/customers/${hist.customers.erin.id}`, `/manage/team/customers/${hist.customers.fay.id}`]);
    const csv = await (await m.get(`/manage/reports/drill.csv?${WEEK}&metric=processing`)).text();
    expect(csv).toBe(
      [
        'case,subject,queue,status,customer,detail',
        `"C-${A}","Display name","general","closed","Chloe","120 min calendar, 120 min business"`,
        `"C-${B}","Invoice question","billing","resolved","Dave","2520 min calendar, 600 min business"`,
        `"C-${C}","Team settings","advanced","resolved","Erin","2820 min calendar, 2820 min business"`,
        '',
      ].join('\r\n'),
    );
  });

  it('has a table by agent: first responses and SLA outcomes, each count linking to its cases', async () => {
    const html = await (await m.get(`/manage/reports?${WEEK}`)).text();
    const table = html.slice(html.indexOf('id="agents-table"'), html.indexOf('</table>', html.indexOf('id="agents-table"')));
    const row = (id: number) => table.slice(table.indexOf(`id="agent-${id}"`), table.indexOf('</tr>', table.indexOf(`id="agent-${id}"`)));
    expect(row(hist.alice.id)).toContain('<th scope="row">Alice</th>');
    // median 1050 min = 17 h 30 min, p90 1320 = 22 h; business 1 h 30 min and 6 h; 5 met, 2 missed.
    expect(row(hist.alice.id).match(/<td class="num">([^<]*)<\/td>|>(\d+)<\/a>/g)).toEqual([
      '>3</a>',
      '<td class="num">17 h 30 min</td>',
      '<td class="num">22 h</td>',
      '<td class="num">1 h 30 min</td>',
      '<td class="num">6 h</td>',
      '>5</a>',
      '>2</a>',
      '<td class="num">71.4 %</td>',
    ]);
    expect(row(hist.dana.id)).toContain('<td class="num">50.0 %</td>');
    expect(table).not.toContain('id="agent-none"');
    const { C, D } = hist.ids;
    const missed = links(row(hist.alice.id), '/manage/reports/drill?').find((u) => u.includes('outcome=missed'))!;
    const page = await (await m.get(missed)).text();
    expect(page).toContain('SLA targets missed (agent Alice)');
    expect(links(page, '/cases/C-')).toEqual([`/cases/C-${C}`, `/cases/C-${D}`]);
    const csv = links(page, '/manage/reports/drill.csv?')[0]!;
    expect(csv).toContain(`group=agent&key=${hist.alice.id}`);
    const answered = links(row(hist.dana.id), '/manage/reports/drill?').find((u) => u.includes('metric=first-response'))!;
    expect(answered).toContain(`agent=${hist.dana.id}`);
    const byDana = await (await m.get(answered)).text();
    expect(byDana).toContain('Cases with their first response (by Dana)');
    expect(links(byDana, '/cases/C-')).toEqual([`/cases/C-${C}`]);
    expect(links(byDana, '/manage/reports/drill.csv?')[0]).toContain(`agent=${hist.dana.id}`);
    // Only a staff id or "none" names a row.
    for (const bad of ['group=agent&key=Alice&outcome=met', 'group=agent&key=0&outcome=met', 'group=agent&key=&outcome=met']) {
      expect((await m.get(`/manage/reports/drill?${WEEK}&metric=attainment&${bad}`)).status, bad).toBe(422);
    }
    expect((await m.get(`/manage/reports/drill?${WEEK}&metric=first-response&agent=%3Cscript%3E`)).status).toBe(422);
  });

  it('filters by queue; htmx gets the form and dashboard only', async () => {
    const res = await m.get('/manage/reports?from=2026-03-02&to=2026-03-08&queue=general&tz=Europe%2FBerlin', { htmx: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('Vary')).toContain('HX-Request');
    const html = await res.text();
    expect(html.startsWith('<div id="reports-body">')).toBe(true);
    expect(html).not.toContain('<html');
    expect(html).toMatch(/\(Europe\/Berlin\), queue [^.]+\./);
    expect(html).not.toContain('all queues.');
    expect(html).toContain('<desc id="svg-backlog-desc">2026-03-02: 0; 2026-03-03: 0; 2026-03-04: 1; 2026-03-05: 1; 2026-03-06: 1</desc>');
  });

  it('defaults to the last 30 days in UTC; refuses bad periods (422 on the page, downloads and drill-downs)', async () => {
    const html = await (await m.get('/manage/reports')).text();
    expect(html).toContain('value="2026-02-05"');
    expect(html).toContain('value="2026-03-06"');
    expect(html).toContain('value="UTC"');
    const bad = await m.get('/manage/reports?from=2026-03-08&to=2026-03-02&tz=Mars%2FOlympus&queue=nowhere');
    expect(bad.status).toBe(422);
    const text = await bad.text();
    expect(text).toContain('an IANA time zone such as Europe/Berlin or UTC');
    expect(text).toContain('no such queue: choose one, or All queues');
    // The select shows the queue that was asked for (refused), not "All queues".
    expect(text).toContain('<option value="nowhere" selected="">nowhere (no such queue)</option>');
    expect(text).toContain('<option value="">All queues</option>');
    expect(text).not.toMatch(/<option value="" selected="">All queues/);
    expect(text).not.toContain('id="dashboard"');
    expect((await m.get('/manage/reports?from=2025-01-01&to=2026-03-01')).status).toBe(422);
    expect((await m.get('/manage/reports?from=2026-03-08&to=2026-03-02')).status).toBe(422);
    expect((await m.get('/manage/reports/csv/backlog?from=yesterday')).status).toBe(422);
    expect((await m.get(`/manage/reports/drill?${WEEK}&metric=everything`)).status).toBe(422);
    expect((await m.get(`/manage/reports/drill?${WEEK}&metric=attainment&group=queue&key=x&outcome=met`)).status).toBe(422);
    expect((await m.get(`/manage/reports/drill?${WEEK}&metric=backlog&bucket=-1`)).status).toBe(422);
  });
});

describe('stored SLA escalation reports', () => {
  it('lists them with their delivery state, and renders one from its summary', async () => {
    const list = await (await m.get('/manage/reports/sla')).text();
    expect(list).toContain(`href="/manage/reports/sla/${reportId}"`);
    expect(list).toContain('2026-03-02 00:00 +01:00 – 2026-03-09 00:00 +01:00 (Europe/Berlin)');
    expect(list).toContain('Not emailed');
    expect(list).toContain('Failed');
    expect(list).toContain('SMTP 550 &lt;mailbox&gt; unavailable');
    expect(list).toContain(`id="retry-${failedId}"`);
    expect(list).not.toContain(`id="retry-${reportId}"`);
    const page = await (await m.get(`/manage/reports/sla/${reportId}`)).text();
    expect(page).toContain('<dt>Breaches</dt><dd>3</dd>');
    expect(page).toContain('<dt>Escalations</dt><dd>2</dd>');
    expect(page).toContain(`href="/cases/C-${hist.ids.C}"`);
    expect(page).toContain('Breached SLAs go to advanced support');
    // Each breach says who held the case when it breached: C's first response and D's were Alice's, C's reopened resolution Dana's.
    const breaches = page.slice(page.indexOf('id="breaches-heading"'), page.indexOf('</table>', page.indexOf('id="breaches-heading"')));
    expect([...breaches.matchAll(/<td>(Alice|Dana|unassigned)<\/td>/g)].map((x) => x[1])).toEqual(['Alice', 'Dana', 'Alice']);
    // C-1004 waited 3000 minutes (since Wednesday 10:00): shown in days and hours, not raw minutes.
    expect(page).toContain('<td>2026-03-04 10:00 +01:00</td><td class="num">2 d 2 h</td>');
    expect((await m.get('/manage/reports/sla/999999')).status).toBe(404);
    expect((await m.get('/manage/reports/sla/x')).status).toBe(404);
  });

  it('renders a report stored before breaches said who held the case: those cells stay empty, not "unassigned"', async () => {
    const old = (await createReport(hist.h.services, { from: hist.week.from, to: hist.week.to, trigger: 'manual', timezone: 'Europe/Berlin', deliver: false })).id;
    const stored = (await report(old))!;
    const summary = { ...stored.summary, breaches: (stored.summary.breaches as Record<string, unknown>[]).map(({ assignee: _assignee, ...b }) => b) };
    await hist.h.services.store.write((q) => q.db.update(q.tables.slaReports).set({ summary }).where(eq(q.tables.slaReports.id, old)));
    const page = await (await m.get(`/manage/reports/sla/${old}`)).text();
    const breaches = page.slice(page.indexOf('id="breaches-heading"'), page.indexOf('</table>', page.indexOf('id="breaches-heading"')));
    expect(breaches).toContain(`href="/cases/C-${hist.ids.D}"`);
    expect(breaches).not.toMatch(/<td>(Alice|Dana|unassigned)<\/td>/);
  });

  it('serves the stored CSV and HTML as downloads', async () => {
    const csv = await m.get(`/manage/reports/sla/${reportId}/report.csv`);
    expect(csv.headers.get('Content-Disposition')).toBe(`attachment; filename="sla-report-2026-03-08-${reportId}.csv"`);
    const row = (await report(reportId))!;
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect(bytes.subarray(0, 3).toString('hex')).toBe('efbbbf'); // for spreadsheet programs
    expect(bytes.subarray(3).toString('utf8')).toBe(row.csv);
    // The API's copy is the bare CSV, for programs.
    const api = await hist.h.api('GET', `/api/v1/reports/${reportId}/report.csv`, { token: ADMIN_TOKEN });
    expect(Buffer.from(await api.arrayBuffer()).toString('utf8')).toBe(row.csv);
    const html = await m.get(`/manage/reports/sla/${reportId}/report.html`);
    expect(html.headers.get('Content-Disposition')).toBe(`attachment; filename="sla-report-2026-03-08-${reportId}.html"`);
    // One UTC day [Mon 00:00Z, Tue 00:00Z): named for Monday, its last day.
    const day = await createReport(hist.h.services, { from: Date.parse('2026-03-02T00:00:00Z'), to: Date.parse('2026-03-03T00:00:00Z'), trigger: 'manual', deliver: false });
    expect((await m.get(`/manage/reports/sla/${day.id}/report.csv`)).headers.get('Content-Disposition')).toBe(`attachment; filename="sla-report-2026-03-02-${day.id}.csv"`);
    expect(html.headers.get('Content-Security-Policy')).toContain("default-src 'self'");
    expect(await html.text()).toBe(row.html);
  });

  it('queues a failed delivery again (CSRF checked)', async () => {
    expect((await m.post(`/manage/reports/sla/${failedId}/deliver`, {}, { csrf: false })).status).toBe(403);
    expect((await m.post(`/manage/reports/sla/${failedId}/deliver`, {}, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await report(failedId))?.deliveryState).toBe('failed');
    const res = await m.post(`/manage/reports/sla/${failedId}/deliver`);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/manage/reports/sla?queued=${failedId}`);
    expect((await report(failedId))?.deliveryState).toBe('pending');
    expect(await (await m.get(res.headers.get('Location')!)).text()).toContain(`Delivery of report ${failedId} queued again.`);
    await hist.h.services.outbox.drain();
    expect((await report(failedId))?.deliveryState).toBe('sent');
    expect(sent).toEqual([['mia@casebook.test']]);
    // The second delivery is held in the mailer, so the report is still waiting when it is asked
    // for again (on PostgreSQL the background drain would otherwise deliver it between the two posts).
    const services = hist.h.services as { mailer: { send(msg: unknown): Promise<void>; close(): void } };
    const recorder = services.mailer;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    services.mailer = { send: async (msg) => (await held, recorder.send(msg)), close: () => undefined };
    try {
      expect((await m.post(`/manage/reports/sla/${reportId}/deliver`)).status).toBe(303);
      expect((await m.post(`/manage/reports/sla/${reportId}/deliver`)).status).toBe(409); // already waiting
    } finally {
      release();
      await hist.h.services.outbox.idle();
      await hist.h.services.outbox.drain();
      services.mailer = recorder;
    }
    expect((await report(reportId))?.deliveryState).toBe('sent');
  });
});

describe('authorization', () => {
  const paths = () => [
    `/manage/reports?${WEEK}`,
    `/manage/reports/csv/backlog?${WEEK}`,
    `/manage/reports/drill?${WEEK}&metric=csat`,
    `/manage/reports/drill.csv?${WEEK}&metric=csat`,
    '/manage/reports/sla',
    `/manage/reports/sla/${reportId}`,
    `/manage/reports/sla/${reportId}/report.csv`,
    `/manage/reports/sla/${reportId}/report.html`,
  ];

  it('agents and advanced agents get 403, customers 404, visitors sign in — pages, fragments and the retry', async () => {
    const before = await reports();
    for (const [actor, status] of [
      [hist.alice, 403],
      [hist.dana, 403],
      [hist.customers.chloe, 404],
    ] as const) {
      const client = signedIn(hist.h, actor);
      for (const path of paths()) {
        for (const htmx of [false, true]) {
          const res = await client.get(path, { htmx });
          expect(res.status, `${actor.name} ${path}`).toBe(status);
          expect(await res.text()).not.toContain('Invoice question');
        }
      }
      expect((await client.post(`/manage/reports/sla/${failedId}/deliver`)).status).toBe(status);
    }
    const v = visitor(hist.h);
    await v.start();
    for (const path of paths()) {
      const res = await v.get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('Location')).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
    expect(await reports()).toEqual(before);
  });
});

describe('escaping', () => {
  it('renders hostile queue names, case subjects and customer names as text in pages, CSV and SVG', async () => {
    const { h } = hist;
    await h.services.store.write(async (q) => {
      await q.db.update(q.tables.queues).set({ name: XSS }).where(eq(q.tables.queues.id, 'billing'));
      await q.db.update(q.tables.customers).set({ name: XSS }).where(eq(q.tables.customers.id, hist.customers.dave.id));
    });
    const nasty = await createCase(h.services, { subject: `=HYPERLINK("x") ${XSS}`, description: 'Hostile subject' }, hist.customers.chloe, { customerId: hist.customers.chloe.id });
    await h.run('UPDATE cases SET created_at = ?, resolved_at = ? WHERE id = ?', hist.week.from + 1000, hist.week.from + 61_000, nasty.id);
    try {
      for (const path of [`/manage/reports?${WEEK}&queue=billing`, `/manage/reports?${WEEK}`, `/manage/reports/drill?${WEEK}&metric=processing`, `/manage/reports/drill?${WEEK}&metric=csat`]) {
        const html = await (await m.get(path.replace('&queue=&', '&'))).text();
        expect(html, path).not.toContain('<script>alert');
        expect(html, path).not.toContain('<img src=x');
      }
      const drill = await (await m.get(`/manage/reports/drill?${WEEK}&metric=processing`)).text();
      expect(drill).toContain('=HYPERLINK(&quot;x&quot;) &lt;script&gt;');
      expect(await (await m.get(`/manage/reports?from=2026-03-02&to=2026-03-08&queue=billing&tz=Europe%2FBerlin`)).text()).toContain('&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;');
      const csv = await (await m.get(`/manage/reports/drill.csv?${WEEK}&metric=processing`)).text();
      expect(csv).toContain(`"'=HYPERLINK(""x"") <script>`);
    } finally {
      await h.run('UPDATE cases SET resolved_at = NULL WHERE id = ?', nasty.id);
    }
  });

  it('chart labels and titles are escaped inside the SVG', () => {
    const points = [{ label: XSS, value: 3, display: `${XSS} %` }];
    for (const chart of [
      BarChart({ id: 'x', title: XSS, points }),
      LineChart({ id: 'y', title: XSS, points, unit: XSS }),
      ColumnChart({ id: 'z', title: XSS, points, unit: 'cases' }),
    ]) {
      const svg = String(chart);
      expect(svg).not.toContain('<script>');
      expect(svg).not.toContain('<img');
      expect(svg).toContain('&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    }
  });
});
