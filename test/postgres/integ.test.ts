/**
 * The integ lane on PostgreSQL (docs/postgres.md, "Converted: integ"): a week of support
 * history built on SQLite (test/support/manage-history.ts), copied into PostgreSQL with
 * `moveToPostgres`, then webhooks, reports, privacy, the audit log, IM posts and the metrics
 * gauges driven through their routes and handlers. What they write is read back through the
 * store, and the SQLite file is checked to be untouched: a command still on `services.db`
 * would fail here.
 */
import { and, count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrmClient } from '../../src/crm/lookup.js';
import { postImMessage } from '../../src/im/post-message.js';
import { readGauges } from '../../src/metrics/scrape.js';
import type { OutboxItem } from '../../src/outbox/outbox.js';
import { buildReport, type ReportSummary } from '../../src/reports/build-report.js';
import { renderReportCsv } from '../../src/reports/render-csv.js';
import { exportCustomer } from '../../src/privacy/export-customer.js';
import { deliverWebhook, fanOutWebhookEvent } from '../../src/webhooks/deliveries.js';
import { startReceiver, type Receiver } from '../integrations/receiver.js';
import { ADMIN_TOKEN, ok } from '../support/harness.js';
import { buildHistory, type History } from '../support/manage-history.js';
import { moveToPostgres, type Moved } from '../support/on-postgres.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

let cluster: PostgresCluster;
let hist: History;
let moved: Moved;
let receiver: Receiver;
let sqliteSummary: ReportSummary;
let sqliteExport: Record<string, unknown>;
const mails: { to: string[]; subject: string }[] = [];

const admin = { token: ADMIN_TOKEN };
const sqliteCount = (table: string) => (hist.h.db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

beforeAll(async () => {
  [cluster, receiver, hist] = await Promise.all([startPostgres(), startReceiver(), buildHistory()]);
  await hist.h.services.outbox.idle();
  (hist.h.services.integrations as { allowPrivateTargets: boolean }).allowPrivateTargets = true;
  // What SQLite answers for the same history, before the move: the report and an export.
  sqliteSummary = await buildReport(hist.h.services, { from: hist.week.from, to: hist.week.to, timezone: 'Europe/Berlin' });
  sqliteExport = await exportCustomer(hist.h.services, hist.customers.dave.id);
  moved = await moveToPostgres(hist.h.services, hist.h.dbPath, cluster);
}, 60_000);

afterAll(async () => {
  await moved?.close();
  hist?.h.close();
  await receiver?.close();
  await cluster?.stop();
});

/** An outbox row of the PostgreSQL database as the handlers get it. */
async function pgItem(id: number): Promise<OutboxItem> {
  const [row] = await hist.h.services.store.query((q) => q.db.select().from(q.tables.outbox).where(eq(q.tables.outbox.id, id)));
  const { id: itemId, type, caseId, payload, attempts, availableAt, createdAt } = row!;
  return { id: itemId, type, caseId, payload, attempts, availableAt, createdAt };
}

/** The outbox's items of `type` not done yet; `done: 'too'` with those done (an item the drain may already have performed). */
function pendingItems(type: string, done: 'too' | 'no' = 'no') {
  return hist.h.services.store.query((q) =>
    q.db
      .select({ id: q.tables.outbox.id, payload: q.tables.outbox.payload, availableAt: q.tables.outbox.availableAt })
      .from(q.tables.outbox)
      .where(and(eq(q.tables.outbox.type, type), done === 'too' ? undefined : sql`${q.tables.outbox.doneAt} IS NULL`))
      .orderBy(q.tables.outbox.id),
  );
}

describe('on PostgreSQL', () => {
  it('runs on the copy', () => {
    expect(hist.h.services.store.dialect).toBe('postgres');
  });

  it('webhooks: subscriptions, the fan-out of a timeline entry, delivery outcomes, the log and replay', async () => {
    const sqliteSubs = sqliteCount('webhook_subscriptions');
    const created = await ok(await hist.h.api('POST', '/api/v1/webhooks', { ...admin, body: { url: receiver.url, events: ['case.priority_changed'], description: 'CRM' } }), 201);
    expect(String(created.secret)).toMatch(/^whsec_/);
    const id = Number(created.id);
    expect((await hist.h.api('POST', '/api/v1/webhooks', { ...admin, body: { url: receiver.url, events: ['case.nope'] } })).status).toBe(422);
    expect((await hist.h.api('GET', `/api/v1/webhooks/${id + 100}`, admin)).status).toBe(404);
    expect(await ok(await hist.h.api('GET', '/api/v1/webhooks', admin))).toEqual([expect.objectContaining({ id, url: receiver.url, events: ['case.priority_changed'], enabled: true })]);
    expect(sqliteCount('webhook_subscriptions')).toBe(sqliteSubs);

    // A timeline entry on PostgreSQL: its trigger queues `webhook.event`; the handler fans it out.
    const { A } = hist.ids;
    await hist.h.services.store.write((q) =>
      q.db.insert(q.tables.caseEvents).values({ caseId: A, type: 'case.priority_changed', at: hist.h.clock.now(), actorType: 'system', actorId: null, data: { from: 'normal', to: 'high' } }),
    );
    const [event] = await pendingItems('webhook.event');
    expect(event).toBeDefined();
    await fanOutWebhookEvent(hist.h.services, await pgItem(event!.id));
    const [deliver] = await pendingItems('webhook.deliver');
    expect(deliver!.payload).toMatchObject({ target: `webhook:${id}` });

    receiver.received.length = 0;
    await deliverWebhook(hist.h.services, await pgItem(deliver!.id));
    expect(receiver.received).toHaveLength(1);
    const body = JSON.parse(receiver.received[0]!.body) as { type: string; data: { case: { id: string; subject: string }; customer: { name: string }; change: unknown } };
    expect(body).toMatchObject({ type: 'case.priority_changed', data: { case: { id: `C-${A}`, subject: 'Display name' }, customer: { name: 'Chloe' }, change: { from: 'normal', to: 'high' } } });

    // Replayed, and this time the receiver fails: the attempt is logged and a retry queued.
    const [first] = (await ok(await hist.h.api('GET', `/api/v1/webhooks/${id}/deliveries`, admin))) as unknown as { id: number; status: string; log: unknown[] }[];
    expect(first).toMatchObject({ status: 'succeeded', log: [expect.objectContaining({ attempt: 1, ok: true, responseStatus: 200 })] });
    expect((await hist.h.api('POST', `/api/v1/webhooks/${id}/deliveries/${first!.id + 100}/replay`, admin)).status).toBe(404);
    // The replay kicks the outbox, whose drain claims on PostgreSQL and performs it: wait for it
    // rather than race it with a second delivery of the same item.
    receiver.answer(500);
    const replay = await ok(await hist.h.api('POST', `/api/v1/webhooks/${id}/deliveries/${first!.id}/replay`, admin), 202);
    expect(replay).toMatchObject({ replayOf: first!.id, status: 'pending' });
    await hist.h.services.outbox.idle();
    expect(receiver.received).toHaveLength(2);
    const log = (await ok(await hist.h.api('GET', `/api/v1/webhooks/${id}/deliveries`, admin))) as unknown as { id: number; status: string; nextAttemptAt: string | null; log: { ok: boolean; responseStatus: number }[] }[];
    expect(log.map((d) => d.status)).toEqual(['retrying', 'succeeded']);
    expect(log[0]!.log).toEqual([expect.objectContaining({ ok: false, responseStatus: 500 })]);
    const retry = await pendingItems('webhook.deliver');
    expect(retry.map((r) => r.availableAt)).toEqual([Date.parse(log[0]!.nextAttemptAt!)]);
    expect(sqliteCount('webhook_deliveries')).toBe(0);

    expect((await hist.h.api('DELETE', `/api/v1/webhooks/${id}`, admin)).status).toBe(204);
    expect((await hist.h.api('GET', `/api/v1/webhooks/${id}`, admin)).status).toBe(404);
    expect((await hist.h.api('POST', `/api/v1/webhooks/${id}/enable`, admin)).status).toBe(404);
  });

  it('reports: the same figures, CSV and HTML as on SQLite; delivery bookkeeping', async () => {
    const period = { from: new Date(hist.week.from).toISOString(), to: new Date(hist.week.to).toISOString(), timezone: 'Europe/Berlin', deliver: false };
    const created = (await ok(await hist.h.api('POST', '/api/v1/reports', { ...admin, body: period }), 201)) as { id: number; summary: ReportSummary };
    expect(sqliteSummary.totals.breaches + sqliteSummary.totals.escalations + sqliteSummary.totals.met).toBeGreaterThan(2);
    expect(created.summary).toEqual(sqliteSummary);
    const csv = await hist.h.api('GET', `/api/v1/reports/${created.id}/report.csv`, admin);
    expect(await csv.text()).toBe(renderReportCsv(sqliteSummary));
    expect((await hist.h.api('GET', `/api/v1/reports/${created.id + 100}`, admin)).status).toBe(404);
    expect((await hist.h.api('POST', '/api/v1/reports', { ...admin, body: { ...period, from: period.to } })).status).toBe(422);
    expect((await hist.h.api('POST', `/api/v1/reports/${created.id}/deliver`, admin)).status).toBe(409); // no mailer
    expect(sqliteCount('sla_reports')).toBe(0);

    // With a mailer: queued with the report, sent by the outbox handler, the row says so.
    (hist.h.services as { mailer: unknown }).mailer = { send: (msg: { to: string[]; subject: string }) => Promise.resolve(void mails.push(msg)), close: () => undefined };
    try {
      const mailed = (await ok(await hist.h.api('POST', '/api/v1/reports', { ...admin, body: { ...period, deliver: true } }), 201)) as { id: number; delivery: { state: string } };
      expect(mailed.delivery.state).toBe('pending');
      // Queued with the report. The drain, woken by the commit, may have performed it already.
      const [item] = await pendingItems('report.deliver', 'too');
      expect(item!.payload).toEqual({ reportId: mailed.id });
      // The outbox performs it on PostgreSQL (its drain claims there): once, whoever drains.
      await hist.h.services.outbox.idle();
      await hist.h.services.outbox.drain();
      expect(mails.map((m) => m.to)).toEqual([expect.arrayContaining(['mia@casebook.test'])]);
      expect(await ok(await hist.h.api('GET', `/api/v1/reports/${mailed.id}`, admin))).toMatchObject({ delivery: { state: 'sent' } });
      expect(await pendingItems('report.deliver')).toEqual([]);
    } finally {
      (hist.h.services as { mailer: unknown }).mailer = null;
    }
  });

  it('privacy: a customer exported as on SQLite; erased, with the timeline triggers refusing everyone else', async () => {
    const { dave, chloe } = hist.customers;
    expect(await ok(await hist.h.api('GET', `/api/v1/customers/${dave.id}/export`, admin))).toEqual(sqliteExport);
    expect((await hist.h.api('GET', '/api/v1/customers/999999/export', admin)).status).toBe(404);

    const erased = await ok(await hist.h.api('POST', `/api/v1/customers/${chloe.id}/erase`, admin));
    expect(erased).toMatchObject({ erased: true, customer: chloe.id, cases: 2 });
    expect((await hist.h.api('POST', '/api/v1/customers/999999/erase', admin)).status).toBe(404);
    const t = await hist.h.services.store.query(async (q) => ({
      customer: (await q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, chloe.id)))[0]!,
      erasure: (await q.db.select().from(q.tables.erasures).where(eq(q.tables.erasures.customerId, chloe.id)))[0]!,
      events: await q.db.select({ data: q.tables.caseEvents.data }).from(q.tables.caseEvents).where(eq(q.tables.caseEvents.caseId, hist.ids.A)),
      report: (await q.db.select({ html: q.tables.slaReports.html, summary: q.tables.slaReports.summary }).from(q.tables.slaReports).limit(1))[0]!,
    }));
    expect(t.customer).toMatchObject({ name: 'Erased customer', email: `erased-${chloe.id}@erased.invalid` });
    expect(t.erasure.completedAt).not.toBeNull();
    expect(t.erasure.summary).toMatchObject({ cases: 2, timelineEntries: expect.any(Number) as number });
    expect(t.events.every((e) => e.data.erased === true)).toBe(true);
    expect(t.report.html).not.toContain('Display name'); // the quote in the stored report, its jsonb summary too
    expect(JSON.stringify(t.report.summary)).not.toContain('Display name');
    expect((hist.h.db.$client.prepare('SELECT name FROM customers WHERE id = ?').get(chloe.id) as { name: string }).name).toBe('Chloe');

    // Outside an erasure of its case the timeline is append-only; an erasure only ever closes.
    const refused = (statement: string) =>
      hist.h.services.store.write((q) => q.run(sql.raw(statement))).then(
        () => 'done',
        (error: Error & { cause?: Error }) => error.cause?.message ?? error.message,
      );
    expect(await refused(`UPDATE case_events SET data = '{}' WHERE case_id = ${hist.ids.B}`)).toBe('case_events is append-only');
    expect(await refused(`UPDATE erasures SET completed_at = NULL WHERE customer_id = ${chloe.id}`)).toBe('an erasure is only ever closed');
    expect(await refused(`DELETE FROM erasures WHERE customer_id = ${chloe.id}`)).toBe('erasures is append-only');
    const [{ n }] = (await hist.h.services.store.query((q) => q.db.select({ n: count() }).from(q.tables.caseEvents).where(and(eq(q.tables.caseEvents.caseId, hist.ids.B), sql`${q.tables.caseEvents.data} = '{}'::jsonb`)))) as [{ n: number }];
    expect(n).toBe(0);
  });

  it('the audit log: filters by a name fragment in any case, by entity, pages by cursor', async () => {
    const all = (await ok(await hist.h.api('GET', '/api/v1/audit?entity=webhook', admin))) as { items: { action: string; actor: { name: string } }[] };
    expect(all.items.map((i) => i.action)).toEqual(['deleted', 'created']);
    const name = all.items[0]!.actor.name;
    const fragment = name.slice(0, 4).toUpperCase() === name.slice(0, 4) ? name.slice(0, 4).toLowerCase() : name.slice(0, 4).toUpperCase();
    const byName = (await ok(await hist.h.api('GET', `/api/v1/audit?actor=${encodeURIComponent(fragment)}&entity=webhook`, admin))) as { items: unknown[] };
    expect(byName.items).toHaveLength(2);
    const page = (await ok(await hist.h.api('GET', '/api/v1/audit?limit=1', admin))) as { items: { action: string }[]; nextCursor: number };
    expect(page.items.map((i) => i.action)).toEqual(['erased']);
    const next = (await ok(await hist.h.api('GET', `/api/v1/audit?limit=1&cursor=${page.nextCursor}`, admin))) as { items: { action: string }[] };
    expect(next.items.map((i) => i.action)).toEqual(['deleted']);
    expect((await hist.h.api('GET', '/api/v1/audit?entity=nope', admin)).status).toBe(422);
  });

  it('IM posts: the post and its bookkeeping, or the skipped post recorded', async () => {
    const { D } = hist.ids;
    const queue = async (payload: Record<string, unknown>) =>
      hist.h.services.store.write(async (q) => {
        const [row] = await q.db.insert(q.tables.outbox).values({ type: 'im.post', caseId: D, payload, createdAt: hist.h.clock.now(), availableAt: hist.h.clock.now() }).returning({ id: q.tables.outbox.id });
        return row!.id;
      });
    receiver.received.length = 0;
    const posted = await queue({ to: 'slack', url: `${receiver.url}/slack`, template: 'case-resolved' });
    await postImMessage(hist.h.services, await pgItem(posted));
    expect(receiver.received.map((r) => r.path)).toEqual([`${new URL(receiver.url).pathname}/slack`]);
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ text: expect.stringContaining(`C-${D} Export settings`) as string });
    const skipped = await queue({ to: 'teams' });
    await postImMessage(hist.h.services, await pgItem(skipped));
    const sent = await hist.h.services.store.query((q) =>
      q.db
        .select({ data: q.tables.caseEvents.data })
        .from(q.tables.caseEvents)
        .where(and(eq(q.tables.caseEvents.caseId, D), eq(q.tables.caseEvents.type, 'notification.sent'), sql`${q.tables.caseEvents.data} ? 'channel'`)),
    );
    expect(sent.map((e) => e.data)).toEqual([
      expect.objectContaining({ channel: 'slack', template: 'case-resolved', status: 200 }),
      expect.objectContaining({ channel: 'teams', skipped: expect.stringContaining('no teams incoming-webhook URL') as string }),
    ]);
    expect(await pendingItems('im.post')).toEqual([]);
  });

  it('the CRM lookup on the store: what the CRM answered kept, and read back when the CRM is down', async () => {
    receiver.respond((req) => (req.path.includes('gone') ? { status: 503 } : { status: 200, body: { plan: 'Pro', mrr: 99, accountOwner: 'Ola', churned: false } }));
    try {
      const crm = new CrmClient({ url: `${receiver.url}/lookup?email={email}`, timeoutMs: 1000, ttlMs: 60_000, failureThreshold: 5, openMs: 60_000 }, hist.h.clock, hist.h.services.logger);
      expect(await crm.lookup(hist.h.services.store, 'Erin@Acme.example')).toEqual({ value: { plan: 'Pro', mrr: 99, accountOwner: 'Ola', churned: false }, source: 'crm' });
      const [row] = await hist.h.services.store.query((q) => q.db.select().from(q.tables.crmRecords).where(eq(q.tables.crmRecords.email, 'erin@acme.example')));
      expect(row).toMatchObject({ data: { plan: 'Pro', mrr: 99 } });
      const down = new CrmClient({ url: `${receiver.url}/gone?email={email}`, timeoutMs: 1000, ttlMs: 60_000, failureThreshold: 5, openMs: 60_000 }, hist.h.clock, hist.h.services.logger);
      expect(await down.lookup(hist.h.services.store, 'erin@acme.example')).toMatchObject({ value: { plan: 'Pro' }, source: 'stored' });
      expect(sqliteCount('crm_records')).toBe(0);
    } finally {
      receiver.respond(() => ({ status: 200 }));
    }
  });

  it('metrics: the database gauges count PostgreSQL’s outbox', async () => {
    await hist.h.services.store.write((q) =>
      q.db.insert(q.tables.outbox).values([1, 2, 3].map(() => ({ type: 'test.only', caseId: null, payload: {}, createdAt: hist.h.clock.now(), availableAt: hist.h.clock.now() - 1000 }))),
    );
    await readGauges(hist.h.services);
    const due = (await hist.h.services.metrics.gauges.outboxDue.get()).values[0]!.value;
    const [pg] = await hist.h.services.store.query((q) => q.db.select({ n: count() }).from(q.tables.outbox).where(sql`done_at IS NULL AND failed_at IS NULL AND available_at <= ${hist.h.clock.now()}`));
    expect(due).toBe(pg!.n);
    expect(due).not.toBe((hist.h.db.$client.prepare('SELECT count(*) AS n FROM outbox WHERE done_at IS NULL AND failed_at IS NULL AND available_at <= ?').get(hist.h.clock.now()) as { n: number }).n);
  });
});
