/**
 * The compiled rules must decide exactly as json-rules-engine does. These tests run both
 * on the shipped rulesets and on random rules and facts, and compare what fired (or that
 * both failed).
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/support/harness.js';
import { compileFast } from './compile.js';
import type { RuleCondition, RuleJson, RulesetDefinition } from './definition.js';
import { compileRuleset } from './engine.js';
import type { Facts } from './facts.js';

async function viaEngine(def: RulesetDefinition, facts: Record<string, unknown>): Promise<string[] | 'error'> {
  try {
    const { results } = await compileRuleset(def, 1).engine.run({ ...facts });
    const order = new Map(def.rules.map((r, i) => [r.name ?? `#${i}`, i]));
    return results.map((r) => r.name).sort((a, b) => order.get(a)! - order.get(b)!);
  } catch {
    return 'error';
  }
}

function viaCompiled(def: RulesetDefinition, facts: Record<string, unknown>): string[] | 'error' {
  try {
    return compileFast(def, 1).fired(facts).map((f) => f.rule);
  } catch {
    return 'error';
  }
}

// ---- generators -------------------------------------------------------------------------

const scalar = fc.oneof(
  fc.constantFrom('invoice', 'Invoice', 'refund', 'urgent', 'high', 'normal', 'enterprise', '', 'a', '10', 'NaN', 'down', 'charge', 'log in', 'Résumé', '!!'),
  fc.integer({ min: -5, max: 20 }),
  fc.double({ min: -10, max: 10, noNaN: true }),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 2, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const caseFact = fc.record({
  subject: fc.constantFrom('Invoice is wrong', 'Outage: API down', 'hello', '', 'How do I download my invoices?', 'Rapid growth plan', 'Can\'t log in'),
  description: fc.constantFrom('Please refund me', 'error 500 everywhere', 'nothing', 'REFUND invoice', 'Charged twice, two charges', 'Mon résumé: logging in fails'),
  priority: fc.constantFrom('urgent', 'high', 'normal', 'low'),
  tags: fc.array(fc.constantFrom('vip', 'enterprise', 'after-hours'), { maxLength: 3 }),
  tier: fc.integer({ min: 1, max: 3 }),
  reopenCount: fc.integer({ min: 0, max: 4 }),
  queue: fc.constantFrom('general', 'billing'),
  assigned: fc.boolean(),
  nested: fc.record({ level: fc.integer({ min: 0, max: 3 }), label: fc.constantFrom('x', 'y') }),
});

const factsArb = fc.record({
  case: caseFact,
  customer: fc.record({ tier: fc.constantFrom('standard', 'enterprise'), openCases: fc.integer({ min: 0, max: 5 }), organization: fc.constantFrom(null, 'Acme') }),
  diagnosis: fc.record({ matched: fc.boolean(), problemId: fc.constantFrom(null, 1, 2) }),
  event: fc.record({ type: fc.constantFrom('case.created', 'sla.breached') }),
  now: fc.integer({ min: 0, max: 100 }),
  withinBusinessHours: fc.boolean(),
  sla: fc.option(fc.record({ metric: fc.constantFrom('resolution', 'firstResponse'), overdueMinutes: fc.integer({ min: 0, max: 90 }) }), { nil: undefined }),
});

const factPath = fc.oneof(
  fc.record({ fact: fc.constant('case'), path: fc.constantFrom('$.subject', '$.description', '$.priority', '$.tags', '$.tier', '$.reopenCount', '$.nested.level', '$.nested.label', '$.missing', '$.tags[0]', '$.tags.length', "$['nested'].label", '$..label') }),
  fc.record({ fact: fc.constant('customer'), path: fc.constantFrom('$.tier', '$.openCases', '$.organization') }),
  fc.record({ fact: fc.constant('diagnosis'), path: fc.constantFrom('$.matched', '$.problemId') }),
  fc.record({ fact: fc.constant('sla'), path: fc.constantFrom('$.metric', '$.overdueMinutes') }),
  fc.record({ fact: fc.constantFrom('now', 'withinBusinessHours', 'unknownFact') }),
);

const operator = fc.constantFrom(
  'equal', 'notEqual', 'in', 'notIn', 'contains', 'doesNotContain', 'lessThan', 'lessThanInclusive', 'greaterThan',
  'greaterThanInclusive', 'textContains', 'textContainsAny', 'textHasWord', 'textHasAnyWord', 'not:equal', 'someFact:equal',
  'everyFact:textContains', 'someValue:textContains', 'someFact:textHasWord', 'everyValue:textHasWord', 'not:textHasAnyWord',
  'everyValue:notEqual', 'swap:in', 'noSuchOperator',
);

const leaf: fc.Arbitrary<RuleCondition> = fc
  .record({
    target: factPath,
    operator,
    value: fc.oneof({ weight: 5, arbitrary: value }, { weight: 1, arbitrary: factPath }),
    priority: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  })
  .map(({ target, operator: op, value: v, priority }) => ({ ...target, operator: op, value: v, ...(priority ? { priority } : {}) }));

const condition: fc.Arbitrary<RuleCondition> = fc.letrec<{ node: RuleCondition }>((tie) => ({
  node: fc.oneof(
    { weight: 5, arbitrary: leaf },
    { weight: 2, arbitrary: fc.record({ all: fc.array(tie('node'), { maxLength: 3 }) }) },
    { weight: 2, arbitrary: fc.record({ any: fc.array(tie('node'), { maxLength: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ not: tie('node') }) },
  ),
})).node;

const topCondition = fc.oneof(
  fc.record({ all: fc.array(condition, { maxLength: 4 }) }),
  fc.record({ any: fc.array(condition, { maxLength: 4 }) }),
  fc.record({ not: condition }),
);

const ruleset = fc.array(fc.record({ conditions: topCondition, priority: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }) }), { minLength: 1, maxLength: 5 }).map(
  (rules): RulesetDefinition => ({
    ruleset: 'random',
    rules: rules.map((r, i): RuleJson => ({
      name: `r${i}`,
      ...(r.priority ? { priority: r.priority } : {}),
      conditions: r.conditions,
      event: { type: 'addTags', params: { tags: [`t${i}`] } },
    })),
  }),
);

// JSON round trip: undefined values disappear, exactly as when rules are stored.
const stored = (def: RulesetDefinition) => JSON.parse(JSON.stringify(def)) as RulesetDefinition;

describe('compiled rules', () => {
  it('fire exactly as json-rules-engine on random rules and facts', async () => {
    await fc.assert(
      fc.asyncProperty(ruleset, factsArb, async (def, facts) => {
        const d = stored(def);
        const f = JSON.parse(JSON.stringify(facts)) as Record<string, unknown>;
        expect(viaCompiled(d, f)).toEqual(await viaEngine(d, f));
      }),
      { numRuns: 1500 },
    );
  });

  it('fire exactly as json-rules-engine on the shipped rulesets', async () => {
    for (const name of ['routing', 'escalation']) {
      const def = JSON.parse(fs.readFileSync(path.join(ROOT, 'rules', `${name}.json`), 'utf8')) as RulesetDefinition;
      await fc.assert(
        fc.asyncProperty(factsArb, async (facts) => {
          const f = JSON.parse(JSON.stringify(facts)) as Record<string, unknown>;
          expect(viaCompiled(def, f)).toEqual(await viaEngine(def, f));
        }),
        { numRuns: 300 },
      );
    }
  });

  it('decide with the same conflict resolution', () => {
    const def: RulesetDefinition = {
      ruleset: 'routing',
      rules: [
        { name: 'low', conditions: { all: [] }, event: { type: 'route', params: { queue: 'general' } } },
        { name: 'high', priority: 9, conditions: { all: [] }, event: { type: 'route', params: { queue: 'billing' } } },
        { name: 'tags', conditions: { any: [] }, event: { type: 'addTags', params: { tags: ['x'] } } },
      ],
    };
    const facts = { case: {} } as unknown as Facts;
    const { fired, decisions } = compileFast(def, 4).decide(facts as unknown as Record<string, unknown>);
    expect(fired.map((f) => f.rule)).toEqual(['low', 'high', 'tags']);
    expect(decisions).toMatchObject({ queue: 'billing', tags: ['x'] });
  });
});
