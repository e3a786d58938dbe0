import { describe, expect, it } from 'vitest';
import type { RuleJson } from './definition.js';
import { compileRuleset } from './engine.js';
import { evaluateRuleset, mergeDecisions } from './evaluate.js';
import type { Facts } from './facts.js';

function facts(over: { case?: Partial<Facts['case']>; customer?: Partial<Facts['customer']> } & Partial<Omit<Facts, 'case' | 'customer'>> = {}): Facts {
  return {
    case: {
      id: 'C-1001',
      subject: 'Invoice question',
      description: 'My INVOICE is wrong',
      channel: 'web',
      priority: 'normal',
      tags: [],
      skills: [],
      status: 'new',
      tier: 1,
      queue: 'general',
      assigned: false,
      reopenCount: 0,
      escalationCount: 0,
      createdAt: 0,
      ...over.case,
    },
    customer: { email: 'a@b.c', name: 'A', tier: 'standard', organization: null, openCases: 0, ...over.customer },
    diagnosis: over.diagnosis ?? { matched: false, problemId: null },
    event: over.event ?? { type: 'case.created' },
    now: 0,
    withinBusinessHours: over.withinBusinessHours ?? true,
    ...(over.sla ? { sla: over.sla } : {}),
  };
}

const when = (condition: Record<string, unknown>) => ({ all: [condition] });
const always = { all: [] };

function ruleset(rules: RuleJson[]) {
  return compileRuleset({ ruleset: 'routing', rules }, 3);
}

describe('evaluateRuleset', () => {
  it('runs json-rules-engine with our case-insensitive text operators', async () => {
    const rs = ruleset([
      { name: 'contains', conditions: when({ fact: 'case', path: '$.description', operator: 'textContains', value: 'invoice' }), event: { type: 'addTags', params: { tags: ['a'] } } },
      { name: 'any', conditions: when({ fact: 'case', path: '$.subject', operator: 'textContainsAny', value: ['refund', 'INVOICE'] }), event: { type: 'addTags', params: { tags: ['b'] } } },
      { name: 'none', conditions: when({ fact: 'case', path: '$.subject', operator: 'textContainsAny', value: ['refund'] }), event: { type: 'addTags', params: { tags: ['c'] } } },
    ]);
    const result = await evaluateRuleset(rs, facts());
    expect(result.fired.map((f) => f.rule)).toEqual(['contains', 'any']);
    expect(result.decisions.tags).toEqual(['a', 'b']);
    expect(result).toMatchObject({ ruleset: 'routing', version: 3, error: null });
  });

  it('lets the higher json-rules-engine priority win single-valued outcomes, still reporting the losers', async () => {
    const rs = ruleset([
      { name: 'low', priority: 1, conditions: always, event: { type: 'route', params: { queue: 'general' } } },
      { name: 'high', priority: 10, conditions: always, event: { type: 'route', params: { queue: 'billing' } } },
      { name: 'p-low', priority: 2, conditions: always, event: { type: 'setPriority', params: { priority: 'low' } } },
      { name: 'p-urgent', priority: 5, conditions: always, event: { type: 'setPriority', params: { priority: 'urgent' } } },
      { name: 'policy', conditions: always, event: { type: 'applySlaPolicy', params: { policy: 'premium' } } },
    ]);
    const result = await evaluateRuleset(rs, facts());
    expect(result.decisions).toMatchObject({ queue: 'billing', priority: 'urgent', slaPolicy: 'premium' });
    expect(result.fired.map((f) => f.rule)).toEqual(['low', 'high', 'p-low', 'p-urgent', 'policy']);
    expect(result.fired[1]).toEqual({ rule: 'high', priority: 10, event: { type: 'route', params: { queue: 'billing' } } });
  });

  it('breaks priority ties by file order: the earlier rule wins', async () => {
    const rs = ruleset([
      { name: 'first', priority: 5, conditions: always, event: { type: 'route', params: { queue: 'technical' } } },
      { name: 'second', priority: 5, conditions: always, event: { type: 'route', params: { queue: 'billing' } } },
    ]);
    expect((await evaluateRuleset(rs, facts())).decisions.queue).toBe('technical');
  });

  it('accumulates tags and skills and keeps every notification', async () => {
    const rs = ruleset([
      { conditions: always, event: { type: 'addTags', params: { tags: ['x', 'y'] } } },
      { conditions: always, event: { type: 'addTags', params: { tags: ['y', 'z'] } } },
      { conditions: always, event: { type: 'requireSkills', params: { skills: ['api'] } } },
      { conditions: always, event: { type: 'requireSkills', params: { skills: ['refunds'] } } },
      { conditions: always, event: { type: 'notify', params: { to: 'customer', template: 'case-received' } } },
      { conditions: always, event: { type: 'notify', params: { to: 'managers', template: 'sla-breached' } } },
    ]);
    const { decisions, fired } = await evaluateRuleset(rs, facts());
    expect(decisions.tags).toEqual(['x', 'y', 'z']);
    expect(decisions.skills).toEqual(['api', 'refunds']);
    expect(decisions.notify.map((n) => n.template)).toEqual(['case-received', 'sla-breached']);
    expect(fired.map((f) => f.rule)).toEqual(['#0', '#1', '#2', '#3', '#4', '#5']);
  });

  it('reads every fact: customer, diagnosis, event, sla, withinBusinessHours', async () => {
    const rs = ruleset([
      { name: 'tier', conditions: when({ fact: 'customer', path: '$.tier', operator: 'equal', value: 'enterprise' }), event: { type: 'addTags', params: { tags: ['ent'] } } },
      { name: 'undiagnosed', conditions: when({ fact: 'diagnosis', path: '$.matched', operator: 'equal', value: false }), event: { type: 'addTags', params: { tags: ['undiagnosed'] } } },
      { name: 'after-hours', conditions: when({ fact: 'withinBusinessHours', operator: 'equal', value: false }), event: { type: 'addTags', params: { tags: ['after-hours'] } } },
      {
        name: 'breach',
        conditions: { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'sla.breached' }, { fact: 'sla', path: '$.overdueMinutes', operator: 'greaterThan', value: 30 }] },
        event: { type: 'escalate', params: { tier: 2, reason: 'late' } },
      },
    ]);
    const result = await evaluateRuleset(
      rs,
      facts({
        customer: { tier: 'enterprise' },
        withinBusinessHours: false,
        event: { type: 'sla.breached' },
        sla: { metric: 'resolution', state: 'breached', policy: 'standard', dueAt: 0, overdueMinutes: 45 },
      }),
    );
    expect(result.decisions.tags).toEqual(['ent', 'undiagnosed', 'after-hours']);
    expect(result.decisions.escalate).toEqual({ tier: 2, queue: null, reason: 'late', rule: 'breach' });
    const noSla = await evaluateRuleset(rs, facts({ event: { type: 'case.created' } }));
    expect(noSla.decisions.escalate).toBeNull();
  });

  it('turns a rule that throws at run time into an error, with no decisions', async () => {
    const rs = ruleset([
      { name: 'ok', conditions: always, event: { type: 'route', params: { queue: 'billing' } } },
      { name: 'broken', conditions: when({ fact: 'case', path: '$.subject', operator: 'someValue:equal', value: 1 }), event: { type: 'route', params: { queue: 'x' } } },
    ]);
    const result = await evaluateRuleset(rs, facts());
    expect(result.error).toMatch(/some/);
    expect(result.fired).toEqual([]);
    expect(result.decisions.queue).toBeNull();
  });

  it('merges several rulesets in workflow order', () => {
    const base = { queue: null, priority: null, tags: [], skills: [], slaPolicy: null, escalate: null, notify: [], offerSolution: null };
    const merged = mergeDecisions([
      { ruleset: 'a', version: 1, fired: [], error: null, decisions: { ...base, queue: 'billing', tags: ['x'] } },
      { ruleset: 'b', version: 1, fired: [], error: null, decisions: { ...base, queue: 'technical', priority: 'high', tags: ['y'] } },
    ]);
    expect(merged).toMatchObject({ queue: 'billing', priority: 'high', tags: ['x', 'y'] });
  });

  it('can be evaluated concurrently on one engine without mixing results', async () => {
    const rs = ruleset([{ name: 'billing', conditions: when({ fact: 'case', path: '$.subject', operator: 'textContains', value: 'invoice' }), event: { type: 'route', params: { queue: 'billing' } } }]);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => evaluateRuleset(rs, facts({ case: { subject: i % 2 ? 'invoice' : 'hello' } }))),
    );
    results.forEach((r, i) => expect(r.decisions.queue).toBe(i % 2 ? 'billing' : null));
  });
});
