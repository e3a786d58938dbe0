/**
 * The outbox's bookkeeping on the storage port, for handlers whose own bookkeeping moved onto
 * it (webhook deliveries, reports, IM posts): an item marked done, or a new item queued, in
 * the handler's `store.write`. On SQLite `markDoneIn` is `markDone` on the handle's connection
 * (the drain then knows the handler marked it); on PostgreSQL the same conditional UPDATE
 * through the builder.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { sqliteOf, type Handle } from '../db/store/index.js';
import { markDone } from './outbox.js';

/** Marks an item performed, in `q`'s transaction. False if someone else already did. */
export async function markDoneIn(q: Handle, id: number, now: number): Promise<boolean> {
  if (q.dialect === 'sqlite') return markDone(sqliteOf(q), id, now);
  const items = q.tables.outbox;
  const rows = await q.db
    .update(items)
    .set({ doneAt: now, lockedUntil: null, lockedBy: null, lastError: null })
    .where(and(eq(items.id, id), isNull(items.doneAt)))
    .returning({ id: items.id });
  return rows.length === 1;
}

/** Queues an item not about a case (`case_id` NULL), due at `at`, in `q`'s transaction. */
export async function enqueueIn(q: Handle, type: string, payload: Record<string, unknown>, now: number, at: number = now): Promise<void> {
  await q.db.insert(q.tables.outbox).values({ type, caseId: null, payload, createdAt: now, availableAt: at });
}
