/**
 * Validates a workflow definition: its shape (zod), then its names against the state
 * table, the action registry, the known rulesets and the active queues. Every problem
 * carries a JSON path.
 */
import { escalationTargetProblems } from '../definitions/escalation-target.js';
import { problem, problemsFromZod, type DefinitionProblem, type PathSegment } from '../definitions/problems.js';
import type { ActionRegistry } from './registry.js';
import {
  BUILTIN_EVENTS,
  PREVIOUS_STATE,
  workflowSchema,
  type ActionCall,
  type WorkflowDefinition,
} from './definition.js';
import { fromStates, isOpenCategory } from './transition.js';
import { eventCycleProblems } from './event-cycles.js';
import { actionCallProblems } from './validate-actions.js';
import { own } from '../own.js';

export interface WorkflowValidationContext {
  actions: ActionRegistry;
  /** Ruleset names that exist; null skips the check. */
  rulesets: ReadonlySet<string> | null;
  /**
   * Active queue ids, which an action's `queue` param must name (as a ruleset's event params'
   * must); null skips the check: the files at start-up, whose queues a new database is seeded with.
   */
  queues: ReadonlySet<string> | null;
  /**
   * The active queues' tiers, where an `escalate` action can go (its queue at its tier, or some
   * queue of its tier: src/definitions/escalation-target.ts); absent or null skips the check.
   */
  queueTiers?: ReadonlyMap<string, number> | null;
}

export type WorkflowValidation =
  | { ok: true; definition: WorkflowDefinition; problems: DefinitionProblem[] }
  | { ok: false; problems: DefinitionProblem[] };

export function validateWorkflow(json: unknown, context: WorkflowValidationContext): WorkflowValidation {
  const parsed = workflowSchema.safeParse(json);
  if (!parsed.success) return { ok: false, problems: problemsFromZod(parsed.error.issues, [], json) };
  const def = parsed.data;
  const problems: DefinitionProblem[] = [];
  const states = new Set(Object.keys(def.states));
  const emitted = new Set<string>(BUILTIN_EVENTS);
  for (const t of Object.values(def.transitions)) if (t.emits) emitted.add(t.emits);

  if (!states.has(def.initial)) problems.push(problem(['initial'], `unknown state "${def.initial}"`));
  else {
    // A new case is open (it counts towards a load, waits for an agent, its clocks run): it starts in an open state and leaves it by a transition.
    const first = own(def.states, def.initial)!;
    if (!isOpenCategory(first.category) || first.final) {
      problems.push(problem(['initial'], `"${def.initial}" is ${first.final ? 'final' : `of category ${first.category}`}: a new case starts open, in a state of category new, open or pending that is not final; resolve or close it by a transition (an "on": ["case.created"] one, say)`));
    }
  }

  const checkActions = (calls: ActionCall[] | undefined, at: PathSegment[]) => {
    calls?.forEach((call, i) => {
      if (!context.actions.has(call.action)) {
        problems.push(problem([...at, i, 'action'], `unknown action "${call.action}" (known: ${context.actions.names().join(', ')})`));
        return;
      }
      const { action: _name, ...params } = call;
      const result = context.actions.get(call.action).params.safeParse(params);
      if (!result.success) {
        problems.push(...problemsFromZod(result.error.issues, [...at, i], params));
        return;
      }
      const queue = (result.data as { queue?: unknown }).queue;
      if (typeof queue === 'string' && context.queues && !context.queues.has(queue)) {
        problems.push(problem([...at, i, 'queue'], `unknown queue "${queue}" (known: ${[...context.queues].sort().join(', ')})`));
      }
      if (call.action === 'escalate' && context.queueTiers) {
        const { tier } = result.data as { tier: number };
        problems.push(...escalationTargetProblems(tier, typeof queue === 'string' ? queue : undefined, context.queueTiers, [...at, i]));
      }
      // Written as the way back from advanced support, it would leave such cases where they are.
      if (call.action === 'escalate' && (result.data as { tier: number }).tier === 1) {
        problems.push(problem([...at, i, 'tier'], 'escalate never moves a case down: a case above tier 1 stays where it is; to move it to a tier-1 queue (back from advanced support), use { "action": "transfer", "queue": "…" }', 'warning'));
      }
    });
  };

  for (const [name, state] of Object.entries(def.states)) {
    checkActions(state.onEnter, ['states', name, 'onEnter']);
    checkActions(state.onExit, ['states', name, 'onExit']);
    state.timers?.forEach((timer, i) => {
      const t = own(def.transitions, timer.transition);
      if (!t) problems.push(problem(['states', name, 'timers', i, 'transition'], `unknown transition "${timer.transition}"`));
      else if (!fromStates(def, t).includes(name)) {
        problems.push(problem(['states', name, 'timers', i, 'transition'], `"${timer.transition}" cannot start from "${name}"`));
      } else if (name === def.initial && t.to === PREVIOUS_STATE) {
        // A new case has no state before the initial one: the timer fires and is refused.
        problems.push(problem(['states', name, 'timers', i, 'transition'], `"${timer.transition}" goes back to "${PREVIOUS_STATE}", and a new case has no state before "${name}": for it the timer fires and is refused (it works only for a case that came back here from another state); name a state in "to", or use another transition`, 'warning'));
      }
    });
  }

  const createdExit = initialExitOnCreation(def);
  if (createdExit) {
    problems.push(problem(['states', def.initial, 'onEnter'], `never runs: "${createdExit}" leaves "${def.initial}" on case.created, and the initial state's onEnter runs only for a case still in it after case.created; move these actions to "${createdExit}"'s actions or to the state it leads to`, 'warning'));
  }

  for (const [name, t] of Object.entries(def.transitions)) {
    if (t.from !== '*') {
      t.from.forEach((from, i) => {
        if (!states.has(from)) problems.push(problem(['transitions', name, 'from', i], `unknown state "${from}"`));
      });
    }
    if (t.to !== PREVIOUS_STATE && !states.has(t.to)) {
      problems.push(problem(['transitions', name, 'to'], `unknown state "${t.to}" (or "${PREVIOUS_STATE}")`));
    }
    t.on?.forEach((event, i) => {
      if (!emitted.has(event)) problems.push(problem(['transitions', name, 'on', i], `no one raises the event "${event}"`));
    });
    if (!t.roles?.length && !t.on?.length && !Object.values(def.states).some((s) => s.timers?.some((x) => x.transition === name))) {
      problems.push(problem(['transitions', name], 'can never fire: give it roles, "on" events or a state timer'));
    }
    checkActions(t.actions, ['transitions', name, 'actions']);
    // A solution is never taken from a customer (transition.ts refusedFields): they could not use it.
    if (t.roles?.includes('customer') && t.requires?.includes('solution')) {
      problems.push(problem(['transitions', name, 'requires'], 'customers never give a solution (the solution on a case is staff\'s), so customers can never use this transition: drop "solution" from requires, or customer from roles', 'warning'));
    }
    // Transition notes and reasons are staff-only (PRODUCT.md, who sees what): what a customer typed there, they would never see again.
    const staffOnly = t.roles?.includes('customer') ? (['requires', 'allows'] as const).flatMap((key) => (t[key] ?? []).filter((f) => f !== 'solution').map((f) => ({ key, f }))) : [];
    for (const { key, f } of staffOnly) {
      problems.push(problem(['transitions', name, key], `customers may use this transition, and a transition's ${f} is shown to staff only: a customer would not see the ${f} they wrote on their own case; ask for a reply instead (a message), or take customer from roles`, 'warning'));
    }
  }

  problems.push(...actionCallProblems(def, context));

  for (const [event, rulesets] of Object.entries(def.triggers ?? {})) {
    if (!emitted.has(event)) problems.push(problem(['triggers', event], `no one raises the event "${event}"`));
    rulesets.forEach((ruleset, i) => {
      if (context.rulesets && !context.rulesets.has(ruleset)) {
        problems.push(problem(['triggers', event, i], `unknown ruleset "${ruleset}"`));
      }
      const first = rulesets.indexOf(ruleset);
      if (first !== i) {
        problems.push(problem(['triggers', event, i], `"${ruleset}" is already run on ${event} (at [${first}]): it would run twice, its notifications sent twice`, 'warning'));
      }
    });
  }

  problems.push(...eventCycleProblems(def));

  if (states.has(def.initial)) {
    for (const state of unreachableStates(def)) {
      problems.push(problem(['states', state], `unreachable from the initial state "${def.initial}"`));
    }
  }
  for (const [name, state] of Object.entries(def.states)) {
    const leaves = Object.values(def.transitions).some((t) => fromStates(def, t).includes(name));
    if (state.final && Object.values(def.transitions).some((t) => t.from !== '*' && t.from.includes(name))) {
      problems.push(problem(['states', name, 'final'], 'a final state has transitions out of it', 'warning'));
    }
    if (!state.final && !leaves) {
      problems.push(problem(['states', name], 'no transition leaves this state; mark it "final": true if that is intended', 'warning'));
    }
    // Customers read `customerLabel`; without one they would read the staff label (e.g. "Escalated").
    if (!state.customerLabel) {
      problems.push(problem(['states', name, 'customerLabel'], `missing: customers would read the staff label "${state.label ?? name}"; give the state a customerLabel (the same words if they are fine for customers)`, 'warning'));
    }
  }

  return problems.some((p) => p.severity === 'error') ? { ok: false, problems } : { ok: true, definition: def, problems };
}

/**
 * The transition that takes every new case out of the initial state on `case.created` (the
 * first in file order that listens to it there) when the initial state has `onEnter` actions:
 * those run only for a case still in the initial state after `case.created`, so never.
 */
function initialExitOnCreation(def: WorkflowDefinition): string | null {
  if (!own(def.states, def.initial)?.onEnter?.length) return null;
  const exit = Object.entries(def.transitions).find(([, t]) => t.on?.includes('case.created') && fromStates(def, t).includes(def.initial));
  return exit ? exit[0] : null;
}

function unreachableStates(def: WorkflowDefinition): string[] {
  const seen = new Set([def.initial]);
  const queue = [def.initial];
  while (queue.length > 0) {
    const state = queue.shift()!;
    for (const t of Object.values(def.transitions)) {
      if (!fromStates(def, t).includes(state) || t.to === PREVIOUS_STATE) continue;
      if (own(def.states, t.to) && !seen.has(t.to)) {
        seen.add(t.to);
        queue.push(t.to);
      }
    }
  }
  return Object.keys(def.states).filter((s) => !seen.has(s));
}
