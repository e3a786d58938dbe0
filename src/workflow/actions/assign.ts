import { z } from 'zod';
import { assignCase } from '../../assignment/assign.js';
import type { ActionDefinition } from '../registry.js';

export const assignAction: ActionDefinition<Record<string, never>> = {
  name: 'assign',
  description: 'Assign the case to the least-loaded available agent of its queue with the required skills, or let it wait.',
  params: z.strictObject({}),
  async run(ctx) {
    await assignCase(ctx);
  },
};
