/**
 * The outbox: work a committed change must cause, performed after commit by whoever
 * drains it (the command that wrote it, the background worker, the cron sweep, or the
 * next start-up). Each item is claimed with a lease (queue.ts: a conditional update on
 * SQLite, FOR UPDATE SKIP LOCKED on PostgreSQL), so two workers never perform it at once; a handler that changes the database marks the item done in the
 * same transaction, so its effect happens exactly once.
 *
 * A claim carries the claiming process's identity (`locked_by`): a process that crashed
 * mid-drain leaves its claims locked for `LOCK_MS`, and `releaseDeadClaims` (dead-claims.ts, at start-up)
 * frees those of a process that is certainly gone, so the work resumes at once.
 *
 * Draining never holds the event loop for long: see drain.ts.
 */
import type { Db } from '../db/client.js';
import type { Services } from '../services.js';
import type { LaneContext, OutboxLane } from './lanes.js';
import { outboxStatements } from './statements.js';

export interface OutboxItem {
  id: number;
  type: string;
  caseId: number | null;
  payload: Record<string, unknown>;
  attempts: number;
  availableAt: number;
  createdAt: number;
}

/**
 * Performs one item. Must call `markDone` (ideally inside its own transaction).
 *
 * `inTransaction`, when a handler has it, performs the item inside the drain's transaction
 * on SQLite's connection `db`, synchronously (nothing to wait for outside the database: rules
 * compiled, no mail to send) and marks it done there, returning true; or returns false, writing nothing, and the handler itself runs
 * once the item's claim is committed.
 *
 * `lane`, when a handler has it, is where its items are performed: off the drain's critical
 * path, a few at a time per lane and per target (lanes.ts: receivers outside the process).
 */
export type OutboxHandler = ((services: Services, item: OutboxItem, context?: LaneContext) => Promise<void> | void) & {
  inTransaction?: (services: Services, item: OutboxItem, db: Db) => boolean;
  lane?: OutboxLane;
};

export { LOCK_MS, MAIL_ITEMS, MAX_ATTEMPTS, retryDelayMs, SLICE_MS } from './limits.js';
export type { DrainOptions } from './drain.js';
export { claimItem, outboxStatements, toItem, type Row } from './statements.js';

/** Items this process marked done, until the drain that performs them has seen it (no second UPDATE). */
const markedDone = new WeakMap<object, Set<number>>();

/** Marks an item performed. Returns false if someone else already did. */
export function markDone(db: Db, id: number, now: number): boolean {
  const done = outboxStatements(db).done.run(now, id).changes === 1;
  if (done) {
    let ids = markedDone.get(db.$client);
    if (!ids) markedDone.set(db.$client, (ids = new Set()));
    ids.add(id);
  }
  return done;
}

/** Whether the handler marked the item done itself (then the drain need not); forgets it. */
export function handlerMarkedDone(db: Db, id: number): boolean {
  return markedDone.get(db.$client)?.delete(id) ?? false;
}

/**
 * Whether any pending item at all (of any case, type or lane, claimed or not) is due at `now`:
 * one probe of the pending items' index. Inside a transaction it costs well under a µs.
 */
export function pendingItemDue(db: Db, now: number): boolean {
  const next = outboxStatements(db).nextPending.get()?.at;
  return next !== null && next !== undefined && next <= now;
}
