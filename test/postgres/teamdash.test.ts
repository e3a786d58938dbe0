/**
 * The teamdash lane on PostgreSQL (docs/postgres.md, "Converted: teamdash"): the seeded
 * dashboard week (test/support/manage-history.ts) answered on SQLite, moved into a fresh
 * PostgreSQL database, then answered again — the dashboard's JSON, page, drill-down and CSV and
 * the console's home page must be the same — and the team's commands run through their pages
 * and routes: queues, staff (deactivate and reactivate), churn marks, the customer and privacy
 * pages, the queue wait alerts of the SLA job. What they did is read back through the store;
 * anything still written through `services.db` would land in the SQLite file instead.
 */
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteStore } from '../../src/db/store/sqlite.js';
import { publishVersion } from '../../src/definitions/versions.js';
import { ADMIN, ADMIN_TOKEN } from '../support/harness.js';
import { buildHistory, type History } from '../support/manage-history.js';
import { moveToPostgres, type Moved } from '../support/on-postgres.js';
import { signedIn, type PageClient } from '../support/pages.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

const WEEK = 'from=2026-03-02&to=2026-03-08&tz=Europe%2FBerlin';
/** What the same requests answered on SQLite, before the move. */
const SAME = [
  `/api/v1/metrics?${WEEK}`,
  `/api/v1/metrics?${WEEK}&queue=advanced`,
  `/manage/reports?${WEEK}`,
  `/manage/reports?${WEEK}&queue=general`,
  `/manage/reports/drill?${WEEK}&metric=attainment&group=policy&key=premium&outcome=missed`,
  `/manage/reports/drill?${WEEK}&metric=churn`,
  `/manage/reports/drill?${WEEK}&metric=backlog&bucket=3`,
  `/manage/reports/csv/summary?${WEEK}`,
  '/manage',
];

let cluster: PostgresCluster;
let hist: History;
let moved: Moved;
let mia: PageClient;
let managerToken: string;
const onSqlite = new Map<string, string>();

beforeAll(async () => {
  cluster = await startPostgres();
  hist = await buildHistory();
  mia = signedIn(hist.h, hist.mia);
  managerToken = hist.h.tokenFor(hist.mia);
  for (const url of SAME) onSqlite.set(url, await answer(url));
  moved = await moveToPostgres(hist.h.services, hist.h.dbPath, cluster);
}, 60_000);

afterAll(async () => {
  await moved?.close();
  hist?.h.close();
  await cluster?.stop();
});

async function answer(url: string): Promise<string> {
  const res = url.startsWith('/api/') ? await hist.h.api('GET', url, { token: managerToken }) : await mia.get(url);
  expect(res.status, url).toBe(200);
  return res.text();
}

const store = () => hist.h.services.store;
const sqliteCount = (sql: string) => (hist.h.db.$client.prepare(sql).get() as { n: number }).n;

function audit(entity: 'queue' | 'staff') {
  return store().query(async (q) => {
    const t = q.tables.auditLog;
    return (await q.db.select({ id: t.entityId, action: t.action }).from(t).where(eq(t.entityType, entity)).orderBy(asc(t.id))).map((r) => `${r.id} ${r.action}`);
  });
}

function staffRow(email: string) {
  return store().query(async (q) => {
    const t = q.tables.staff;
    const [row] = await q.db.select().from(t).where(eq(t.email, email)).limit(1);
    return row;
  });
}

describe('the dashboard on PostgreSQL', () => {
  it('answers every figure as SQLite did: the JSON, the page, drill-downs, a CSV and the attention list', async () => {
    expect(store().dialect).toBe('postgres');
    for (const url of SAME) expect(await answer(url), url).toBe(onSqlite.get(url));
    const json = JSON.parse(onSqlite.get(SAME[0]!)!) as { csat: unknown; churn: unknown; slaAttainment: { met: number; missed: number } };
    // The seeded week's numbers (src/dashboard/metrics.test.ts derives each one).
    expect(json.csat).toEqual({ percent: 66.7, satisfied: 2, ratings: 3 });
    expect(json.churn).toEqual({ percent: 50, churned: 2, customers: 4 });
    expect(json.slaAttainment).toMatchObject({ met: 6, missed: 3 });
  });
});

describe('the team on PostgreSQL', () => {
  it('creates and edits a queue, refuses a duplicate, and audits both on PostgreSQL', async () => {
    const sqliteAudit = sqliteCount('SELECT count(*) AS n FROM audit_log');
    expect((await mia.post('/manage/team/queues', { id: 'returns', name: 'Returns', tier: '2' })).status).toBe(303);
    const duplicate = await mia.post('/manage/team/queues', { id: 'returns', name: 'Again', tier: '1' });
    expect(duplicate.status).toBe(422);
    expect(await duplicate.text()).toContain('a queue “returns” already exists'.replace(/[“”]/g, '&quot;'));
    expect((await mia.post('/manage/team/queues/returns', { name: 'Returns desk', tier: '2', waitAlertMinutes: '15' })).status).toBe(303);
    // The tier of a queue with open cases stays (D is open in advanced).
    const tier = await mia.post('/manage/team/queues/advanced', { name: 'Advanced', tier: '1' });
    expect(tier.status).toBe(422);
    expect(await tier.text()).toContain('1 open case is in this queue');
    const row = await store().query(async (q) => (await q.db.select().from(q.tables.queues).where(eq(q.tables.queues.id, 'returns')))[0]);
    expect(row).toMatchObject({ name: 'Returns desk', tier: 2, waitAlertMinutes: 15, active: true });
    expect(await audit('queue')).toEqual(['returns created', 'returns updated']);
    expect(sqliteCount('SELECT count(*) AS n FROM audit_log')).toBe(sqliteAudit);
    expect(sqliteCount("SELECT count(*) AS n FROM queues WHERE id = 'returns'")).toBe(0);
  });

  it('lists queues and staff with their counts', async () => {
    const page = await (await mia.get('/manage/team')).text();
    for (const text of ['Returns desk', 'Alice', 'Dana', 'Mia']) expect(page).toContain(text);
    const queuePage = await (await mia.get('/manage/team/queues/advanced')).text();
    expect(queuePage).toContain('Returns desk (tier 2)'); // where its open cases may go
  });

  it('creates, edits, deactivates and reactivates a staff member; refuses deactivating yourself', async () => {
    const created = await mia.post('/manage/team/staff', [['email', 'nia@casebook.test'], ['name', 'Nia'], ['role', 'advanced'], ['capacity', '5'], ['queues', 'general']]);
    expect(created.status).toBe(201);
    const nia = (await staffRow('nia@casebook.test'))!;
    expect(nia).toMatchObject({ name: 'Nia', role: 'advanced', active: true });
    const edit = await mia.post(`/manage/team/staff/${nia.id}`, [['name', 'Nia N.'], ['role', 'advanced'], ['capacity', '6'], ['queues', 'general'], ['queues', 'returns']]);
    expect(edit.status).toBe(303);
    expect(await (await mia.get(`/manage/team/staff/${nia.id}`)).text()).toContain('Nia N.');
    expect((await mia.post(`/manage/team/staff/${nia.id}/deactivate`)).status).toBe(303);
    expect(await staffRow('nia@casebook.test')).toMatchObject({ active: false, available: false });
    expect((await mia.post(`/manage/team/staff/${nia.id}/reactivate`)).status).toBe(303);
    expect(await staffRow('nia@casebook.test')).toMatchObject({ active: true, available: false, capacity: 6 });
    const members = await store().query((q) => q.db.select({ queue: q.tables.staffQueues.queueId }).from(q.tables.staffQueues).where(eq(q.tables.staffQueues.staffId, nia.id)).orderBy(asc(q.tables.staffQueues.queueId)));
    expect(members.map((m) => m.queue)).toEqual(['general', 'returns']);
    expect((await mia.post(`/manage/team/staff/${hist.mia.id}/deactivate`)).status).toBe(409);
    expect(await audit('staff')).toEqual(expect.arrayContaining([`${nia.id} created`, `${nia.id} updated`, `${nia.id} deactivated`, `${nia.id} reactivated`]));
    expect(sqliteCount("SELECT count(*) AS n FROM staff WHERE email = 'nia@casebook.test'")).toBe(0);
  });

  it('deactivates a queue with open cases into another; the waiting case alerts the managers once', async () => {
    const { D } = hist.ids;
    // Nia (returns) is away: D waits in returns after the move. The published escalations name
    // advanced: they go to returns (tier 2) first, or advanced could not be deactivated — on
    // PostgreSQL, and on the SQLite file the harness's definitions registry still reads.
    const { definitions } = hist.h.services;
    const toReturns = (body: unknown) => JSON.parse(JSON.stringify(body).replaceAll('"queue":"advanced"', '"queue":"returns"'));
    const bodies = { escalation: toReturns(definitions.ruleset('escalation').definition), support: toReturns(definitions.workflow('support').definition) };
    await publishVersion(hist.h.services, 'ruleset', 'escalation', bodies.escalation, ADMIN, 'Escalations to returns');
    await publishVersion(hist.h.services, 'workflow', 'support', bodies.support, ADMIN, 'Escalations to returns');
    // The SQLite file has no queue returns: the same versions stored as they are (checked above).
    await sqliteStore(hist.h.db).write(async (q) => {
      const options = { state: 'published' as const, note: 'Escalations to returns', now: hist.h.clock.now() };
      await definitions.insertVersion(q, 'ruleset', 'escalation', bodies.escalation, options);
      await definitions.insertVersion(q, 'workflow', 'support', bodies.support, options);
    });
    await definitions.refresh();
    const deactivated = await mia.post('/manage/team/queues/advanced/deactivate', { moveTo: 'returns' });
    expect(deactivated.status, await deactivated.clone().text()).toBe(303);
    const caseD = () => store().query(async (q) => (await q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, D)))[0]!);
    expect(await caseD()).toMatchObject({ queueId: 'returns', assigneeId: null });
    expect((await caseD()).waitingSince).not.toBeNull();
    hist.h.clock.advanceMinutes(16);
    const sweep = await hist.h.api('POST', '/api/v1/sla/sweep', { token: ADMIN_TOKEN });
    expect(sweep.status).toBe(200);
    expect(((await sweep.json()) as { waiting: unknown }).waiting).toMatchObject({ alerted: 1, skipped: 0, cases: [`C-${D}`] });
    const alerts = await store().query((q) => q.db.select().from(q.tables.caseWaitAlerts).where(and(eq(q.tables.caseWaitAlerts.caseId, D), eq(q.tables.caseWaitAlerts.queueId, 'returns'))));
    expect(alerts).toEqual([expect.objectContaining({ thresholdMinutes: 15 })]);
    const again = await hist.h.api('POST', '/api/v1/sla/sweep', { token: ADMIN_TOKEN });
    expect(((await again.json()) as { waiting: unknown }).waiting).toMatchObject({ alerted: 0 });
    expect(sqliteCount('SELECT count(*) AS n FROM case_wait_alerts')).toBe(0);
    expect((await mia.post('/manage/team/queues/advanced/reactivate')).status).toBe(303);
    expect(await audit('queue')).toEqual(['returns created', 'returns updated', 'advanced deactivated', 'advanced reactivated']);
  });
});

describe('customers, churn and privacy on PostgreSQL', () => {
  it('searches customers, marks churn through the page and the API, refuses a second mark', async () => {
    const { chloe } = hist.customers;
    const found = await (await mia.get('/manage/team/customers?q=CHLOE', { htmx: true })).text();
    expect(found).toContain('chloe@example.com');
    expect((await mia.post(`/manage/team/customers/${chloe.id}/churn`, { churned: 'true', at: '2026-03-06', note: 'switched plans' })).status).toBe(303);
    const again = await hist.h.api('POST', `/api/v1/customers/${chloe.id}/churn`, { token: managerToken, body: { reason: 'twice' } });
    expect(again.status).toBe(409);
    const marks = await store().query((q) => q.db.select().from(q.tables.customerChurnMarks).where(eq(q.tables.customerChurnMarks.customerId, chloe.id)));
    expect(marks.map((m) => [m.churned, m.note])).toEqual([[true, 'switched plans']]);
    const churned = await (await mia.get('/manage/team/customers?churned=1', { htmx: true })).text();
    expect(churned).toContain('chloe@example.com');
    expect(sqliteCount(`SELECT count(*) AS n FROM customer_churn_marks WHERE customer_id = ${chloe.id}`)).toBe(0);
  });

  it('shows the customer page with its churn history and privacy panel; a wrong erase confirmation is refused', async () => {
    const { chloe } = hist.customers;
    const page = await (await mia.get(`/manage/team/customers/${chloe.id}`)).text();
    expect(page).toContain('switched plans');
    expect(page).toContain('Mia'); // who marked it
    const refused = await mia.post(`/manage/team/customers/${chloe.id}/erase`, { confirm: 'nobody@example.com' });
    expect(refused.status).toBe(403); // managers never erase; admins do
    const log = await (await mia.get('/manage/audit?entity=queue')).text();
    expect(log).toContain('returns');
  });
});
