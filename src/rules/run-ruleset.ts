/**
 * Which evaluator runs a ruleset. The compiled form (`compile.ts`) runs whenever the ruleset
 * has one — it supports every construct of a validated ruleset — and `RULES_ENGINE` is not
 * `reference`; json-rules-engine runs otherwise. Both give the same `Evaluation` (the fired
 * rules in file order with their priorities and events, the decisions): the differential test
 * in `compile.test.ts` checks it on random rulesets and facts. Both fail on the same rulesets
 * and facts too, but when several conditions throw, json-rules-engine reports the one whose
 * promise rejects first; so a compiled evaluation that fails is run again by json-rules-engine,
 * and the error recorded is the reference's own.
 */
import { evaluateFast } from './compile.js';
import type { CompiledRuleset } from './engine.js';
import { evaluateRuleset, type Evaluation } from './evaluate.js';
import type { Facts } from './facts.js';

export const RULES_ENGINES = ['compiled', 'reference'] as const;
/** `compiled`: compiled rules where they apply (default); `reference`: json-rules-engine everywhere. */
export type RulesEngine = (typeof RULES_ENGINES)[number];

/** `RULES_ENGINE` from the environment (config.ts validates it at start-up). */
export function rulesEngineFromEnv(env: NodeJS.ProcessEnv = process.env): RulesEngine {
  return env.RULES_ENGINE === 'reference' ? 'reference' : 'compiled';
}

/** Evaluates `ruleset` on `facts`: synchronously when compiled, as a promise when json-rules-engine runs. */
export function runRuleset(ruleset: CompiledRuleset, facts: Facts, engine: RulesEngine): Evaluation | Promise<Evaluation> {
  if (engine === 'compiled' && ruleset.fast !== null) {
    const evaluation = evaluateFast(ruleset.fast, facts);
    if (evaluation.error === null) return evaluation;
  }
  return evaluateRuleset(ruleset, facts);
}
