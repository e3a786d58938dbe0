/**
 * The dry-run of a ruleset that runs after intake (docs/manager-console.md, "Dry-run"): the
 * later events of past cases — SLA warnings and breaches, reopens, customer replies — are
 * replayed with the case as its timeline says it was then, so a draft that changes what the
 * escalation ruleset does on them shows the cases it would have escalated differently; and what
 * cannot be replayed is counted, with why.
 */
import { DateTime } from 'luxon';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RuleJson, RulesetDefinition } from '../../src/rules/definition.js';
import { dryRun, type DryRunChange, type DryRunResult } from '../../src/rules/dry-run.js';
import type { WorkflowDefinition } from '../../src/workflow/definition.js';
import { createDesk, type Desk } from '../sla/helpers.js';
import { ADMIN_TOKEN } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';

let d: Desk;
beforeEach(async () => {
  d = createDesk();
  await d.h.settled();
});
afterEach(() => d.h.close());

const BREACH_RULE = 'Breached SLAs go to advanced support';
const REOPEN_RULE = 'Cases reopened twice go to advanced support';

function escalation(): RulesetDefinition {
  return structuredClone(d.h.services.definitions.ruleset('escalation').definition);
}

function run(draft: RulesetDefinition, ruleset = 'escalation'): Promise<DryRunResult> {
  return dryRun(d.h.services, { ruleset, draft, selection: { kind: 'last', count: 100 } });
}

const changeOf = (result: DryRunResult, id: string): DryRunChange | undefined => result.changes.find((c) => c.caseId === id);

/** Hour by hour, with a sweep each hour (its warnings and breaches, and the escalation rules they run), for `hours`. */
async function sweepHours(hours: number): Promise<void> {
  for (let i = 0; i < hours; i++) {
    d.h.clock.advanceMinutes(60);
    expect((await d.call('POST', '/api/v1/sla/sweep')).status).toBe(200);
  }
}

/** The first-response SLA (8 business hours, standard policy) warns, then breaches, on the next working day. */
async function twoBreachedCases(): Promise<{ general: string; billing: string; breachedAt: number }> {
  const general = await d.create();
  const billing = await d.create({ subject: 'Invoice copy please', description: 'Please send a copy of the last invoice' });
  await sweepHours(30);
  const breach = (await d.events(general, 'sla.breached'))[0]!;
  for (const id of [general, billing]) expect(await d.get(id)).toMatchObject({ queue: 'advanced', tier: 2, escalationCount: 1 });
  return { general, billing, breachedAt: Date.parse(breach.at) };
}

describe('dry-run of the escalation ruleset: SLA events', () => {
  it('lists the cases a draft without "Breached SLAs go to advanced support" would not have escalated on their breach', async () => {
    const { general, billing, breachedAt } = await twoBreachedCases();
    const draft = escalation();
    draft.rules = draft.rules.filter((r) => r.name !== BREACH_RULE);
    const result = await run(draft);
    // A warning and a breach per case, each replayed on both sides.
    expect(result).toMatchObject({ total: 2, changed: 2, eventsReplayed: 4, notReplayed: {}, byField: { queue: 2, tier: 2, priority: 0, slaPolicy: 0, tags: 0, skills: 0 }, byRule: { [`escalation: ${BREACH_RULE}`]: 2 } });
    for (const [id, queue] of [[general, 'general'], [billing, 'billing']] as const) {
      expect(changeOf(result, id)).toMatchObject({
        fields: ['queue', 'tier'],
        before: { queue: 'advanced', tier: 2, escalated: true },
        after: { queue, tier: 1, escalated: false },
        rules: [`escalation: ${BREACH_RULE}`],
        moments: [{ event: 'sla.breached', metric: 'firstResponse', at: breachedAt, fields: ['queue', 'tier'] }],
      });
    }
  });

  it('finds nothing to change for the published rules, and routing (which runs at intake only) reads no later event', async () => {
    await twoBreachedCases();
    expect(await run(escalation())).toMatchObject({ total: 2, changed: 0, eventsReplayed: 4 });
    const routing = structuredClone(d.h.services.definitions.ruleset('routing').definition);
    expect(await run(routing, 'routing')).toMatchObject({ total: 2, changed: 0, eventsReplayed: 0 });
  });

  it('predicts what a breach does once the draft is published', async () => {
    const { general, billing } = await twoBreachedCases();
    const draft = escalation();
    const breached = { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'sla.breached' }] };
    draft.rules = draft.rules.map((r): RuleJson => (r.name === BREACH_RULE ? { name: 'Breached SLAs are high priority', conditions: breached, event: { type: 'setPriority', params: { priority: 'high' } } } : r));
    draft.rules.push({ name: 'Breaches are tagged', conditions: breached, event: { type: 'addTags', params: { tags: ['breached'] } } });
    const predicted = await run(draft);
    expect(predicted.changed).toBe(2);

    await d.h.services.store.write((q) => d.h.services.definitions.createVersion(q, 'ruleset', 'escalation', draft, { state: 'published', now: d.h.clock.now() }));
    await d.h.services.definitions.refresh();
    // The same requests on the same weekday and time, two days later, breaching the same way.
    d.h.clock.set(Date.parse('2026-03-04T09:00:00Z'));
    const again = [await d.create(), await d.create({ subject: 'Invoice copy please', description: 'Please send a copy of the last invoice' })];
    await sweepHours(30);
    for (const [i, id] of [general, billing].entries()) {
      const moment = changeOf(predicted, id)!.moments[0]!;
      expect(moment).toMatchObject({ event: 'sla.breached', before: { queue: 'advanced', tier: 2 } });
      const now = await d.get(again[i]!);
      expect({ queue: now.queue, tier: now.tier, priority: now.priority, tags: [...now.tags].sort() }).toEqual({ queue: moment.after.queue, tier: moment.after.tier, priority: moment.after.priority, tags: moment.after.tags });
    }
  });
});

describe('dry-run of the escalation ruleset: reopens and customer replies', () => {
  async function resolveAndReopen(id: string): Promise<void> {
    expect((await d.transition(id, 'resolve', { solution: 'Change it under Settings.' })).status).toBe(200);
    d.h.clock.advanceMinutes(30);
    expect((await d.transition(id, 'reopen')).status).toBe(200);
    d.h.clock.advanceMinutes(30);
  }

  it('replays each reopen with the case as it was: its reopen count then, its tier before the rules moved it', async () => {
    const id = await d.create();
    await d.reply(id);
    await resolveAndReopen(id);
    expect(await d.get(id)).toMatchObject({ queue: 'general', tier: 1, reopenCount: 1 });
    await resolveAndReopen(id);
    expect(await d.get(id)).toMatchObject({ queue: 'advanced', tier: 2, reopenCount: 2 });

    // Escalating on the first reopen: that one differs; on the second both sides escalate.
    const once = escalation();
    once.rules.find((r) => r.name === REOPEN_RULE)!.conditions = {
      all: [
        { fact: 'event', path: '$.type', operator: 'equal', value: 'case.reopened' },
        { fact: 'case', path: '$.reopenCount', operator: 'greaterThanInclusive', value: 1 },
        { fact: 'case', path: '$.tier', operator: 'lessThan', value: 2 },
      ],
    };
    const earlier = await run(once);
    expect(earlier).toMatchObject({ changed: 1, eventsReplayed: 2 });
    expect(changeOf(earlier, id)!.moments).toEqual([expect.objectContaining({ event: 'case.reopened', before: expect.objectContaining({ queue: 'general', tier: 1 }), after: expect.objectContaining({ queue: 'advanced', tier: 2 }) })]);

    // Without the rule: the second reopen is the one that differs.
    const none = escalation();
    none.rules = none.rules.filter((r) => r.name !== REOPEN_RULE);
    const moments = changeOf(await run(none), id)!.moments;
    expect(moments).toHaveLength(1);
    expect(moments[0]).toMatchObject({ event: 'case.reopened', before: { queue: 'advanced', tier: 2 }, after: { queue: 'general', tier: 1 }, rules: [`escalation: ${REOPEN_RULE}`] });
    expect(moments[0]!.at).toBe(Date.parse((await d.events(id, 'case.reopened'))[1]!.at));
  });

  it('replays the customer replies a workflow runs the ruleset on; an imported history ran no rules and is counted as not replayed', async () => {
    const workflow = structuredClone(d.h.services.definitions.workflow('support').definition) as WorkflowDefinition;
    workflow.triggers = { ...workflow.triggers, 'customer.replied': ['escalation'] };
    await d.h.services.store.write((q) => d.h.services.definitions.createVersion(q, 'workflow', 'support', workflow, { state: 'published', now: d.h.clock.now() }));
    await d.h.services.definitions.refresh();

    const urgent = await d.create({ priority: 'urgent' });
    const calm = await d.create();
    await d.reply(urgent);
    await d.customerReply(urgent, 'Still broken.');
    await d.reply(calm);
    await d.customerReply(calm, 'Thanks.');
    const imported = await d.call('POST', '/api/v1/cases', undefined, {
      customer: { email: 'old@example.com' },
      subject: 'From the old desk',
      description: 'History',
      createdAt: '2026-01-05T10:00:00Z',
      messages: [
        { from: 'customer', body: 'Hello?', at: '2026-01-05T10:05:00Z' },
        { from: 'customer', body: 'Anyone?', at: '2026-01-05T11:05:00Z' },
      ],
    });
    expect(imported.status).toBe(201);

    const draft = escalation();
    draft.rules.push({
      name: 'Urgent cases the customer chases go to advanced support',
      conditions: {
        all: [
          { fact: 'event', path: '$.type', operator: 'equal', value: 'customer.replied' },
          { fact: 'case', path: '$.priority', operator: 'equal', value: 'urgent' },
          { fact: 'event', path: '$.body', operator: 'textHasWord', value: 'broken' },
        ],
      },
      event: { type: 'escalate', params: { tier: 2, queue: 'advanced', reason: 'Chased' } },
    });
    const result = await run(draft);
    // The imported case's two replies and its intake (the escalation rules ran on none of them).
    expect(result).toMatchObject({ changed: 1, eventsReplayed: 2, notReplayed: { imported: 3 } });
    expect(changeOf(result, urgent)).toMatchObject({
      before: { queue: 'general', tier: 1 },
      after: { queue: 'advanced', tier: 2 },
      moments: [{ event: 'customer.replied', rules: ['escalation: Urgent cases the customer chases go to advanced support'] }],
    });
  });
});

describe('dry-run of a ruleset intake does not run', () => {
  async function publishWorkflow(change: (w: WorkflowDefinition) => void): Promise<void> {
    const workflow = structuredClone(d.h.services.definitions.workflow('support').definition) as WorkflowDefinition;
    change(workflow);
    await d.h.services.store.write((q) => d.h.services.definitions.createVersion(q, 'workflow', 'support', workflow, { state: 'published', now: d.h.clock.now() }));
    await d.h.services.definitions.refresh();
  }
  const tagAll = (draft: RulesetDefinition, rule: Partial<RuleJson> = {}): RulesetDefinition => {
    draft.rules.push({ name: 'Tag every case', conditions: { all: [{ fact: 'case', path: '$.priority', operator: 'in', value: ['low', 'normal', 'high', 'urgent'] }] }, event: { type: 'addTags', params: { tags: ['seen'] } }, ...rule });
    return draft;
  };
  const tagsOf = async (id: string) => (await d.call('GET', `/api/v1/cases/${id}`)).json.tags as string[];

  it('predicts no change at intake for a ruleset the workflow runs on later events only (it predicted the rule firing at intake)', async () => {
    await publishWorkflow((w) => {
      w.triggers = { 'case.created': ['routing'], 'sla.breached': ['escalation'] };
    });
    await d.create();
    const draft = tagAll(escalation());
    expect(await run(draft)).toMatchObject({ total: 1, changed: 0, changes: [] });
    // What intake then does: escalation does not run on a new case.
    expect((await d.call('PUT', '/api/v1/rulesets/escalation', ADMIN_TOKEN, { rules: draft.rules })).status).toBe(200);
    expect(await tagsOf(await d.create())).toEqual([]);
  });

  it('replays a case imported from another help desk as the import routed it: routing only, no escalation rules', async () => {
    const imported = await d.call('POST', '/api/v1/cases', undefined, {
      customer: { email: 'old@example.com' },
      subject: 'Login error',
      description: 'I get an error when I log in',
      createdAt: '2026-01-05T10:00:00Z',
      messages: [{ from: 'customer', body: 'Hello?', at: '2026-01-05T10:05:00Z' }],
    });
    expect(imported.status).toBe(201);
    const id = imported.json.id as string;
    expect((await d.call('GET', `/api/v1/cases/${id}`)).json).toMatchObject({ queue: 'technical', tier: 1, tags: [] });
    // The escalation rules never ran on it: nothing to replay at its intake either.
    expect(await run(tagAll(escalation()))).toMatchObject({ total: 1, changed: 0, notReplayed: { imported: 1 } });
    // A routing draft: what routing alone decides, as the import did (no "Undiagnosed technical problems go to advanced support").
    const routing = structuredClone(d.h.services.definitions.ruleset('routing').definition);
    routing.rules.unshift({ name: 'Errors are urgent', priority: 99, conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'textHasWord', value: 'error' }] }, event: { type: 'setPriority', params: { priority: 'urgent' } } });
    const result = await run(routing, 'routing');
    expect(changeOf(result, id)).toMatchObject({ fields: ['priority'], before: { queue: 'technical', tier: 1, priority: 'normal' }, after: { queue: 'technical', tier: 1, priority: 'urgent' } });
  });

  it('replays a state entry with the state that ran the ruleset, though the case moved on before it ran ("new", assigned at once)', async () => {
    await publishWorkflow((w) => {
      w.triggers = { 'case.created': ['routing'] };
      w.states.new!.onEnter = [...(w.states.new!.onEnter ?? []), { action: 'runRuleset', ruleset: 'escalation' }];
    });
    const id = await d.create(); // assigned on entering "new", then open: the ruleset runs after that
    expect((await d.call('GET', `/api/v1/cases/${id}`)).json.status).toBe('open');
    const draft = tagAll(escalation(), { conditions: { all: [{ fact: 'event', path: '$.state', operator: 'equal', value: 'new' }, { fact: 'event', path: '$.from', operator: 'equal', value: null }] } });
    // It was replayed as the state the case was in by then ("open", from "new"): no change predicted.
    expect(changeOf(await run(draft), id)).toMatchObject({ moments: [{ event: 'state.entered', state: 'new', after: { tags: ['seen'] } }] });
    expect((await d.call('PUT', '/api/v1/rulesets/escalation', ADMIN_TOKEN, { rules: draft.rules })).status).toBe(200);
    const next = await d.create();
    await d.h.settled();
    expect(await tagsOf(next)).toEqual(['seen']);
  });

  it('replays the state entries a workflow runs the ruleset on (runRuleset), on the event "state.entered"', async () => {
    await publishWorkflow((w) => {
      w.triggers = { 'case.created': ['routing'] };
      w.states.open!.onEnter = [...(w.states.open!.onEnter ?? []), { action: 'runRuleset', ruleset: 'escalation' }];
    });
    const worked = await d.create(); // assigned at once: new → open
    const draft = tagAll(escalation(), {
      conditions: { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'state.entered' }, { fact: 'event', path: '$.state', operator: 'equal', value: 'open' }, { fact: 'event', path: '$.from', operator: 'equal', value: 'new' }, { fact: 'case', path: '$.assigned', operator: 'equal', value: true }] },
    });
    const result = await run(draft);
    expect(result).toMatchObject({ total: 1, changed: 1, eventsReplayed: 1, byField: { tags: 1, queue: 0 } });
    expect(changeOf(result, worked)).toMatchObject({ fields: ['tags'], moments: [{ event: 'state.entered', state: 'open', before: { tags: [] }, after: { tags: ['seen'] }, rules: ['escalation: Tag every case'] }] });
    // What a new case then gets.
    expect((await d.call('PUT', '/api/v1/rulesets/escalation', ADMIN_TOKEN, { rules: draft.rules })).status).toBe(200);
    const next = await d.create();
    await d.h.settled();
    expect(await tagsOf(next)).toEqual(['seen']);
  });
});

describe('dry-run: business hours and local time as the case was handled', () => {
  /** Publishes an SLA configuration edited from the one in force (the cases keep theirs). */
  async function publishSla(edit: (config: Record<string, any>) => void): Promise<void> {
    const config = structuredClone((await d.call('GET', '/api/v1/sla-config')).json.config) as Record<string, any>;
    edit(config);
    const res = await d.call('PUT', '/api/v1/sla-config', ADMIN_TOKEN, { config, note: 'calendar changed' });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
  }

  it('replays intake with the local time the case arrived at, though the default calendar moved to another zone since', async () => {
    // Monday 2 March 2026, 09:00Z: 10:00 in Berlin (the office calendar), 14:30 in Kolkata.
    const id = await d.create();
    await publishSla((config) => {
      config.calendars.office.timezone = 'Asia/Kolkata';
    });
    const routing = structuredClone(d.h.services.definitions.ruleset('routing').definition);
    routing.rules.push({ name: 'Ten o’clock', conditions: { all: [{ fact: 'localTime', path: '$.hour', operator: 'equal', value: 10 }] }, event: { type: 'addTags', params: { tags: ['ten'] } } });
    const result = await run(routing, 'routing');
    expect(result).toMatchObject({ total: 1, changed: 1 });
    expect(changeOf(result, id)).toMatchObject({ fields: ['tags'], before: { tags: [] }, after: { tags: ['ten'] }, moments: [{ event: 'case.created' }] });

    // A routing record written before it kept its zone: the default calendar of the case's own SLA version.
    await d.h.run(ON_POSTGRES ? `UPDATE cases SET routing = routing #- '{input,localTimeZone}'` : `UPDATE cases SET routing = json_remove(routing, '$.input.localTimeZone')`);
    const record = (await d.h.get<{ routing: unknown }>('SELECT routing FROM cases'))!.routing;
    expect(typeof record === 'string' ? record : JSON.stringify(record)).not.toContain('localTimeZone');
    expect(await run(routing, 'routing')).toMatchObject({ total: 1, changed: 1 });
  });

  it('replays an SLA event with the business hours of the SLA version the case runs on, not a holiday published after it', async () => {
    const { general, billing, breachedAt } = await twoBreachedCases();
    const breachDay = DateTime.fromMillis(breachedAt, { zone: 'Europe/Berlin' });
    expect(breachDay.toFormat('ccc HH:mm')).toBe('Tue 11:00'); // in office hours (due 10:00, the hourly sweep after it)
    await publishSla((config) => {
      config.calendars.office.holidays.push(breachDay.toISODate());
    });
    const draft = escalation();
    draft.rules.push({
      name: 'Breaches in office hours are tagged',
      conditions: { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'sla.breached' }, { fact: 'withinBusinessHours', operator: 'equal', value: true }, { fact: 'localTime', path: '$.weekday', operator: 'equal', value: 2 }] },
      event: { type: 'addTags', params: { tags: ['breached-in-hours'] } },
    });
    const result = await run(draft);
    expect(result).toMatchObject({ total: 2, changed: 2 });
    for (const id of [general, billing]) expect(changeOf(result, id)).toMatchObject({ fields: ['tags'], after: { tags: ['breached-in-hours'] }, moments: [{ event: 'sla.breached', at: breachedAt }] });
  });
});
