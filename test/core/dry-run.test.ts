import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCase, type CreateCaseInput } from '../../src/cases/create-case.js';
import type { RulesetDefinition } from '../../src/rules/definition.js';
import { dryRun, type Outcome } from '../../src/rules/dry-run.js';
import { ADMIN, createHarness, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
  standardQueues(h);
  h.agent({ queues: ['general', 'billing', 'technical'], capacity: 100 });
  h.agent({ role: 'advanced', queues: ['advanced'], capacity: 100 });
});
afterEach(() => h.close());

const INPUTS: CreateCaseInput[] = [
  { customer: { email: 'a@example.com' }, subject: 'Invoice wrong', description: 'The invoice total is wrong' },
  { customer: { email: 'b@example.com' }, subject: 'Refund', description: 'I was charged twice, please refund' },
  { customer: { email: 'c@example.com' }, subject: 'Login error', description: 'I get an error when I log in' },
  { customer: { email: 'd@acme.example', tier: 'enterprise' }, subject: 'Outage', description: 'production is down for all users', priority: 'high' },
  { customer: { email: 'e@example.com' }, subject: 'Hello', description: 'Just a question about the product' },
  { customer: { email: 'f@acme.example', tier: 'enterprise' }, subject: 'Invoice copy', description: 'Please send a copy of the invoice' },
  { customer: { email: 'g@example.com' }, subject: 'Payment failed', description: 'My payment failed at checkout', priority: 'low' },
  { customer: { email: 'h@example.com' }, subject: 'Sync broken', description: 'The calendar is not syncing' },
];

async function intake(): Promise<number[]> {
  const ids: number[] = [];
  for (const input of INPUTS) {
    ids.push((await createCase(h.services, input, ADMIN)).id);
    h.clock.advanceMinutes(3);
  }
  return ids;
}

const caseRow = async (id: number) => (await h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, id))))[0]!;

async function outcomeOf(id: number): Promise<Outcome> {
  const c = await caseRow(id);
  return { queue: c.queueId, priority: c.priority, tier: c.tier, slaPolicy: c.slaPolicy!, tags: [...c.tags].sort(), skills: [...c.skills].sort(), escalated: c.escalationCount > 0 };
}

function publishedRouting(): RulesetDefinition {
  return structuredClone(h.services.definitions.ruleset('routing').definition);
}

/** A realistic edit: payments go to technical instead of billing, and enterprise invoices are urgent. */
function editedRouting(): RulesetDefinition {
  const draft = publishedRouting();
  draft.rules.push({
    name: 'Payment failures are technical',
    priority: 50,
    conditions: { all: [{ fact: 'case', path: '$.description', operator: 'textContains', value: 'payment failed' }] },
    event: { type: 'route', params: { queue: 'technical' } },
  });
  draft.rules.push({
    name: 'Enterprise invoices are urgent',
    conditions: {
      all: [
        { fact: 'customer', path: '$.tier', operator: 'equal', value: 'enterprise' },
        { fact: 'case', path: '$.subject', operator: 'textContains', value: 'invoice' },
      ],
    },
    event: { type: 'setPriority', params: { priority: 'urgent' } },
  });
  return draft;
}

describe('dryRun', () => {
  it('reports no change for a draft equal to the published ruleset', async () => {
    await intake();
    const result = await dryRun(h.services, { ruleset: 'routing', draft: publishedRouting(), selection: { kind: 'last', count: 100 } });
    expect(result).toMatchObject({ total: INPUTS.length, changed: 0, changes: [], baseVersion: 1 });
  });

  it('lists exactly the cases that would change, before → after, with the rules responsible', async () => {
    const ids = await intake();
    const result = await dryRun(h.services, { ruleset: 'routing', draft: editedRouting(), selection: { kind: 'last', count: 100 } });
    expect(result.changes.map((c) => c.caseId).sort()).toEqual([`C-${ids[5]}`, `C-${ids[6]}`].sort());
    const payment = result.changes.find((c) => c.caseId === `C-${ids[6]}`)!;
    // Technical now, and matching no known problem: the escalation rules send it on to advanced support.
    expect(payment).toMatchObject({
      fields: ['queue', 'tier'],
      before: { queue: 'billing', tier: 1 },
      after: { queue: 'advanced', tier: 2 },
      rules: ['escalation: Undiagnosed technical problems go to advanced support', 'routing: Payment failures are technical'],
    });
    // Urgent now, the enterprise invoice also meets the escalation ruleset that runs after routing.
    const invoice = result.changes.find((c) => c.caseId === `C-${ids[5]}`)!;
    expect(invoice).toMatchObject({
      fields: ['queue', 'priority', 'tier'],
      before: { queue: 'billing', priority: 'normal', tier: 1 },
      after: { queue: 'advanced', priority: 'urgent', tier: 2 },
      rules: ['escalation: Urgent enterprise cases go straight to advanced support', 'routing: Enterprise invoices are urgent'],
    });
    expect(result.byField).toEqual({ queue: 2, priority: 1, tier: 2, slaPolicy: 0, tags: 0, skills: 0 });
    expect(result.byRule).toEqual({
      'escalation: Undiagnosed technical problems go to advanced support': 1,
      'escalation: Urgent enterprise cases go straight to advanced support': 1,
      'routing: Enterprise invoices are urgent': 1,
      'routing: Payment failures are technical': 1,
    });
  });

  it('lists a case whose required skills would change (routing decides them too)', async () => {
    const ids = await intake();
    const draft = publishedRouting();
    draft.rules = draft.rules.filter((r) => r.name !== 'Refunds need the refunds skill');
    const result = await dryRun(h.services, { ruleset: 'routing', draft, selection: { kind: 'last', count: 100 } });
    expect(result).toMatchObject({ changed: 1, byField: { skills: 1, queue: 0 }, byRule: { 'routing: Refunds need the refunds skill': 1 } });
    expect(result.changes[0]).toMatchObject({ caseId: `C-${ids[1]}`, fields: ['skills'], before: { skills: ['refunds'] }, after: { skills: [] } });
  });

  it('replays a refused ruleset version (stored, no longer valid) as what it is: not run, no decisions', async () => {
    await intake();
    const bad = { ruleset: 'escalation', rules: [{ name: 'old', conditions: { all: [{ fact: 'event', path: '$..type', operator: 'equal', value: 'case.created' }] }, event: { type: 'addTags', params: { tags: ['x'] } } }] };
    const { version } = await h.services.store.write((q) => h.services.definitions.insertVersion(q, 'ruleset', 'escalation', bad, { state: 'published', now: h.clock.now() }));
    await h.services.definitions.refresh(); // insertVersion's contract: the registry follows once the transaction has ended
    const result = await dryRun(h.services, { ruleset: 'routing', draft: publishedRouting(), selection: { kind: 'last', count: 100 } });
    expect(result).toMatchObject({ total: INPUTS.length, changed: 0 });
    const escalation = await dryRun(h.services, { ruleset: 'escalation', draft: { ruleset: 'escalation', rules: [] }, selection: { kind: 'last', count: 100 } });
    expect(escalation).toMatchObject({ total: INPUTS.length, changed: 0, baseVersion: version });
  });

  it('predicts exactly what intake does once the draft is published', async () => {
    const history = await intake();
    const draft = editedRouting();
    const result = await dryRun(h.services, { ruleset: 'routing', draft, selection: { kind: 'last', count: 100 } });
    const predicted = new Map(result.changes.map((c) => [c.caseId, c]));

    await h.services.store.write((q) => h.services.definitions.createVersion(q, 'ruleset', 'routing', draft, { state: 'published', now: h.clock.now() }));
    await h.services.definitions.refresh();
    const replayed = await intake();
    for (const [i, id] of history.entries()) {
      const change = predicted.get(`C-${id}`);
      if (change) expect(change.before).toEqual(await outcomeOf(id));
      expect(await outcomeOf(replayed[i]!)).toEqual(change ? change.after : await outcomeOf(id));
    }
  });

  it('gives rules the case fact intake gave them: no case reference yet ("")', async () => {
    const history = await intake();
    const draft = publishedRouting();
    draft.rules.push({
      name: 'Cases without a reference are technical',
      priority: 90,
      conditions: { all: [{ fact: 'case', path: '$.id', operator: 'equal', value: '' }] },
      event: { type: 'route', params: { queue: 'technical' } },
    });
    const result = await dryRun(h.services, { ruleset: 'routing', draft, selection: { kind: 'last', count: 100 } });
    expect(result.changed).toBeGreaterThan(0);
    const predicted = new Map(result.changes.map((c) => [c.caseId, c]));
    // What intake then does, case for case.
    await h.services.store.write((q) => h.services.definitions.createVersion(q, 'ruleset', 'routing', draft, { state: 'published', now: h.clock.now() }));
    await h.services.definitions.refresh();
    const replayed = await intake();
    for (const [i, id] of history.entries()) {
      const change = predicted.get(`C-${id}`);
      expect(await outcomeOf(replayed[i]!)).toEqual(change ? change.after : await outcomeOf(id));
    }
  });

  it('shows escalations a changed escalation ruleset would make at intake', async () => {
    const ids = await intake();
    const draft = structuredClone(h.services.definitions.ruleset('escalation').definition);
    const atIntake = ['Urgent enterprise cases go straight to advanced support', 'Undiagnosed technical problems go to advanced support'];
    draft.rules = draft.rules.filter((r) => !atIntake.includes(r.name!));
    const result = await dryRun(h.services, { ruleset: 'escalation', draft, selection: { kind: 'last', count: 100 } });
    // The login error and the sync problem (technical, no known problem) stay with technical too.
    expect(result.changes.map((c) => c.caseId).sort()).toEqual([`C-${ids[2]}`, `C-${ids[3]}`, `C-${ids[7]}`].sort());
    for (const i of [2, 7]) {
      expect(result.changes.find((c) => c.caseId === `C-${ids[i]}`)).toMatchObject({ before: { queue: 'advanced', tier: 2 }, after: { queue: 'technical', tier: 1 } });
    }
    expect(result.changes.find((c) => c.caseId === `C-${ids[3]}`)).toMatchObject({
      caseId: `C-${ids[3]}`,
      fields: ['queue', 'tier'],
      before: { queue: 'advanced', tier: 2 },
      after: { queue: 'technical', tier: 1 },
      rules: ['escalation: Undiagnosed technical problems go to advanced support', 'escalation: Urgent enterprise cases go straight to advanced support'],
    });
  });

  it('selects by date range and by queue, and reports progress', async () => {
    const start = h.clock.now();
    await intake();
    const progress: [number, number][] = [];
    const range = await dryRun(h.services, {
      ruleset: 'routing',
      draft: editedRouting(),
      selection: { kind: 'range', from: start, to: start + 10 * 60_000 },
      chunkSize: 2,
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(range.total).toBe(4);
    expect(progress).toEqual([
      [2, 4],
      [4, 4],
    ]);
    const billing = await dryRun(h.services, { ruleset: 'routing', draft: editedRouting(), selection: { kind: 'queue', queue: 'billing', count: 100 } });
    expect(billing.total).toBe(4);
    expect(billing.changes.map((c) => c.subject).sort()).toEqual(['Invoice copy', 'Payment failed']);
  });

  it('counts every change but lists at most maxChanges', async () => {
    await intake();
    const draft = publishedRouting();
    draft.rules.unshift({ name: 'Everything urgent', priority: 99, conditions: { all: [] }, event: { type: 'setPriority', params: { priority: 'urgent' } } });
    const result = await dryRun(h.services, { ruleset: 'routing', draft, selection: { kind: 'last', count: 100 }, maxChanges: 3 });
    expect(result.changed).toBe(INPUTS.length - 1);
    expect(result.changes).toHaveLength(3);
    expect(result.truncated).toBe(true);
  });
});

describe('localTime in a dry-run', () => {
  it('is the case’s created time in the default calendar’s zone (Europe/Berlin), not now', async () => {
    const ids = await intake();
    const created = (await caseRow(ids[0]!)).createdAt;
    const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: 'numeric', hourCycle: 'h23' }).format(created);
    h.clock.advanceMinutes(5 * 60); // now is five hours later: a rule reading now's hour would match nothing
    const draft = publishedRouting();
    draft.rules.push({ name: 'Local hour', conditions: { all: [{ fact: 'localTime', path: '$.hour', operator: 'equal', value: Number(local) }, { fact: 'localTime', path: '$.weekday', operator: 'in', value: [1, 2, 3, 4, 5, 6, 7] }] }, event: { type: 'addTags', params: { tags: ['local-hour'] } } });
    const result = await dryRun(h.services, { ruleset: 'routing', draft, selection: { kind: 'last', count: 100 } });
    expect(local).toBe('10'); // the harness starts on Monday 2 March 2026, 09:00 UTC
    expect(result.byRule).toEqual({ 'routing: Local hour': INPUTS.length });
    expect(result.changes.filter((c) => c.after.tags.includes('local-hour')).length).toBe(INPUTS.length);
  });
});
