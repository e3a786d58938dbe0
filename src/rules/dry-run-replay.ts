/**
 * The dry-run's replay of one case's intake: the rulesets the workflow runs on
 * `case.created`, in order, each seeing the decisions of the ones before it applied to the
 * case fact, then the outcome as createCase decides it (queue, escalation, priority, tier, SLA
 * policy, tags). Each ruleset is evaluated as intake evaluates it (`run-ruleset.ts`): compiled
 * rules, synchronously, where they apply; json-rules-engine, awaited, otherwise.
 */
import type { FiredRule, Priority } from '../db/schema/cases.js';
import { prepareRuleset } from './compile.js';
import type { RulesetDefinition } from './definition.js';
import type { CompiledRuleset } from './engine.js';
import type { Decisions, Evaluation } from './evaluate.js';
import type { CaseFact, Facts } from './facts.js';
import { runRuleset, type RulesEngine } from './run-ruleset.js';

export interface Outcome {
  queue: string;
  priority: Priority;
  tier: number;
  slaPolicy: string;
  tags: string[];
}

export interface Replay {
  outcome: Outcome;
  fired: Map<string, string>;
}

/** One ruleset as the replay runs it. */
export interface Evaluator {
  name: string;
  evaluate(facts: Facts): Evaluation | Promise<Evaluation>;
}

export interface Chain {
  rulesets: Evaluator[];
}

export interface ReplayContext {
  /** Active queues and their tiers, in id order. */
  tiers: Map<string, number>;
  defaultPolicy: string;
  policies: Set<string>;
}

/** A ruleset in force (from the registry): evaluated as intake evaluates it. */
export function inForce(ruleset: CompiledRuleset, engine: RulesEngine): Evaluator {
  return { name: ruleset.name, evaluate: (facts) => runRuleset(ruleset, facts, engine) };
}

/** A ruleset definition (a draft, or none at all), evaluated as if it were in force. */
export function fromDefinition(definition: RulesetDefinition, version: number, engine: RulesEngine): Evaluator {
  return inForce(prepareRuleset(definition, version), engine);
}

/** The replay in progress: the case fact as the rulesets so far left it, and what they decided. */
class ReplayState {
  readonly caseFact: CaseFact;
  readonly facts: Facts;
  readonly fired = new Map<string, string>();
  readonly tags = new Set<string>();
  queue: string | null = null;
  priority: Priority | null = null;
  policy: string | null = null;
  escalate: Decisions['escalate'] = null;

  constructor(readonly baseFacts: Record<string, unknown> & { case: CaseFact }) {
    this.caseFact = { ...baseFacts.case, tags: [], skills: [] };
    this.facts = { ...baseFacts, case: this.caseFact } as unknown as Facts;
  }

  apply(name: string, evaluation: Evaluation): void {
    // A ruleset that throws contributes nothing, as at intake.
    if (evaluation.error !== null) return;
    const { decisions } = evaluation;
    const hits: FiredRule[] = evaluation.fired;
    for (const h of hits) this.fired.set(`${name}: ${h.rule}`, JSON.stringify(h.event));
    this.queue ??= decisions.queue;
    this.priority ??= decisions.priority;
    this.policy ??= decisions.slaPolicy;
    this.escalate ??= decisions.escalate;
    for (const t of decisions.tags) this.tags.add(t);
    const c = this.caseFact;
    if (decisions.queue) c.queue = decisions.queue;
    if (decisions.priority) c.priority = decisions.priority;
    c.tags = [...this.tags];
    c.skills = [...new Set([...c.skills, ...decisions.skills])];
  }

  finish(context: ReplayContext): Replay {
    const { tiers } = context;
    const requested = this.baseFacts.case.priority as Priority;
    const routedQueue = this.queue && tiers.has(this.queue) ? this.queue : 'general';
    let finalQueue = routedQueue;
    let tier = tiers.get(routedQueue) ?? 1;
    const escalate = this.escalate;
    if (escalate) {
      const target = escalate.queue ?? [...tiers].find(([, t]) => t === escalate.tier)?.[0] ?? null;
      if (target && tiers.has(target) && !(tier >= escalate.tier && routedQueue === target)) {
        finalQueue = target;
        tier = escalate.tier;
      }
    }
    return {
      outcome: {
        queue: finalQueue,
        priority: this.priority ?? requested,
        tier,
        slaPolicy: this.policy && context.policies.has(this.policy) ? this.policy : context.defaultPolicy,
        tags: [...this.tags].sort(),
      },
      fired: this.fired,
    };
  }
}

async function finishAsync(chain: Chain, state: ReplayState, from: number, pending: Promise<Evaluation>, context: ReplayContext): Promise<Replay> {
  state.apply(chain.rulesets[from]!.name, await pending);
  for (let i = from + 1; i < chain.rulesets.length; i++) {
    const ruleset = chain.rulesets[i]!;
    state.apply(ruleset.name, await ruleset.evaluate(state.facts));
  }
  return state.finish(context);
}

/** Intake's outcome for these facts, decided as createCase decides it (a promise only when json-rules-engine runs). */
export function replay(chain: Chain, baseFacts: Record<string, unknown> & { case: CaseFact }, context: ReplayContext): Replay | Promise<Replay> {
  const state = new ReplayState(baseFacts);
  for (let i = 0; i < chain.rulesets.length; i++) {
    const ruleset = chain.rulesets[i]!;
    const evaluation = ruleset.evaluate(state.facts);
    if (evaluation instanceof Promise) return finishAsync(chain, state, i, evaluation, context);
    state.apply(ruleset.name, evaluation);
  }
  return state.finish(context);
}
