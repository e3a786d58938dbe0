/**
 * The outbox's one branch on the dialect (queue.ts): SQLite's queue or PostgreSQL's. Also what
 * handlers converted to the storage port do in their own `store.write`: mark their item done,
 * queue a follow-up item that is not about a case.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { sqliteOf, type Dialect, type Handle } from '../db/store/index.js';
import { get } from '../db/store/rows.js';
import { pendingItemDue } from './outbox.js';
import { pgQueue } from './pg.js';
import type { OutboxQueue } from './queue.js';
import { sqliteQueue } from './sqlite.js';

export function outboxQueue(dialect: Dialect): OutboxQueue {
  return dialect === 'sqlite' ? sqliteQueue : pgQueue;
}

/**
 * Marks an item performed inside the handler's own `store.write` (the port's `markDone`):
 * false when someone already did. On SQLite the drain then skips its own UPDATE, as after
 * `markDone`. Handlers mark first and record their outcome only when it is true: an erasure
 * closes the case's pending items, and a mail in flight then must not write its outcome (the
 * address) back on the erased case.
 */
export function markItemDone(q: Handle, id: number, now: number): Promise<boolean> {
  return outboxQueue(q.dialect).markDone(q, id, now);
}

/**
 * Whether an item is still to be performed (not done, not failed for good): a case's erasure
 * closes its items. Asked by writing the attempt's error on the item (the drain writes it again
 * once the handler throws), not by reading it: on PostgreSQL the row then stays locked until the
 * caller's transaction commits, so an erasure closing the item waits for what the caller records
 * beside it, and erases that too (src/privacy/erase-cases.ts), as it does after markItemDone.
 */
export async function itemPending(q: Handle, id: number, lastError: string): Promise<boolean> {
  const o = q.tables.outbox;
  const rows = await q.db.update(o).set({ lastError }).where(and(eq(o.id, id), isNull(o.doneAt), isNull(o.failedAt))).returning({ id: o.id });
  return rows.length === 1;
}

/** Queues an item not about a case (`case_id` NULL), due at `at`, in `q`'s transaction. */
export async function enqueueIn(q: Handle, type: string, payload: Record<string, unknown>, now: number, at: number = now): Promise<void> {
  await q.db.insert(q.tables.outbox).values({ type, caseId: null, payload, createdAt: now, availableAt: at });
}

/**
 * `pendingItemDue` in a transaction of the storage port: whether any pending item at all is due
 * at `now` (a command that left nothing due spares the drain after it). On SQLite the cached probe.
 */
export async function pendingItemDueOn(q: Handle, now: number): Promise<boolean> {
  if (q.dialect === 'sqlite') return pendingItemDue(sqliteOf(q), now);
  const row = await get<{ at: number | null }>(q, 'SELECT min(available_at) AS at FROM outbox WHERE done_at IS NULL AND failed_at IS NULL');
  const next = row?.at;
  return next !== null && next !== undefined && next <= now;
}
