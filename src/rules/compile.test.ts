/**
 * The differential test: the compiled rules (which run intake and escalation) must decide
 * exactly as json-rules-engine does. Both run on the shipped rulesets and on random rulesets
 * and facts, and give the same `Evaluation`: the same fired rules in the same order, with the
 * same priorities and events (the explanation recorded on the timeline), the same decisions,
 * and the same error when a ruleset fails.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/support/harness.js';
import { compileFast, evaluateFast, prepareRuleset, unsupportedConstructs } from './compile.js';
import { validateRuleset, type RuleCondition, type RuleJson, type RulesetDefinition } from './definition.js';
import { compileRuleset } from './engine.js';
import { evaluateRuleset, type Evaluation } from './evaluate.js';
import type { Facts } from './facts.js';
import { localTimeFact } from './build-facts.js';
import { runRuleset } from './run-ruleset.js';

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
  localTime: fc.option(
    fc.tuple(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata')).map(([at, zone]) => localTimeFact(at, zone)),
    { nil: undefined },
  ),
  sla: fc.option(fc.record({ metric: fc.constantFrom('resolution', 'firstResponse'), overdueMinutes: fc.integer({ min: 0, max: 90 }) }), { nil: undefined }),
});

const factPath = fc.oneof(
  fc.record({ fact: fc.constant('case'), path: fc.constantFrom('$.subject', '$.description', '$.priority', '$.tags', '$.tier', '$.reopenCount', '$.nested.level', '$.nested.label', '$.missing', '$.tags[0]', '$.tags.length', "$['nested'].label", '$..label') }),
  fc.record({ fact: fc.constant('customer'), path: fc.constantFrom('$.tier', '$.openCases', '$.organization') }),
  fc.record({ fact: fc.constant('diagnosis'), path: fc.constantFrom('$.matched', '$.problemId') }),
  fc.record({ fact: fc.constant('sla'), path: fc.constantFrom('$.metric', '$.overdueMinutes') }),
  fc.record({ fact: fc.constant('localTime'), path: fc.constantFrom('$.hour', '$.weekday', '$.date', '$.minute') }),
  fc.record({ fact: fc.constantFrom('now', 'withinBusinessHours', 'unknownFact') }),
);

const operator = fc.constantFrom(
  'equal', 'notEqual', 'in', 'notIn', 'contains', 'doesNotContain', 'lessThan', 'lessThanInclusive', 'greaterThan',
  'greaterThanInclusive', 'textContains', 'textContainsAny', 'textHasWord', 'textHasAnyWord', 'not:equal', 'someFact:equal',
  'everyFact:textContains', 'someValue:textContains', 'someFact:textHasWord', 'everyValue:textHasWord', 'not:textHasAnyWord',
  'everyValue:notEqual', 'swap:in', 'noSuchOperator',
);

/**
 * Whole priorities, and the ones validation refuses but a version stored before that check may
 * hold: json-rules-engine parseInt's them (10.5 runs as 10, 1e21 as 1, a rule at 0.5 is refused).
 */
const priority = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom(0.5, 1.5, 2.5, 2.9, 3.1, 1e21, 1e-7) });

const leaf: fc.Arbitrary<RuleCondition> = fc
  .record({
    target: factPath,
    operator,
    value: fc.oneof({ weight: 5, arbitrary: value }, { weight: 1, arbitrary: factPath }),
    priority: fc.option(priority, { nil: undefined }),
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

/**
 * A reference to a shared condition. Every random ruleset defines s0–s2: json-rules-engine
 * rejects a reference to an undefined one from inside its promises (unhandled rejections);
 * validation refuses those (definition.test.ts), and the compiled form leaves them to it.
 */
const reference: fc.Arbitrary<RuleCondition> = fc
  .record({ condition: fc.constantFrom('s0', 's1', 's2'), priority: fc.option(priority, { nil: undefined }), name: fc.option(fc.constant('ref'), { nil: undefined }) })
  .map(({ condition: name, priority: p, name: n }) => ({ condition: name, ...(p ? { priority: p } : {}), ...(n ? { name: n } : {}) }));

const conditionOrReference: fc.Arbitrary<RuleCondition> = fc.letrec<{ node: RuleCondition }>((tie) => ({
  node: fc.oneof(
    { weight: 4, arbitrary: leaf },
    { weight: 2, arbitrary: reference },
    { weight: 2, arbitrary: fc.record({ all: fc.array(tie('node'), { maxLength: 3 }) }) },
    { weight: 2, arbitrary: fc.record({ any: fc.array(tie('node'), { maxLength: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ not: tie('node') }) },
  ),
})).node;

const ruleTopCondition = fc.oneof(
  { weight: 3, arbitrary: topCondition },
  { weight: 2, arbitrary: fc.record({ all: fc.array(conditionOrReference, { maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ any: fc.array(conditionOrReference, { maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ not: conditionOrReference }) },
  { weight: 1, arbitrary: reference },
);

/** s0 and s1 plain (the root may carry a priority and a name), s2 refers to them: no cycle (json-rules-engine would never finish one). */
const sharedConditions = fc
  .record({
    s0: topCondition,
    s1: fc.record({ top: topCondition, priority: fc.option(priority, { nil: undefined }), name: fc.option(fc.constant('shared'), { nil: undefined }) }),
    s2: fc.record({ any: fc.tuple(fc.constantFrom<RuleCondition>({ condition: 's0' }, { condition: 's1', priority: 2 }), condition).map((xs) => [...xs]) }),
  })
  .map(({ s0, s1, s2 }) => ({ s0, s1: { ...s1.top, ...(s1.priority ? { priority: s1.priority } : {}), ...(s1.name ? { name: s1.name } : {}) }, s2 }));

const ruleEvent: fc.Arbitrary<RuleJson['event']> = fc.oneof(
  fc.record({ type: fc.constant('route'), params: fc.record({ queue: fc.constantFrom('general', 'billing', 'technical') }) }),
  fc.record({ type: fc.constant('setPriority'), params: fc.record({ priority: fc.constantFrom('urgent', 'high', 'normal', 'low') }) }),
  fc.record({ type: fc.constant('addTags'), params: fc.record({ tags: fc.array(fc.constantFrom('vip', 'refund', 'outage'), { minLength: 1, maxLength: 2 }) }) }),
  fc.record({ type: fc.constant('requireSkills'), params: fc.record({ skills: fc.array(fc.constantFrom('refunds', 'api'), { minLength: 1, maxLength: 2 }) }) }),
  fc.record({ type: fc.constant('applySlaPolicy'), params: fc.record({ policy: fc.constantFrom('standard', 'premium') }) }),
  fc.record({
    type: fc.constant('escalate'),
    params: fc.record({ tier: fc.integer({ min: 2, max: 3 }), queue: fc.constantFrom('advanced', 'experts'), reason: fc.constantFrom('urgent', 'unknown problem') }, { requiredKeys: ['tier'] }),
  }),
  fc.record({ type: fc.constant('notify'), params: fc.record({ to: fc.constantFrom('customer', 'assignee', 'managers'), template: fc.constantFrom('case-received', 'case-escalated') }) }),
  fc.record({ type: fc.constant('offerSolution'), params: fc.constant({}) }, { requiredKeys: ['type'] }),
);

const ruleset = fc
  .tuple(
    fc.array(fc.record({ conditions: ruleTopCondition, priority: fc.option(priority, { nil: undefined }), named: fc.boolean(), event: ruleEvent }), { minLength: 1, maxLength: 5 }),
    sharedConditions,
  )
  .map(
    ([rules, shared]): RulesetDefinition => ({
      ruleset: 'random',
      sharedConditions: shared,
      rules: rules.map((r, i): RuleJson => ({
        ...(r.named ? { name: `r${i}` } : {}),
        ...(r.priority ? { priority: r.priority } : {}),
        conditions: r.conditions,
        event: r.event,
      })),
    }),
  );

// JSON round trip: undefined values disappear, exactly as when rules are stored.
const stored = (def: RulesetDefinition) => JSON.parse(JSON.stringify(def)) as RulesetDefinition;

/** What building a ruleset threw (json-rules-engine refuses some rules when they are built), or its result. */
function built<T>(build: () => T): T | { refused: string } {
  try {
    return build();
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

/** The whole evaluation both ways: fired rules (names, priorities, events), decisions, error; or the same refusal to build. */
async function bothWays(def: RulesetDefinition, facts: Record<string, unknown>): Promise<{ compiled: Evaluation | { refused: string }; reference: Evaluation | { refused: string } }> {
  const fast = built(() => compileFast(def, 7));
  const engine = built(() => compileRuleset(def, 7));
  return {
    compiled: 'refused' in fast ? fast : evaluateFast(fast, facts),
    reference: 'refused' in engine ? engine : await evaluateRuleset(engine, facts as unknown as Facts),
  };
}

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

  it('give the same evaluation as json-rules-engine: fired rules with priorities and events, decisions; fail alike', async () => {
    let failed = 0;
    await fc.assert(
      fc.asyncProperty(ruleset, factsArb, async (def, facts) => {
        const d = stored(def);
        const f = JSON.parse(JSON.stringify(facts)) as Record<string, unknown>;
        const { compiled, reference } = await bothWays(d, f);
        if ('refused' in compiled || 'refused' in reference || reference.error === null) {
          expect(compiled).toEqual(reference);
        } else {
          // Both fail; which of several throwing conditions json-rules-engine reports depends on
          // its promises (runRuleset then records the reference's error, next test).
          expect(compiled).toMatchObject({ ruleset: reference.ruleset, version: reference.version, fired: [], decisions: reference.decisions, error: expect.any(String) });
          failed++;
        }
      }),
      { numRuns: 1500 },
    );
    expect(failed).toBeGreaterThan(0); // the generators do reach rulesets that fail (unknown operators, bad paths)
  });

  it('run in place of json-rules-engine exactly when they support every construct', async () => {
    await fc.assert(
      fc.asyncProperty(ruleset, factsArb, async (def, facts) => {
        const d = stored(def);
        const f = JSON.parse(JSON.stringify(facts)) as unknown as Facts;
        const prepared = built(() => prepareRuleset(d, 3));
        if ('refused' in prepared) return; // json-rules-engine refuses to build it (so does validation)
        const supported = unsupportedConstructs(d).length === 0;
        expect(prepared.fast !== null).toBe(supported);
        const compiled = runRuleset(prepared, f, 'compiled');
        const reference = runRuleset(prepared, f, 'reference');
        // Synchronous when compiled; a failing compiled evaluation is run again by json-rules-engine (its error is the one recorded).
        const fastFailed = prepared.fast !== null && evaluateFast(prepared.fast, f).error !== null;
        expect(compiled instanceof Promise).toBe(!supported || fastFailed);
        expect(reference).toBeInstanceOf(Promise);
        expect(await compiled).toEqual(await reference);
      }),
      { numRuns: 300 },
    );
  });

  it('are built by json-rules-engine whenever validation passes them, new or stored', async () => {
    let passed = 0;
    await fc.assert(
      fc.asyncProperty(ruleset, fc.boolean(), async (def, storedBefore) => {
        const d = stored(def);
        if (!validateRuleset(d, { queues: null, policies: null, stored: storedBefore }, 'random').ok) return;
        passed++;
        expect(built(() => prepareRuleset(d, 1))).not.toHaveProperty('refused');
      }),
      { numRuns: 1500 },
    );
    expect(passed).toBeGreaterThan(0);
  });

  it('support every construct of a ruleset that passes validation, and not the ones it refuses', () => {
    for (const name of ['routing', 'escalation']) {
      const def = JSON.parse(fs.readFileSync(path.join(ROOT, 'rules', `${name}.json`), 'utf8')) as RulesetDefinition;
      expect(validateRuleset(def, { queues: null, policies: null }).ok).toBe(true);
      expect(unsupportedConstructs(def)).toEqual([]);
    }
    const refused: RulesetDefinition = {
      ruleset: 'odd',
      sharedConditions: { vip: { any: [{ fact: 'customer', path: '$.tier', operator: 'equal', value: 'vip' }] } },
      rules: [
        { name: 'shared', conditions: { all: [{ condition: 'isVip' }, { condition: 'vip' }] }, event: { type: 'addTags', params: { tags: ['x'] } } },
        { name: 'unknown', conditions: { any: [{ fact: 'case', operator: 'resembles', value: 'x' }] }, event: { type: 'addTags', params: { tags: ['y'] } } },
        { name: 'filter', conditions: { not: { fact: 'case', path: '$.tags[?(@ == 1)]', operator: 'equal', value: 1 } }, event: { type: 'addTags', params: { tags: ['z'] } } },
      ],
    };
    expect(unsupportedConstructs(refused)).toEqual([
      'rules[0].conditions.all[0].condition: not a reference to a shared condition of the ruleset',
      'rules[1].conditions.any[0].operator: unknown operator "resembles"',
      'rules[2].conditions.not.path: not a plain property path',
    ]);
    expect(prepareRuleset(refused, 1).fast).toBeNull();
  });

  it('share no mutable state between evaluations: the fired events are frozen', () => {
    const def: RulesetDefinition = { ruleset: 'routing', rules: [{ name: 'tag', conditions: { all: [] }, event: { type: 'addTags', params: { tags: ['a'] } } }] };
    const fast = compileFast(def, 1);
    const first = evaluateFast(fast, { case: {} });
    expect(() => (first.fired[0]!.event.params!.tags as string[]).push('b')).toThrow(TypeError);
    expect(evaluateFast(fast, { case: {} }).decisions.tags).toEqual(['a']);
    expect(def.rules[0]!.event.params).toEqual({ tags: ['a'] }); // the definition itself is not frozen
  });

  it('fire exactly as json-rules-engine on the shipped rulesets', async () => {
    for (const name of ['routing', 'escalation']) {
      const def = JSON.parse(fs.readFileSync(path.join(ROOT, 'rules', `${name}.json`), 'utf8')) as RulesetDefinition;
      await fc.assert(
        fc.asyncProperty(factsArb, async (facts) => {
          const f = JSON.parse(JSON.stringify(facts)) as Record<string, unknown>;
          expect(viaCompiled(def, f)).toEqual(await viaEngine(def, f));
          const { compiled, reference } = await bothWays(def, f);
          expect(compiled).toEqual(reference);
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
