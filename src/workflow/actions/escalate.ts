import { z } from 'zod';
import { escalateCase } from '../../cases/move-case.js';
import type { ActionDefinition } from '../registry.js';

export const escalateAction: ActionDefinition<{ tier: number; queue?: string | undefined; reason?: string | undefined }> = {
  name: 'escalate',
  description: 'Move the case to a higher tier (and queue) and reassign it there; the reason comes from the params or the transition.',
  params: z.strictObject({
    tier: z.number().int().min(1).max(9),
    queue: z.string().min(1).optional(),
    reason: z.string().min(1).optional(),
  }),
  async run(ctx, params) {
    await escalateCase(ctx, { tier: params.tier, queue: params.queue ?? null, reason: params.reason ?? ctx.fields.reason ?? null });
  },
};
