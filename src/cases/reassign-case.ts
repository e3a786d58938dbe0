/**
 * Manual reassignment: move a case to another queue, to a named agent, or back to
 * automatic assignment (`assignee: null`).
 *
 * - A named agent must be active and work the case's queue, and have spare capacity (and,
 *   for a case whose live chat is open, be under their chat limit). Only a manager (or admin) may go beyond it, and only explicitly
 *   (`overrideCapacity: true`); the `case.assigned` entry records the override and who
 *   made it.
 * - A move to a queue of a higher tier is an escalation, not a transfer: it needs a
 *   reason and runs the escalation path (`escalateCase`: `case.escalated`, counted, the
 *   workflow's escalation state). Moves to the same or a lower tier are transfers.
 */
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { get } from '../db/store/rows.js';
import { DomainError } from '../errors.js';
import { isManagerRole, type Actor } from '../roles.js';
import type { Services } from '../services.js';
import { assignCase, assignTo, unassign, type CapacityOverride } from '../assignment/assign.js';
import { loadOf } from '../assignment/pick-agent.js';
import { CaseContext, type CaseRow } from '../workflow/context.js';
import { escalateCase, queueById, transferCase } from './move-case.js';
import { assertVersion } from './transition-case.js';

export const reassignSchema = z
  .strictObject({
    queue: z.string().trim().min(1).max(64).optional(),
    assignee: z.number().int().positive().nullable().optional(),
    reason: z.string().trim().max(2_000).optional(),
    /** A manager's explicit choice to assign beyond the agent's capacity. */
    overrideCapacity: z.boolean().optional(),
    expectedVersion: z.number().int().positive().optional(),
  })
  .refine((v) => v.queue !== undefined || v.assignee !== undefined, { message: 'give a queue, an assignee, or both' });
export type ReassignInput = z.infer<typeof reassignSchema>;

export async function reassignCase(services: Services, caseId: number, input: ReassignInput, actor: Actor): Promise<CaseRow> {
  return services.store.write(async (q) => {
    const ctx = await CaseContext.load(q, services, caseId, actor);
    assertVersion(ctx, input.expectedVersion);
    await reassignWithin(ctx, input);
    await ctx.save();
    return ctx.case;
  });
}

/** The reassignment inside the caller's unit of work (a macro reassigns along with its reply); the caller saves. */
export async function reassignWithin(ctx: CaseContext, input: Omit<ReassignInput, 'expectedVersion'>): Promise<void> {
  const { q, actor } = ctx;
  const { staff, staffQueues } = q.tables;
  if (!ctx.case.open) throw new DomainError('INVALID_TRANSITION', `${ctx.ref} is ${ctx.workflow.states[ctx.case.status]?.label ?? ctx.case.status}; reopen it first.`);
  const reason = input.reason || `reassigned by ${actor.name}`;
  if (input.queue !== undefined) await moveToQueue(ctx, input.queue, input.reason);
  if (input.assignee === null) {
    await unassign(ctx, reason);
    await assignCase(ctx);
  } else if (input.assignee !== undefined && input.assignee !== ctx.case.assigneeId) {
    const [agent] = await q.db.select().from(staff).where(eq(staff.id, input.assignee)).limit(1);
    if (!agent || !agent.active) throw new DomainError('STAFF_NOT_FOUND', `No active staff member ${input.assignee}.`, { assignee: input.assignee });
    const [member] = await q.db
      .select({ id: staffQueues.staffId })
      .from(staffQueues)
      .where(and(eq(staffQueues.staffId, agent.id), eq(staffQueues.queueId, ctx.case.queueId)))
      .limit(1);
    if (!member) {
      const queueName = (await queueById(q, ctx.case.queueId))?.name ?? ctx.case.queueId;
      throw new DomainError('STAFF_NOT_FOUND', `${agent.name} does not work the ${queueName} queue.`, { assignee: agent.id, queue: ctx.case.queueId });
    }
    const override = await capacityCheck(ctx, agent, input.overrideCapacity === true);
    await unassign(ctx, reason);
    await assignTo(ctx, agent, reason, override);
  }
}

/** A move to a higher tier escalates (reason required); any other move is a transfer. */
async function moveToQueue(ctx: CaseContext, queueId: string, reason: string | undefined): Promise<void> {
  const target = await queueById(ctx.q, queueId);
  if (!target || !target.active || target.tier <= ctx.case.tier) {
    await transferCase(ctx, queueId, reason || `reassigned by ${ctx.actor.name}`);
    return;
  }
  if (!reason) {
    throw new DomainError(
      'TRANSITION_REQUIREMENT_MISSING',
      `Moving ${ctx.ref} from tier ${ctx.case.tier} to ${target.id} (tier ${target.tier}) is an escalation: give a reason.`,
      { missing: ['reason'], queue: target.id, tier: target.tier },
    );
  }
  await escalateCase(ctx, { tier: target.tier, queue: target.id, reason });
}

/**
 * Refuses an assignment beyond the agent's capacity — or, for a case whose live chat is open,
 * beyond their chat limit (docs/chat.md *Capacity*: a chat goes only to an agent under both) —
 * unless a manager explicitly overrides it; returns the override to record, or null when the
 * agent has room.
 */
async function capacityCheck(ctx: CaseContext, agent: { id: number; name: string }, override: boolean): Promise<CapacityOverride | null> {
  const current = await loadOf(ctx.q, agent.id);
  if (!current) return null;
  const liveChat = ctx.case.channel === 'chat' && (await get(ctx.q, "SELECT 1 AS one FROM chat_sessions WHERE case_id = ? AND state = 'open'", [ctx.case.id])) !== undefined;
  const overCapacity = current.load >= current.capacity;
  const overChats = liveChat && current.chats >= current.chatLimit;
  if (!overCapacity && !overChats) return null;
  const details = { assignee: agent.id, load: current.load, capacity: current.capacity, ...(liveChat ? { chats: current.chats, chatLimit: current.chatLimit } : {}) };
  const full = overCapacity
    ? `${agent.name} is at capacity (${current.load} of ${current.capacity} open cases)`
    : `${agent.name} is at their chat limit (${current.chats} of ${current.chatLimit} live chats)`;
  if (!isManagerRole(ctx.actor.role)) {
    throw new DomainError('CAPACITY_EXCEEDED', `${full}; only a manager can assign beyond ${overCapacity ? 'capacity' : 'it'}.`, details);
  }
  if (!override) {
    throw new DomainError('CAPACITY_EXCEEDED', `${full}; choose "override capacity" to assign anyway.`, details);
  }
  return { by: ctx.actor.name, byId: ctx.actor.id, load: current.load + 1, capacity: current.capacity, ...(liveChat ? { chats: current.chats + 1, chatLimit: current.chatLimit } : {}) };
}
