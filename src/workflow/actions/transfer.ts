import { z } from 'zod';
import { moveCaseToQueue } from '../../cases/move-case.js';
import type { ActionDefinition } from '../registry.js';

/**
 * Moves the case to a queue, as a reassignment by hand does: a queue of a higher tier is an
 * escalation (`case.escalated`), one of its own or a lower tier a transfer (`case.transferred`;
 * to a lower tier also `case.deescalated`) — the way back from advanced support, which
 * `escalate` never takes (it never moves a case down).
 */
export const transferAction: ActionDefinition<{ queue: string; reason?: string | undefined }> = {
  name: 'transfer',
  description: 'Move the case to a queue of any tier (back to tier 1, say) and reassign it there; the reason comes from the params or the transition.',
  params: z.strictObject({
    queue: z.string().min(1),
    reason: z.string().min(1).optional(),
  }),
  async run(ctx, params) {
    await moveCaseToQueue(ctx, params.queue, params.reason ?? ctx.fields.reason ?? null);
  },
};
