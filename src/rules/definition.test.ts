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
    ['reference to a shared condition the ruleset does not define', [rule({ conditions: { all: [{ condition: 'isVip' }] } })], '$.rules[0].conditions.all[0].condition'],
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
    ['event type named like an Object.prototype member', [rule({ event: { type: 'toString', params: {} } })], '$.rules[0].event.type'],
    ['event type __proto__', [rule({ event: { type: '__proto__', params: {} } })], '$.rules[0].event.type'],
    ['a filter in the event fact path', [rule({ conditions: { all: [{ fact: 'event', operator: 'equal', value: 'never', path: "$..[?(@.constructor[( @.getPrototypeOf ? @.getPrototypeOf(@).constructor('x')() : 'x' )])]" }] } })], '$.rules[0].conditions.all[0].path'],
    ['a filter after a known field', [rule({ conditions: { all: [{ fact: 'case', path: '$.subject[?(@.length > 1)]', operator: 'equal', value: 1 }] } })], '$.rules[0].conditions.all[0].path'],
    ['a root filter', [rule({ conditions: { all: [{ fact: 'case', path: '$[?(/^(\\w+\\s?)+$/.test(@))]', operator: 'equal', value: 1 }] } })], '$.rules[0].conditions.all[0].path'],
    ['a root subscript script', [rule({ conditions: { all: [{ fact: 'case', path: '$[(@.length-1)]', operator: 'equal', value: 1 }] } })], '$.rules[0].conditions.all[0].path'],
    ['recursive descent', [rule({ conditions: { all: [{ fact: 'event', path: '$..type', operator: 'equal', value: 1 }] } })], '$.rules[0].conditions.all[0].path'],
    ['a wildcard', [rule({ conditions: { all: [{ fact: 'case', path: '$.tags.*', operator: 'equal', value: 1 }] } })], '$.rules[0].conditions.all[0].path'],
    ['a union', [rule({ conditions: { all: [{ fact: 'case', path: "$['subject','description']", operator: 'equal', value: 1 }] } })], '$.rules[0].conditions.all[0].path'],
    ['a non-string path', [rule({ conditions: { all: [{ fact: 'case', path: ['subject'], operator: 'equal', value: 1 }] } })], '$.rules[0].conditions.all[0].path'],
    ['a filter in a fact reference', [rule({ conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'equal', value: { fact: 'event', path: '$[?(@)]' } }] } })], '$.rules[0].conditions.all[0].value.path'],
    ['a filter in a fact reference under a decorator', [rule({ conditions: { all: [{ fact: 'case', path: '$.tags', operator: 'someFact:equal', value: { fact: 'case', path: '$..x' } }] } })], '$.rules[0].conditions.all[0].value.path'],
    ['a fact reference to a non-string fact', [rule({ conditions: { all: [{ fact: 'case', path: '$.tier', operator: 'equal', value: { fact: 1 } }] } })], '$.rules[0].conditions.all[0].value.fact'],
    ['a fact reference to toString', [rule({ conditions: { all: [{ fact: 'case', path: '$.tier', operator: 'equal', value: { fact: 'toString' } }] } })], '$.rules[0].conditions.all[0].value.fact'],
    ['a fact named like an Object.prototype member', [rule({ conditions: { all: [{ fact: 'constructor', operator: 'equal', value: 1 }] } })], '$.rules[0].conditions.all[0].fact'],
  ])('reports %s at its JSON path', (_name, rules, expectedPath) => {
    const problems = problemsOf(rules);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((p) => p.split(':')[0])).toContain(expectedPath);
  });

  // json-rules-engine parseInt's priorities (priority.ts): 10.5 runs as 10, 1e21 as 1, and a rule at 0.5 (read 0) is refused when built.
  it.each([
    ['0.5', { priority: 0.5 }, '$.rules[0].priority', 'must be a whole number, 1 or more: json-rules-engine reads 0.5 as 0 and refuses the rule'],
    ['10.5', { priority: 10.5 }, '$.rules[0].priority', 'must be a whole number, 1 or more: json-rules-engine reads 10.5 as 10'],
    ['1e21', { priority: 1e21 }, '$.rules[0].priority', 'must be a whole number from 1 to 9007199254740991'],
    ['1e-7', { priority: 1e-7 }, '$.rules[0].priority', 'must be a whole number, 1 or more: json-rules-engine reads 1e-7 as 1'],
    ['0', { priority: 0 }, '$.rules[0].priority', 'must be a whole number, 1 or more'],
    ['-2', { priority: -2 }, '$.rules[0].priority', 'must be a whole number, 1 or more'],
    ['"5"', { priority: '5' }, '$.rules[0].priority', 'must be a whole number, 1 or more'],
    ['a condition at 1.5', { conditions: { all: [{ fact: 'case', path: '$.subject', operator: 'textContains', value: 'x', priority: 1.5 }] } }, '$.rules[0].conditions.all[0].priority', 'must be a whole number, 1 or more'],
    ['a group at 0.5', { conditions: { any: [{ all: [], priority: 0.5 }] } }, '$.rules[0].conditions.any[0].priority', 'must be a whole number, 1 or more: json-rules-engine reads 0.5 as 1'],
  ])('refuses the priority %s: a whole number, 1 or more, is what json-rules-engine reads unchanged', (_name, over, at, message) => {
    expect(problemsOf([rule(over)])).toEqual([`${at}: ${message}`]);
  });

  it('accepts whole priorities from 1 to the largest exact number', () => {
    expect(problemsOf([rule({ priority: 1 }), rule({ name: 'b', priority: 9_007_199_254_740_991, conditions: { all: [{ fact: 'case', path: '$.tier', operator: 'equal', value: 1, priority: 3 }] } })])).toEqual([]);
  });

  it('a stored version: a priority json-rules-engine runs as another whole number only warns; one it refuses is still an error', () => {
    const stored = { queues: null, policies: null, stored: true };
    const leaf = { fact: 'case', path: '$.tier', operator: 'equal', value: 1, priority: 1.5 }; // run as written: nothing to say
    const warned = validateRuleset({ ruleset: 'routing', rules: [rule({ priority: 10.5 }), rule({ name: 'b', priority: 1e21, conditions: { any: [{ all: [], priority: 0.5 }, leaf] } })] }, stored, 'routing');
    expect(warned.ok).toBe(true);
    expect(warned.problems).toEqual([
      { path: '$.rules[0].priority', severity: 'warning', message: '10.5 is not a whole number: json-rules-engine reads it as 10, and this version runs so (publish a version with a whole number)' },
      { path: '$.rules[1].priority', severity: 'warning', message: expect.stringContaining('reads it as 1,') },
      { path: '$.rules[1].conditions.any[0].priority', severity: 'warning', message: expect.stringContaining('reads it as 1,') },
    ]);
    expect(leaf.priority).toBe(1.5); // json-rules-engine's own check (it parseInt's a leaf's priority in place) ran on a copy
    const refused = validateRuleset({ ruleset: 'routing', rules: [rule({ priority: 0.5 })] }, stored, 'routing');
    expect(refused).toMatchObject({ ok: false, problems: [{ path: '$.rules[0].priority', severity: 'error', message: expect.stringContaining('refuses the rule') }] });
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

  it('refuses a decorated operator whose value json-rules-engine fails on with every case (the whole ruleset would fail)', () => {
    const on = (operator: string, value: unknown) => rule({ name: `${operator} ${JSON.stringify(value)}`, conditions: { all: [{ fact: 'case', path: '$.channel', operator, value }] } });
    const fine = [
      on('someValue:equal', ['web', 'api']),
      on('everyValue:notEqual', ['chat']),
      on('someValue:in', [['web'], ['api']]),
      on('not:in', ['web']),
      on('someValue:textHasWord', ['down', 'outage']),
      on('swap:in', 'web'), // the fact becomes the value: not known before it runs
      on('someValue:equal', { fact: 'case', path: '$.tags' }),
    ];
    expect(problemsOf(fine)).toEqual([]);
    expect(problemsOf([on('someValue:equal', 'web'), on('everyValue:notEqual', 1), on('someValue:in', [['web'], 'api']), on('not:in', 'web'), on('not:someValue:textHasWord', ['down', ''])])).toEqual([
      '$.rules[0].conditions.all[0].value: someValue:equal compares with an array: "someValue" tries the operator with each of its values, and json-rules-engine fails on any other value (the whole ruleset would fail on every case)',
      '$.rules[1].conditions.all[0].value: everyValue:notEqual compares with an array: "everyValue" tries the operator with each of its values, and json-rules-engine fails on any other value (the whole ruleset would fail on every case)',
      '$.rules[2].conditions.all[0].value[1]: in compares with an array',
      '$.rules[3].conditions.all[0].value: in compares with an array',
      '$.rules[4].conditions.all[0].value[1]: textHasWord compares with a string of at least one word',
    ]);
  });

  it('refuses an escalation to a queue of another tier, or to a tier no active queue has', () => {
    const tiers = { ...context, queueTiers: new Map([['general', 1], ['billing', 1], ['advanced', 2]]) };
    const escalate = (params: Record<string, unknown>) => rule({ name: JSON.stringify(params), event: { type: 'escalate', params } });
    expect(problemsOf([escalate({ tier: 2, queue: 'advanced' }), escalate({ tier: 2 }), escalate({ tier: 1, queue: 'billing' })], tiers)).toEqual([]);
    expect(problemsOf([escalate({ tier: 2, queue: 'billing' }), escalate({ tier: 3 }), escalate({ tier: 3, queue: 'advanced' })], tiers)).toEqual([
      '$.rules[0].event.params.queue: the queue "billing" is at tier 1, not tier 2: the case would be marked tier 2 in a tier-1 queue; name a tier-2 queue (advanced), or escalate to tier 1',
      '$.rules[1].event.params.tier: no active queue is at tier 3, so this escalation would fail on every case (tiers with active queues: 1, 2); name a queue or another tier',
      '$.rules[2].event.params.queue: the queue "advanced" is at tier 2, not tier 3: the case would be marked tier 3 in a tier-2 queue; no active queue is at tier 3, or escalate to tier 2',
    ]);
    // Stored versions are loaded without queues to check against: queues change at run time.
    expect(problemsOf([escalate({ tier: 3 })], { queues: null, policies: null } as never)).toEqual([]);
  });

  it('accepts shared conditions (json-rules-engine setCondition) and the rules that refer to them', () => {
    const sharedConditions = {
      vip: { any: [{ fact: 'customer', path: '$.tier', operator: 'equal', value: 'enterprise' }, { fact: 'case', path: '$.tags', operator: 'contains', value: 'vip' }] },
      'urgent vip': { all: [{ condition: 'vip' }, { fact: 'case', path: '$.priority', operator: 'equal', value: 'urgent' }] },
    };
    const result = validateRuleset(
      { ruleset: 'routing', sharedConditions, rules: [rule({ conditions: { condition: 'urgent vip' } }), rule({ name: 'x', conditions: { not: { condition: 'vip', priority: 2 } } })] },
      context,
      'routing',
    );
    expect(result).toMatchObject({ ok: true, problems: [] });
  });

  it('refuses references to undefined shared conditions, cycles and malformed shared conditions; warns about unused ones', () => {
    const check = (sharedConditions: unknown, rules: unknown[]) =>
      validateRuleset({ ruleset: 'routing', sharedConditions, rules }, context, 'routing').problems.map((p) => `${p.severity} ${p.path}: ${p.message}`);
    const leafVip = { fact: 'customer', path: '$.tier', operator: 'equal', value: 'enterprise' };
    expect(check({ vip: { all: [leafVip] } }, [rule({ conditions: { any: [{ condition: 'vipp' }] } })])).toEqual([
      'error $.rules[0].conditions.any[0].condition: no shared condition is named "vipp" (shared conditions: "vip")',
      'warning $.sharedConditions.vip: no rule uses the shared condition "vip"',
    ]);
    expect(check({ a: { all: [{ condition: 'b' }] }, b: { any: [leafVip, { not: { condition: 'a' } }] } }, [rule({ conditions: { all: [{ condition: 'a' }] } })])).toEqual([
      'error $.sharedConditions.b.any[1].not.condition: the shared condition "b" refers back to itself ("a" → "b" → "a"): json-rules-engine would never finish',
    ]);
    expect(check({ self: { all: [{ condition: 'self' }] } }, [rule({ conditions: { all: [{ condition: 'self' }] } })])).toEqual([
      'error $.sharedConditions.self.all[0].condition: the shared condition "self" refers back to itself ("self" → "self"): json-rules-engine would never finish',
    ]);
    expect(check({ leaf: leafVip }, [rule({ conditions: { all: [{ condition: 'leaf' }] } })])).toEqual([
      'error $.sharedConditions.leaf: the top level of conditions must be { "all": [...] }, { "any": [...] }, { "not": {...} } or a shared condition { "condition": name }',
    ]);
    expect(check([leafVip], [rule()])).toEqual(['error $.sharedConditions: must be an object of named conditions: { "name": { "all": [...] } }']);
    expect(check({ vip: { all: [{ ...leafVip, operator: 'resembles' }] } }, [rule({ conditions: { all: [{ condition: 'vip', fact: 'case' }] } })])).toEqual([
      'error $.sharedConditions.vip.all[0].operator: unknown operator "resembles" (known: ' + expect.any(String),
    ].map(() => expect.stringMatching(/^error \$\.sharedConditions\.vip\.all\[0\]\.operator: unknown operator "resembles"/)).concat([
      'error $.rules[0].conditions.all[0].fact: unknown key "fact" (a reference is { "condition": name }, with "name" and "priority" optional)',
    ]));
    // Without sharedConditions, a reference is an error naming that.
    expect(problemsOf([rule({ conditions: { condition: 'vip' } })])).toEqual(['$.rules[0].conditions.condition: no shared condition is named "vip" (the ruleset has no "sharedConditions")']);
  });

  it('refuses shared conditions that multiply into more conditions than a ruleset may hold', () => {
    const leafVip = { fact: 'customer', path: '$.tier', operator: 'equal', value: 'enterprise' };
    const sharedConditions: Record<string, unknown> = { c0: { any: Array.from({ length: 10 }, () => leafVip) } };
    for (let i = 1; i <= 4; i++) sharedConditions[`c${i}`] = { all: Array.from({ length: 10 }, () => ({ condition: `c${i - 1}` })) };
    // c3 reaches 10 × 10 × 10 × 10 = 10,000 conditions (the most), c4 ten times that; a rule using c3 twice, 20,000.
    const problems = validateRuleset({ ruleset: 'routing', sharedConditions, rules: [rule({ conditions: { all: [{ condition: 'c4' }] } }), rule({ name: 'twice', conditions: { any: [{ condition: 'c3' }, { condition: 'c3' }] } })] }, context, 'routing').problems;
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      '$.sharedConditions.c4: expands to more than 10000 conditions through its references; share smaller parts',
      '$.rules[1].conditions: expands to more than 10000 conditions through its shared conditions',
    ]);
  });

  it('skips queue and policy checks when they are not known yet', () => {
    expect(problemsOf([rule({ event: { type: 'route', params: { queue: 'nowhere' } } })], { queues: null, policies: null } as never)).toEqual([]);
  });

  it('accepts plain property paths on every fact, the open event fact included', () => {
    const conditions = {
      all: [
        { fact: 'event', path: '$.type', operator: 'equal', value: 'sla.warning' },
        { fact: 'event', path: "$['data']['metric']", operator: 'equal', value: 'resolution' },
        { fact: 'case', path: '$.tags[0]', operator: 'equal', value: 'vip' },
        { fact: 'case', path: "$['subject']", operator: 'textContains', value: 'x' },
        { fact: 'case', path: '$.tier', operator: 'equal', value: { fact: 'event', path: '$.data.tier', params: {} } },
      ],
    };
    expect(problemsOf([rule({ conditions })])).toEqual([]);
    const wrongField = { all: [{ fact: 'case', path: "$['subjekt']", operator: 'equal', value: 'x' }] };
    expect(problemsOf([rule({ conditions: wrongField })])).toEqual(['$.rules[0].conditions.all[0].path: the fact "case" has no field "subjekt" (fields: id, subject, description, channel, priority, tags, skills, status, tier, queue, assigned, reopenCount, escalationCount, createdAt)']);
  });

  it('refuses deep nesting with a problem instead of overflowing the stack', () => {
    let deep: Record<string, unknown> = { fact: 'case', path: '$.tier', operator: 'equal', value: 1 };
    for (let i = 0; i < 20_000; i++) deep = { not: deep };
    const result = validateRuleset({ ruleset: 'routing', rules: [rule({ conditions: { all: [deep] } })] }, context, 'routing');
    expect(result.ok).toBe(false);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]!.message).toMatch(/nest deeper than 32 levels/);
  });

  it.each([
    ['sla', /reserved/],
    ['a'.repeat(65), /1 to 64/],
    ['Routing', /lower-case/],
    ['my_rules', /lower-case/],
    ['../x', /lower-case/],
    ['-x', /starting with a letter or digit/],
  ])('refuses the ruleset name %s', (name, message) => {
    const result = validateRuleset({ ruleset: name, rules: [] }, context, name);
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatchObject({ path: '$.ruleset', message: expect.stringMatching(message) });
  });

  it('accepts names of up to 64 lower-case letters, digits and dashes', () => {
    for (const name of ['routing', 'vip-2', 'a'.repeat(64), '9lives']) expect(validateRuleset({ ruleset: name, rules: [] }, context, name).ok).toBe(true);
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
