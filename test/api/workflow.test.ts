import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';

let h: Harness;
let alice: TestActor;
let dana: TestActor;
let chloe: TestActor;
let chloeToken: string;
let aliceToken: string;

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing'], capacity: 5 });
  dana = h.agent({ name: 'Dana', role: 'advanced', queues: ['advanced'], capacity: 5 });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  chloeToken = h.tokenFor(chloe);
  aliceToken = h.tokenFor(alice);
  // PostgreSQL: the registry is loaded by the harness's first step; PUT /rulesets reads it before any statement.
  await h.settled();
});
afterEach(() => h.close());

type Json = Record<string, any>;

async function call(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await h.api(method, url, { token, body });
  return { status: res.status, json: res.status === 204 ? {} : ((await res.json()) as Json) };
}

async function newCase(): Promise<string> {
  const { json } = await call('POST', '/api/v1/cases', chloeToken, { subject: 'Cannot find the export', description: 'Where is the CSV export?' });
  return json.id as string;
}

const transition = (id: string, token: string, body: Json) => call('POST', `/api/v1/cases/${id}/transitions`, token, body);
const message = (id: string, token: string, body: Json) => call('POST', `/api/v1/cases/${id}/messages`, token, body);
const events = async (id: string, token = ADMIN_TOKEN) => (await call('GET', `/api/v1/cases/${id}/events`, token)).json as unknown as { type: string; data: Json; actor: Json; at: string }[];

describe('transitions', () => {
  it('moves a case through the workflow and records each step', async () => {
    const id = await newCase();
    expect((await transition(id, aliceToken, { transition: 'waitOnCustomer' })).json.status).toBe('pending');
    const resolved = await transition(id, aliceToken, { transition: 'resolve', solution: 'Settings → Export.', note: 'Walked them through it' });
    expect(resolved.status).toBe(200);
    expect(resolved.json).toMatchObject({ status: 'resolved', open: false, solution: 'Settings → Export.' });
    expect(resolved.json.transitions.map((t: Json) => t.name).sort()).toEqual(['close', 'reopen']);
    const steps = (await events(id)).filter((e) => e.type === 'case.transitioned').map((e) => e.data);
    expect(steps).toEqual([
      { transition: 'start', from: 'new', to: 'open', on: 'case.assigned', after: 'Chloe' },
      { transition: 'waitOnCustomer', from: 'open', to: 'pending' },
      { transition: 'resolve', from: 'pending', to: 'resolved', solution: 'Settings → Export.', note: 'Walked them through it' },
    ]);
  });

  // On both databases (PostgreSQL keeps definition bodies as json: drizzle/pg/0002).
  it('offers the transitions in the order of the workflow file', async () => {
    const id = await newCase();
    const resolved = await transition(id, aliceToken, { transition: 'resolve', solution: 'Settings → Export.' });
    expect(resolved.json.transitions.map((t: Json) => t.name)).toEqual(['reopen', 'close']);
    const open = await call('GET', `/api/v1/cases/${id}`, aliceToken);
    expect(open.json.transitions.map((t: Json) => t.name)).toEqual(['reopen', 'close']);
  });

  it('answers 409 INVALID_TRANSITION when the workflow does not allow it now or for this role', async () => {
    const id = await newCase();
    const notNow = await transition(id, aliceToken, { transition: 'close' });
    expect(notNow).toMatchObject({ status: 409, json: { code: 'INVALID_TRANSITION', transition: 'close' } });
    const notYou = await transition(id, chloeToken, { transition: 'resolve', solution: 'x' });
    expect(notYou).toMatchObject({ status: 409, json: { code: 'INVALID_TRANSITION' } });
    const unknown = await transition(id, aliceToken, { transition: 'teleport' });
    expect(unknown.status).toBe(409);
  });

  it('asks for the solution before resolving (422, nothing changes)', async () => {
    const id = await newCase();
    const res = await transition(id, aliceToken, { transition: 'resolve' });
    expect(res).toMatchObject({ status: 422, json: { code: 'TRANSITION_REQUIREMENT_MISSING', missing: ['solution'] } });
    expect((await call('GET', `/api/v1/cases/${id}`, ADMIN_TOKEN)).json.status).toBe('open');
  });

  it('refuses a stale expectedVersion with 409 CONFLICT', async () => {
    const id = await newCase();
    const { json } = await call('GET', `/api/v1/cases/${id}`, aliceToken);
    await transition(id, aliceToken, { transition: 'waitOnCustomer', expectedVersion: json.version });
    const second = await transition(id, aliceToken, { transition: 'resume', expectedVersion: json.version });
    expect(second).toMatchObject({ status: 409, json: { code: 'CONFLICT' } });
  });

  it('lets the customer mark the case solved and reopen it; the second reopen escalates (escalation ruleset on case.reopened)', async () => {
    const id = await newCase();
    // Customers get the case in their wording (the customer projection); staff see the rest.
    expect((await transition(id, chloeToken, { transition: 'markSolved' })).json.status).toBe('Solved');
    const reopened = await transition(id, chloeToken, { transition: 'reopen' });
    expect(reopened.json).toMatchObject({ status: 'In progress', open: true });
    expect((await call('GET', `/api/v1/cases/${id}`, ADMIN_TOKEN)).json).toMatchObject({ status: 'open', reopenCount: 1, tier: 1 });
    await transition(id, chloeToken, { transition: 'markSolved' });
    const again = await transition(id, chloeToken, { transition: 'reopen' });
    expect(again.json).toMatchObject({ status: 'In progress', open: true });
    expect((await call('GET', `/api/v1/cases/${id}`, ADMIN_TOKEN)).json).toMatchObject({ status: 'escalated', reopenCount: 2, tier: 2, queue: 'advanced', assignee: { id: dana.id } });
    const escalated = (await events(id)).find((e) => e.type === 'case.escalated');
    expect(escalated?.data).toMatchObject({ reason: 'Reopened more than once', rule: 'Cases reopened twice go to advanced support', fromQueue: 'general' });
  });

  it('escalates by hand with a reason; the agent outside the new queue loses it', async () => {
    const id = await newCase();
    const res = await transition(id, aliceToken, { transition: 'escalate', reason: 'Needs a database fix' });
    expect(res.json).toMatchObject({ status: 'escalated', queue: 'advanced', tier: 2, assignee: { id: dana.id } });
    const types = (await events(id)).map((e) => e.type);
    expect(types.slice(types.indexOf('case.escalated') - 2)).toEqual(['case.transitioned', 'case.unassigned', 'case.escalated', 'case.assigned']);
    expect((await events(id)).find((e) => e.type === 'case.escalated')?.data.reason).toBe('Needs a database fix');
    expect((await call('GET', `/api/v1/cases/${id}`, aliceToken)).status).toBe(404);
  });

  it('closes resolved cases automatically after 72 hours, unless reopened', async () => {
    const a = await newCase();
    const b = await newCase();
    await transition(a, aliceToken, { transition: 'resolve', solution: 'x' });
    await transition(b, aliceToken, { transition: 'resolve', solution: 'x' });
    h.clock.advanceMinutes(60);
    await transition(b, chloeToken, { transition: 'reopen' });
    h.clock.advanceMinutes(72 * 60 - 61);
    await h.services.outbox.drain();
    expect((await call('GET', `/api/v1/cases/${a}`, ADMIN_TOKEN)).json.status).toBe('resolved');
    h.clock.advanceMinutes(2);
    await h.services.outbox.drain();
    expect((await call('GET', `/api/v1/cases/${a}`, ADMIN_TOKEN)).json.status).toBe('closed');
    expect((await call('GET', `/api/v1/cases/${b}`, ADMIN_TOKEN)).json.status).toBe('open');
    const closing = (await events(a)).find((e) => e.type === 'case.transitioned' && e.data.to === 'closed');
    expect(closing).toMatchObject({ data: { transition: 'autoClose' }, actor: { type: 'system' } });
  });
});

describe('messages', () => {
  it('records public replies and internal notes; customers see only the public conversation', async () => {
    const id = await newCase();
    const reply = await message(id, aliceToken, { body: 'Settings → Export.', public: true });
    expect(reply.status).toBe(201);
    expect(reply.json.message).toMatchObject({ type: 'staff.replied', data: { body: 'Settings → Export.' }, actor: { type: 'staff', name: 'Alice' } });
    await message(id, aliceToken, { body: 'Customer seems new', public: false });
    const staffView = (await events(id)).map((e) => e.type);
    expect(staffView).toContain('staff.noted');
    const customerView = (await events(id, chloeToken)).map((e) => e.type);
    expect(customerView).toContain('staff.replied');
    expect(customerView).not.toContain('staff.noted');
    expect(customerView).not.toContain('case.routed');
    expect((await call('GET', `/api/v1/cases/${id}`, ADMIN_TOKEN)).json.firstResponseAt).not.toBeNull();
  });

  it('puts a case waiting on the customer back into the agent’s hands when they reply', async () => {
    const id = await newCase();
    await transition(id, aliceToken, { transition: 'waitOnCustomer' });
    const res = await message(id, chloeToken, { body: 'Here are the details.' });
    expect(res.json.case.status).toBe('In progress');
    expect((await call('GET', `/api/v1/cases/${id}`, ADMIN_TOKEN)).json.status).toBe('open');
  });

  it('reopens a resolved case when the customer replies', async () => {
    const id = await newCase();
    await transition(id, aliceToken, { transition: 'resolve', solution: 'x' });
    const res = await message(id, chloeToken, { body: 'Still broken.' });
    expect(res.json.case).toMatchObject({ status: 'In progress', open: true });
    expect((await call('GET', `/api/v1/cases/${id}`, ADMIN_TOKEN)).json).toMatchObject({ status: 'open', reopenCount: 1 });
  });

  it('refuses internal notes from customers and empty bodies', async () => {
    const id = await newCase();
    expect((await message(id, chloeToken, { body: 'psst', public: false })).status).toBe(403);
    expect((await message(id, aliceToken, { body: '   ' })).status).toBe(422);
  });

  it('refuses replies on closed cases', async () => {
    const id = await newCase();
    await transition(id, aliceToken, { transition: 'resolve', solution: 'x' });
    await transition(id, aliceToken, { transition: 'close' });
    expect((await message(id, chloeToken, { body: 'hello?' })).status).toBe(409);
  });
});

describe('reassignment', () => {
  it('moves a case to another queue or agent, and back to automatic assignment', async () => {
    const bob = h.agent({ name: 'Bob', queues: ['general', 'technical'], capacity: 5 });
    const id = await newCase();
    const toBob = await call('POST', `/api/v1/cases/${id}/assignment`, aliceToken, { assignee: bob.id });
    expect(toBob.json.assignee).toEqual({ id: bob.id, name: 'Bob' });
    const moved = await call('POST', `/api/v1/cases/${id}/assignment`, ADMIN_TOKEN, { queue: 'technical' });
    expect(moved.json).toMatchObject({ queue: 'technical', assignee: { id: bob.id } });
    const billing = await call('POST', `/api/v1/cases/${id}/assignment`, ADMIN_TOKEN, { queue: 'billing' });
    expect(billing.json).toMatchObject({ queue: 'billing', assignee: { id: alice.id } });
    const outsider = await call('POST', `/api/v1/cases/${id}/assignment`, ADMIN_TOKEN, { assignee: dana.id });
    expect(outsider).toMatchObject({ status: 422, json: { code: 'STAFF_NOT_FOUND' } });
    expect((await call('POST', `/api/v1/cases/${id}/assignment`, chloeToken, { assignee: bob.id })).status).toBe(403);
    expect((await call('POST', `/api/v1/cases/${id}/assignment`, ADMIN_TOKEN, {})).status).toBe(422);
  });
});

describe('escalations decided by rules', () => {
  it('never move a case down: one in a tier-2 queue stays there when a rule escalates it to tier 1', async () => {
    const api = { all: [{ fact: 'case', path: '$.channel', operator: 'equal', value: 'api' }] };
    expect((await call('PUT', '/api/v1/rulesets/routing', ADMIN_TOKEN, { rules: [{ name: 'API to advanced', conditions: api, event: { type: 'route', params: { queue: 'advanced' } } }] })).status).toBe(200);
    const down = { name: 'API to billing', conditions: api, event: { type: 'escalate', params: { tier: 1, queue: 'billing', reason: 'billing question' } } };
    // Its example is replayed as dry-runs replay intake (dry-run-replay.ts): the same outcome, or publishing is refused.
    const example = { name: 'An API case stays in advanced', case: { subject: 'Export', description: 'Where is the export?', channel: 'api' }, expect: { queue: 'advanced', escalated: false } };
    const put = await call('PUT', '/api/v1/rulesets/escalation', ADMIN_TOKEN, { rules: [down], examples: [example] });
    expect(put).toMatchObject({ status: 200, json: { exampleResults: { passed: 1, failed: 0 } } });
    const created = await call('POST', '/api/v1/cases', ADMIN_TOKEN, { customer: { email: 'chloe@example.com' }, subject: 'Export', description: 'Where is the export?' });
    // Before: moved down to billing at tier 1, yet in the "escalated" state with case.escalated on its timeline.
    expect(created.json).toMatchObject({ queue: 'advanced', tier: 2, status: 'open', assignee: { name: 'Dana' } });
    expect((await events(created.json.id)).map((e) => e.type)).not.toContain('case.escalated');
  });
});

describe('escalations to the tier a case is at', () => {
  it('move it to the other queue of its tier as a transfer: not escalated, not in the escalated state', async () => {
    const api = { all: [{ fact: 'case', path: '$.channel', operator: 'equal', value: 'api' }] };
    const sideways = { name: 'API to billing', conditions: api, event: { type: 'escalate', params: { tier: 1, queue: 'billing', reason: 'billing question' } } };
    const example = { name: 'An API case goes to billing', case: { subject: 'Export', description: 'Where is the export?', channel: 'api' }, expect: { queue: 'billing', escalated: false } };
    const put = await call('PUT', '/api/v1/rulesets/escalation', ADMIN_TOKEN, { rules: [sideways], examples: [example] });
    expect(put).toMatchObject({ status: 200, json: { exampleResults: { passed: 1, failed: 0 } } });
    const created = await call('POST', '/api/v1/cases', ADMIN_TOKEN, { customer: { email: 'chloe@example.com' }, subject: 'Export', description: 'Where is the export?' });
    // Before: in billing at tier 1 but in the "escalated" (tier 2) state, with case.escalated on its timeline.
    expect(created.json).toMatchObject({ queue: 'billing', tier: 1, status: 'open', assignee: { name: 'Alice' } });
    const timeline = await events(created.json.id);
    expect(timeline.map((e) => e.type)).not.toContain('case.escalated');
    expect(timeline.find((e) => e.type === 'case.transferred')?.data).toMatchObject({ fromQueue: 'general', queue: 'billing', tier: 1, reason: 'rule "API to billing" at tier 1: billing question' });
  });
});

describe('rules that fail at run time', () => {
  it('do not lose the case: it goes to the fallback queue with the error on its timeline', async () => {
    const put = await call('PUT', '/api/v1/rulesets/routing', ADMIN_TOKEN, {
      rules: [
        {
          name: 'Broken at run time',
          // `in` compares with the case's tier, a number: json-rules-engine's `in` calls its indexOf(), which throws.
          conditions: { all: [{ fact: 'case', path: '$.channel', operator: 'in', value: { fact: 'case', path: '$.tier' } }] },
          event: { type: 'route', params: { queue: 'billing' } },
        },
      ],
    });
    expect(put.status).toBe(200);
    const created = await call('POST', '/api/v1/cases', chloeToken, { subject: 'Invoice', description: 'invoice' });
    expect(created.status).toBe(201);
    const { json } = await call('GET', `/api/v1/cases/${created.json.id}`, ADMIN_TOKEN);
    expect(json.queue).toBe('general');
    expect(json.routing).toMatchObject({ ruleset: 'routing', version: 2, fired: [] });
    expect(json.routing.error).toMatch(/indexOf is not a function/);
    const failed = (await events(json.id)).find((e) => e.type === 'rules.failed');
    expect(failed?.data).toMatchObject({ ruleset: 'routing', version: 2, event: 'case.created' });
  });

  it('refuse an escalation to a tier without an active queue; one whose queue went away since is a rules failure, and the case stays', async () => {
    const escalateTo = (tier: number) => ({
      rules: [
        {
          name: 'Reopened cases go up a tier',
          conditions: { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'case.reopened' }] },
          event: { type: 'escalate', params: { tier, reason: 'reopened' } },
        },
      ],
    });
    // No queue is at tier 3: every such escalation would fail, so it is not published.
    const refused = await call('PUT', '/api/v1/rulesets/escalation', ADMIN_TOKEN, escalateTo(3));
    expect(refused).toMatchObject({ status: 422, json: { code: 'INVALID_RULESET', problems: [{ path: '$.rules[0].event.params.tier', message: expect.stringMatching(/^no active queue is at tier 3/) }] } });
    expect((await call('PUT', '/api/v1/rulesets/escalation', ADMIN_TOKEN, escalateTo(2))).status).toBe(200);
    // Advanced support's only queue is deactivated after the rules were published.
    await h.query((q) => q.db.update(q.tables.queues).set({ active: false }).where(eq(q.tables.queues.id, 'advanced')));
    const id = await newCase();
    await transition(id, chloeToken, { transition: 'markSolved' });
    await transition(id, chloeToken, { transition: 'reopen' });
    expect((await call('GET', `/api/v1/cases/${id}`, ADMIN_TOKEN)).json).toMatchObject({ status: 'open', tier: 1, queue: 'general' });
    const failed = (await events(id)).filter((e) => e.type === 'rules.failed');
    expect(failed.map((e) => e.data)).toEqual([{ event: 'case.reopened', error: 'cannot escalate: No active queue at tier 2.' }]);
    expect(await h.get("SELECT count(*) AS n FROM outbox WHERE type = 'case.event' AND (failed_at IS NOT NULL OR done_at IS NULL)")).toEqual({ n: 0 });
  });
});
