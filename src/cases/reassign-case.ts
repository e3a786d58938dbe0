/**
 * Manual reassignment: move a case to another queue, to a named agent, or back to
 * automatic assignment (`assignee: null`). A named agent must be active and work the
 * case's queue; a manager's explicit choice may exceed the agent's capacity.
 */
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { transaction } from '../db/client.js';
import { staff, staffQueues } from '../db/schema/index.js';
import { DomainError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { assignCase, assignTo, unassign } from '../assignment/assign.js';
import { CaseContext, type CaseRow } from '../workflow/context.js';
import { transferCase } from './move-case.js';
import { assertVersion } from './transition-case.js';

export const reassignSchema = z
  .strictObject({
    queue: z.string().trim().min(1).max(64).optional(),
    assignee: z.number().int().positive().nullable().optional(),
    reason: z.string().trim().max(2_000).optional(),
    expectedVersion: z.number().int().positive().optional(),
  })
  .refine((v) => v.queue !== undefined || v.assignee !== undefined, { message: 'give a queue, an assignee, or both' });
export type ReassignInput = z.infer<typeof reassignSchema>;

export function reassignCase(services: Services, caseId: number, input: ReassignInput, actor: Actor): CaseRow {
  return transaction(services.db, () => {
    const ctx = CaseContext.load(services, caseId, actor);
    assertVersion(ctx, input.expectedVersion);
    if (!ctx.case.open) throw new DomainError('INVALID_TRANSITION', `${ctx.ref} is ${ctx.workflow.states[ctx.case.status]?.label ?? ctx.case.status}; reopen it first.`);
    const reason = input.reason || `reassigned by ${actor.name}`;
    if (input.queue !== undefined) transferCase(ctx, input.queue, reason);
    if (input.assignee === null) {
      unassign(ctx, reason);
      assignCase(ctx);
    } else if (input.assignee !== undefined && input.assignee !== ctx.case.assigneeId) {
      const agent = services.db.select().from(staff).where(eq(staff.id, input.assignee)).get();
      if (!agent || !agent.active) throw new DomainError('STAFF_NOT_FOUND', `No active staff member ${input.assignee}.`, { assignee: input.assignee });
      const member = services.db
        .select({ id: staffQueues.staffId })
        .from(staffQueues)
        .where(and(eq(staffQueues.staffId, agent.id), eq(staffQueues.queueId, ctx.case.queueId)))
        .get();
      if (!member) {
        throw new DomainError('STAFF_NOT_FOUND', `${agent.name} does not work the ${ctx.case.queueId} queue.`, { assignee: agent.id, queue: ctx.case.queueId });
      }
      unassign(ctx, reason);
      assignTo(ctx, agent, reason);
    }
    ctx.save();
    return ctx.case;
  });
}
