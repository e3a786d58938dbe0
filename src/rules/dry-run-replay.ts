/**
 * The dry-run's replay of one case's intake: the rulesets the workflow runs on
 * `case.created`, in order, each seeing the decisions of the ones before it applied to the
 * case fact, then the outcome as createCase decides it (queue, escalation, priority, tier, SLA
 * policy, tags). Each ruleset is evaluated as intake evaluates it (`run-ruleset.ts`): compiled
 * rules, synchronously, where they apply; json-rules-engine, awaited, otherwise.
 *
 * A later event (an SLA breach, a reopen…) is replayed the same way (`replayEvent`) on the case
 * as it was then, and its outcome is that case with the decisions applied as applyDecisions
 * applies them (priority, tags, SLA policy, a move to the queue decided, then the escalation).
 */
import type { FiredRule, Priority } from '../db/schema/cases.js';
import { compileFast, evaluateFast, prepareRuleset } from './compile.js';
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
  skills: string[];
  /** Moved to a higher tier by an escalation at intake. */
  escalated: boolean;
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

/**
 * A ruleset definition compiled, whatever RULES_ENGINE says: for answers that must be
 * synchronous (a ruleset's examples, run on every save; the differential test holds the
 * compiled form to json-rules-engine's results).
 */
export function compiledOnly(definition: RulesetDefinition, version: number): Evaluator {
  const fast = compileFast(definition, version);
  return { name: fast.name, evaluate: (facts) => evaluateFast(fast, facts) };
}

/** The replay in progress: the case fact as the rulesets so far left it, and what they decided. */
class ReplayState {
  readonly caseFact: CaseFact;
  readonly facts: Facts;
  readonly fired = new Map<string, string>();
  readonly tags = new Set<string>();
  readonly skills = new Set<string>();
  queue: string | null = null;
  priority: Priority | null = null;
  policy: string | null = null;
  escalate: Decisions['escalate'] = null;

  constructor(
    readonly baseFacts: Record<string, unknown> & { case: CaseFact },
    readonly tiers: ReadonlyMap<string, number>,
  ) {
    // The case's own tags and skills (none at intake) and the decisions' accumulate.
    this.caseFact = { ...baseFacts.case, tags: [...baseFacts.case.tags], skills: [...baseFacts.case.skills] };
    for (const t of baseFacts.case.tags) this.tags.add(t);
    for (const k of baseFacts.case.skills) this.skills.add(k);
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
    for (const k of decisions.skills) this.skills.add(k);
    const c = this.caseFact;
    if (decisions.queue) {
      // As at intake (run-triggers.ts): the next rulesets see the queue decided, at its tier.
      c.queue = decisions.queue;
      const tier = this.tiers.get(decisions.queue);
      if (tier !== undefined) c.tier = tier;
    }
    if (decisions.priority) c.priority = decisions.priority;
    c.tags = [...this.tags];
    c.skills = [...new Set([...c.skills, ...decisions.skills])];
  }

  /** The escalation decided, from `queue` at `tier`: where it leaves the case (escalateCase: no move when already there, or above its tier). */
  #escalated(context: ReplayContext, queue: string, tier: number): { queue: string; tier: number; escalated: boolean } {
    const escalate = this.escalate;
    if (!escalate || tier > escalate.tier) return { queue, tier, escalated: false };
    const target = escalate.queue ?? [...context.tiers].find(([, t]) => t === escalate.tier)?.[0] ?? null;
    if (!target || !context.tiers.has(target) || (tier >= escalate.tier && queue === target)) return { queue, tier, escalated: false };
    // Another queue of the case's own tier: a transfer, not an escalation.
    if (tier >= escalate.tier) return { queue: target, tier: context.tiers.get(target)!, escalated: false };
    return { queue: target, tier: escalate.tier, escalated: true };
  }

  /** A later event's outcome: the case as it was (`slaPolicy` its policy then) with the decisions applied. */
  finishEvent(context: ReplayContext, slaPolicy: string | null): Replay {
    const c = this.baseFacts.case;
    // A queue decided moves the case there (and to its tier) when it exists; then the escalation.
    const moved = this.queue !== null && this.queue !== c.queue && context.tiers.has(this.queue);
    const { queue, tier, escalated } = this.#escalated(context, moved ? this.queue! : c.queue, moved ? context.tiers.get(this.queue!)! : c.tier);
    return {
      outcome: {
        queue,
        priority: this.priority ?? (c.priority as Priority),
        tier,
        slaPolicy: this.policy ?? slaPolicy ?? context.defaultPolicy,
        tags: [...this.tags].sort(),
        skills: [...this.skills].sort(),
        escalated,
      },
      fired: this.fired,
    };
  }

  finish(context: ReplayContext): Replay {
    const { tiers } = context;
    const requested = this.baseFacts.case.priority as Priority;
    // The intake path's routing hint (a mailbox's default queue) when no rule picked one.
    const hint = this.baseFacts.case.queue;
    const routedQueue = this.queue && tiers.has(this.queue) ? this.queue : !this.queue && tiers.has(hint) ? hint : 'general';
    const { queue: finalQueue, tier, escalated } = this.#escalated(context, routedQueue, tiers.get(routedQueue) ?? 1);
    return {
      outcome: {
        queue: finalQueue,
        priority: this.priority ?? requested,
        tier,
        slaPolicy: this.policy && context.policies.has(this.policy) ? this.policy : context.defaultPolicy,
        tags: [...this.tags].sort(),
        skills: [...this.skills].sort(),
        escalated,
      },
      fired: this.fired,
    };
  }
}

type Finish = (state: ReplayState) => Replay;

async function finishAsync(chain: Chain, state: ReplayState, from: number, pending: Promise<Evaluation>, finish: Finish): Promise<Replay> {
  state.apply(chain.rulesets[from]!.name, await pending);
  for (let i = from + 1; i < chain.rulesets.length; i++) {
    const ruleset = chain.rulesets[i]!;
    state.apply(ruleset.name, await ruleset.evaluate(state.facts));
  }
  return finish(state);
}

function run(chain: Chain, baseFacts: Record<string, unknown> & { case: CaseFact }, context: ReplayContext, finish: Finish): Replay | Promise<Replay> {
  const state = new ReplayState(baseFacts, context.tiers);
  for (let i = 0; i < chain.rulesets.length; i++) {
    const ruleset = chain.rulesets[i]!;
    const evaluation = ruleset.evaluate(state.facts);
    if (evaluation instanceof Promise) return finishAsync(chain, state, i, evaluation, finish);
    state.apply(ruleset.name, evaluation);
  }
  return finish(state);
}

/** Intake's outcome for these facts, decided as createCase decides it (a promise only when json-rules-engine runs). */
export function replay(chain: Chain, baseFacts: Record<string, unknown> & { case: CaseFact }, context: ReplayContext): Replay | Promise<Replay> {
  return run(chain, baseFacts, context, (state) => state.finish(context));
}

/**
 * A later event's outcome: the chain the workflow runs on it, on the facts it was handled with
 * (`baseFacts.case`: the case as it was then; `slaPolicy`: its SLA policy then).
 */
export function replayEvent(chain: Chain, baseFacts: Record<string, unknown> & { case: CaseFact }, context: ReplayContext, slaPolicy: string | null): Replay | Promise<Replay> {
  return run(chain, baseFacts, context, (state) => state.finishEvent(context, slaPolicy));
}

/** `replay` of a chain of compiled rulesets only (`compiledOnly`): the answer at once. */
export function replayNow(chain: Chain, baseFacts: Record<string, unknown> & { case: CaseFact }, context: ReplayContext): Replay {
  const replayed = replay(chain, baseFacts, context);
  if (replayed instanceof Promise) throw new Error('replayNow: a ruleset of the chain runs on json-rules-engine (asynchronous)');
  return replayed;
}
