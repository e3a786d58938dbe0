import { describe, expect, it } from 'vitest';
import type { TimelineEntry } from './case-view.js';
import { explainCase, type CaseNow } from './why-here.js';

const ALICE = { type: 'staff', id: 2, name: 'Alice' };
const CHLOE = { type: 'customer', id: 1, name: 'Chloe' };
const SYSTEM = { type: 'system', id: null, name: 'Casebook' };

/** A timeline: each entry its type, data and (optionally) actor; ids and minutes in order. */
function timeline(...entries: [string, Record<string, unknown>, TimelineEntry['actor']?][]): TimelineEntry[] {
  return entries.map(([type, data, actor], i) => ({ id: i + 1, type, at: new Date(Date.UTC(2026, 2, 2, 9, i)).toISOString(), actor: actor ?? CHLOE, data }));
}

const route = (rule: string, queue: string, priority = 1) => ({ rule, priority, event: { type: 'route', params: { queue } } });
const setPriority = (rule: string, value: string, priority = 1) => ({ rule, priority, event: { type: 'setPriority', params: { priority: value } } });
const policy = (rule: string, value: string, priority = 1) => ({ rule, priority, event: { type: 'applySlaPolicy', params: { policy: value } } });
const escalate = (rule: string, priority = 1, reason = 'Escalate') => ({ rule, priority, event: { type: 'escalate', params: { tier: 2, queue: 'advanced', reason } } });
const notify = (rule: string) => ({ rule, priority: 1, event: { type: 'notify', params: { to: 'assignee', template: 'sla-breached' } } });
const offer = (rule: string) => ({ rule, priority: 1, event: { type: 'offerSolution' } });

const created = (requestedPriority = 'normal') => ['case.created', { subject: 'Invoice error', channel: 'api', requestedPriority }] as [string, Record<string, unknown>];
const routed = (data: Record<string, unknown>) =>
  ['case.routed', { queue: 'general', priority: 'normal', slaPolicy: 'standard', tags: [], skills: [], ruleset: 'routing', version: 1, fired: [], ...data }] as [string, Record<string, unknown>];
const evaluated = (ruleset: string, version: number, event: string, fired: unknown[]) => ['rules.evaluated', { ruleset, version, event, fired }, SYSTEM] as [string, Record<string, unknown>, TimelineEntry['actor']];

const now = (over: Partial<CaseNow> = {}): CaseNow => ({ queue: 'general', priority: 'normal', slaPolicy: 'standard', ...over });

describe('explainCase: the rules that fired and what became of each', () => {
  it('marks the winner of a conflict as deciding and the others as overruled, by priority or by order in the file', () => {
    const story = explainCase(
      timeline(
        created(),
        evaluated('escalation', 1, 'case.created', []),
        routed({
          queue: 'billing',
          priority: 'high',
          fired: [route('Billing questions go to billing', 'billing', 10), route('Technical problems go to technical', 'technical', 9), setPriority('VIPs are high', 'high', 5), setPriority('Invoices are low', 'low', 5), { rule: 'Tag', priority: 1, event: { type: 'addTags', params: { tags: ['x'] } } }],
        }),
      ),
      now({ queue: 'billing', priority: 'high' }),
    );
    const [routing, escalation] = story.runs;
    expect(routing).toMatchObject({ ruleset: 'routing', version: 1, event: 'case.created' });
    expect(routing!.fired.map((f) => [f.rule, f.verdict])).toEqual([
      ['Billing questions go to billing', { kind: 'decided', outcome: 'queue' }],
      ['Technical problems go to technical', { kind: 'overruled', outcome: 'queue', by: { rule: 'Billing questions go to billing', ruleset: 'routing', version: 1 }, because: 'priority' }],
      ['VIPs are high', { kind: 'decided', outcome: 'priority' }],
      ['Invoices are low', { kind: 'overruled', outcome: 'priority', by: { rule: 'VIPs are high', ruleset: 'routing', version: 1 }, because: 'order' }],
      ['Tag', null],
    ]);
    expect(escalation).toMatchObject({ ruleset: 'escalation', fired: [] });
    expect(story.queue).toMatchObject({ how: 'rule', type: 'case.routed', rule: { rule: 'Billing questions go to billing', ruleset: 'routing', version: 1 }, event: 'case.created' });
    expect(story.priority).toMatchObject({ how: 'rule', rule: { rule: 'VIPs are high' } });
    expect(story.slaPolicy).toMatchObject({ how: 'default' });
  });

  it('an earlier ruleset wins over a later one for the same event; escalation rules that fired without escalating are listed without a verdict', () => {
    const story = explainCase(
      timeline(
        created(),
        evaluated('escalation', 3, 'case.created', [setPriority('Escalation wants urgent', 'urgent', 50), offer('Known problems get their solution offered'), notify('Tell the assignee')]),
        routed({ priority: 'high', fired: [setPriority('Routing wants high', 'high', 1)] }),
        ['case.solutionOffered', { title: 'Reset the cache' }, SYSTEM],
      ),
      now({ priority: 'high' }),
    );
    expect(story.runs.map((r) => r.ruleset)).toEqual(['routing', 'escalation']);
    expect(story.runs[1]!.fired.map((f) => [f.rule, f.verdict])).toEqual([
      ['Escalation wants urgent', { kind: 'overruled', outcome: 'priority', by: { rule: 'Routing wants high', ruleset: 'routing', version: 1 }, because: 'ruleset' }],
      ['Known problems get their solution offered', null],
      ['Tell the assignee', null],
    ]);
  });

  it('a queue chosen at intake, a queue that is gone, an unknown policy: the winner is marked not applied', () => {
    const chosen = explainCase(timeline(created(), routed({ queue: 'technical', chosen: true, fired: [route('Billing', 'billing')] }, ), ['case.assigned', {}]), now({ queue: 'technical' }));
    expect(chosen.runs[0]!.fired[0]!.verdict).toEqual({ kind: 'notApplied', outcome: 'queue', why: 'chosen', detail: null });
    expect(chosen.queue).toMatchObject({ how: 'chosen', actor: CHLOE });

    const gone = explainCase(
      timeline(created(), ['rules.failed', { event: 'case.created', error: 'queue "sales" does not exist or is inactive; routed to general' }, SYSTEM], routed({ fired: [route('Sales', 'sales'), policy('Gold', 'gold')] })),
      now(),
    );
    expect(gone.runs[0]!.fired.map((f) => f.verdict)).toEqual([
      { kind: 'notApplied', outcome: 'queue', why: 'unavailable', detail: null },
      { kind: 'notApplied', outcome: 'slaPolicy', why: 'unavailable', detail: null },
    ]);
    expect(gone.queue).toMatchObject({ how: 'fallback', why: 'queue "sales" does not exist or is inactive; routed to general' });

    const mailbox = explainCase(timeline(created(), routed({ queue: 'sales', defaultQueue: 'sales' })), now({ queue: 'sales' }));
    expect(mailbox.queue).toMatchObject({ how: 'intakeDefault' });
    expect(explainCase(timeline(created('high'), routed({ priority: 'high' })), now({ priority: 'high' })).priority).toMatchObject({ how: 'requested' });
  });
});

describe('explainCase: how the case got where it is now', () => {
  it('a manual transfer: who moved it, when and why; the routing winner still decided the queue at intake', () => {
    const entries = timeline(
      created(),
      routed({ queue: 'billing', fired: [route('Billing questions go to billing', 'billing', 10), route('Technical problems go to technical', 'technical', 9)] }),
      ['case.assigned', { assignee: 'Alice', queue: 'billing' }, SYSTEM],
      ['case.transferred', { fromQueue: 'billing', queue: 'technical', tier: 1, reason: 'It is a bug in the invoice page' }, ALICE],
    );
    const story = explainCase(entries, now({ queue: 'technical' }));
    expect(story.queue).toEqual({ entryId: 4, type: 'case.transferred', at: entries[3]!.at, how: 'staff', actor: ALICE, previous: 'billing', reason: 'It is a bug in the invoice page' });
    expect(story.runs[0]!.fired[0]!.verdict).toEqual({ kind: 'decided', outcome: 'queue' });
    expect(story.transfers).toEqual([
      { entryId: 4, at: entries[3]!.at, actor: ALICE, fromQueue: 'billing', queue: 'technical', tier: 1, reason: 'It is a bug in the invoice page', rule: null, byRules: false, event: null },
    ]);
    // Moved without a reason: Casebook's own words are not shown as one.
    const bare = explainCase(timeline(created(), routed({}), ['case.transferred', { fromQueue: 'general', queue: 'technical', tier: 1, reason: 'reassigned by Alice' }, ALICE]), now({ queue: 'technical' }));
    expect(bare.queue).toMatchObject({ how: 'staff', reason: null });
  });

  it('an escalation by a rule names the rule with its ruleset and version (recorded, or read from the evaluation before it); one by a person names them', () => {
    const recorded = timeline(
      created(),
      routed({}),
      ['sla.breached', { metric: 'firstResponse' }, SYSTEM],
      evaluated('escalation', 2, 'sla.breached', [escalate('Breached SLAs go to advanced support', 10, 'SLA breached'), notify('Tell the assignee about a breach')]),
      ['case.escalated', { fromQueue: 'general', fromTier: 1, queue: 'advanced', tier: 2, reason: 'SLA breached', rule: 'Breached SLAs go to advanced support', ruleset: 'escalation', version: 2 }, SYSTEM],
    );
    const story = explainCase(recorded, now({ queue: 'advanced' }));
    const rule = { rule: 'Breached SLAs go to advanced support', ruleset: 'escalation', version: 2 };
    expect(story.escalations).toEqual([{ entryId: 5, at: recorded[4]!.at, actor: SYSTEM, fromQueue: 'general', queue: 'advanced', tier: 2, reason: 'SLA breached', rule, byRules: true, event: 'sla.breached' }]);
    expect(story.queue).toMatchObject({ how: 'rule', type: 'case.escalated', rule, event: 'sla.breached', previous: 'general', reason: 'SLA breached' });
    expect(story.runs[1]!.fired.map((f) => f.verdict)).toEqual([{ kind: 'decided', outcome: 'escalation' }, null]);

    // Recorded before escalations carried their ruleset: the evaluation that fired the rule tells it.
    const legacy = recorded.map((e) => (e.type === 'case.escalated' ? { ...e, data: { ...e.data, ruleset: undefined, version: undefined } } : e));
    expect(explainCase(legacy, now({ queue: 'advanced' })).escalations[0]!.rule).toEqual(rule);

    const byHand = explainCase(timeline(created(), routed({}), ['case.escalated', { fromQueue: 'general', fromTier: 1, queue: 'advanced', tier: 2, reason: 'Needs a database fix' }, ALICE]), now({ queue: 'advanced' }));
    expect(byHand.queue).toMatchObject({ how: 'staff', actor: ALICE, reason: 'Needs a database fix' });
    expect(byHand.escalations[0]).toMatchObject({ rule: null, byRules: false, actor: ALICE });
  });

  it('an escalation rule that fires on a case already escalated changed nothing; one that could not escalate failed', () => {
    const story = explainCase(
      timeline(
        created(),
        routed({}),
        evaluated('escalation', 1, 'sla.breached', [escalate('Breached SLAs go to advanced support')]),
        ['notification.sent', {}, SYSTEM],
        evaluated('escalation', 1, 'case.reopened', [escalate('Reopened twice')]),
        ['rules.failed', { event: 'case.reopened', error: 'cannot escalate: No active queue "advanced".' }, SYSTEM],
      ),
      now(),
    );
    expect(story.runs.slice(1).map((r) => r.fired[0]!.verdict)).toEqual([
      { kind: 'unchanged', outcome: 'escalation' },
      { kind: 'notApplied', outcome: 'escalation', why: 'failed', detail: 'cannot escalate: No active queue "advanced".' },
    ]);
  });

  it('rules on a later event: a transfer, a priority and a policy they changed, each named with its rule', () => {
    const entries = timeline(
      created(),
      routed({}),
      evaluated('vip', 4, 'customer.replied', [route('VIP replies go to billing', 'billing'), setPriority('VIP replies are high', 'high'), policy('VIPs get premium', 'premium')]),
      ['case.updated', { changes: { priority: ['normal', 'high'], slaPolicy: ['standard', 'premium'] }, by: 'rules', event: 'customer.replied' }, CHLOE],
      ['case.transferred', { fromQueue: 'general', queue: 'billing', tier: 1, reason: 'routed by rules on customer.replied' }, CHLOE],
    );
    const story = explainCase(entries, now({ queue: 'billing', priority: 'high', slaPolicy: 'premium' }));
    const ref = (rule: string) => ({ rule, ruleset: 'vip', version: 4 });
    expect(story.queue).toMatchObject({ how: 'rule', type: 'case.transferred', rule: ref('VIP replies go to billing'), event: 'customer.replied', previous: 'general', reason: null });
    expect(story.priority).toMatchObject({ how: 'rule', type: 'case.updated', rule: ref('VIP replies are high'), event: 'customer.replied', previous: 'normal' });
    expect(story.slaPolicy).toMatchObject({ how: 'rule', rule: ref('VIPs get premium'), previous: 'standard' });
    expect(story.transfers[0]).toMatchObject({ byRules: true, rule: ref('VIP replies go to billing'), event: 'customer.replied', reason: null });
    expect(story.runs[1]!.fired.map((f) => f.verdict?.kind)).toEqual(['decided', 'decided', 'decided']);

    // The same rules firing again change nothing.
    const again = explainCase([...entries, ...timeline(evaluated('vip', 4, 'customer.replied', [route('VIP replies go to billing', 'billing')])).map((e) => ({ ...e, id: 10 }))], now({ queue: 'billing', priority: 'high', slaPolicy: 'premium' }));
    expect(again.runs[2]!.fired[0]!.verdict).toEqual({ kind: 'unchanged', outcome: 'queue' });
  });

  it('a priority changed by a person, a policy re-applied; an origin that no longer holds is not told', () => {
    const entries = timeline(
      created(),
      routed({}),
      ['case.priority_changed', { from: 'normal', to: 'urgent' }, ALICE],
      ['case.updated', { changes: { slaConfigVersion: [1, 2], slaPolicy: ['standard', 'basic'] }, by: 'reapply' }, SYSTEM],
    );
    const story = explainCase(entries, now({ priority: 'urgent', slaPolicy: 'basic' }));
    expect(story.priority).toMatchObject({ how: 'staff', actor: ALICE, previous: 'normal', type: 'case.priority_changed' });
    expect(story.slaPolicy).toMatchObject({ how: 'reapplied', previous: 'standard', configFrom: 1, configTo: 2 });
    // The case says high: nothing in the timeline set it, so nothing is claimed.
    expect(explainCase(entries, now({ priority: 'high', slaPolicy: 'basic' })).priority).toBeNull();
  });
});
