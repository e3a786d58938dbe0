/**
 * Issue 9.2: customers see one projection of a case — the same in the API, the portal and
 * every mail — and nothing internal. Field by field: the exact set of keys a customer token
 * receives from every API route that returns case data, and no internal value (notes,
 * transition reasons, routing, tags, skills, SLA, queue, tier, assignee) anywhere a customer
 * looks: API answers, portal pages and fragments, mails.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMailer, type Mailer } from '../../src/notifications/mailer.js';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { ADMIN, createHarness, loadRepoDefinitions, ROOT, standardQueues, tempDir, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from './sign-in.js';
import { startSmtp, type Inbox } from '../support/smtp.js';

type Json = Record<string, any>;

/** Strings only staff may ever see. */
const SECRETS = [
  'customer flagged as fraud risk',
  'INTERNAL-NOTE-7731',
  'TRANSITION-NOTE-5512',
  'WAIT-NOTE-9921',
  'RESOLVE-NOTE-4410',
  'billing',
  'advanced',
  'enterprise',
  'premium',
  'refunds',
  'Dana',
  'Escalated',
  'Pending customer',
  'waitOnCustomer',
  'escalate',
  'routing',
];

const CASE_KEYS = ['closedAt', 'createdAt', 'description', 'id', 'mergedInto', 'offer', 'open', 'rating', 'resolvedAt', 'solution', 'status', 'statusCategory', 'subject', 'transitions', 'updatedAt'];
const SUMMARY_KEYS = ['createdAt', 'id', 'open', 'status', 'statusCategory', 'subject', 'updatedAt'];
const EVENT_KEYS: Record<string, string[]> = {
  'case.created': ['at', 'id', 'type'],
  'customer.replied': ['at', 'author', 'body', 'id', 'type'],
  'staff.replied': ['at', 'author', 'body', 'id', 'type'],
  'case.transitioned': ['at', 'id', 'status', 'type'],
  'case.rated': ['at', 'comment', 'id', 'satisfied', 'type'],
  'case.subject_changed': ['at', 'id', 'subject', 'type'],
};

const keys = (o: object) => Object.keys(o).sort();

function expectNoSecrets(where: string, text: string) {
  for (const secret of SECRETS) expect(text.includes(secret), `${where} contains "${secret}"`).toBe(false);
}

/** The default workflow (which mails case-resolved on resolve), plus mails to the customer (by target and by address) and to managers. */
function notifyingDefinitions() {
  const dir = tempDir();
  const workflow = JSON.parse(fs.readFileSync(path.join(ROOT, 'workflows/support.json'), 'utf8'));
  workflow.states.escalated.onEnter = [
    ...workflow.states.escalated.onEnter,
    { action: 'notify', to: 'customer', template: 'case-escalated' },
    { action: 'notify', to: 'chloe@example.com', template: 'sla-breached' },
    { action: 'notify', to: 'managers', template: 'case-escalated' },
  ];
  workflow.states.pending.onEnter = [{ action: 'notify', to: 'customer', template: 'sla-warning' }];
  // `resolve` mails the customer case-resolved in the default workflow itself.
  fs.writeFileSync(path.join(dir, 'support.json'), JSON.stringify(workflow));
  return loadRepoDefinitions({ workflowsDir: dir });
}

let smtp: Inbox;
let mailer: Mailer;
let h: Harness;
let chloe: TestActor;
let chloeToken: string;
let aliceToken: string;
let danaToken: string;
let dana: TestActor;

beforeEach(async () => {
  smtp = await startSmtp();
  mailer = createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@example.com>');
  h = createHarness({ files: notifyingDefinitions(), services: { mailer, publicUrl: 'http://localhost' } });
  standardQueues(h);
  const alice = h.agent({ name: 'Alice', queues: ['general', 'billing'], skills: ['refunds'] });
  dana = h.agent({ name: 'Dana', role: 'advanced', queues: ['advanced'], skills: ['refunds'] });
  h.agent({ name: 'Maria', email: 'maria@casebook.test', role: 'manager' });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe', tier: 'enterprise', organization: 'Chloe Ltd' });
  chloeToken = h.tokenFor(chloe);
  aliceToken = h.tokenFor(alice);
  danaToken = h.tokenFor(dana);
});
afterEach(async () => {
  h.close();
  mailer.close();
  await smtp.close();
});

/**
 * Sends what is queued: after the drain the request kicked (on PostgreSQL it runs beside the
 * test, and a drain of the test's own would skip the items it holds), whatever is left.
 */
async function sendMail() {
  await h.services.outbox.idle();
  await h.services.outbox.drain();
}

async function call(method: string, url: string, token: string, body?: unknown) {
  const res = await h.api(method, url, { token, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as Json };
}

describe('the customer projection', () => {
  it('gives a customer token the same fixed set of fields from every case route, and no internal value', async () => {
    const outputs: [string, string][] = [];
    const seen = (where: string, text: string) => outputs.push([where, text]);

    const created = await call('POST', '/api/v1/cases', chloeToken, { subject: 'Invoice question', description: 'I was charged twice this month.' });
    expect(created.status).toBe(201);
    expect(keys(created.json)).toEqual(CASE_KEYS);
    expect(created.json).toMatchObject({ status: 'In progress', statusCategory: 'open', open: true, solution: null, rating: null, transitions: [{ name: 'markSolved', label: 'Mark as solved' }] });
    seen('POST /cases', created.text);
    const id = created.json.id as string;
    // Staff see where it went: routing, tags, skills, SLA.
    const staffView = (await call('GET', `/api/v1/cases/${id}`, aliceToken)).json;
    expect(staffView).toMatchObject({ queue: 'billing', skills: ['refunds'], slaPolicy: 'premium' });

    await call('POST', `/api/v1/cases/${id}/messages`, aliceToken, { body: 'We are looking into it.' });
    await call('POST', `/api/v1/cases/${id}/messages`, aliceToken, { body: 'INTERNAL-NOTE-7731', public: false });
    const escalated = await call('POST', `/api/v1/cases/${id}/transitions`, aliceToken, { transition: 'escalate', reason: 'customer flagged as fraud risk', note: 'TRANSITION-NOTE-5512' });
    expect(escalated.json).toMatchObject({ status: 'escalated', queue: 'advanced', assignee: { name: 'Dana' } });
    await call('POST', `/api/v1/cases/${id}/transitions`, danaToken, { transition: 'waitOnCustomer', note: 'WAIT-NOTE-9921' });

    const replied = await call('POST', `/api/v1/cases/${id}/messages`, chloeToken, { body: 'Here are the details.' });
    expect(replied.status).toBe(201);
    expect(keys(replied.json)).toEqual(['case', 'message']);
    expect(keys(replied.json.case)).toEqual(CASE_KEYS);
    expect(keys(replied.json.message)).toEqual(EVENT_KEYS['customer.replied']);
    expect(replied.json.message).toMatchObject({ type: 'customer.replied', body: 'Here are the details.', author: { type: 'customer', name: 'Chloe', you: true } });
    seen('POST /messages', replied.text);

    await call('POST', `/api/v1/cases/${id}/transitions`, danaToken, { transition: 'resolve', solution: 'We refunded the duplicate charge.', note: 'RESOLVE-NOTE-4410' });
    const portal = await signedIn(h, chloe);
    expect((await portal.post(`/cases/${id}/rating`, { satisfied: 'yes', comment: 'Quick, thanks' })).status).toBe(303);

    const read = await call('GET', `/api/v1/cases/${id}`, chloeToken);
    expect(keys(read.json)).toEqual(CASE_KEYS);
    expect(read.json).toMatchObject({
      status: 'Solved',
      statusCategory: 'resolved',
      open: false,
      solution: 'We refunded the duplicate charge.',
      rating: { satisfied: true, comment: 'Quick, thanks' },
      transitions: [{ name: 'reopen', label: 'Reopen' }],
    });
    expect(keys(read.json.rating)).toEqual(['comment', 'ratedAt', 'satisfied']);
    seen('GET /cases/:id', read.text);

    const list = await call('GET', '/api/v1/cases', chloeToken);
    expect(keys(list.json)).toEqual(['items', 'nextCursor']);
    expect(list.json.items).toHaveLength(1);
    expect(keys(list.json.items[0])).toEqual(SUMMARY_KEYS);
    expect(list.json.items[0]).toMatchObject({ id, status: 'Solved', statusCategory: 'resolved', open: false });
    seen('GET /cases', list.text);
    // Filters on internals would reveal where the case is: refused for customers.
    for (const query of ['queue=billing', 'status=resolved', 'assignee=none']) {
      const filtered = await call('GET', `/api/v1/cases?${query}`, chloeToken);
      expect(filtered.status, query).toBe(422);
      expect(filtered.json).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: query.split('=')[0] }] });
    }

    const events = await call('GET', `/api/v1/cases/${id}/events`, chloeToken);
    seen('GET /events', events.text);
    const entries = events.json as unknown as Json[];
    for (const e of entries) {
      const expected = e.type === 'case.transitioned' && e.solution !== undefined ? [...EVENT_KEYS[e.type]!, 'solution'].sort() : EVENT_KEYS[e.type];
      expect(keys(e), e.type).toEqual(expected);
      if (e.author) expect(keys(e.author)).toEqual(['name', 'type', 'you']);
    }
    expect(entries.map((e) => [e.type, e.status ?? e.body ?? e.comment ?? null])).toEqual([
      ['case.created', null],
      ['case.transitioned', 'In progress'],
      ['staff.replied', 'We are looking into it.'],
      ['case.transitioned', 'Waiting for your reply'],
      ['customer.replied', 'Here are the details.'],
      ['case.transitioned', 'In progress'],
      ['case.transitioned', 'Solved'],
      ['case.rated', 'Quick, thanks'],
    ]);
    expect(entries[6]).toMatchObject({ solution: 'We refunded the duplicate charge.' });
    expect(entries[2]!.author).toEqual({ type: 'staff', name: 'Alice', you: false });

    const reopened = await call('POST', `/api/v1/cases/${id}/transitions`, chloeToken, { transition: 'reopen' });
    expect(reopened.status).toBe(200);
    expect(keys(reopened.json)).toEqual(CASE_KEYS);
    expect(reopened.json).toMatchObject({ status: 'In progress', open: true });
    seen('POST /transitions', reopened.text);

    for (const [where, text] of outputs) expectNoSecrets(where, text);
    // The staff timeline still has everything.
    const staffEvents = (await call('GET', `/api/v1/cases/${id}/events`, danaToken)).text;
    for (const secret of ['customer flagged as fraud risk', 'INTERNAL-NOTE-7731', 'TRANSITION-NOTE-5512', 'RESOLVE-NOTE-4410']) expect(staffEvents).toContain(secret);
  });

  it('renders the portal (page, live fragment, list) from the projection only', async () => {
    const created = await call('POST', '/api/v1/cases', chloeToken, { subject: 'Invoice question', description: 'I was charged twice this month.' });
    const id = created.json.id as string;
    await call('POST', `/api/v1/cases/${id}/messages`, aliceToken, { body: 'INTERNAL-NOTE-7731', public: false });
    await call('POST', `/api/v1/cases/${id}/transitions`, aliceToken, { transition: 'escalate', reason: 'customer flagged as fraud risk', note: 'TRANSITION-NOTE-5512' });
    await call('POST', `/api/v1/cases/${id}/transitions`, danaToken, { transition: 'waitOnCustomer', note: 'WAIT-NOTE-9921' });

    const portal = await signedIn(h, chloe);
    const pageRes = await portal.get(`/cases/${id}`);
    const page = await pageRes.text();
    expect(pageRes.status, page).toBe(200);
    expect(page).toContain('Waiting for your reply');
    expect(page).toContain('I was charged twice this month.');
    expectNoSecrets('portal page', page);
    const live = await portal.get(`/cases/${id}/live?stamp=stale`, { htmx: true });
    expect(live.status).toBe(200);
    expectNoSecrets('live fragment', await live.text());
    const fragment = await (await portal.get(`/cases/${id}`, { htmx: true })).text();
    expectNoSecrets('page fragment', fragment);
    const list = await (await portal.get('/portal')).text();
    expect(list).toContain('Waiting for your reply');
    expectNoSecrets('portal list', list);

    // Staff still see the internals on the workspace.
    const desk = await (await (await signedIn(h, dana)).get(`/cases/${id}`)).text();
    expect(desk).toContain('customer flagged as fraud risk');
  });

  describe('moves for the customer only with what they can see (issue: internal work woke the poll and moved updatedAt)', () => {
    /** Everything of the case a customer sees with a time in it: the API's case and list, the portal list's last update. */
    async function customerSide(id: string, portal: Awaited<ReturnType<typeof signedIn>>) {
      const list = await (await portal.get('/portal')).text();
      const row = new RegExp(`href="/cases/${id}"[\\s\\S]*?<time datetime="([^"]+)"`).exec(list);
      return {
        case: (await call('GET', `/api/v1/cases/${id}`, chloeToken)).json,
        list: (await call('GET', '/api/v1/cases', chloeToken)).json,
        portalLastUpdate: row?.[1] ?? null,
        portalOrder: [...list.matchAll(/<a href="\/cases\/(C-\d+)">/g)].map((m) => m[1]),
      };
    }

    async function openCase(subject = 'Invoice question') {
      const created = await call('POST', '/api/v1/cases', chloeToken, { subject, description: 'I was charged twice this month.' });
      expect(created.status).toBe(201);
      return created.json.id as string;
    }

    const stampOf = (html: string) => /live\?stamp=([a-f0-9-]+)/.exec(html)![1]!;

    /** Staff work the customer must not learn of, even by when it happened: each on a fresh case, some minutes after the last customer-visible change. */
    const internal: [string, (id: string) => Promise<void>][] = [
      ['an internal note', async (id) => expect((await call('POST', `/api/v1/cases/${id}/messages`, aliceToken, { body: 'INTERNAL-NOTE-7731', public: false })).status).toBe(201)],
      ['a priority change', async (id) => expect((await call('PATCH', `/api/v1/cases/${id}`, aliceToken, { priority: 'urgent' })).status).toBe(200)],
      ['a tag', async (id) => expect((await call('PATCH', `/api/v1/cases/${id}`, aliceToken, { tags: ['fraud-watch'] })).status).toBe(200)],
      [
        'a move to another queue',
        async (id) => {
          h.agent({ name: 'Tomasz', email: 'tomasz@casebook.test', queues: ['technical'] });
          expect((await call('POST', `/api/v1/cases/${id}/assignment`, h.tokenFor(ADMIN), { queue: 'technical', assignee: null })).status).toBe(200);
        },
      ],
      [
        'a reassignment',
        async (id) => {
          const robert = h.agent({ name: 'Robert', email: 'robert@casebook.test', queues: ['billing'], skills: ['refunds'] });
          const moved = await call('POST', `/api/v1/cases/${id}/assignment`, aliceToken, { assignee: robert.id });
          expect(moved.json).toMatchObject({ assignee: { name: 'Robert' } });
        },
      ],
      ['an escalation to a state the customer sees as the same', async (id) => expect((await call('POST', `/api/v1/cases/${id}/transitions`, aliceToken, { transition: 'escalate', reason: 'customer flagged as fraud risk' })).status).toBe(200)],
      [
        'an SLA warning and breach (and the escalation and reassignment the rules make of it)',
        async (id) => {
          // Premium, normal: a first response within 2 h, warned 15 min before.
          h.clock.advanceMinutes(100);
          await runSlaSweep(h.services);
          h.clock.advanceMinutes(20);
          await runSlaSweep(h.services);
          // Escalated to advanced support and Dana by the rules: out of Alice's queues.
          const types = ((await call('GET', `/api/v1/cases/${id}/events`, h.tokenFor(ADMIN))).json as unknown as Json[]).map((e) => e.type);
          expect(types).toEqual(expect.arrayContaining(['sla.warning', 'sla.breached', 'case.escalated', 'case.assigned']));
        },
      ],
    ];

    it.each(internal)('%s: the live poll stays quiet and no time the customer sees moves', async (_what, act) => {
      const id = await openCase();
      const portal = await signedIn(h, chloe);
      const stamp = stampOf(await (await portal.get(`/cases/${id}`)).text());
      const before = await customerSide(id, portal);
      expect(before.portalLastUpdate).toBe(before.case.updatedAt);
      h.clock.advanceMinutes(7);
      await act(id);
      h.clock.advanceMinutes(1);
      expect((await portal.get(`/cases/${id}/live?stamp=${stamp}`, { htmx: true })).status).toBe(204);
      expect(await customerSide(id, portal)).toEqual(before);
    });

    it('moves with a public reply, a status the customer sees change, a new subject and their rating', async () => {
      const id = await openCase();
      const portal = await signedIn(h, chloe);
      let stamp = stampOf(await (await portal.get(`/cases/${id}`)).text());
      const visible: [string, () => Promise<unknown>][] = [
        ['a public reply', () => call('POST', `/api/v1/cases/${id}/messages`, aliceToken, { body: 'We are on it.' })],
        ['waiting on the customer', () => call('POST', `/api/v1/cases/${id}/transitions`, aliceToken, { transition: 'waitOnCustomer', note: 'WAIT-NOTE-9921' })],
        ['their reply', () => call('POST', `/api/v1/cases/${id}/messages`, chloeToken, { body: 'Here are the details.' })],
        ['a new subject', () => call('PATCH', `/api/v1/cases/${id}`, aliceToken, { subject: 'Duplicate charge in March' })],
        ['the solution', () => call('POST', `/api/v1/cases/${id}/transitions`, aliceToken, { transition: 'resolve', solution: 'We refunded the duplicate charge.' })],
        ['their rating', () => portal.post(`/cases/${id}/rating`, { satisfied: 'yes', comment: 'Quick, thanks' })],
      ];
      for (const [what, act] of visible) {
        h.clock.advanceMinutes(7);
        expect((await act() as { status: number }).status, what).toBeLessThan(400);
        const at = new Date(h.clock.now()).toISOString();
        h.clock.advanceMinutes(1);
        const live = await portal.get(`/cases/${id}/live?stamp=${stamp}`, { htmx: true });
        expect(live.status, what).toBe(200);
        expectNoSecrets(`live fragment after ${what}`, await live.text());
        const side = await customerSide(id, portal);
        expect([side.case.updatedAt, side.list.items[0].updatedAt, side.portalLastUpdate], what).toEqual([at, at, at]);
        stamp = stampOf(await (await portal.get(`/cases/${id}`)).text());
      }
    });

    it('keeps the portal list in the order of what the customer saw happen, whatever staff did since', async () => {
      const older = await openCase('Older question');
      h.clock.advanceMinutes(5);
      const newer = await openCase('Newer question');
      const portal = await signedIn(h, chloe);
      expect((await customerSide(older, portal)).portalOrder).toEqual([newer, older]);
      h.clock.advanceMinutes(5);
      await call('POST', `/api/v1/cases/${older}/messages`, aliceToken, { body: 'INTERNAL-NOTE-7731', public: false });
      await call('PATCH', `/api/v1/cases/${older}`, aliceToken, { priority: 'urgent', tags: ['fraud-watch'] });
      expect((await customerSide(older, portal)).portalOrder).toEqual([newer, older]);
      h.clock.advanceMinutes(5);
      await call('POST', `/api/v1/cases/${older}/messages`, aliceToken, { body: 'Refund on its way.' });
      expect((await customerSide(older, portal)).portalOrder).toEqual([older, newer]);
    });
  });

  it('mails the customer the projection only, whatever template a workflow or rule names', async () => {
    const created = await call('POST', '/api/v1/cases', chloeToken, { subject: 'Invoice question', description: 'I was charged twice this month.' });
    const id = created.json.id as string;
    // Mail is written when it is sent: send after each step.
    await call('POST', `/api/v1/cases/${id}/transitions`, aliceToken, { transition: 'escalate', reason: 'customer flagged as fraud risk', note: 'TRANSITION-NOTE-5512' });
    await sendMail();
    await call('POST', `/api/v1/cases/${id}/transitions`, danaToken, { transition: 'waitOnCustomer', note: 'WAIT-NOTE-9921' });
    await sendMail();
    await call('POST', `/api/v1/cases/${id}/transitions`, danaToken, { transition: 'resolve', solution: 'We refunded the duplicate charge.', note: 'RESOLVE-NOTE-4410' });
    await sendMail();

    const toChloe = smtp.messages.filter((m) => m.to.includes('chloe@example.com'));
    // case-escalated and sla-breached (by address) on escalation, sla-warning on pending, case-resolved.
    expect(toChloe).toHaveLength(4);
    for (const m of toChloe) expectNoSecrets(`mail "${m.mail.subject}"`, `${m.mail.subject}\n${m.mail.text}`);
    expect(toChloe.map((m) => m.mail.subject)).toEqual([
      `[${id}] Update on your request: Invoice question`,
      `[${id}] Update on your request: Invoice question`,
      `[${id}] Update on your request: Invoice question`,
      `[${id}] Resolved: Invoice question`,
    ]);
    expect(toChloe[0]!.mail.text).toContain('is now: In progress.');
    expect(toChloe[2]!.mail.text).toContain('is now: Waiting for your reply.');
    expect(toChloe[3]!.mail.text).toContain('We refunded the duplicate charge.');
    // Staff mails keep their detail.
    const toManagers = smtp.messages.filter((m) => m.to.includes('maria@casebook.test'));
    expect(toManagers).toHaveLength(1);
    expect(toManagers[0]!.mail.text).toContain('Reason: customer flagged as fraud risk');
  });

  it('shows none of the workspace’s edits, notes and mentions: only a new subject (issue 13)', async () => {
    const created = await call('POST', '/api/v1/cases', chloeToken, { subject: 'Invoice question', description: 'I was charged twice this month.' });
    const id = created.json.id as string;
    h.agent({ name: 'Bob', email: 'bob@casebook.test', queues: ['billing'] });
    const edited = await call('PATCH', `/api/v1/cases/${id}`, aliceToken, { priority: 'urgent', tags: ['fraud-watch'], subject: 'Duplicate charge in March' });
    expect(edited.status).toBe(200);
    await call('POST', `/api/v1/cases/${id}/messages`, aliceToken, { body: 'INTERNAL-NOTE-7731 @bob please check', public: false });
    const portal = await signedIn(h, chloe);
    const page = await (await portal.get(`/cases/${id}`)).text();
    expect(page).toContain('Subject changed to “Duplicate charge in March”');
    await call('POST', `/api/v1/cases/${id}/messages`, aliceToken, { body: 'We refunded the duplicate charge.', transition: 'resolve' });
    await sendMail();

    const read = await call('GET', `/api/v1/cases/${id}`, chloeToken);
    expect(keys(read.json)).toEqual(CASE_KEYS);
    expect(read.json).toMatchObject({ subject: 'Duplicate charge in March', status: 'Solved', solution: 'We refunded the duplicate charge.' });
    const events = await call('GET', `/api/v1/cases/${id}/events`, chloeToken);
    for (const e of events.json as unknown as Json[]) {
      const expected = e.type === 'case.transitioned' && e.solution !== undefined ? [...EVENT_KEYS[e.type]!, 'solution'].sort() : EVENT_KEYS[e.type];
      expect(keys(e), e.type).toEqual(expected);
    }
    expect((events.json as unknown as Json[]).map((e) => e.type)).toEqual(['case.created', 'case.transitioned', 'case.subject_changed', 'staff.replied', 'case.transitioned']);
    const mails = smtp.messages.filter((m) => m.to.includes('chloe@example.com'));
    expect(mails.length).toBeGreaterThan(0);
    const fresh = await (await portal.get(`/cases/${id}`)).text();
    const live = await (await portal.get(`/cases/${id}/live?stamp=stale`, { htmx: true })).text();
    const internal = ['urgent', 'fraud-watch', 'INTERNAL-NOTE-7731', '@bob', 'mentioned', 'Bob'];
    for (const [where, text] of [
      ['GET /cases/:id', read.text],
      ['GET /events', events.text],
      ['portal page', fresh],
      ['live fragment', live],
      ...mails.map((m) => [`mail "${m.mail.subject}"`, `${m.mail.subject}\n${m.mail.text}`]),
    ] as [string, string][]) {
      expectNoSecrets(where, text);
      for (const secret of internal) expect(text.includes(secret), `${where} contains "${secret}"`).toBe(false);
    }
    // Bob, who may see the case, was mailed about the mention.
    expect(smtp.messages.filter((m) => m.to.includes('bob@casebook.test')).map((m) => m.mail.subject)).toEqual([`[${id}] Alice mentioned you: Duplicate charge in March`]);
  });
});
