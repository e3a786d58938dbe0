/**
 * Slack/Teams notify targets and CRM enrichment against real HTTP receivers, and the churn
 * API counted in the churn metric.
 */
import fs from 'node:fs';
import path from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/auth/api-tokens.js';
import { createCase } from '../../src/cases/create-case.js';
import { CrmClient } from '../../src/crm/lookup.js';
import { exampleFromCase, runExamples } from '../../src/rules/examples.js';
import { churn } from '../../src/dashboard/churn.js';
import { markChurn } from '../../src/team/churn.js';
import { ADMIN_TOKEN, createHarness, ROOT, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { startReceiver, type Receiver } from './receiver.js';

let h: Harness;
let slack: Receiver;
let teams: Receiver;
let crm: Receiver;
let customer: TestActor;
let manager: TestActor;
const routing = JSON.parse(fs.readFileSync(path.join(ROOT, 'rules/routing.json'), 'utf8')) as { rules: unknown[] };

function rule(name: string, conditions: unknown, event: unknown) {
  return { name, priority: 100, conditions, event };
}

async function publish(extra: unknown[]): Promise<Response> {
  return h.api('PUT', '/api/v1/rulesets/routing', { token: ADMIN_TOKEN, body: { rules: [...routing.rules, ...extra], note: 'test', overrideFailingExamples: 'test rules' } });
}

beforeAll(async () => {
  [slack, teams, crm] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
  crm.respond((r) => (r.path.includes('big%40example.com') ? { status: 200, body: { plan: 'enterprise', mrr: 1200, accountOwner: 'Olga Owner', churned: false } } : { status: 404 }));
  h = createHarness({
    services: {
      integrations: { allowPrivateTargets: true },
      // 1 s, not production's 300 ms: the lookups that must succeed do so on a loaded machine too
      // (the timeout itself is tested with its own client below).
      crm: { url: `http://127.0.0.1:${crm.port}/lookup`, timeoutMs: 1000, ttlMs: 600_000, failureThreshold: 3, openMs: 60_000 },
    },
  });
  standardQueues(h);
  h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'] });
  manager = h.agent({ name: 'Maria', role: 'manager' });
  customer = h.customer({ email: 'big@example.com', name: 'Big Co Buyer', organization: 'Big Co' });
});

afterAll(async () => {
  h.close();
  await Promise.all([slack.close(), teams.close(), crm.close()]);
});

/**
 * Everything due performed, posts to Slack and Teams included. A case's posts go one at a time
 * (src/outbox/lanes.ts): `drain()` waits for the one it claimed, and the case's next post is
 * claimed by the background drain the lane kicks when that one ends — `idle()` waits for it.
 * Without it a loaded machine answered `drain()` before the Teams post (CI, 2026-12-03).
 */
async function delivered(): Promise<void> {
  await h.services.outbox.drain();
  await h.services.outbox.idle();
}

describe('notify slack / teams', () => {
  it('refuses a rule with a bad incoming-webhook URL (422) and a url on a mail target', async () => {
    const bad = await publish([rule('Bad hook', { all: [] }, { type: 'notify', params: { to: 'slack', template: 'case-received', url: 'ftp://hooks.example.com/x' } })]);
    expect(bad.status).toBe(422);
    expect(JSON.stringify(await bad.json())).toContain('$.rules[');
    const mail = await publish([rule('Mail with url', { all: [] }, { type: 'notify', params: { to: 'managers', template: 'case-received', url: 'https://hooks.example.com/x' } })]);
    expect(mail.status).toBe(422);
  });

  it('posts a Block Kit message to the queue’s Slack webhook and an Adaptive Card to the rule’s Teams URL', async () => {
    await h.query((q) => q.db.update(q.tables.queues).set({ slackWebhookUrl: slack.url }).where(eq(q.tables.queues.id, 'billing')));
    const res = await publish([
      rule('Urgent billing to Slack', { all: [{ fact: 'case', path: '$.subject', operator: 'textContains', value: 'refund' }] }, { type: 'notify', params: { to: 'slack', template: 'case-received' } }),
      rule('Refunds to Teams', { all: [{ fact: 'case', path: '$.subject', operator: 'textContains', value: 'refund' }] }, { type: 'notify', params: { to: 'teams', template: 'case-escalated', url: teams.url } }),
    ]);
    expect(res.status).toBe(200);
    const c = await createCase(h.services, { subject: 'Refund for <double> charge', description: 'Charged twice on the invoice' }, customer, { customerId: customer.id });
    await delivered();
    expect(slack.received).toHaveLength(1);
    const body = JSON.parse(slack.received[0]!.body) as { text: string; blocks: { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { url: string }[] }[] };
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'actions']);
    const section = body.blocks[1]!;
    expect(section.text!.text).toBe(`*<${h.services.publicUrl}/cases/C-${c.id}|C-${c.id}>* Refund for &lt;double&gt; charge`);
    const [billing] = await h.query((q) => q.db.select().from(q.tables.queues).where(eq(q.tables.queues.id, 'billing')));
    if (!billing) throw new Error('no billing queue');
    expect(section.fields!.map((f) => f.text)).toEqual(expect.arrayContaining([`*Queue*\n${billing.name}`, `*Priority*\n${c.priority}`]));
    expect(body.blocks[2]!.elements![0]!.url).toBe(`${h.services.publicUrl}/cases/C-${c.id}`);
    const card = JSON.parse(teams.received[0]!.body) as { attachments: { contentType: string; content: { type: string; body: { facts?: { title: string; value: string }[] }[]; actions: { url: string }[] } }[] };
    expect(card.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.attachments[0]!.content.type).toBe('AdaptiveCard');
    expect(card.attachments[0]!.content.body[2]!.facts).toEqual(expect.arrayContaining([{ title: 'Queue', value: billing.name }]));
    expect(card.attachments[0]!.content.actions[0]!.url).toBe(`${h.services.publicUrl}/cases/C-${c.id}`);
    const sent = (await h.query((q) => q.db.select().from(q.tables.caseEvents).where(eq(q.tables.caseEvents.caseId, c.id)))).filter((e) => e.type === 'notification.sent');
    expect(sent.map((e) => e.data.channel).sort()).toEqual(['slack', 'teams']);
  });

  it('keeps a queue’s incoming-webhook URL (its credential) out of the staff API’s queue list', async () => {
    const res = await h.api('GET', '/api/v1/queues', { token: h.tokenFor(h.agent({ name: 'Quinn', queues: ['billing'] })) });
    expect(res.status).toBe(200);
    const listed = (await res.json()) as Record<string, unknown>[];
    expect(listed.find((q) => q.id === 'billing')).toMatchObject({ id: 'billing' });
    expect(JSON.stringify(listed)).not.toContain(slack.url);
    expect(listed.every((q) => !('slackWebhookUrl' in q) && !('teamsWebhookUrl' in q))).toBe(true);
  });

  it('retries a chat post that failed with a 5xx', async () => {
    slack.received.length = 0;
    slack.answer(503);
    await createCase(h.services, { subject: 'Another refund', description: 'x' }, customer, { customerId: customer.id });
    await delivered();
    expect(slack.received).toHaveLength(1);
    h.clock.advance(30_000);
    await delivered();
    expect(slack.received).toHaveLength(2);
    await publish([]);
  });

  it('waits as long as a 429’s Retry-After asks before posting again (Slack’s rate limit), not its 30 s back-off', async () => {
    await publish([rule('Notify Slack', { all: [{ fact: 'case', path: '$.subject', operator: 'textContains', value: 'rate limited' }] }, { type: 'notify', params: { to: 'slack', template: 'case-received', url: slack.url } })]);
    slack.received.length = 0;
    slack.answer({ status: 429, headers: { 'Retry-After': '600' } });
    await createCase(h.services, { subject: 'Post me, rate limited', description: 'x' }, customer, { customerId: customer.id });
    await delivered();
    expect(slack.received).toHaveLength(1);
    h.clock.advance(30_000);
    await delivered();
    expect(slack.received).toHaveLength(1); // the back-off alone would have posted now
    h.clock.advance(570_000);
    await delivered();
    expect(slack.received).toHaveLength(2);
    await publish([]);
  });
});

describe('CRM enrichment', () => {
  it('makes customer.crm a fact rules use, and shows it on the case page', async () => {
    const res = await publish([
      rule('Enterprise customers are urgent', { all: [{ fact: 'customer', path: '$.crm.plan', operator: 'equal', value: 'enterprise' }] }, { type: 'setPriority', params: { priority: 'urgent' } }),
    ]);
    expect(res.status).toBe(200);
    const bad = await publish([rule('Typo', { all: [{ fact: 'customer', path: '$.crm.plna', operator: 'equal', value: 'x' }] }, { type: 'setPriority', params: { priority: 'urgent' } })]);
    expect(bad.status).toBe(422);
    crm.received.length = 0;
    h.clock.advance(600_001); // past the lookup cache
    const c = await createCase(h.services, { subject: 'Question', description: 'How do I export?' }, customer, { customerId: customer.id });
    expect(c.priority).toBe('urgent');
    expect(crm.received[0]!.path).toBe('/lookup?email=big%40example.com');
    const other = await createCase(h.services, { customer: { email: 'small@example.com' }, subject: 'Question', description: 'How do I export?' }, { type: 'system', id: null, role: 'admin', name: 'api' });
    expect(other.priority).toBe('normal');
    const page = await h.api('GET', `/api/v1/cases/C-${c.id}`, { token: h.tokenFor(manager) });
    expect(((await page.json()) as { customer: { crm: unknown } }).customer.crm).toEqual({ plan: 'enterprise', mrr: 1200, accountOwner: 'Olga Owner', churned: false });
    // Kept as an example, the case keeps what the CRM said (a rule reads it): the example passes (it was "priority: expected urgent, got normal").
    const example = await exampleFromCase(h.services, c);
    expect(example.case.customer?.crm).toEqual({ plan: 'enterprise', mrr: 1200, accountOwner: 'Olga Owner', churned: false });
    const published = h.services.definitions.ruleset('routing').definition;
    expect((await runExamples(h.services, 'routing', { ...published, examples: [example] })).results[0]).toMatchObject({ passed: true, differences: [] });
    await publish([]);
    // No rule reads the CRM: it stays out of the example (examples end up in git).
    expect((await exampleFromCase(h.services, c)).case.customer?.crm).toBeUndefined();
  });

  it('caches answers for the TTL, times out at its timeout, opens the breaker after consecutive failures and half-opens later', async () => {
    const client = new CrmClient({ url: `http://127.0.0.1:${crm.port}/lookup`, timeoutMs: 1000, ttlMs: 60_000, failureThreshold: 3, openMs: 60_000 }, h.clock, h.services.logger);
    crm.received.length = 0;
    expect((await client.lookup(h.services.store, 'big@example.com')).source).toBe('crm');
    expect((await client.lookup(h.services.store, 'big@example.com')).source).toBe('cache');
    expect(crm.received).toHaveLength(1);
    h.clock.advance(60_001);

    // The CRM answers after 5 s; the lookup gives up at 1 s. The bound sits far from both
    // (600 ms against a 1 s answer failed on a loaded machine; a 300 ms timeout was too short
    // for the half-open lookup below to be answered in a loaded CI run).
    crm.delay(5000);
    const started = performance.now();
    const slow = await client.lookup(h.services.store, 'big@example.com');
    expect(performance.now() - started).toBeLessThan(2500);
    expect(slow).toMatchObject({ source: 'stored', value: { plan: 'enterprise' } }); // the last known record
    await client.lookup(h.services.store, 'big@example.com');
    await client.lookup(h.services.store, 'big@example.com');
    expect(client.state).toBe('open');
    crm.delay(0);
    const calls = crm.received.length;
    const skipped = await client.lookup(h.services.store, 'big@example.com');
    expect(skipped.source).toBe('stored');
    expect(crm.received.length).toBe(calls); // open: not called
    h.clock.advance(60_000);
    expect(client.state).toBe('half-open');
    expect((await client.lookup(h.services.store, 'big@example.com')).source).toBe('crm');
    expect(client.state).toBe('closed');
  });

  it('intake does not wait for a slow CRM beyond its timeout', async () => {
    crm.delay(5000);
    h.clock.advance(600_001); // past the cache
    const started = performance.now();
    const c = await createCase(h.services, { subject: 'Slow CRM', description: 'x' }, customer, { customerId: customer.id });
    expect(performance.now() - started).toBeLessThan(2500);
    expect(c.id).toBeGreaterThan(0);
    crm.delay(0);
  });
});

describe('the churn API', () => {
  it('marks a customer churned with a source and reason (scoped token), counted in the churn metric beside manual marks', async () => {
    const start = h.clock.now();
    const a = h.customer({ email: 'a@churn.test' });
    const b = h.customer({ email: 'b@churn.test' });
    h.customer({ email: 'c@churn.test' });
    h.clock.advance(86_400_000);
    const from = h.clock.now();
    h.clock.advance(3_600_000);
    const token = (await h.services.store.write((q) => createApiToken(q, { type: 'staff', id: manager.id }, 'billing', h.clock.now(), null, ['churn']))).token;
    const res = await h.api('POST', `/api/v1/customers/${a.id}/churn`, { token, body: { source: 'billing', reason: 'Card declined 3 times' } });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ customer: { id: a.id }, mark: { source: 'billing', reason: 'Card declined 3 times' } });
    expect((await h.api('POST', `/api/v1/customers/${a.id}/churn`, { token, body: {} })).status).toBe(409);
    // The scoped token reaches nothing else; an agent may not mark churn.
    expect((await h.api('PATCH', `/api/v1/customers/${a.id}`, { token, body: { name: 'x' } })).status).toBe(403);
    expect((await h.api('POST', `/api/v1/customers/${b.id}/churn`, { token: h.tokenFor(h.agent({ queues: ['general'] })), body: {} })).status).toBe(403);
    await markChurn(h.services, b.id, { churned: true, at: h.clock.now(), note: 'asked to cancel' }, manager);
    const metric = await h.services.store.read((tx) => churn(tx, { from, to: h.clock.now() + 1, queue: null, zone: 'UTC' }));
    expect(metric.churnedCustomerIds).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(metric.churned).toBeGreaterThanOrEqual(2);
    const marks = await h.query((q) => q.db.select().from(q.tables.customerChurnMarks).orderBy(asc(q.tables.customerChurnMarks.id)));
    expect(marks.map((m) => m.source)).toEqual(['billing', 'manual']);
    expect(start).toBeLessThan(from);
  });
});
