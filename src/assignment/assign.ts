/**
 * Assigning a case inside its unit of work. A case that finds no agent waits
 * (`waiting_since`), and is offered to the next agent whose capacity frees up.
 */
import { run } from '../db/store/rows.js';
import type { CaseContext } from '../workflow/context.js';
import { pickAgent, type Candidate } from './pick-agent.js';

/** Assigns an open, unassigned case to the best agent of its queue, or marks it waiting. */
export async function assignCase(ctx: CaseContext): Promise<boolean> {
  const c = ctx.case;
  if (!c.open || c.assigneeId !== null) return false;
  // A live chat: to an agent with the workspace open now, when one fits (pick-agent.ts).
  const prefer = c.channel === 'chat' ? new Set(await ctx.services.chat.agents.liveIn(ctx.q, ctx.now)) : undefined;
  const agent = await pickAgent(ctx.q, c.queueId, c.skills, c.channel, prefer);
  if (agent) {
    await assignTo(ctx, agent);
    return true;
  }
  if (c.waitingSince === null) {
    c.waitingSince = ctx.now;
    await ctx.record('case.queued', {
      queue: c.queueId,
      skills: c.skills,
      reason: 'No available agent with the required skills and spare capacity',
    });
  }
  return false;
}

/** A manager's explicit assignment beyond capacity: who, and the load it makes. */
export interface CapacityOverride {
  by: string;
  byId: number | null;
  /** The agent's open cases including this one. */
  load: number;
  capacity: number;
  /** A case with a live chat: the agent's open chats including this one, and their chat limit. */
  chats?: number;
  chatLimit?: number;
}

export async function assignTo(ctx: CaseContext, agent: Pick<Candidate, 'id' | 'name'>, reason?: string, override: CapacityOverride | null = null): Promise<void> {
  const c = ctx.case;
  const waitedMs = c.waitingSince === null ? null : ctx.now - c.waitingSince;
  c.assigneeId = agent.id;
  c.waitingSince = null;
  // A new case, not stored yet: its insert moves the agent's last_assigned_at to its creation
  // (the load trigger of drizzle/0050, pg/0022), in the one write of the staff row it makes.
  if (ctx.stored) await run(ctx.q, 'UPDATE staff SET last_assigned_at = ? WHERE id = ?', [ctx.now, agent.id]);
  await ctx.raise('case.assigned', {
    assigneeId: agent.id,
    assignee: agent.name,
    queue: c.queueId,
    ...(waitedMs !== null && waitedMs > 0 ? { waitedMs } : {}),
    ...(reason ? { reason } : {}),
    ...(override ? { capacityOverride: override } : {}),
  });
}

/** Takes the case away from its assignee (their capacity frees after save). */
export async function unassign(ctx: CaseContext, reason: string): Promise<void> {
  const c = ctx.case;
  if (c.assigneeId === null) return;
  const previous = c.assigneeId;
  c.assigneeId = null;
  if (c.open) ctx.freeCapacity(previous);
  await ctx.raise('case.unassigned', { previousAssigneeId: previous, reason });
}
