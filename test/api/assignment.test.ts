/**
 * `POST /api/v1/cases/:id/assignment`: capacity is a limit only a manager's explicit
 * override may pass (recorded as such), and a move to a higher tier is an escalation.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCase } from '../../src/cases/case-read.js';
import { escalations } from '../../src/dashboard/over-time.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';

let h: Harness;
let alice: TestActor;
let bob: TestActor;
let dana: TestActor;
let mia: TestActor;
let chloeToken: string;
let aliceToken: string;
let miaToken: string;

beforeEach(() => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing'], capacity: 5 });
  bob = h.agent({ name: 'Bob', queues: ['general'], capacity: 1 });
  dana = h.agent({ name: 'Dana', role: 'advanced', queues: ['advanced'], capacity: 5 });
  mia = h.agent({ name: 'Mia', role: 'manager', queues: [] });
  chloeToken = h.tokenFor(h.customer({ email: 'chloe@example.com', name: 'Chloe' }));
  aliceToken = h.tokenFor(alice);
  miaToken = h.tokenFor(mia);
});
afterEach(() => h.close());

type Json = Record<string, any>;

async function call(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await h.api(method, url, { token, body });
  return { status: res.status, json: (await res.json()) as Json };
}

async function newCase(subject = 'Cannot find the export'): Promise<string> {
  const { json } = await call('POST', '/api/v1/cases', chloeToken, { subject, description: 'Where is the CSV export?' });
  return json.id as string;
}

const assign = (id: string, token: string, body: Json) => call('POST', `/api/v1/cases/${id}/assignment`, token, body);
const events = async (id: string) => (await call('GET', `/api/v1/cases/${id}/events`, ADMIN_TOKEN)).json as unknown as { type: string; data: Json; actor: Json }[];
const numeric = (ref: string) => Number(ref.slice(2));

/** Bob (capacity 1) gets one case; a second case is Alice's. */
async function bobIsFull(): Promise<string> {
  const first = await newCase('First');
  if ((await call('GET', `/api/v1/cases/${first}`, ADMIN_TOKEN)).json.assignee?.id !== bob.id) {
    expect((await assign(first, aliceToken, { assignee: bob.id })).status).toBe(200);
  }
  const second = await newCase('Second');
  expect((await call('GET', `/api/v1/cases/${second}`, ADMIN_TOKEN)).json.assignee).toEqual({ id: alice.id, name: 'Alice' });
  return second;
}

describe('capacity', () => {
  it('refuses an agent assigning a colleague beyond capacity (409 CAPACITY_EXCEEDED), even with the override flag', async () => {
    const id = await bobIsFull();
    const refused = await assign(id, aliceToken, { assignee: bob.id });
    expect(refused).toMatchObject({ status: 409, json: { code: 'CAPACITY_EXCEEDED', load: 1, capacity: 1, assignee: bob.id } });
    expect(refused.json.detail).toBe('Bob is at capacity (1 of 1 open cases); only a manager can assign beyond capacity.');
    expect(typeof refused.json.requestId).toBe('string');
    const flagged = await assign(id, aliceToken, { assignee: bob.id, overrideCapacity: true });
    expect(flagged).toMatchObject({ status: 409, json: { code: 'CAPACITY_EXCEEDED' } });
    expect((await loadCase(h.services, numeric(id))).assigneeId).toBe(alice.id);
    expect((await events(id)).filter((e) => e.type === 'case.assigned')).toHaveLength(1);
  });

  it('a manager must say so explicitly; the override is recorded with who made it', async () => {
    const id = await bobIsFull();
    const implicit = await assign(id, miaToken, { assignee: bob.id });
    expect(implicit).toMatchObject({ status: 409, json: { code: 'CAPACITY_EXCEEDED' } });
    expect(implicit.json.detail).toContain('choose "override capacity"');

    const done = await assign(id, miaToken, { assignee: bob.id, overrideCapacity: true, reason: 'Bob knows this customer' });
    expect(done).toMatchObject({ status: 200, json: { assignee: { id: bob.id, name: 'Bob' } } });
    const assigned = (await events(id)).filter((e) => e.type === 'case.assigned').at(-1)!;
    expect(assigned.actor).toMatchObject({ name: 'Mia' });
    expect(assigned.data).toMatchObject({
      assigneeId: bob.id,
      reason: 'Bob knows this customer',
      capacityOverride: { by: 'Mia', byId: mia.id, load: 2, capacity: 1 },
    });
  });

  it('needs no override while the agent has room, and records none', async () => {
    const id = await newCase();
    const res = await assign(id, aliceToken, { assignee: bob.id });
    expect(res.status).toBe(200);
    const assigned = (await events(id)).filter((e) => e.type === 'case.assigned').at(-1)!;
    expect(assigned.data.assigneeId).toBe(bob.id);
    expect(assigned.data.capacityOverride).toBeUndefined();
  });

  it('the admin token may override too', async () => {
    const id = await bobIsFull();
    expect((await assign(id, ADMIN_TOKEN, { assignee: bob.id, overrideCapacity: true })).status).toBe(200);
    expect((await loadCase(h.services, numeric(id))).assigneeId).toBe(bob.id);
    const assigned = (await events(id)).filter((e) => e.type === 'case.assigned').at(-1)!;
    expect(assigned.data.capacityOverride).toMatchObject({ by: 'admin token', byId: null, load: 2, capacity: 1 });
  });
});

describe('moving a case to a higher tier', () => {
  it('without a reason is refused (422) and changes nothing', async () => {
    const id = await newCase();
    const before = await loadCase(h.services, numeric(id));
    const res = await assign(id, aliceToken, { queue: 'advanced' });
    expect(res).toMatchObject({ status: 422, json: { code: 'TRANSITION_REQUIREMENT_MISSING', missing: ['reason'], queue: 'advanced', tier: 2 } });
    expect(res.json.detail).toContain('is an escalation: give a reason');
    expect(await loadCase(h.services, numeric(id))).toMatchObject({ queueId: 'general', tier: 1, status: before.status, version: before.version, escalationCount: 0 });
    expect((await events(id)).map((e) => e.type)).not.toContain('case.transferred');
  });

  it('with a reason is an escalation: case.escalated, the escalated state, counted, reassigned in tier 2', async () => {
    const id = await newCase();
    const res = await assign(id, aliceToken, { queue: 'advanced', reason: 'Needs a database fix' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ queue: 'advanced', tier: 2, status: 'escalated', assignee: { id: dana.id } });
    const types = (await events(id)).map((e) => e.type);
    expect(types).not.toContain('case.transferred');
    const escalated = (await events(id)).find((e) => e.type === 'case.escalated')!;
    expect(escalated.data).toMatchObject({ fromQueue: 'general', fromTier: 1, queue: 'advanced', tier: 2, reason: 'Needs a database fix' });
    expect(escalated.actor).toMatchObject({ name: 'Alice' });
    expect((await loadCase(h.services, numeric(id))).escalationCount).toBe(1);
    const now = h.clock.now();
    const series = await h.services.store.read((tx) => escalations(tx, { from: now - 86_400_000, to: now + 86_400_000, queue: null, zone: 'UTC' }));
    expect(series.caseIds.flat()).toEqual([numeric(id)]);
  });

  it('moves within the tier or down stay transfers', async () => {
    const id = await newCase();
    const res = await assign(id, aliceToken, { queue: 'billing' });
    expect(res).toMatchObject({ status: 200, json: { queue: 'billing', tier: 1, status: 'open' } });
    expect((await events(id)).map((e) => e.type)).toContain('case.transferred');
    expect((await loadCase(h.services, numeric(id))).escalationCount).toBe(0);
  });
});
