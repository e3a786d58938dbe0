import { z } from 'zod';
import { STATE_ENTERED } from '../definition.js';
import type { ActionDefinition } from '../registry.js';

/**
 * Runs a ruleset for the case on entering a state, as `triggers` run rulesets on events: an
 * outbox item (`case.event`) written with the change, evaluated after it commits, its decisions
 * applied in a new transaction (src/cases/handle-case-event.ts). The rules see the event
 * `{ type: "state.entered", state, from, transition }` (from and transition null for the
 * initial state of a new case).
 */
export const runRulesetAction: ActionDefinition<{ ruleset: string }> = {
  name: 'runRuleset',
  description: 'Run a ruleset for the case after the change commits, as triggers do; the rules see the event "state.entered".',
  params: z.strictObject({ ruleset: z.string().min(1) }),
  rulesetParams: ['ruleset'],
  onExit: false,
  async run(ctx, params) {
    const entered = ctx.entered;
    const data = { state: ctx.case.status, from: entered?.from ?? null, transition: entered?.transition ?? null };
    await ctx.enqueue('case.event', { type: STATE_ENTERED, data, actor: ctx.actor, rulesets: [params.ruleset] });
  },
};
