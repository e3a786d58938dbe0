/**
 * Compiled rules run intake and escalation; `RULES_ENGINE=reference` (the `rulesEngine`
 * service option) makes json-rules-engine run them instead. Both desks take the same requests
 * and must end up with the same cases and the same timelines (what fired, with which version).
 */
import { Engine } from 'json-rules-engine';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import type { RulesEngine } from '../../src/rules/run-ruleset.js';
import { DEMO_PROBLEMS } from '../../src/seed/seed-demo.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';

type Json = Record<string, any>;

const REQUESTS: [string, string, string][] = [
  ['Refund for a double charge', 'My card was charged twice for the March invoice, please refund.', 'pat@example.com'],
  ['Outage since 9:00', 'Production is down for all users.', 'ops@acme.example'],
  ['API key rejected', 'Every call returns an exception.', 'dev@example.com'],
  ['Rapid growth plan', 'Which plan fits a team that grows fast?', 'pat@example.com'],
  ['Cannot log in', 'The password reset link expired.', 'boss@acme.example'],
];

async function desk(rulesEngine: RulesEngine): Promise<Harness> {
  const h = createHarness({ services: { rulesEngine } });
  standardQueues(h);
  h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], skills: ['refunds', 'api'] });
  h.agent({ name: 'Dana', role: 'advanced', queues: ['advanced'] });
  h.customer({ email: 'boss@acme.example', name: 'Boss', tier: 'enterprise', organization: 'Acme' });
  const now = h.clock.now();
  await h.services.store.write((q) => q.db.insert(q.tables.problems).values(DEMO_PROBLEMS.map((p) => ({ ...p, createdAt: now, updatedAt: now }))));
  return h;
}

/** Takes every request, then reopens and breaches nothing: what intake alone decided, case and timeline. */
async function intake(h: Harness): Promise<Json[]> {
  const out: Json[] = [];
  for (const [subject, description, email] of REQUESTS) {
    const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email }, subject, description, priority: email.startsWith('boss') ? 'urgent' : undefined } });
    expect(res.status).toBe(201);
    const view = (await res.json()) as Json;
    // Mail (a notification's timeline entry) is the background's: both desks read it once done.
    await h.services.outbox.idle();
    const events = (await (await h.api('GET', `/api/v1/cases/${view.id}/events`, { token: ADMIN_TOKEN })).json()) as Json[];
    const { createdAt: _c, updatedAt: _u, sla, ...rest } = view;
    out.push({ ...rest, sla: (sla as Json[]).map((t) => [t.metric, t.policy, t.dueAt]), events: events.map((e) => [e.type, e.data]) });
  }
  return out;
}

let desks: Harness[] = [];
afterEach(() => {
  for (const h of desks) h.close();
  desks = [];
  vi.restoreAllMocks();
});

describe('the rules engine that runs intake', () => {
  it('decides every intake exactly as json-rules-engine, which compiled rules replace', async () => {
    const run = vi.spyOn(Engine.prototype, 'run');
    const compiled = await desk('compiled');
    desks.push(compiled);
    const byCompiled = await intake(compiled);
    expect(run).not.toHaveBeenCalled();
    expect(compiled.services.definitions.ruleset('routing').fast).not.toBeNull();

    const reference = await desk('reference');
    desks.push(reference);
    const byReference = await intake(reference);
    expect(run).toHaveBeenCalledTimes(REQUESTS.length * 2); // routing and escalation, every intake

    expect(byCompiled).toEqual(byReference);
    // The requests do reach the rules: billing, an escalation to tier 2, a solution offered.
    expect(byCompiled.map((c) => c.queue)).toEqual(['billing', 'advanced', 'technical', 'general', 'advanced']);
    expect(byCompiled.flatMap((c) => c.events.map((e: [string]) => e[0]))).toEqual(expect.arrayContaining(['case.escalated', 'case.solutionOffered', 'rules.evaluated']));
  });
});

describe('a ruleset run after one that routes the case', () => {
  // Routing sends outages to advanced support, a tier-2 queue; the escalation rules then judge
  // the case by its tier. Routing moves the case to the queue's tier, so the rules after it must
  // see tier 2 (docs/rules.md: "each ruleset sees the decisions of the ones before it").
  const routing = {
    rules: [{ name: 'Outages to advanced support', conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'textHasWord', value: 'outage' }] }, event: { type: 'route', params: { queue: 'advanced' } } }],
  };
  const escalation = {
    rules: [
      { name: 'Seen at tier 1', conditions: { all: [{ fact: 'case', path: '$.tier', operator: 'equal', value: 1 }] }, event: { type: 'addTags', params: { tags: ['seen-tier-1'] } } },
      { name: 'Seen at tier 2', conditions: { all: [{ fact: 'case', path: '$.tier', operator: 'equal', value: 2 }] }, event: { type: 'addTags', params: { tags: ['seen-tier-2'] } } },
      {
        name: 'Enterprise below tier 2 escalates',
        conditions: { all: [{ fact: 'case', path: '$.tier', operator: 'lessThan', value: 2 }, { fact: 'customer', path: '$.tier', operator: 'equal', value: 'enterprise' }] },
        event: { type: 'escalate', params: { tier: 2, queue: 'advanced', reason: 'Enterprise' } },
      },
    ],
  };

  for (const engine of ['compiled', 'reference'] as const) {
    it(`sees the routed queue's tier (${engine})`, async () => {
      const h = await desk(engine);
      desks.push(h);
      expect((await h.api('PUT', '/api/v1/rulesets/escalation', { token: ADMIN_TOKEN, body: escalation })).status).toBe(200);
      expect((await h.api('PUT', '/api/v1/rulesets/routing', { token: ADMIN_TOKEN, body: routing })).status).toBe(200);
      const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'boss@acme.example' }, subject: 'Outage in Berlin', description: 'Nothing loads.' } });
      expect(res.status).toBe(201);
      const view = (await res.json()) as Json;
      expect(view).toMatchObject({ queue: 'advanced', tier: 2, tags: ['seen-tier-2'] });
      await h.services.outbox.idle();
      const events = (await (await h.api('GET', `/api/v1/cases/${view.id}/events`, { token: ADMIN_TOKEN })).json()) as Json[];
      const evaluated = events.find((e) => e.type === 'rules.evaluated' && e.data.ruleset === 'escalation')!;
      expect(evaluated.data.fired.map((f: Json) => f.rule)).toEqual(['Seen at tier 2']);
      // A tier-1 case is judged at tier 1, and escalated.
      const plain = (await (await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'boss@acme.example' }, subject: 'A question', description: 'About invoices.' } })).json()) as Json;
      expect(plain).toMatchObject({ queue: 'advanced', tier: 2, tags: ['seen-tier-1'] });
    });
  }

  it('sees it on a later event too (a workflow that runs both rulesets on a staff note)', async () => {
    const h = await desk('compiled');
    desks.push(h);
    const workflow = structuredClone(h.services.definitions.workflow('support').definition);
    workflow.triggers = { ...workflow.triggers, 'staff.noted': ['routing', 'escalation'] };
    await h.services.store.write((q) => h.services.definitions.createVersion(q, 'workflow', 'support', workflow, { state: 'published', now: h.clock.now() }));
    await h.services.definitions.refresh();
    const onNote = { fact: 'event', path: '$.type', operator: 'equal', value: 'staff.noted' };
    const later = { rules: [{ ...routing.rules[0]!, conditions: { all: [onNote, { fact: 'event', path: '$.body', operator: 'textHasWord', value: 'outage' }] } }] };
    const tagsOnNote = { rules: escalation.rules.slice(0, 2).map((r) => ({ ...r, conditions: { all: [onNote, ...r.conditions.all] } })) };
    expect((await h.api('PUT', '/api/v1/rulesets/escalation', { token: ADMIN_TOKEN, body: tagsOnNote })).status).toBe(200);
    expect((await h.api('PUT', '/api/v1/rulesets/routing', { token: ADMIN_TOKEN, body: later })).status).toBe(200);
    const view = (await (await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'pat@example.com' }, subject: 'A question', description: 'About invoices.' } })).json()) as Json;
    expect(view).toMatchObject({ queue: 'general', tier: 1, tags: [] });
    expect((await h.api('POST', `/api/v1/cases/${view.id}/messages`, { token: ADMIN_TOKEN, body: { body: 'This is an outage after all.', public: false } })).status).toBe(201);
    await h.services.outbox.idle();
    const after = (await (await h.api('GET', `/api/v1/cases/${view.id}`, { token: ADMIN_TOKEN })).json()) as Json;
    expect(after).toMatchObject({ queue: 'advanced', tier: 2, tags: ['seen-tier-2'] });
  });

  it('is replayed so by the examples (and dry-runs) of the rules', async () => {
    const h = await desk('compiled');
    desks.push(h);
    expect((await h.api('PUT', '/api/v1/rulesets/escalation', { token: ADMIN_TOKEN, body: escalation })).status).toBe(200);
    const example = { name: 'An enterprise outage', case: { subject: 'Outage in Berlin', description: 'Nothing loads.', customer: { tier: 'enterprise' } }, expect: { queue: 'advanced', tags: ['seen-tier-2'], escalated: false } };
    const res = await h.api('PUT', '/api/v1/rulesets/routing', { token: ADMIN_TOKEN, body: { ...routing, examples: [example] } });
    const body = (await res.json()) as Json;
    expect(body.exampleResults ?? body.examples, JSON.stringify(body)).toMatchObject({ passed: 1, failed: 0 });
    expect(res.status).toBe(200);
  });
});

describe('the first ruleset of a case that comes in at a tier-2 queue', () => {
  // A mailbox or chat site whose default queue is advanced support (tier 2) files its cases
  // there unless a ruleset routes them: the rules must see them at that tier from the start.
  const routing = {
    rules: [
      { name: 'Seen at tier 1', conditions: { all: [{ fact: 'case', path: '$.tier', operator: 'equal', value: 1 }] }, event: { type: 'addTags', params: { tags: ['seen-tier-1'] } } },
      { name: 'Seen at tier 2', conditions: { all: [{ fact: 'case', path: '$.tier', operator: 'equal', value: 2 }] }, event: { type: 'addTags', params: { tags: ['seen-tier-2'] } } },
    ],
  };
  const SYSTEM = { type: 'system' as const, id: null, role: 'admin' as const, name: 'mailbox' };

  for (const engine of ['compiled', 'reference'] as const) {
    it(`sees the default queue's tier (${engine})`, async () => {
      const h = await desk(engine);
      desks.push(h);
      expect((await h.api('PUT', '/api/v1/rulesets/routing', { token: ADMIN_TOKEN, body: routing })).status).toBe(200);
      const advanced = await createCase(h.services, { customer: { email: 'pat@example.com' }, subject: 'Question', description: 'Where is it?' }, SYSTEM, { defaultQueue: 'advanced' });
      expect(advanced).toMatchObject({ queueId: 'advanced', tier: 2, tags: ['seen-tier-2'] });
      const general = await createCase(h.services, { customer: { email: 'pat@example.com' }, subject: 'Question', description: 'Where is it?' }, SYSTEM);
      expect(general).toMatchObject({ queueId: 'general', tier: 1, tags: ['seen-tier-1'] });
      // A default queue that is not active: the case goes to general, at its tier.
      await h.run("UPDATE queues SET active = FALSE WHERE id = 'billing'");
      const fallback = await createCase(h.services, { customer: { email: 'pat@example.com' }, subject: 'Question', description: 'Where is it?' }, SYSTEM, { defaultQueue: 'billing' });
      expect(fallback).toMatchObject({ queueId: 'general', tier: 1, tags: ['seen-tier-1'] });
    });
  }

  it('is replayed so by the examples (and dry-runs) of the rules', async () => {
    const h = await desk('compiled');
    desks.push(h);
    const example = { name: 'Mail to advanced support', case: { subject: 'Question', description: 'Where is it?', defaultQueue: 'advanced' }, expect: { queue: 'advanced', tags: ['seen-tier-2'] } };
    const res = await h.api('PUT', '/api/v1/rulesets/routing', { token: ADMIN_TOKEN, body: { ...routing, examples: [example] } });
    const body = (await res.json()) as Json;
    expect(body.exampleResults ?? body.examples, JSON.stringify(body)).toMatchObject({ passed: 1, failed: 0 });
    expect(res.status).toBe(200);
  });
});
