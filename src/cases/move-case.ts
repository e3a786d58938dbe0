/**
 * Moving a case between queues and tiers: escalation to advanced support and plain
 * transfers. The case keeps its assignee only if they are a member of the new queue.
 */
import { and, asc, eq } from 'drizzle-orm';
import { rowMapper } from '../db/fast.js';
import type { queues } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { get, tableRow } from '../db/store/rows.js';
import { DomainError } from '../errors.js';
import type { CaseContext } from '../workflow/context.js';
import { transition } from '../workflow/transition.js';
import { assignCase, unassign } from '../assignment/assign.js';

export type QueueRow = typeof queues.$inferSelect;

export async function queueById(q: Handle, queueId: string): Promise<QueueRow | undefined> {
  return tableRow(q, q.tables.queues, 'SELECT * FROM queues WHERE id = ?', [queueId]);
}

export function findQueue(ctx: CaseContext, queueId: string): Promise<QueueRow | undefined> {
  return queueById(ctx.q, queueId);
}

async function activeQueue(ctx: CaseContext, queueId: string): Promise<QueueRow> {
  const queue = await findQueue(ctx, queueId);
  if (!queue || !queue.active) throw new DomainError('QUEUE_NOT_FOUND', `No active queue "${queueId}".`, { queue: queueId });
  return queue;
}

async function isMember(ctx: CaseContext, staffId: number, queueId: string): Promise<boolean> {
  return !!(await get(ctx.q, 'SELECT 1 AS one FROM staff_queues WHERE staff_id = ? AND queue_id = ?', [staffId, queueId]));
}

async function keepOrRelease(ctx: CaseContext, reason: string): Promise<void> {
  const { assigneeId, queueId } = ctx.case;
  if (assigneeId !== null && !(await isMember(ctx, assigneeId, queueId))) await unassign(ctx, reason);
}

export interface EscalateOptions {
  tier: number;
  queue?: string | null;
  reason?: string | null;
  /** The rule that decided it, when rules did, with its ruleset and version. */
  rule?: string | null;
  ruleset?: string | undefined;
  version?: number | undefined;
}

/**
 * Moves the case to `tier` (and the given queue, or the first active queue of that tier),
 * records `case.escalated` with the reason (and the rule that decided it, with its ruleset and
 * version) and reassigns it there. Returns false when it does not escalate: the case is already
 * at that tier in that queue (escalating twice changes nothing) or above that tier (it stays),
 * or the queue is another one of the case's own tier (a transfer there, `case.transferred`).
 */
export async function escalateCase(ctx: CaseContext, options: EscalateOptions): Promise<boolean> {
  // An escalation moves a case up, never down: a case already above the tier stays (a move
  // down is a transfer, which raises case.deescalated: moveToQueue in reassign-case.ts).
  if (ctx.case.tier > options.tier) return false;
  const { queues } = ctx.q.tables;
  const target = options.queue
    ? await activeQueue(ctx, options.queue)
    : (
        await ctx.q.db
          .select()
          .from(queues)
          .where(and(eq(queues.tier, options.tier), eq(queues.active, true)))
          .orderBy(asc(queues.id))
          .limit(1)
      )[0];
  if (!target) throw new DomainError('QUEUE_NOT_FOUND', `No active queue at tier ${options.tier}.`, { tier: options.tier });
  const c = ctx.case;
  if (c.tier >= options.tier && c.queueId === target.id) return false;
  if (c.tier >= options.tier) {
    // Not a higher tier: another queue at the same tier is a transfer, as a reassignment by hand
    // makes it (case.escalated means a higher tier; a tier-1 case was put in the tier-2 state).
    const why = options.reason ?? ctx.fields.reason ?? null;
    await transferCase(ctx, target.id, `${options.rule ? `rule "${options.rule}"` : 'escalation'} at tier ${options.tier}${why ? `: ${why}` : ''}`);
    return false;
  }
  const from = { queue: c.queueId, tier: c.tier };
  c.tier = options.tier;
  c.queueId = target.id;
  c.escalationCount += 1;
  await keepOrRelease(ctx, `escalated to ${target.id}`);
  await ctx.raise('case.escalated', {
    fromQueue: from.queue,
    fromTier: from.tier,
    queue: target.id,
    tier: options.tier,
    reason: options.reason ?? ctx.fields.reason ?? null,
    ...(options.rule ? { rule: options.rule } : {}),
    ...(options.rule && options.ruleset ? { ruleset: options.ruleset, version: options.version } : {}),
  });
  await assignCase(ctx);
  return true;
}

/**
 * Moves the case to a queue as a reassignment by hand does (the workflow's `transfer` action):
 * to a higher tier it escalates, with the reason; to another queue of its tier or a lower one
 * it transfers (a lower one raises `case.deescalated`). False when it is in that queue already.
 */
export async function moveCaseToQueue(ctx: CaseContext, queueId: string, reason: string | null): Promise<boolean> {
  const target = await activeQueue(ctx, queueId);
  if (target.tier > ctx.case.tier) return escalateCase(ctx, { tier: target.tier, queue: target.id, reason });
  return transferCase(ctx, target.id, reason ?? 'workflow');
}

/**
 * Moves the case to another queue (tier follows the queue) and reassigns if needed. A move to a
 * lower tier (out of advanced support, by hand or because its queue was deactivated) also raises
 * `case.deescalated` for the workflow, as escalating raises `case.escalated`: its `on`
 * transition takes the case out of its escalation state (the default workflow's
 * `deescalateAutomatically`: escalated → open), with the state's clocks and entry actions as any
 * transition. A case waiting on the customer stays waiting; the state it returns to
 * (`@previous`) becomes the one the de-escalation leads to from there.
 */
export async function transferCase(ctx: CaseContext, queueId: string, reason: string): Promise<boolean> {
  const target = await activeQueue(ctx, queueId);
  const c = ctx.case;
  if (c.queueId === target.id) return false;
  const from = { queue: c.queueId, tier: c.tier };
  c.queueId = target.id;
  c.tier = target.tier;
  c.waitingSince = null;
  await keepOrRelease(ctx, `moved to ${target.id}`);
  await ctx.record('case.transferred', { fromQueue: from.queue, queue: target.id, tier: target.tier, reason });
  await assignCase(ctx);
  if (target.tier < from.tier) await deescalate(ctx, { fromQueue: from.queue, fromTier: from.tier, queue: target.id, tier: target.tier, reason });
  return true;
}

async function deescalate(ctx: CaseContext, data: Record<string, unknown>): Promise<void> {
  const before = ctx.case.status;
  await ctx.raiseTold('case.deescalated', data);
  const c = ctx.case;
  if (c.status !== before || c.previousStatus === null) return;
  // Not moved (waiting on the customer, say): where it returns to follows the de-escalation.
  const back = transition(ctx.workflow, { status: c.previousStatus, previousStatus: null }, { kind: 'event', type: 'case.deescalated' });
  if (back.ok && back.transition !== null && back.to !== c.status) c.previousStatus = back.to;
}
