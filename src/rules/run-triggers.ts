/**
 * Runs the rulesets a workflow names for an event, in order. Each ruleset sees the
 * decisions of the ones before it applied to the case fact (routing, then escalation).
 * Evaluation reads nothing but the facts: no database writes happen here. Compiled rules
 * evaluate synchronously (`runTriggersNow`, so a command can evaluate inside its own
 * transaction); json-rules-engine (the fallback, or `RULES_ENGINE=reference`) is awaited.
 */
import { RefusedRulesetError } from '../definitions/registry.js';
import type { Services } from '../services.js';
import type { CaseLike } from './build-facts.js';
import { buildFacts, type FactInputs } from './build-facts.js';
import { evaluateFast } from './compile.js';
import type { CompiledRuleset } from './engine.js';
import { emptyDecisions, type Evaluation } from './evaluate.js';
import { runRuleset } from './run-ruleset.js';

function failed(services: Services, name: string, error: unknown): Evaluation {
  // The timeline says which version did not run: a refused one (stored, no longer valid) names
  // itself; otherwise the version in force (0: none is published).
  const version = error instanceof RefusedRulesetError ? error.refused.version : (services.definitions.publishedVersion('ruleset', name) ?? 0);
  return { ruleset: name, version, fired: [], decisions: emptyDecisions(), error: error instanceof Error ? error.message : String(error) };
}

function draftOf(inputs: FactInputs): CaseLike {
  return { ...inputs.case, tags: [...inputs.case.tags], skills: [...inputs.case.skills] };
}

/** The next ruleset sees the decisions so far on the case. */
function applyToDraft(draft: CaseLike, evaluation: Evaluation): void {
  const d = evaluation.decisions;
  if (d.queue) draft.queueId = d.queue;
  if (d.priority) draft.priority = d.priority;
  if (d.slaPolicy) draft.slaPolicy = d.slaPolicy;
  draft.tags = [...new Set([...draft.tags, ...d.tags])];
  draft.skills = [...new Set([...draft.skills, ...d.skills])];
}

export async function runTriggers(services: Services, rulesets: readonly string[], inputs: FactInputs): Promise<Evaluation[]> {
  const draft = draftOf(inputs);
  const evaluations: Evaluation[] = [];
  for (const name of rulesets) {
    let evaluation: Evaluation;
    try {
      const result = runRuleset(services.definitions.ruleset(name), buildFacts({ ...inputs, case: draft }), services.rulesEngine);
      evaluation = result instanceof Promise ? await result : result;
    } catch (error) {
      evaluation = failed(services, name, error);
    }
    evaluations.push(evaluation);
    applyToDraft(draft, evaluation);
  }
  return evaluations;
}

/**
 * `runTriggers` done synchronously by compiled rules, or null when json-rules-engine must run
 * one of the rulesets (`RULES_ENGINE=reference`, a construct compiled rules do not cover, or
 * a compiled evaluation that failed: the reference says which error). Same evaluations.
 */
export function runTriggersNow(services: Services, rulesets: readonly string[], inputs: FactInputs): Evaluation[] | null {
  if (services.rulesEngine !== 'compiled') return null;
  const draft = draftOf(inputs);
  const evaluations: Evaluation[] = [];
  for (const name of rulesets) {
    let ruleset: CompiledRuleset;
    try {
      ruleset = services.definitions.ruleset(name);
    } catch (error) {
      const evaluation = failed(services, name, error);
      evaluations.push(evaluation);
      applyToDraft(draft, evaluation);
      continue;
    }
    if (ruleset.fast === null) return null;
    const evaluation = evaluateFast(ruleset.fast, buildFacts({ ...inputs, case: draft }));
    if (evaluation.error !== null) return null;
    evaluations.push(evaluation);
    applyToDraft(draft, evaluation);
  }
  return evaluations;
}
