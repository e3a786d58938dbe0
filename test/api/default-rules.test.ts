/**
 * The shipped routing and escalation rules (rules/*.json) on real requests through the
 * API: whole words, not parts of words, decide the queue and the priority; a known
 * problem gets its solution offered; an unknown technical problem goes to advanced support.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_PROBLEMS } from '../../src/seed/seed-demo.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;
beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], skills: ['refunds'] });
  h.agent({ name: 'Dana', role: 'advanced', queues: ['advanced'] });
  const now = h.clock.now();
  await h.services.store.write((q) => q.db.insert(q.tables.problems).values(DEMO_PROBLEMS.map((p) => ({ ...p, createdAt: now, updatedAt: now }))));
});
afterEach(() => h.close());

type Json = Record<string, any>;

async function create(subject: string, description: string): Promise<Json> {
  const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'chloe@example.com', name: 'Chloe' }, subject, description } });
  expect(res.status).toBe(201);
  return (await res.json()) as Json;
}

async function eventTypes(id: string): Promise<string[]> {
  const res = await h.api('GET', `/api/v1/cases/${id}/events`, { token: ADMIN_TOKEN });
  return ((await res.json()) as Json[]).map((e) => e.type as string);
}

describe('default routing rules', () => {
  it.each([
    ['How do I download my receipt?', 'Where can I find it?', 'billing', 'normal'],
    ['Rapid growth plan', 'Which plan fits a team that grows fast?', 'general', 'normal'],
    ['Site is down', 'Nobody can work.', 'general', 'urgent'],
    ['Outage since 9:00', 'Production is down for all users.', 'advanced', 'urgent'],
    ['Two charges on my card', 'Please check.', 'billing', 'normal'],
    ['Question', 'My payments failed again.', 'billing', 'normal'],
    ['Discharge form', 'Where do I send the discharge form?', 'general', 'normal'],
    ['Erreur de synchronisation', 'Mon calendrier ne se synchronise plus.', 'general', 'normal'],
  ])('%j: %j → queue %s, priority %s', async (subject, description, queue, priority) => {
    expect(await create(subject, description)).toMatchObject({ queue, priority });
  });

  it('sends technical words to technical, whole words only', async () => {
    const api = await create('API key rejected', 'Every call returns an exception.');
    expect(api.routing.fired.map((f: Json) => f.rule)).toContain('Technical problems go to technical');
    const rapid = await create('Rapid onboarding', 'Capital letters in my name look odd.');
    expect(rapid.routing.fired.map((f: Json) => f.rule)).not.toContain('Technical problems go to technical');
  });
});

describe('default escalation rules', () => {
  it('offer a known problem its solution, and leave the case with first line', async () => {
    const billed = await create('Billed 2 times', 'I was billed 2 times for March.');
    expect(billed).toMatchObject({ queue: 'billing', tier: 1, status: 'open' });
    expect(await eventTypes(billed.id)).toContain('case.solutionOffered');
    const locked = await create('Locked out of my account', 'Locked out of my account since this morning.');
    expect(locked.tags).toContain('known-problem');
    expect(await eventTypes(locked.id)).toContain('case.solutionOffered');
  });

  it('send an unknown technical problem to advanced support, whatever its priority', async () => {
    const unknown = await create('App crash on start', 'It shows error 0x80 and closes.');
    expect(unknown).toMatchObject({ priority: 'normal', queue: 'advanced', tier: 2, status: 'escalated' });
    expect(await eventTypes(unknown.id)).not.toContain('case.solutionOffered');
    // A known technical problem stays with first line and is offered its solution.
    const known = await create('API returns 401 unauthorized', 'The api key is rejected with 401 unauthorized.');
    expect(known).toMatchObject({ queue: 'technical', tier: 1 });
    expect(await eventTypes(known.id)).toContain('case.solutionOffered');
  });
});

describe('POST /api/v1/cases/:id/offered-solution', () => {
  it('lets the customer answer the offer: solved resolves the case with the offered solution', async () => {
    const chloe = h.customer({ email: 'chloe.api@example.com', name: 'Chloe' });
    const token = h.tokenFor(chloe);
    const created = (await (await h.api('POST', '/api/v1/cases', { token, body: { subject: 'Billed 2 times', description: 'I was billed 2 times for March.' } })).json()) as Json;
    const url = `/api/v1/cases/${created.id}/offered-solution`;
    const bad = await h.api('POST', url, { token, body: { answer: 'maybe' } });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('Content-Type')).toContain('application/problem+json');
    const staffTry = await h.api('POST', url, { token: ADMIN_TOKEN, body: { answer: 'solved' } });
    expect(((await staffTry.json()) as Json).code).toBe('FORBIDDEN');
    const res = await h.api('POST', url, { token, body: { answer: 'solved' } });
    expect(res.status).toBe(200);
    const json = (await res.json()) as Json;
    expect(json).toMatchObject({ status: 'Solved', statusCategory: 'resolved', offer: { answer: 'solved' } });
    expect(json.solution).toContain('pending authorisation');
    const again = await h.api('POST', url, { token, body: { answer: 'notSolved' } });
    expect(again.status).toBe(409);
    expect(((await again.json()) as Json).code).toBe('NO_SOLUTION_OFFERED');
  });
});
