/**
 * Actions are plugged into workflows by name (XState-style): the definition says
 * `{ "action": "assign" }`, the registry holds the code. Adding an action is one file in
 * `actions/` and one line in `createActionRegistry`. Unknown names fail when a
 * definition is loaded, never at run time.
 */
import type { z } from 'zod';
import type { CaseContext } from './context.js';

export interface ActionDefinition<P = Record<string, unknown>> {
  name: string;
  description: string;
  /** Validates the call's fields other than `action` (e.g. `{ "tier": 2 }`). */
  params: z.ZodType<P>;
  /** Params that name a ruleset: validation checks them against the rulesets that exist, as `triggers`. */
  rulesetParams?: readonly (keyof P & string)[];
  /** False: the action is about entering a state and cannot be used in a state's `onExit`. */
  onExit?: false;
  /** Runs inside the case's transaction: awaits nothing but the database (ctx.q). */
  run(ctx: CaseContext, params: P): void | Promise<void>;
}

export class ActionRegistry {
  readonly #actions = new Map<string, ActionDefinition<any>>();

  register<P>(action: ActionDefinition<P>): this {
    if (this.#actions.has(action.name)) throw new Error(`Action "${action.name}" is already registered`);
    this.#actions.set(action.name, action);
    return this;
  }

  get(name: string): ActionDefinition<Record<string, unknown>> {
    const action = this.#actions.get(name);
    if (!action) throw new Error(`No action named "${name}" is registered`);
    return action;
  }

  has(name: string): boolean {
    return this.#actions.has(name);
  }

  names(): string[] {
    return [...this.#actions.keys()].sort();
  }
}
