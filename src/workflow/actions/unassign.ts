import { z } from 'zod';
import { unassign } from '../../assignment/assign.js';
import type { ActionDefinition } from '../registry.js';

export const unassignAction: ActionDefinition<{ reason?: string | undefined }> = {
  name: 'unassign',
  description: 'Take the case away from its assignee.',
  params: z.strictObject({ reason: z.string().min(1).optional() }),
  async run(ctx, params) {
    await unassign(ctx, params.reason ?? 'workflow');
  },
};
