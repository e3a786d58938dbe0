/**
 * Runs the rulesets a workflow names for an event, in order. Each ruleset sees the
 * decisions of the ones before it applied to the case fact (routing, then escalation).
 * Evaluation reads nothing but the facts: no database writes happen here. Compiled rules
 * evaluate synchronously; json-rules-engine (the fallback, or `RULES_ENGINE=reference`) is awaited.
 */
import { RefusedRulesetError } from '../definitions/registry.js';
import type { Services } from '../services.js';
import type { CaseLike } from './build-facts.js';
import { buildFacts, type FactInputs } from './build-facts.js';
import { emptyDecisions, type Evaluation } from './evaluate.js';
import { runRuleset } from './run-ruleset.js';

export async function runTriggers(services: Services, rulesets: readonly string[], inputs: FactInputs): Promise<Evaluation[]> {
  const draft: CaseLike = { ...inputs.case, tags: [...inputs.case.tags], skills: [...inputs.case.skills] };
  const evaluations: Evaluation[] = [];
  for (const name of rulesets) {
    let evaluation: Evaluation;
    try {
      const ruleset = services.definitions.ruleset(name);
      const result = runRuleset(ruleset, buildFacts({ ...inputs, case: draft }), services.rulesEngine);
      evaluation = result instanceof Promise ? await result : result;
    } catch (error) {
      // A refused version (stored, no longer valid) names itself: the timeline says which one did not run.
      const version = error instanceof RefusedRulesetError ? error.refused.version : 0;
      evaluation = { ruleset: name, version, fired: [], decisions: emptyDecisions(), error: error instanceof Error ? error.message : String(error) };
    }
    evaluations.push(evaluation);
    const d = evaluation.decisions;
    if (d.queue) draft.queueId = d.queue;
    if (d.priority) draft.priority = d.priority;
    if (d.slaPolicy) draft.slaPolicy = d.slaPolicy;
    draft.tags = [...new Set([...draft.tags, ...d.tags])];
    draft.skills = [...new Set([...draft.skills, ...d.skills])];
  }
  return evaluations;
}
