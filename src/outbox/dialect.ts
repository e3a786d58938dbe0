/**
 * The outbox's one branch on the dialect (queue.ts): SQLite's queue or PostgreSQL's. Also the
 * done mark for handlers converted to the storage port.
 */
import type { Dialect, Handle } from '../db/store/index.js';
import { pgQueue } from './pg.js';
import type { OutboxQueue } from './queue.js';
import { sqliteQueue } from './sqlite.js';

export function outboxQueue(dialect: Dialect): OutboxQueue {
  return dialect === 'sqlite' ? sqliteQueue : pgQueue;
}

/**
 * Marks an item performed inside the handler's own `store.write` (the port's `markDone`):
 * false when someone already did. On SQLite the drain then skips its own UPDATE, as after
 * `markDone`.
 */
export function markItemDone(q: Handle, id: number, now: number): Promise<boolean> {
  return outboxQueue(q.dialect).markDone(q, id, now);
}
