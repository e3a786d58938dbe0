import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateRuleset } from './definition.js';

const context = { queues: new Set(['general', 'billing', 'advanced']), policies: new Set(['standard', 'premium']) };

const rule = (over: Record<string, unknown> = {}) => ({
  name: 'r',
  conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'textContains', value: 'invoice' }] },
  event: { type: 'route', params: { queue: 'billing' } },
  ...over,
});

function problemsOf(rules: unknown[], ctx = context) {
  return validateRuleset({ ruleset: 'routing', rules }, ctx, 'routing').problems.map((p) => `${p.path}: ${p.message}`);
}

describe('validateRuleset', () => {
  it('accepts json-rules-engine rules with our facts, operators and event types', () => {
    const result = validateRuleset(
      {
        ruleset: 'routing',
        rules: [
          rule(),
          rule({
            name: 'nested',
            priority: 5,
            conditions: {
              any: [
                { all: [{ fact: 'customer', path: '$.tier', operator: 'equal', value: 'enterprise' }, { not: { fact: 'case', path: '$.priority', operator: 'in', value: ['low'] } }] },
                { fact: 'case', path: '$.tags', operator: 'contains', value: 'vip' },
                { fact: 'withinBusinessHours', operator: 'equal', value: false },
                { fact: 'case', path: '$.tier', operator: 'lessThan', value: { fact: 'customer', path: '$.openCases' } },
                { fact: 'case', path: '$.tags', operator: 'someFact:equal', value: 'vip' },
              ],
            },
            event: { type: 'escalate', params: { tier: 2, queue: 'advanced', reason: 'VIP' } },
          }),
          rule({ name: 'unnamed ok' }),
          { conditions: { all: [] }, event: { type: 'addTags', params: { tags: ['a'] } } },
        ],
      },
      context,
      'routing',
    );
    expect(result).toMatchObject({ ok: true, problems: [] });
  });

  it.each([
    ['unknown fact', [rule({ conditions: { all: [{ fact: 'weather', operator: 'equal', value: 1 }] } })], '$.rules[0].conditions.all[0].fact'],
    ['unknown fact field', [rule({ conditions: { all: [{ fact: 'case', path: '$.priorty', operator: 'equal', value: 'high' }] } })], '$.rules[0].conditions.all[0].path'],
    ['unknown operator', [rule({ conditions: { any: [{ fact: 'case', path: '$.subject', operator: 'matches', value: 'x' }] } })], '$.rules[0].conditions.any[0].operator'],
    ['unknown decorator', [rule({ conditions: { any: [{ fact: 'case', path: '$.tags', operator: 'allFacts:equal', value: 'x' }] } })], '$.rules[0].conditions.any[0].operator'],
    ['textContainsAny needs an array', [rule({ conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'textContainsAny', value: 'x' }] } })], '$.rules[0].conditions.all[0].value'],
    ['textHasWord needs a word', [rule({ conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'textHasWord', value: '  !' }] } })], '$.rules[0].conditions.all[0].value'],
    ['textHasAnyWord needs an array of words', [rule({ conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'textHasAnyWord', value: ['down', ''] }] } })], '$.rules[0].conditions.all[0].value'],
    ['missing value', [rule({ conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'equal' }] } })], '$.rules[0].conditions.all[0].value'],
    ['path on a scalar fact', [rule({ conditions: { all: [{ fact: 'now', path: '$.hour', operator: 'equal', value: 1 }] } })], '$.rules[0].conditions.all[0].path'],
    ['shared condition reference', [rule({ conditions: { all: [{ condition: 'isVip' }] } })], '$.rules[0].conditions.all[0].condition'],
    ['bad top-level conditions', [rule({ conditions: [{ fact: 'case' }] })], '$.rules[0].conditions'],
    ['unknown event type', [rule({ event: { type: 'page', params: {} } })], '$.rules[0].event.type'],
    ['unknown queue', [rule({ event: { type: 'route', params: { queue: 'nowhere' } } })], '$.rules[0].event.params.queue'],
    ['unknown policy', [rule({ event: { type: 'applySlaPolicy', params: { policy: 'gold' } } })], '$.rules[0].event.params.policy'],
    ['bad priority value', [rule({ event: { type: 'setPriority', params: { priority: 'asap' } } })], '$.rules[0].event.params.priority'],
    ['escalate without tier', [rule({ event: { type: 'escalate', params: { reason: 'x' } } })], '$.rules[0].event.params.tier'],
    ['unknown event param', [rule({ event: { type: 'route', params: { queue: 'billing', urgent: true } } })], '$.rules[0].event.params'],
    ['unknown template', [rule({ event: { type: 'notify', params: { to: 'customer', template: 'hello' } } })], '$.rules[0].event.params.template'],
    ['bad rule priority', [rule({ priority: 0 })], '$.rules[0].priority'],
    ['callbacks', [rule({ onSuccess: 'x' })], '$.rules[0].onSuccess'],
    ['duplicate names', [rule(), rule()], '$.rules[1].name'],
    ['missing event', [{ conditions: { all: [] } }], '$.rules[0].event'],
  ])('reports %s at its JSON path', (_name, rules, expectedPath) => {
    const problems = problemsOf(rules);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((p) => p.split(':')[0])).toContain(expectedPath);
  });

  it('reports every problem, not only the first', () => {
    const problems = problemsOf([
      rule({ conditions: { all: [{ fact: 'weather', operator: 'equal', value: 1 }, { fact: 'case', path: '$.subject', operator: 'nope', value: 1 }] } }),
      rule({ name: 'b', event: { type: 'route', params: { queue: 'nowhere' } } }),
    ]);
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      '$.rules[0].conditions.all[0].fact',
      '$.rules[0].conditions.all[1].operator',
      '$.rules[1].event.params.queue',
    ]);
  });

  it('skips queue and policy checks when they are not known yet', () => {
    expect(problemsOf([rule({ event: { type: 'route', params: { queue: 'nowhere' } } })], { queues: null, policies: null } as never)).toEqual([]);
  });

  it('checks the document around the rules', () => {
    expect(validateRuleset({ ruleset: 'other', rules: [] }, context, 'routing').problems[0]?.path).toBe('$.ruleset');
    expect(validateRuleset({ ruleset: 'routing', rules: {} }, context).problems[0]?.path).toBe('$.rules');
    expect(validateRuleset({ ruleset: 'routing', rules: [], extra: 1 }, context).problems[0]?.path).toBe('$.extra');
  });

  it('never throws and always gives a JSON path, whatever it is fed', () => {
    fc.assert(
      fc.property(fc.anything(), fc.array(fc.anything(), { maxLength: 4 }), (doc, rules) => {
        for (const input of [doc, { ruleset: 'routing', rules }, { ruleset: 'routing', rules: [doc] }]) {
          const result = validateRuleset(input, context, 'routing');
          for (const p of result.problems) expect(p.path.startsWith('$')).toBe(true);
          if (!result.ok) expect(result.problems.some((p) => p.severity === 'error')).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});
