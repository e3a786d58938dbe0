/**
 * Issue 9.4: mass assignment and profile rewrites. Customers never choose priority or
 * channel; transitions take only the fields they require or allow (a solution only from
 * staff); intake never overwrites a customer's profile; profile changes go through
 * `PATCH /api/v1/customers/:id` (managers, admins) and are recorded; whoever cannot see the
 * case they filed gets its reference only.
 */
import { count, eq } from 'drizzle-orm';
import { loadCase, timeline } from '../../src/cases/case-read.js';
import { driverError } from '../../src/db/store/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from './sign-in.js';

type Json = Record<string, any>;

let h: Harness;
let alice: TestActor;
let bob: TestActor;
let maria: TestActor;
let chloe: TestActor;

beforeEach(() => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing'], skills: ['refunds'] });
  bob = h.agent({ name: 'Bob', queues: ['general', 'technical'] });
  h.agent({ name: 'Dana', role: 'advanced', queues: ['advanced'], skills: ['refunds'] });
  maria = h.agent({ name: 'Maria', role: 'manager' });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe', tier: 'standard' });
});
afterEach(() => h.close());

async function call(method: string, url: string, token: string, body?: unknown) {
  const res = await h.api(method, url, { token, ...(body === undefined ? {} : { body }) });
  return { status: res.status, type: res.headers.get('Content-Type') ?? '', json: (await res.json()) as Json };
}

const caseCount = async () => (await h.query((q) => q.db.select({ n: count() }).from(q.tables.cases)))[0]!.n;
const customerRow = async (id: number) => (await h.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, id))))[0]!;
/** The database's own message refusing a statement (drizzle wraps PostgreSQL's). */
async function refusal(statement: Promise<unknown>): Promise<string> {
  const error = await statement.then(
    () => expect.fail('the statement was not refused'),
    (e: unknown) => e,
  );
  return String(driverError(error)?.message ?? (error as Error).message);
}
const customerChangeRows = () => h.query((q) => q.db.select().from(q.tables.customerChanges).orderBy(q.tables.customerChanges.id));

describe('intake: customers choose neither priority nor channel', () => {
  it('refuses priority, channel and customer from a customer token with 422 problem+json, storing nothing', async () => {
    const token = h.tokenFor(chloe);
    const res = await call('POST', '/api/v1/cases', token, { subject: 'Help', description: 'Please', priority: 'urgent', channel: 'phone', customer: { email: 'other@example.com' } });
    expect(res.status).toBe(422);
    expect(res.type).toContain('application/problem+json');
    expect(res.json).toMatchObject({ code: 'VALIDATION_FAILED', requestId: expect.any(String) });
    expect(res.json.errors.map((e: { path: string }) => e.path)).toEqual(['customer', 'priority', 'channel']);
    for (const body of [{ priority: 'low' }, { channel: 'web' }]) {
      const one = await call('POST', '/api/v1/cases', token, { subject: 'Help', description: 'Please', ...body });
      expect(one.status).toBe(422);
      expect(one.json.errors.map((e: { path: string }) => e.path)).toEqual(Object.keys(body));
    }
    expect(await caseCount()).toBe(0);
  });

  it('sets the channel by how the case came in: api for customer tokens, web for the portal', async () => {
    const created = await call('POST', '/api/v1/cases', h.tokenFor(chloe), { subject: 'Help', description: 'Please' });
    expect(created.status).toBe(201);
    expect(await loadCase(h.services, 1001)).toMatchObject({ channel: 'api', priority: 'normal', requestedPriority: 'normal' });

    // An edited portal form cannot choose either.
    const portal = await signedIn(h, chloe);
    const res = await portal.post('/portal/cases', { subject: 'Help again', description: 'Please', priority: 'urgent', channel: 'phone' });
    expect(res.status).toBe(303);
    expect(await loadCase(h.services, 1002)).toMatchObject({ channel: 'web', priority: 'normal', requestedPriority: 'normal' });
  });

  it('lets staff log how a case came in and set its priority', async () => {
    const res = await call('POST', '/api/v1/cases', h.tokenFor(alice), { customer: { email: 'chloe@example.com' }, subject: 'Phone call', description: 'Called about a question', channel: 'phone', priority: 'high' });
    expect(res.status).toBe(201);
    expect(await loadCase(h.services, 1001)).toMatchObject({ channel: 'phone', priority: 'high' });
    const api = await call('POST', '/api/v1/cases', ADMIN_TOKEN, { customer: { email: 'chloe@example.com' }, subject: 'Mail', description: 'Forwarded question' });
    expect(api.status).toBe(201);
    expect((await loadCase(h.services, 1002)).channel).toBe('api');
  });
});

describe('transitions take only the fields they require or allow', () => {
  async function openCase() {
    const res = await call('POST', '/api/v1/cases', h.tokenFor(chloe), { subject: 'Question', description: 'How do I export?' });
    return res.json.id as string;
  }

  it('refuses a customer-written solution (and note, reason) on markSolved through the API; nothing changes', async () => {
    const id = await openCase();
    const token = h.tokenFor(chloe);
    const before = await loadCase(h.services, 1001);
    for (const body of [{ solution: 'Official: it was my fault' }, { note: 'n' }, { reason: 'r' }]) {
      const res = await call('POST', `/api/v1/cases/${id}/transitions`, token, { transition: 'markSolved', ...body });
      expect(res.status).toBe(422);
      expect(res.type).toContain('application/problem+json');
      expect(res.json).toMatchObject({ code: 'TRANSITION_FIELD_NOT_ALLOWED', refused: Object.keys(body), requestId: expect.any(String) });
    }
    expect(await loadCase(h.services, 1001)).toMatchObject({ status: before.status, solution: null, version: before.version });
    const ok = await call('POST', `/api/v1/cases/${id}/transitions`, token, { transition: 'markSolved' });
    expect(ok.json).toMatchObject({ status: 'Solved', solution: null });
  });

  it('refuses a solution from an edited portal form with the re-rendered form (422)', async () => {
    const id = await openCase();
    const portal = await signedIn(h, chloe);
    const res = await portal.post(`/cases/${id}/transitions`, { transition: 'markSolved', solution: 'Official: it was my fault' }, { htmx: true });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('Only support staff record the solution');
    expect(await loadCase(h.services, 1001)).toMatchObject({ status: 'open', solution: null });
  });

  it('refuses staff fields a transition does not take', async () => {
    const id = await openCase();
    const res = await call('POST', `/api/v1/cases/${id}/transitions`, h.tokenFor(alice), { transition: 'waitOnCustomer', solution: 'x', reason: 'y' });
    expect(res).toMatchObject({ status: 422, json: { code: 'TRANSITION_FIELD_NOT_ALLOWED', refused: ['solution', 'reason'] } });
    const ok = await call('POST', `/api/v1/cases/${id}/transitions`, h.tokenFor(alice), { transition: 'waitOnCustomer', note: 'asked for the file' });
    expect(ok.json.status).toBe('pending');
  });

  it('offers the allowed note in the staff forms that ask for something anyway', async () => {
    const id = await openCase();
    const desk = await signedIn(h, alice);
    const page = await (await desk.get(`/cases/${id}`)).text();
    expect(page).toContain('id="transition-resolve-note"');
    expect(page).toContain('id="transition-escalate-note"');
    expect(page).not.toContain('id="transition-waitOnCustomer-note"');
    expect((await desk.post(`/cases/${id}/transitions`, { transition: 'resolve', solution: 'Settings → Export.', note: 'Walked them through it' })).status).toBe(303);
    expect((await timeline(h.services, 1001)).find((e) => e.type === 'case.transitioned' && e.data.to === 'resolved')?.data).toMatchObject({
      solution: 'Settings → Export.',
      note: 'Walked them through it',
    });
  });
});

describe('intake never rewrites a customer profile', () => {
  it('keeps name, tier and organization; the rules see the stored tier', async () => {
    await h.services.store.write((q) => q.db.update(q.tables.customers).set({ organization: 'Chloe Ltd' }).where(eq(q.tables.customers.id, chloe.id)));
    const res = await call('POST', '/api/v1/cases', h.tokenFor(alice), {
      customer: { email: 'CHLOE@example.com', name: 'Mallory', tier: 'enterprise', organization: 'Evil Corp' },
      subject: 'Invoice question',
      description: 'Where is my invoice?',
    });
    expect(res.status).toBe(201);
    expect(await customerRow(chloe.id)).toMatchObject({ name: 'Chloe', tier: 'standard', organization: 'Chloe Ltd' });
    // No premium SLA, no enterprise tag: routing used the stored profile.
    expect(res.json).toMatchObject({ customer: { name: 'Chloe', tier: 'standard', organization: 'Chloe Ltd' }, tier: 1, slaPolicy: 'standard' });
    expect(res.json.tags).not.toContain('enterprise');
    expect(await customerChangeRows()).toEqual([]);
  });

  it('fills empty fields only, and records who filled what', async () => {
    const sam = h.customer({ email: 'sam.jones@example.org', name: 'Sam Jones' });
    const res = await call('POST', '/api/v1/cases', h.tokenFor(alice), { customer: { email: 'sam.jones@example.org', name: 'Samantha Jones', tier: 'vip', organization: 'Jones & Co' }, subject: 'Hi', description: 'A question' });
    // Only the empty organization is filled; name and tier always have a value and stay.
    expect(await customerRow(sam.id)).toMatchObject({ name: 'Sam Jones', tier: 'standard', organization: 'Jones & Co' });
    const rows = await customerChangeRows();
    expect(rows).toEqual([
      expect.objectContaining({
        customerId: sam.id,
        via: 'intake',
        caseId: 1001,
        actorType: 'staff',
        actorId: alice.id,
        actorName: 'Alice',
        changes: { organization: { from: null, to: 'Jones & Co' } },
      }),
    ]);
    expect((await timeline(h.services, 1001)).find((e) => e.type === 'customer.updated')).toMatchObject({ actor: { name: 'Alice' }, data: { source: 'intake' } });
    expect(res.status).toBe(201);
  });

  it('answers with the reference only when the caller cannot see the case they filed', async () => {
    // Bob works general and technical; a billing case is routed away from him.
    const res = await call('POST', '/api/v1/cases', h.tokenFor(bob), { customer: { email: 'chloe@example.com' }, subject: 'Invoice', description: 'I was charged twice.' });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ id: 'C-1001' });
    expect((await loadCase(h.services, 1001)).queueId).toBe('billing');
    const seen = await call('POST', '/api/v1/cases', h.tokenFor(bob), { customer: { email: 'chloe@example.com' }, subject: 'Hello', description: 'A question' });
    expect(seen.json).toMatchObject({ id: 'C-1002', queue: 'general', customer: { email: 'chloe@example.com' } });
  });
});

describe('PATCH /api/v1/customers/:id', () => {
  it('lets managers change a profile and records who changed what from what to what', async () => {
    h.clock.advanceMinutes(5);
    const res = await call('PATCH', `/api/v1/customers/${chloe.id}`, h.tokenFor(maria), { tier: 'enterprise', organization: 'Chloe Ltd', name: 'Chloe', reason: 'Signed the enterprise contract' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id: chloe.id,
      email: 'chloe@example.com',
      name: 'Chloe',
      tier: 'enterprise',
      organization: 'Chloe Ltd',
      changes: { tier: { from: 'standard', to: 'enterprise' }, organization: { from: null, to: 'Chloe Ltd' } },
      history: [
        {
          via: 'edit',
          by: { type: 'staff', id: maria.id, name: 'Maria' },
          at: new Date(h.clock.now()).toISOString(),
          changes: { tier: { from: 'standard', to: 'enterprise' }, organization: { from: null, to: 'Chloe Ltd' } },
          reason: 'Signed the enterprise contract',
        },
      ],
    });
    expect(await customerRow(chloe.id)).toMatchObject({ tier: 'enterprise', organization: 'Chloe Ltd' });
    // The new tier counts for new cases.
    const created = await call('POST', '/api/v1/cases', h.tokenFor(chloe), { subject: 'Hello', description: 'A question' });
    expect(created.status).toBe(201);
    expect(await loadCase(h.services, 1001)).toMatchObject({ slaPolicy: 'premium' });
    // Staff see later changes on the customer's open cases; the customer does not.
    await call('PATCH', `/api/v1/customers/${chloe.id}`, ADMIN_TOKEN, { organization: null });
    expect((await timeline(h.services, 1001)).filter((e) => e.type === 'customer.updated')).toMatchObject([
      { actor: { type: 'system', name: 'admin token' }, data: { source: 'edit', changes: { organization: { from: 'Chloe Ltd', to: null } } } },
    ]);
    const seenByChloe = await h.api('GET', '/api/v1/cases/C-1001/events', { token: h.tokenFor(chloe) });
    expect(await seenByChloe.text()).not.toContain('Chloe Ltd');
    // The audit trail is append-only.
    expect(await refusal(h.run('UPDATE customer_changes SET actor_name = ?', 'someone'))).toMatch(/append-only/);
    expect(await refusal(h.run('DELETE FROM customer_changes'))).toMatch(/append-only/);
  });

  it('has a form on the staff case page for managers, refused to agents; the panel shows the history', async () => {
    await call('POST', '/api/v1/cases', h.tokenFor(chloe), { subject: 'Hello', description: 'A question' });
    const agentPage = await signedIn(h, alice);
    expect(await (await agentPage.get('/cases/C-1001')).text()).not.toContain('id="customer-form"');
    expect((await agentPage.post('/cases/C-1001/customer', { name: 'Chloe', tier: 'enterprise', organization: '' })).status).toBe(404);
    expect((await customerRow(chloe.id)).tier).toBe('standard');

    const manager = await signedIn(h, maria);
    const bad = await manager.post('/cases/C-1001/customer', { name: '', tier: 'not a tier!', organization: '' }, { htmx: true });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('HX-Retarget')).toBe('#customer-form');
    const ok = await manager.post('/cases/C-1001/customer', { name: 'Chloe', tier: 'enterprise', organization: 'Chloe Ltd', reason: 'Contract signed' });
    expect(ok.status).toBe(303);
    expect(await customerRow(chloe.id)).toMatchObject({ name: 'Chloe', tier: 'enterprise', organization: 'Chloe Ltd' });
    const page = await (await manager.get('/cases/C-1001')).text();
    expect(page).toContain('id="customer-form"');
    expect(page).toContain('Maria changed tier standard → enterprise; organization — → Chloe Ltd');
    expect(page).toContain('(Contract signed)');
  });

  it('is for managers and admins only, and validates the body', async () => {
    for (const token of [h.tokenFor(alice), h.tokenFor(chloe)]) {
      expect((await call('PATCH', `/api/v1/customers/${chloe.id}`, token, { tier: 'enterprise' })).status).toBe(403);
    }
    expect((await customerRow(chloe.id)).tier).toBe('standard');
    expect((await call('PATCH', `/api/v1/customers/${chloe.id}`, ADMIN_TOKEN, { tier: 'gold' })).status).toBe(200);
    expect((await call('PATCH', '/api/v1/customers/99999', ADMIN_TOKEN, { tier: 'gold' })).status).toBe(404);
    expect((await call('PATCH', `/api/v1/customers/${chloe.id}`, ADMIN_TOKEN, {})).status).toBe(422);
    expect((await call('PATCH', `/api/v1/customers/${chloe.id}`, ADMIN_TOKEN, { tier: 'not a tier!' })).status).toBe(422);
    // `email` is a profile field now (test/pages/phone-cases.test.ts); what is not one stays refused.
    expect((await call('PATCH', `/api/v1/customers/${chloe.id}`, ADMIN_TOKEN, { passwordHash: 'x' })).status).toBe(422);
  });
});
