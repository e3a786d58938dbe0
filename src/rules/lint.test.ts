import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/support/harness.js';
import { validateRuleset, type RuleJson, type RulesetDefinition } from './definition.js';
import { describeRule } from './describe.js';
import { lintRuleset } from './lint.js';

const leaf = (pathText: string, operator: string, value: unknown, fact = 'case') => ({ fact, path: pathText, operator, value });
const route = (queue: string) => ({ type: 'route', params: { queue } });
const ruleset = (rules: RuleJson[]): RulesetDefinition => ({ ruleset: 'routing', rules });

describe('lintRuleset: rules that can never fire', () => {
  it.each([
    ['two different equal values', [leaf('$.priority', 'equal', 'urgent'), leaf('$.priority', 'equal', 'low')]],
    ['equal and notEqual the same value', [leaf('$.queue', 'equal', 'billing'), leaf('$.queue', 'notEqual', 'billing')]],
    ['disjoint in lists', [leaf('$.priority', 'in', ['urgent', 'high']), leaf('$.priority', 'in', ['low'])]],
    ['equal outside an in list', [leaf('$.priority', 'in', ['urgent', 'high']), leaf('$.priority', 'equal', 'normal')]],
    ['an empty numeric range', [leaf('$.tier', 'greaterThan', 2), leaf('$.tier', 'lessThan', 2)]],
    ['an open bound on the same number', [leaf('$.reopenCount', 'greaterThan', 3), leaf('$.reopenCount', 'lessThanInclusive', 3)]],
    ['equal outside a range', [leaf('$.tier', 'equal', 1), leaf('$.tier', 'greaterThanInclusive', 2)]],
    ['notIn everything in allows', [leaf('$.priority', 'in', ['low']), leaf('$.priority', 'notIn', ['low', 'normal'])]],
  ])('warns about %s', (_name, conditions) => {
    const problems = lintRuleset(ruleset([{ name: 'Impossible', conditions: { all: conditions }, event: route('billing') }]));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: 'warning', path: '$.rules[0].conditions.all[1]' });
    expect(problems[0]!.message).toMatch(/"Impossible" can never fire/);
  });

  it.each([
    ['conditions on different facts', [leaf('$.priority', 'equal', 'urgent'), leaf('$.tier', 'equal', 'low', 'customer')]],
    ['a satisfiable range', [leaf('$.tier', 'greaterThan', 1), leaf('$.tier', 'lessThan', 3)]],
    ['alternatives under any', [{ any: [leaf('$.priority', 'equal', 'urgent'), leaf('$.priority', 'equal', 'low')] }]],
    ['text operators', [leaf('$.subject', 'textContains', 'a'), leaf('$.subject', 'textContains', 'b')]],
  ])('does not warn about %s', (_name, conditions) => {
    expect(lintRuleset(ruleset([{ conditions: { all: conditions }, event: route('billing') }]))).toEqual([]);
  });
});

describe('lintRuleset: conflicting rules', () => {
  it('warns about two rules at the same priority setting different queues for overlapping conditions', () => {
    const problems = lintRuleset(
      ruleset([
        { name: 'A', priority: 5, conditions: { all: [leaf('$.subject', 'textContains', 'invoice')] }, event: route('billing') },
        { name: 'B', priority: 5, conditions: { all: [leaf('$.subject', 'textContains', 'error')] }, event: route('technical') },
      ]),
    );
    expect(problems).toEqual([
      expect.objectContaining({ severity: 'warning', path: '$.rules[1]', message: expect.stringMatching(/"B" and "A" set different queue values at the same rule priority \(5\)/) }),
    ]);
  });

  it('stays quiet when priorities differ, values agree, or the conditions exclude each other', () => {
    expect(
      lintRuleset(
        ruleset([
          { name: 'A', priority: 5, conditions: { all: [] }, event: route('billing') },
          { name: 'B', priority: 6, conditions: { all: [] }, event: route('technical') },
          { name: 'C', priority: 5, conditions: { all: [] }, event: route('billing') },
          { name: 'D', priority: 1, conditions: { all: [leaf('$.tier', 'equal', 'gold', 'customer')] }, event: route('x') },
          { name: 'E', priority: 1, conditions: { all: [leaf('$.tier', 'equal', 'silver', 'customer')] }, event: route('y') },
          { name: 'F', priority: 1, conditions: { all: [] }, event: { type: 'addTags', params: { tags: ['a'] } } },
          { name: 'G', priority: 1, conditions: { all: [] }, event: { type: 'addTags', params: { tags: ['b'] } } },
        ]),
      ).filter((p) => !p.message.includes('fires on every case')),
    ).toEqual([]);
  });

  it('finds nothing to warn about in the shipped rulesets', () => {
    for (const name of ['routing', 'escalation']) {
      const def = JSON.parse(fs.readFileSync(path.join(ROOT, 'rules', `${name}.json`), 'utf8')) as RulesetDefinition;
      expect(lintRuleset(def)).toEqual([]);
    }
  });
});

describe('lintRuleset: bounded', () => {
  const tiers = ['standard', 'gold', 'enterprise', 'free', 'partner'];
  const overlapping = (n: number): RulesetDefinition =>
    ruleset(
      Array.from({ length: n }, (_, i) => ({
        name: `Rule ${i}`,
        conditions: {
          all: [
            leaf('$.tier', 'equal', tiers[i % 5], 'customer'),
            leaf('$.subject', 'textContains', `word${i}`),
            leaf('$.priority', 'in', ['urgent', 'high']),
            leaf('$.reopenCount', 'lessThan', 3 + (i % 4)),
          ],
        },
        event: route(`q${i % 7}`),
      })),
    );
  const exclusive = (n: number): RulesetDefinition =>
    ruleset(
      Array.from({ length: n }, (_, i) => ({
        name: `Rule ${i}`,
        conditions: { all: [leaf('$.organization', 'equal', `org ${i}`, 'customer'), leaf('$.priority', 'in', ['urgent', 'high']), leaf('$.tier', 'lessThan', 3)] },
        event: route(`q${i}`),
      })),
    );

  it.each([
    ['overlapping', overlapping],
    ['mutually exclusive', exclusive],
  ])('validates and lints 500 %s rules in under 200 ms', (_name, make) => {
    const def = make(500);
    // Best of three: the machine running the tests is shared.
    let best = Infinity;
    for (let attempt = 0; attempt < 3 && best >= 200; attempt++) {
      const started = performance.now();
      expect(validateRuleset(def, { queues: null, policies: null }, 'routing').ok).toBe(true);
      lintRuleset(def);
      best = Math.min(best, performance.now() - started);
    }
    expect(best).toBeLessThan(200);
  });

  it('gives each conflicting rule one warning, naming the first earlier rule it overlaps with', () => {
    const problems = lintRuleset(overlapping(50));
    expect(problems).toHaveLength(45);
    expect(problems[0]).toMatchObject({ path: '$.rules[5]', message: expect.stringMatching(/^"Rule 5" and "Rule 0" set different queue values/) });
    expect(lintRuleset(exclusive(50))).toEqual([]);
  });

  it('treats $.tier and $[\'tier\'] as the same property', () => {
    const problems = lintRuleset(ruleset([{ name: 'X', conditions: { all: [leaf('$.priority', 'equal', 'urgent'), leaf("$['priority']", 'equal', 'low')] }, event: route('billing') }]));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/"X" can never fire/);
  });
});

describe('describeRule', () => {
  it.each([
    [
      {
        conditions: { all: [leaf('$.tier', 'equal', 'enterprise', 'customer'), leaf('$.priority', 'in', ['urgent', 'high'])] },
        event: { type: 'escalate', params: { tier: 2, queue: 'advanced' } },
      },
      "if the customer's tier is enterprise and the priority is urgent or high → escalate to tier 2 (advanced)",
    ],
    [
      { conditions: { any: [leaf('$.subject', 'textContainsAny', ['invoice', 'refund']), { not: leaf('$.queue', 'equal', 'general') }] }, event: route('billing') },
      'if the subject contains any of “invoice”, “refund” or not the queue is general → route to billing',
    ],
    [
      { conditions: { all: [leaf('$.subject', 'textHasWord', 'down'), leaf('$.description', 'textHasAnyWord', ['log in', 'password'])] }, event: route('technical') },
      'if the subject has the word “down” and the description has any of the words “log in”, “password” → route to technical',
    ],
    [{ conditions: { all: [{ fact: 'withinBusinessHours', operator: 'equal', value: false }] }, event: { type: 'addTags', params: { tags: ['after-hours'] } } }, 'if it is outside business hours → tag it after-hours'],
    [{ conditions: { all: [leaf("$['tier']", 'equal', 'gold', 'customer')] }, event: route('billing') }, "if the customer's tier is gold → route to billing"],
    [{ conditions: { all: [] }, event: { type: 'notify', params: { to: 'assignee', template: 'sla-warning' } } }, 'always → notify the assignee (sla-warning)'],
    [
      { conditions: { all: [leaf('$.type', 'equal', 'sla.breached', 'event'), { any: [leaf('$.tier', 'lessThan', 2), leaf('$.matched', 'equal', false, 'diagnosis')] }] }, event: { type: 'setPriority', params: { priority: 'urgent' } } },
      'if the event is sla.breached and (the tier is less than 2 or no known problem matches) → set the priority to urgent',
    ],
    // Times as the builder entered them (UTC), the local clock and the CRM in words, text where a number or yes/no belongs quoted.
    [
      { conditions: { all: [{ fact: 'now', operator: 'greaterThanInclusive', value: Date.UTC(2026, 2, 1, 10, 0) }, leaf('$.createdAt', 'lessThan', Date.UTC(2026, 11, 24, 17, 30))] }, event: route('billing') },
      'if now is at or after 1 Mar 2026, 10:00 UTC and the creation time is before 24 Dec 2026, 17:30 UTC → route to billing',
    ],
    [
      { conditions: { all: [leaf('$.hour', 'lessThan', 9, 'localTime'), leaf('$.weekday', 'in', [6, 7], 'localTime'), leaf('$.dueAt', 'greaterThan', Date.UTC(2026, 2, 2, 8, 0), 'sla')] }, event: route('billing') },
      'if the local hour is less than 9 and the local weekday is Saturday or Sunday and the SLA due time is after 2 Mar 2026, 08:00 UTC → route to billing',
    ],
    [{ conditions: { all: [leaf('$.crm.plan', 'equal', 'gold', 'customer'), leaf('$.id', 'equal', 'C-1042')] }, event: route('billing') }, "if the customer's CRM plan is gold and the reference is C-1042 → route to billing"],
    [{ conditions: { all: [leaf('$.tier', 'equal', '1'), leaf('$.reopenCount', 'in', ['1', 2]), leaf('$.subject', 'equal', '')] }, event: route('billing') }, 'if the tier is "1" and the number of reopens is "1" or 2 and the subject is "" → route to billing'],
    [{ conditions: { not: { any: [] } }, event: route('billing') }, 'never → route to billing'],
    // The mailbox a mail came to (docs/email.md): a field of the catalogue, not "event $.mailbox".
    [{ conditions: { all: [leaf('$.mailbox', 'equal', 'Sales', 'event')] }, event: route('billing') }, 'if the mailbox is Sales → route to billing'],
  ] as [RuleJson, string][])('reads %# as a sentence', (rule, sentence) => {
    expect(describeRule(rule)).toBe(sentence);
  });
});

describe('lintRuleset: empty condition groups (true in json-rules-engine)', () => {
  const hit = (conditions: RuleJson['conditions']) => lintRuleset(ruleset([{ name: 'Empty', conditions, event: route('billing') }]));

  it.each([
    ['any: []', { any: [] }, '$.rules[0].conditions.any'],
    ['all: []', { all: [] }, '$.rules[0].conditions.all'],
    ['an empty group among alternatives', { any: [leaf('$.priority', 'equal', 'urgent'), { all: [] }] }, '$.rules[0].conditions.any[1].all'],
  ])('%s fires on every case', (_name, conditions, at) => {
    expect(hit(conditions)).toEqual([{ severity: 'warning', path: at, message: expect.stringMatching(/^"Empty" fires on every case: json-rules-engine treats an empty "(any|all)" group as true/) }]);
  });

  it.each([
    ['not any: []', { not: { any: [] } }],
    ['not all: []', { not: { all: [] } }],
  ])('%s never fires', (_name, conditions) => {
    expect(hit(conditions)).toEqual([{ severity: 'warning', path: expect.stringMatching(/^\$\.rules\[0\]\.conditions\.not\./), message: expect.stringMatching(/^"Empty" never fires/) }]);
  });

  it('an empty group beside real conditions narrows nothing', () => {
    const problems = hit({ all: [leaf('$.priority', 'equal', 'urgent'), { any: [] }] });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('$.rules[0].conditions.all[1].any');
    expect(problems[0]!.message).toMatch(/has an empty "any" group: .* narrows nothing/);
  });

  it('agrees with json-rules-engine: the warned rules fire on every case or never', async () => {
    const { Engine } = await import('json-rules-engine');
    const fires = async (conditions: object) => {
      const engine = new Engine([], { allowUndefinedFacts: true });
      engine.addRule({ conditions: conditions as never, event: { type: 'x' } });
      return (await engine.run({ case: { priority: 'low' } })).events.length === 1;
    };
    expect(await fires({ any: [] })).toBe(true);
    expect(await fires({ all: [] })).toBe(true);
    expect(await fires({ not: { any: [] } })).toBe(false);
    expect(await fires({ not: { all: [] } })).toBe(false);
  });

  it('a disabled rule or non-empty groups are not warned about', () => {
    expect(lintRuleset(ruleset([{ enabled: false, conditions: { any: [] }, event: route('billing') }]))).toEqual([]);
    expect(hit({ any: [leaf('$.priority', 'equal', 'urgent')] })).toEqual([]);
  });
});

describe('lintRuleset: a name an unnamed rule is recorded by', () => {
  it('warns about a rule named "#1" beside the unnamed rule recorded as #1 (its position among the rules that run)', () => {
    const tag = (tags: string[]) => ({ type: 'addTags', params: { tags } });
    const always = { all: [leaf('$.channel', 'equal', 'api')] };
    const rules = [
      { name: '#1', conditions: always, event: tag(['a']) },
      { enabled: false, conditions: always, event: tag(['off']) },
      { conditions: always, event: tag(['b']) }, // recorded as #1: the switched-off rule does not count
    ];
    expect(lintRuleset(ruleset(rules))).toEqual([
      { severity: 'warning', path: '$.rules[0].name', message: '"#1" is also how the unnamed rules[2] is recorded (its position among the rules that run), so the timeline and "Why is this case here?" could not tell the two apart: name rules[2], or rename this one' },
    ]);
    expect(lintRuleset(ruleset([{ ...rules[0]!, name: '#2' }, rules[2]!]))).toEqual([]);
  });
});

describe('lintRuleset: values a field never has (json-rules-engine compares with ===)', () => {
  const one = (condition: object, known = {}) => lintRuleset(ruleset([{ name: 'Typed by hand', conditions: { all: [condition] }, event: route('billing') }]), known);

  it.each([
    ['the tier as text', leaf('$.tier', 'equal', '1'), 'Tier is a number, never the text "1" (write 1 without quotes), so this condition never holds'],
    ['business hours as text', { fact: 'withinBusinessHours', operator: 'equal', value: 'true' }, 'Within business hours is true or false, never the text "true" (write true without quotes), so this condition never holds'],
    ['a priority in capitals', leaf('$.priority', 'equal', 'Urgent'), 'Priority is never "Urgent": it is one of the priorities (urgent, high, normal, low; "urgent" is written so), so this condition never holds'],
    ['a channel that does not exist, negated', leaf('$.channel', 'notEqual', 'portal'), 'Channel is never "portal": it is one of the channels (web, api, email, phone, walk-in, chat), so this condition always holds'],
    ['a number for a text field', leaf('$.email', 'equal', 42, 'customer'), 'Customer email is text, never 42, so this condition never holds'],
    ['open cases as text, in a list', leaf('$.openCases', 'in', ['3', '4'], 'customer'), 'Customer\'s open cases is a number, never the text "3" (write 3 without quotes); Customer\'s open cases is a number, never the text "4" (write 4 without quotes), so this condition never holds'],
  ])('warns about %s, at the value', (_name, condition, message) => {
    expect(one(condition)).toEqual([{ path: '$.rules[0].conditions.all[0].value', message: `"Typed by hand": ${message}`, severity: 'warning' }]);
  });

  it('names each impossible value of a list that has possible ones too, and looks inside any and not', () => {
    expect(one({ any: [{ not: leaf('$.channel', 'in', ['email', 'Email', 'portal']) }] })).toEqual([
      { path: '$.rules[0].conditions.all[0].any[0].not.value[1]', message: '"Typed by hand": Channel is never "Email": it is one of the channels (web, api, email, phone, walk-in, chat; "email" is written so), so this value never matches', severity: 'warning' },
      { path: '$.rules[0].conditions.all[0].any[0].not.value[2]', message: '"Typed by hand": Channel is never "portal": it is one of the channels (web, api, email, phone, walk-in, chat), so this value never matches', severity: 'warning' },
    ]);
  });

  it('judges queues and states by those given (every queue, every state of any workflow version)', () => {
    const known = { queues: ['billing', 'general'], states: ['new', 'open'] };
    expect(one(leaf('$.status', 'equal', 'waiting'), known)[0]!.message).toBe('"Typed by hand": State is never "waiting": it is one of the states of the workflows (new, open), so this condition never holds');
    expect(one(leaf('$.queue', 'in', ['nowhere']), known)[0]!.message).toContain('Queue is never "nowhere": it is one of the queues (billing, general)');
    expect(one(leaf('$.status', 'equal', 'waiting'))).toEqual([]); // nothing known: not judged
  });

  it('stays quiet about values that fit, null, fields outside the catalogue, the CRM\'s fields and switched-off rules', () => {
    for (const condition of [
      leaf('$.tier', 'equal', 2),
      leaf('$.priority', 'in', ['urgent', 'high']),
      { fact: 'withinBusinessHours', operator: 'notEqual', value: false },
      leaf('$.organization', 'equal', null, 'customer'),
      leaf('$.tags[0]', 'equal', 3),
      leaf('$.crm.mrr', 'equal', '100', 'customer'),
      leaf('$.subject', 'textContains', 'Urgent'),
    ]) {
      expect(one(condition)).toEqual([]);
    }
    expect(lintRuleset(ruleset([{ enabled: false, conditions: { all: [leaf('$.tier', 'equal', '1')] }, event: route('billing') }]))).toEqual([]);
  });

  it.each([
    ['contains on a text', leaf('$.subject', 'contains', 'refund'), 'Subject is not a list: json-rules-engine\'s "contains" looks into lists only and is false for anything else, so this condition never holds (for words in a text: textContains, or textHasWord)'],
    ['doesNotContain on a text', leaf('$.description', 'doesNotContain', 'spam'), 'Description is not a list: json-rules-engine\'s "doesNotContain" looks into lists only and is false for anything else, so this condition never holds (for words in a text: textContains, or textHasWord, under "not")'],
    ['contains on a number', leaf('$.tier', 'contains', 2), 'Tier is not a list: json-rules-engine\'s "contains" looks into lists only and is false for anything else, so this condition never holds'],
    ['a comparison of numbers on a priority', leaf('$.priority', 'greaterThan', 2), 'Priority is never a number: json-rules-engine\'s "greaterThan" is false for anything that is not one, so this condition never holds'],
  ])('warns about %s, at the operator', (_name, condition, message) => {
    expect(one(condition)).toEqual([{ path: '$.rules[0].conditions.all[0].operator', message: `"Typed by hand": ${message}`, severity: 'warning' }]);
  });

  it('stays quiet about list operators on lists and comparisons of numbers on numbers', () => {
    for (const condition of [leaf('$.tags', 'contains', 'vip'), leaf('$.tags', 'doesNotContain', 'vip'), leaf('$.tier', 'lessThan', 2), leaf('$.openCases', 'greaterThanInclusive', 3, 'customer')]) {
      expect(one(condition)).toEqual([]);
    }
  });

  it('agrees with json-rules-engine: contains and doesNotContain never hold on a text, nor a comparison of numbers on a priority', async () => {
    const { Engine } = await import('json-rules-engine');
    const fires = async (condition: object) => {
      const engine = new Engine([], { allowUndefinedFacts: true });
      engine.addRule({ conditions: { all: [condition] } as never, event: { type: 'x' } });
      return (await engine.run({ case: { subject: 'Please refund me', description: 'no spam here', tier: 2, priority: 'urgent', tags: ['vip'] } })).events.length === 1;
    };
    expect(await fires(leaf('$.subject', 'contains', 'refund'))).toBe(false);
    expect(await fires(leaf('$.description', 'doesNotContain', 'nothing like it'))).toBe(false);
    expect(await fires(leaf('$.tier', 'contains', 2))).toBe(false);
    expect(await fires(leaf('$.priority', 'greaterThan', 2))).toBe(false);
    expect(await fires(leaf('$.priority', 'lessThan', 2))).toBe(false);
    expect(await fires(leaf('$.tags', 'contains', 'vip'))).toBe(true);
  });

  it('stays quiet about a comparison with another fact (json-rules-engine compares with its value when the rule runs)', async () => {
    for (const condition of [
      leaf('$.subject', 'equal', { fact: 'customer', path: '$.name' }),
      leaf('$.openCases', 'equal', { fact: 'case', path: '$.reopenCount' }, 'customer'),
      leaf('$.priority', 'notEqual', { fact: 'event', path: '$.priority' }),
      { fact: 'withinBusinessHours', operator: 'equal', value: { fact: 'event', path: '$.inHours' } },
      leaf('$.tags', 'contains', { fact: 'event', path: '$.tag' }),
    ]) {
      expect(one(condition)).toEqual([]);
    }
    // And it can hold: the subject that is the customer's name.
    const { Engine } = await import('json-rules-engine');
    const engine = new Engine([], { allowUndefinedFacts: true });
    engine.addRule({ conditions: { all: [leaf('$.subject', 'equal', { fact: 'customer', path: '$.name' })] } as never, event: { type: 'x' } });
    expect((await engine.run({ case: { subject: 'Pat' }, customer: { name: 'Pat' } })).events).toHaveLength(1);
  });

  it.each([
    ['tags equal to a tag', leaf('$.tags', 'equal', 'vip'), 'operator', 'Tags is a list, never "vip": json-rules-engine\'s "equal" compares the whole list, so this condition never holds (for one value in the list: contains)'],
    ['skills not equal to a skill', leaf('$.skills', 'notEqual', 'refunds'), 'operator', 'Required skills is a list, never "refunds": json-rules-engine\'s "notEqual" compares the whole list, so this condition always holds (for one value in the list: contains under "not", or doesNotContain)'],
    ['tags in a list of tags', leaf('$.tags', 'in', ['vip', 'gold']), 'operator', 'Tags is a list: json-rules-engine\'s "in" looks for the whole list among the values, where it never is, so this condition never holds (for any of several values: one "contains" per value, in an "any" group)'],
    ['skills not in a list', leaf('$.skills', 'notIn', ['refunds']), 'operator', 'Required skills is a list: json-rules-engine\'s "notIn" looks for the whole list among the values, where it never is, so this condition always holds (for any of several values: one "contains" per value, in an "any" group)'],
    ['tags containing a list', leaf('$.tags', 'contains', ['vip', 'gold']), 'value', 'Tags holds texts, never ["vip","gold"]: json-rules-engine\'s "contains" looks for the value itself in the list, so this condition never holds (for any of several values: one "contains" per value, in an "any" group)'],
    ['tags not containing a number', leaf('$.tags', 'doesNotContain', 2), 'value', 'Tags holds texts, never 2: json-rules-engine\'s "doesNotContain" looks for the value itself in the list, so this condition always holds'],
  ])('warns about %s, a list compared as one value', (_name, condition, at, message) => {
    expect(one(condition)).toEqual([{ path: `$.rules[0].conditions.all[0].${at}`, message: `"Typed by hand": ${message}`, severity: 'warning' }]);
  });

  it('agrees with json-rules-engine: a list compared as one value never holds (and the negations always do)', async () => {
    const { Engine } = await import('json-rules-engine');
    const fires = async (condition: object) => {
      const engine = new Engine([], { allowUndefinedFacts: true });
      engine.addRule({ conditions: { all: [condition] } as never, event: { type: 'x' } });
      return (await engine.run({ case: { tags: ['vip'], skills: ['refunds'] } })).events.length === 1;
    };
    expect(await fires(leaf('$.tags', 'equal', 'vip'))).toBe(false);
    expect(await fires(leaf('$.tags', 'equal', ['vip']))).toBe(false);
    expect(await fires(leaf('$.skills', 'notEqual', 'refunds'))).toBe(true);
    expect(await fires(leaf('$.tags', 'in', ['vip', 'gold']))).toBe(false);
    expect(await fires(leaf('$.tags', 'in', [['vip']]))).toBe(false);
    expect(await fires(leaf('$.skills', 'notIn', ['refunds']))).toBe(true);
    expect(await fires(leaf('$.tags', 'contains', ['vip']))).toBe(false);
    expect(await fires(leaf('$.tags', 'doesNotContain', ['vip']))).toBe(true);
    expect(await fires(leaf('$.tags', 'contains', 'vip'))).toBe(true);
  });

  it('agrees with json-rules-engine: such conditions never hold (and their negations always do)', async () => {
    const { Engine } = await import('json-rules-engine');
    const fires = async (condition: object) => {
      const engine = new Engine([], { allowUndefinedFacts: true });
      engine.addRule({ conditions: { all: [condition] } as never, event: { type: 'x' } });
      return (await engine.run({ case: { tier: 1, priority: 'urgent', channel: 'email' }, withinBusinessHours: true })).events.length === 1;
    };
    expect(await fires(leaf('$.tier', 'equal', '1'))).toBe(false);
    expect(await fires(leaf('$.priority', 'equal', 'Urgent'))).toBe(false);
    expect(await fires({ fact: 'withinBusinessHours', operator: 'equal', value: 'true' })).toBe(false);
    expect(await fires(leaf('$.channel', 'notEqual', 'portal'))).toBe(true);
  });
});
