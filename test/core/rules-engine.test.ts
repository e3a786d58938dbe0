/**
 * Compiled rules run intake and escalation; `RULES_ENGINE=reference` (the `rulesEngine`
 * service option) makes json-rules-engine run them instead. Both desks take the same requests
 * and must end up with the same cases and the same timelines (what fired, with which version).
 */
import { Engine } from 'json-rules-engine';
import { afterEach, describe, expect, it, vi } from 'vitest';
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
