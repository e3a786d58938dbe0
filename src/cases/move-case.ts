/**
 * Moving a case between queues and tiers: escalation to advanced support and plain
 * transfers. The case keeps its assignee only if they are a member of the new queue.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowMapper, statement } from '../db/fast.js';
import { queues } from '../db/schema/index.js';
import { DomainError } from '../errors.js';
import type { CaseContext } from '../workflow/context.js';
import { assignCase, unassign } from '../assignment/assign.js';

export type QueueRow = typeof queues.$inferSelect;

export function queueById(db: Db, queueId: string): QueueRow | undefined {
  const row = statement<[string], Record<string, unknown>>(db, 'SELECT * FROM queues WHERE id = ?').get(queueId);
  return row ? rowMapper(queues).fromRow(row) : undefined;
}

export function findQueue(ctx: CaseContext, queueId: string): QueueRow | undefined {
  return queueById(ctx.services.db, queueId);
}

function activeQueue(ctx: CaseContext, queueId: string): QueueRow {
  const queue = findQueue(ctx, queueId);
  if (!queue || !queue.active) throw new DomainError('QUEUE_NOT_FOUND', `No active queue "${queueId}".`, { queue: queueId });
  return queue;
}

function isMember(ctx: CaseContext, staffId: number, queueId: string): boolean {
  return !!statement<[number, string]>(ctx.services.db, 'SELECT 1 FROM staff_queues WHERE staff_id = ? AND queue_id = ?').get(staffId, queueId);
}

function keepOrRelease(ctx: CaseContext, reason: string): void {
  const { assigneeId, queueId } = ctx.case;
  if (assigneeId !== null && !isMember(ctx, assigneeId, queueId)) unassign(ctx, reason);
}

export interface EscalateOptions {
  tier: number;
  queue?: string | null;
  reason?: string | null;
  /** The rule that decided it, when rules did. */
  rule?: string | null;
}

/**
 * Moves the case to `tier` (and the given queue, or the first active queue of that tier),
 * records `case.escalated` with the reason and reassigns it there. Returns false when the
 * case is already at that tier in that queue (escalating twice changes nothing).
 */
export function escalateCase(ctx: CaseContext, options: EscalateOptions): boolean {
  const target = options.queue
    ? activeQueue(ctx, options.queue)
    : ctx.services.db
        .select()
        .from(queues)
        .where(and(eq(queues.tier, options.tier), eq(queues.active, true)))
        .orderBy(asc(queues.id))
        .get();
  if (!target) throw new DomainError('QUEUE_NOT_FOUND', `No active queue at tier ${options.tier}.`, { tier: options.tier });
  const c = ctx.case;
  if (c.tier >= options.tier && c.queueId === target.id) return false;
  const from = { queue: c.queueId, tier: c.tier };
  c.tier = options.tier;
  c.queueId = target.id;
  c.escalationCount += 1;
  keepOrRelease(ctx, `escalated to ${target.id}`);
  ctx.raise('case.escalated', {
    fromQueue: from.queue,
    fromTier: from.tier,
    queue: target.id,
    tier: options.tier,
    reason: options.reason ?? ctx.fields.reason ?? null,
    ...(options.rule ? { rule: options.rule } : {}),
  });
  assignCase(ctx);
  return true;
}

/** Moves the case to another queue (tier follows the queue) and reassigns if needed. */
export function transferCase(ctx: CaseContext, queueId: string, reason: string): boolean {
  const target = activeQueue(ctx, queueId);
  const c = ctx.case;
  if (c.queueId === target.id) return false;
  const from = c.queueId;
  c.queueId = target.id;
  c.tier = target.tier;
  c.waitingSince = null;
  keepOrRelease(ctx, `moved to ${target.id}`);
  ctx.record('case.transferred', { fromQueue: from, queue: target.id, tier: target.tier, reason });
  assignCase(ctx);
  return true;
}
