/**
 * Checks of a workflow's action calls beyond their params (validate.ts checks names and
 * params): rulesets an action names must exist, as those of `triggers` must, and an action
 * about entering a state (`runRuleset`) has no place in a state's `onExit`.
 */
import { problem, type DefinitionProblem, type PathSegment } from '../definitions/problems.js';
import type { ActionCall, WorkflowDefinition } from './definition.js';
import type { ActionRegistry } from './registry.js';

function* calls(def: WorkflowDefinition): Generator<{ call: ActionCall; at: PathSegment[]; list: 'onEnter' | 'onExit' | 'actions' }> {
  for (const [name, state] of Object.entries(def.states)) {
    for (const list of ['onEnter', 'onExit'] as const) {
      for (const [i, call] of (state[list] ?? []).entries()) yield { call, at: ['states', name, list, i], list };
    }
  }
  for (const [name, t] of Object.entries(def.transitions)) {
    for (const [i, call] of (t.actions ?? []).entries()) yield { call, at: ['transitions', name, 'actions', i], list: 'actions' };
  }
}

/** `context` as validateWorkflow's: the action registry, and the ruleset names that exist (null skips that check). */
export function actionCallProblems(def: WorkflowDefinition, context: { actions: ActionRegistry; rulesets: ReadonlySet<string> | null }): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  for (const { call, at, list } of calls(def)) {
    if (!context.actions.has(call.action)) continue; // reported by validateWorkflow
    const action = context.actions.get(call.action);
    if (list === 'onExit' && action.onExit === false) {
      problems.push(problem([...at, 'action'], `"${call.action}" runs on entering a state: use it in the state's onEnter or in the actions of the transitions into it`));
    }
    for (const param of action.rulesetParams ?? []) {
      const ruleset = call[param];
      if (typeof ruleset === 'string' && context.rulesets && !context.rulesets.has(ruleset)) {
        problems.push(problem([...at, param], `unknown ruleset "${ruleset}"`));
      }
    }
  }
  return problems;
}
