/**
 * Runs the rulesets a workflow names for an event, in order. Each ruleset sees the
 * decisions of the ones before it applied to the case fact (routing, then escalation).
 * Evaluation reads nothing but the facts: no database writes happen here. Compiled rules
 * evaluate synchronously (`runTriggersNow`, so a command can evaluate inside its own
 * transaction); json-rules-engine (the fallback, or `RULES_ENGINE=reference`) is awaited.
 */
import type { Handle } from '../db/store/index.js';
import { RefusedRulesetError } from '../definitions/registry.js';
import { activeQueueTiersIn } from '../definitions/version-rows.js';
import type { Services } from '../services.js';
import type { CaseLike } from './build-facts.js';
import { buildFacts, type FactInputs } from './build-facts.js';
import { evaluateFast } from './compile.js';
import type { RulesetDefinition } from './definition.js';
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

/** The next ruleset sees the decisions so far on the case: a queue decided with its tier (`queueTiers`, or read by `queueTierNow`). */
function applyToDraft(draft: CaseLike, evaluation: Evaluation, inputs: FactInputs): void {
  const d = evaluation.decisions;
  if (d.queue) {
    draft.queueId = d.queue;
    const tier = inputs.queueTiers?.has(d.queue) ? inputs.queueTiers.get(d.queue) : inputs.queueTierNow?.(d.queue);
    if (typeof tier === 'number') draft.tier = tier;
  }
  if (d.priority) draft.priority = d.priority;
  if (d.slaPolicy) draft.slaPolicy = d.slaPolicy;
  draft.tags = [...new Set([...draft.tags, ...d.tags])];
  draft.skills = [...new Set([...draft.skills, ...d.skills])];
}

/**
 * The queues rulesets decided that a later ruleset saw without their tier (`inputs.queueTiers`
 * lacks them), for `runTriggersNow`, which cannot await a read: read them (`withTiers`) and
 * evaluate again. Only a case routed before its last ruleset costs that read (and the compiled
 * rules' few microseconds twice); `runTriggers` reads them as it goes; with `queueTierNow`
 * (SQLite's intake) applyToDraft has read them already: none is missing.
 */
export function tiersMissing(evaluations: readonly Evaluation[], inputs: FactInputs): string[] {
  if (inputs.queueTierNow) return [];
  const missing = new Set<string>();
  for (const e of evaluations.slice(0, -1)) if (e.decisions.queue && !inputs.queueTiers?.has(e.decisions.queue)) missing.add(e.decisions.queue);
  return [...missing];
}

const routeQueues = new WeakMap<RulesetDefinition, readonly string[]>();

/** The queues a ruleset's `route` events name (their params are fixed: src/rules/evaluate.ts `decide`). */
export function routeQueuesOf(definition: RulesetDefinition): readonly string[] {
  let queues = routeQueues.get(definition);
  if (!queues) {
    queues = [...new Set(definition.rules.flatMap((r) => (r.event.type === 'route' && typeof r.event.params?.queue === 'string' ? [r.event.params.queue] : [])))];
    routeQueues.set(definition, queues);
  }
  return queues;
}

/** `inputs` with the tiers of `queues` (those that are active) added. */
export async function withTiers(q: Handle, inputs: FactInputs, queues: readonly string[]): Promise<FactInputs> {
  const read = await activeQueueTiersIn(q, queues);
  // An inactive queue has no tier to move to (null): known as such, so it is not read again.
  return { ...inputs, queueTiers: new Map([...(inputs.queueTiers ?? []), ...queues.map((id): [string, number | null] => [id, read.get(id) ?? null])]) };
}

export async function runTriggers(services: Services, rulesets: readonly string[], inputs: FactInputs): Promise<Evaluation[]> {
  const draft = draftOf(inputs);
  const evaluations: Evaluation[] = [];
  for (const [i, name] of rulesets.entries()) {
    let evaluation: Evaluation;
    try {
      const result = runRuleset(services.definitions.ruleset(name), buildFacts({ ...inputs, case: draft }), services.rulesEngine);
      evaluation = result instanceof Promise ? await result : result;
    } catch (error) {
      evaluation = failed(services, name, error);
    }
    evaluations.push(evaluation);
    const queue = evaluation.decisions.queue;
    // Routed before another ruleset runs: that one sees the queue's tier, read now if not known.
    if (queue && i < rulesets.length - 1 && !inputs.queueTiers?.has(queue)) {
      const known = inputs;
      inputs = await services.store.query((q) => withTiers(q, known, [queue]));
    }
    applyToDraft(draft, evaluation, inputs);
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
      applyToDraft(draft, evaluation, inputs);
      continue;
    }
    if (ruleset.fast === null) return null;
    const evaluation = evaluateFast(ruleset.fast, buildFacts({ ...inputs, case: draft }));
    if (evaluation.error !== null) return null;
    evaluations.push(evaluation);
    applyToDraft(draft, evaluation, inputs);
  }
  return evaluations;
}
