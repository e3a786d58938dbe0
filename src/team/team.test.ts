/** The team verbs: queues, staff, the problem library and churn marks. */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { principalForToken } from '../auth/api-tokens.js';
import { createSession, findSession } from '../auth/sessions.js';
import { createCase } from '../cases/create-case.js';
import { findPasswordToken, issuePasswordLink } from '../users/password-tokens.js';
import { customers } from '../db/schema/index.js';
import { searchProblems } from '../diagnosis/search-problems.js';
import { DomainError, ValidationError } from '../errors.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../../test/support/harness.js';
import { churnHistory, markChurn, searchCustomers } from './churn.js';
import { createProblem, listProblems, setProblemActive, updateProblem } from './problems.js';
import { createQueue, deactivateQueue, definitionsUsingQueue, listQueues, reactivateQueue, updateQueue } from './queues.js';
import { deactivateStaff, reactivateStaff } from './staff-active.js';
import { createStaffMember, listStaff, memberships, updateStaff, type UpdateStaffInput } from './staff.js';

let h: Harness;
let mia: TestActor;
let alice: TestActor;
let chloe: TestActor;

beforeEach(() => {
  h = createHarness();
  standardQueues(h);
  mia = h.agent({ name: 'Mia', role: 'manager' });
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing'], capacity: 5 });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
});
afterEach(() => h.close());

async function caught(fn: () => unknown): Promise<DomainError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

const issues = async (fn: () => unknown) => ((await caught(fn)) as ValidationError).issues;

async function newCase(subject = 'Display name', description = 'How do I change my display name?') {
  return (await createCase(h.services, { subject, description }, chloe, { customerId: chloe.id })).id;
}

const caseRow = (id: number) => h.db.$client.prepare('SELECT queue_id AS queue, assignee_id AS assignee, waiting_since AS waiting FROM cases WHERE id = ?').get(id) as { queue: string; assignee: number | null; waiting: number | null };
const events = (id: number, type: string) =>
  (h.db.$client.prepare('SELECT data FROM case_events WHERE case_id = ? AND type = ? ORDER BY id').all(id, type) as { data: string }[]).map((r) => JSON.parse(r.data) as Record<string, unknown>);

describe('queues', () => {
  it('creates a queue with a unique slug; validation errors name the field', async () => {
    const row = await createQueue(h.services, { id: 'returns', name: 'Returns', description: 'Parcels coming back', tier: 1 }, mia);
    expect(row).toMatchObject({ id: 'returns', name: 'Returns', tier: 1, active: true });
    expect((await issues(async () => createQueue(h.services, { id: 'returns', name: 'Again', tier: 1 }, mia)))).toEqual([{ path: 'id', message: 'a queue "returns" already exists' }]);
    expect((await issues(async () => createQueue(h.services, { id: 'Bad Id', name: '', tier: 3 }, mia))).map((i) => i.path)).toEqual(['id', 'name', 'tier']);
  });

  it('only managers and admins change the team', async () => {
    expect((await caught(async () => createQueue(h.services, { id: 'x', name: 'X', tier: 1 }, alice))).code).toBe('FORBIDDEN');
  });

  it('edits name and description; the tier only without open cases, general stays tier 1, tier 2 only without plain agents', async () => {
    expect((await updateQueue(h.services, 'billing', { name: 'Billing & invoices', description: 'Money', tier: 1 }, mia))).toMatchObject({ name: 'Billing & invoices', description: 'Money' });
    expect((await issues(async () => updateQueue(h.services, 'general', { name: 'General', tier: 2 }, mia)))[0]!.message).toContain('stays tier 1');
    expect((await issues(async () => updateQueue(h.services, 'billing', { name: 'Billing', tier: 2 }, mia)))[0]!.message).toBe('only advanced agents work tier-2 queues; remove Alice from this queue first');
    h.queue('returns');
    h.agent({ name: 'Rita', role: 'advanced', queues: ['returns'] });
    const id = await newCase();
    h.db.$client.prepare("UPDATE cases SET queue_id = 'returns' WHERE id = ?").run(id);
    expect((await issues(async () => updateQueue(h.services, 'returns', { name: 'Returns', tier: 2 }, mia)))[0]!.message).toBe('1 open case is in this queue; move or resolve them before changing its tier');
    h.db.$client.prepare("UPDATE cases SET queue_id = 'general' WHERE id = ?").run(id);
    expect((await updateQueue(h.services, 'returns', { name: 'Returns', tier: 2 }, mia)).tier).toBe(2);
    expect((await caught(async () => updateQueue(h.services, 'nope', { name: 'N', tier: 1 }, mia))).code).toBe('NOT_FOUND');
  });

  it('never deactivates general; a queue with open cases needs a target, and its cases move there', async () => {
    expect((await caught(async () => deactivateQueue(h.services, 'general', {}, mia))).code).toBe('CONFLICT');
    const bob = h.agent({ name: 'Bob', queues: ['technical'] });
    const id = await newCase('Invoice question', 'Where is my invoice?');
    expect(caseRow(id)).toMatchObject({ queue: 'billing', assignee: alice.id });
    expect((await issues(async () => deactivateQueue(h.services, 'billing', {}, mia)))).toEqual([{ path: 'moveTo', message: '1 open case is in this queue: choose a queue to move it to' }]);
    expect((await issues(async () => deactivateQueue(h.services, 'billing', { moveTo: 'billing' }, mia)))[0]!.path).toBe('moveTo');
    expect((await deactivateQueue(h.services, 'billing', { moveTo: 'technical' }, mia))).toMatchObject({ moved: 1, queue: { active: false } });
    expect(caseRow(id)).toMatchObject({ queue: 'technical', assignee: bob.id });
    expect(events(id, 'case.transferred')).toEqual([{ fromQueue: 'billing', queue: 'technical', tier: 1, reason: 'queue billing deactivated by Mia' }]);
    // Routing to the inactive queue falls back to general; memberships stay for a reactivation.
    const later = await newCase('Invoice again', 'Another invoice question');
    expect(caseRow(later).queue).toBe('general');
    expect(await memberships(h.services, alice.id)).toEqual(['billing', 'general']);
    expect((await reactivateQueue(h.services, 'billing', mia)).active).toBe(true);
    expect((await listQueues(h.services)).map((q) => [q.id, q.openCases, q.members])).toEqual([
      ['advanced', 0, 0],
      ['billing', 0, 1],
      ['general', 1, 1],
      ['technical', 1, 1],
    ]);
  });

  it('lists the published rules and workflow actions that send cases to a queue', () => {
    expect(definitionsUsingQueue(h.services, 'billing')).toEqual([{ definition: 'ruleset routing', where: 'rule "Billing questions go to billing"' }]);
    expect(definitionsUsingQueue(h.services, 'advanced').map((u) => `${u.definition}: ${u.where}`)).toEqual([
      'ruleset escalation: rule "Urgent enterprise cases go straight to advanced support"',
      'ruleset escalation: rule "Undiagnosed technical problems go to advanced support"',
      'ruleset escalation: rule "Breached SLAs go to advanced support"',
      'ruleset escalation: rule "Cases reopened twice go to advanced support"',
      'workflow support: transition "escalate"',
    ]);
  });
});

describe('staff', () => {
  const edit = (over: Partial<UpdateStaffInput> = {}): UpdateStaffInput => ({ name: 'Alice', role: 'agent', skills: [], capacity: 5, queues: ['general', 'billing'], available: true, ...over });

  it('edits name, role, skills, capacity and queues; plain agents stay out of tier-2 queues', async () => {
    const r = await updateStaff(h.services, alice.id, edit({ name: 'Alice A.', skills: ['refunds', 'refunds', 'vat'], capacity: 8, queues: ['general'] }), mia);
    expect(r.staff).toMatchObject({ name: 'Alice A.', skills: ['refunds', 'vat'], capacity: 8 });
    expect(r.queues).toEqual(['general']);
    expect((await issues(async () => updateStaff(h.services, alice.id, edit({ queues: ['advanced'] }), mia)))).toEqual([{ path: 'queues', message: '"advanced" is a tier-2 queue; only advanced agents work there' }]);
    expect((await issues(async () => updateStaff(h.services, alice.id, edit({ queues: ['nowhere'] }), mia)))).toEqual([{ path: 'queues', message: 'no active queue "nowhere"' }]);
    expect((await updateStaff(h.services, alice.id, edit({ role: 'advanced', queues: ['advanced', 'general'] }), mia)).queues).toEqual(['advanced', 'general']);
    expect((await issues(async () => updateStaff(h.services, alice.id, edit({ role: 'agent', queues: ['advanced'] }), mia)))[0]!.path).toBe('queues');
    expect((await issues(async () => updateStaff(h.services, alice.id, edit({ capacity: -1, name: '' }), mia))).map((i) => i.path)).toEqual(['name', 'capacity']);
  });

  it('only admins grant or change the admin role; nobody changes their own role', async () => {
    const root = h.agent({ name: 'Root', role: 'admin' });
    expect((await issues(async () => updateStaff(h.services, alice.id, edit({ role: 'admin' }), mia)))).toEqual([{ path: 'role', message: 'only admins can grant the admin role' }]);
    expect((await caught(async () => updateStaff(h.services, root.id, edit({ name: 'Root', role: 'admin', queues: [] }), mia))).code).toBe('FORBIDDEN');
    expect((await caught(() => deactivateStaff(h.services, root.id, mia))).code).toBe('FORBIDDEN');
    expect((await updateStaff(h.services, alice.id, edit({ role: 'manager' }), root)).staff.role).toBe('manager');
    expect((await issues(async () => updateStaff(h.services, mia.id, edit({ name: 'Mia', role: 'agent', queues: [] }), mia)))).toEqual([{ path: 'role', message: 'you cannot change your own role' }]);
  });

  it('leaving a queue hands its cases back to automatic assignment; more capacity takes waiting cases', async () => {
    const bob = h.agent({ name: 'Bob', queues: ['billing'], capacity: 0 });
    const invoice = await newCase('Invoice question', 'Where is my invoice?');
    const general = await newCase();
    expect(caseRow(invoice).assignee).toBe(alice.id);
    const r = await updateStaff(h.services, alice.id, edit({ queues: ['general'] }), mia);
    expect(r.released).toBe(1);
    expect(caseRow(invoice)).toMatchObject({ assignee: null }); // Bob has no capacity: it waits
    expect(caseRow(invoice).waiting).not.toBeNull();
    expect(caseRow(general).assignee).toBe(alice.id);
    expect(events(invoice, 'case.unassigned')).toEqual([{ previousAssigneeId: alice.id, reason: 'Alice no longer works this queue' }]);
    const more = await updateStaff(h.services, bob.id, { name: 'Bob', role: 'agent', skills: [], capacity: 3, queues: ['billing'], available: true }, mia);
    expect(more.assigned).toBe(1);
    expect(caseRow(invoice).assignee).toBe(bob.id);
  });

  it('becoming available takes waiting cases; deactivating releases open cases, refuses yourself, and reactivated staff start away', async () => {
    await updateStaff(h.services, alice.id, edit({ available: false }), mia);
    const id = await newCase();
    expect(caseRow(id).assignee).toBeNull();
    expect((await updateStaff(h.services, alice.id, edit({ available: true }), mia)).assigned).toBe(1);
    expect(caseRow(id).assignee).toBe(alice.id);

    const gina = h.agent({ name: 'Gina', queues: ['general'] });
    const r = await deactivateStaff(h.services, alice.id, mia);
    expect(r).toMatchObject({ released: 1, reassigned: 1, staff: { active: false, available: false } });
    expect(caseRow(id).assignee).toBe(gina.id);
    expect(events(id, 'case.unassigned')).toEqual([{ previousAssigneeId: alice.id, reason: 'Alice was deactivated' }]);
    expect((await caught(async () => updateStaff(h.services, alice.id, edit(), mia))).code).toBe('CONFLICT');
    expect((await caught(() => deactivateStaff(h.services, mia.id, mia))).code).toBe('CONFLICT');
    expect(await reactivateStaff(h.services, alice.id, mia)).toMatchObject({ active: true, available: false });
    expect((await listStaff(h.services)).map((s) => [s.name, s.active, s.queues, s.load])).toEqual([
      ['Alice', true, ['billing', 'general'], 0],
      ['Gina', true, ['general'], 1],
      ['Mia', true, [], 0],
    ]);
  });

  it('deactivating ends sessions, revokes API tokens and set-password links; reactivation restores none of them', async () => {
    const session = await h.services.store.write((q) => createSession(q, { type: 'staff', id: alice.id }, h.clock.now()));
    const token = h.tokenFor(alice);
    const link = new URL((await issuePasswordLink(h.services, 'agent2@casebook.test')).url).searchParams.get('token')!;
    expect(await h.services.store.write((q) => findSession(q, session.id, h.clock.now()))).not.toBeNull();
    expect(await deactivateStaff(h.services, alice.id, mia)).toMatchObject({ sessionsEnded: 1, tokensRevoked: 1 });
    await reactivateStaff(h.services, alice.id, mia);
    expect(await h.services.store.write((q) => findSession(q, session.id, h.clock.now()))).toBeNull();
    expect(await h.services.store.write((q) => principalForToken(q, token, h.clock.now()))).toBeNull();
    expect(await h.services.store.write((q) => findPasswordToken(q, link, h.clock.now()))).toBeNull();
    const res = await h.api('GET', '/api/v1/cases', { token });
    expect(res.status).toBe(401);
  });

  it('creates staff with a one-time link; only admins create admins', async () => {
    const created = await createStaffMember(h.services, { email: 'nia@casebook.test', name: 'Nia', role: 'agent', queues: ['general'], skills: ['vat'], capacity: 4 }, mia);
    expect(created).toMatchObject({ role: 'agent', queues: ['general'], capacity: 4, available: false });
    expect(created.setPassword?.url).toMatch(/\/set-password\?token=/);
    await expect(createStaffMember(h.services, { email: 'x@casebook.test', name: 'X', role: 'admin' }, mia)).rejects.toMatchObject({ issues: [{ path: 'role' }] });
    await expect(createStaffMember(h.services, { email: 'y@casebook.test', name: 'Y', role: 'customer' }, mia)).rejects.toMatchObject({ issues: [{ path: 'role' }] });
  });
});

describe('the problem library', () => {
  it('creates, edits (the search index follows), deactivates and reactivates entries', async () => {
    const p = await createProblem(h.services, { title: 'Printer jams', symptoms: 'paper stuck in the tray', solution: 'Open the rear flap.' }, mia);
    expect(searchProblems(h.db, 'my paper is stuck in the tray').map((m) => m.problemId)).toEqual([p.id]);
    await updateProblem(h.services, p.id, { title: 'Scanner stripes', symptoms: 'vertical stripes on scans', solution: 'Clean the glass.' }, mia);
    expect(searchProblems(h.db, 'paper stuck in the tray')).toEqual([]);
    expect(searchProblems(h.db, 'stripes on my scans').map((m) => m.title)).toEqual(['Scanner stripes']);
    expect((await setProblemActive(h.services, p.id, false, mia)).active).toBe(false);
    expect(searchProblems(h.db, 'stripes on my scans')).toEqual([]);
    await setProblemActive(h.services, p.id, true, mia);
    expect(searchProblems(h.db, 'stripes on my scans')).toHaveLength(1);
    await expect(createProblem(h.services, { title: ' ', symptoms: '', solution: 'x' }, mia)).rejects.toMatchObject({ issues: [{ path: 'title' }, { path: 'symptoms' }] });
    await expect(updateProblem(h.services, 999, { title: 'a', symptoms: 'b', solution: 'c' }, mia)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await createProblem(h.services, { title: '100% CPU_usage', symptoms: 'fan loud', solution: 'Close tabs.' }, mia);
    expect((await listProblems(h.services, '100%')).map((r) => r.title)).toEqual(['100% CPU_usage']);
    expect((await listProblems(h.services, '_')).map((r) => r.title)).toEqual(['100% CPU_usage']);
    expect((await listProblems(h.services)).map((r) => r.title)).toEqual(['100% CPU_usage', 'Scanner stripes']);
  });
});

describe('churn marks', async () => {
  it('marks and un-marks with a date and note; churned_at mirrors the current state', async () => {
    const t0 = h.clock.now();
    h.clock.advanceMinutes(60);
    const marked = await markChurn(h.services, chloe.id, { churned: true, at: t0, note: 'cancelled' }, mia);
    expect(marked.churnedAt).toBe(t0);
    expect((await caught(() => markChurn(h.services, chloe.id, { churned: true, at: t0 }, mia))).code).toBe('CONFLICT');
    expect((await issues(() => markChurn(h.services, chloe.id, { churned: false, at: t0 - 1 }, mia)))[0]!.path).toBe('at');
    expect((await issues(() => markChurn(h.services, chloe.id, { churned: false, at: h.clock.now() + 1 }, mia)))).toEqual([{ path: 'at', message: 'cannot be in the future' }]);
    expect((await markChurn(h.services, chloe.id, { churned: false, at: h.clock.now(), note: '' }, mia)).churnedAt).toBeNull();
    expect((await churnHistory(h.services, chloe.id)).map((m) => [m.churned, m.note, m.actorId])).toEqual([
      [false, null, mia.id],
      [true, 'cancelled', mia.id],
    ]);
    expect((await caught(() => markChurn(h.services, chloe.id, { churned: false, at: h.clock.now() }, mia))).code).toBe('CONFLICT');
    expect((await caught(() => markChurn(h.services, 999, { churned: true, at: t0 }, mia))).code).toBe('NOT_FOUND');
    expect(h.db.select({ c: customers.churnedAt }).from(customers).where(eq(customers.id, chloe.id)).get()).toEqual({ c: null });
  });

  it('searches customers by name, email or organization', async () => {
    h.customer({ email: 'erin@acme.example', name: 'Erin', organization: 'Acme' });
    expect((await searchCustomers(h.services, { q: 'acme' })).map((c) => c.name)).toEqual(['Erin']);
    expect((await searchCustomers(h.services, { q: 'CHLOE' })).map((c) => c.email)).toEqual(['chloe@example.com']);
    expect((await searchCustomers(h.services)).map((c) => c.name)).toEqual(['Chloe', 'Erin']);
    await markChurn(h.services, chloe.id, { churned: true, at: h.clock.now() }, mia);
    expect((await searchCustomers(h.services, { churnedOnly: true })).map((c) => c.name)).toEqual(['Chloe']);
  });
});

