/**
 * Performing a new case's mail items in the transaction that writes them (intake's
 * `case-received` notification), instead of in a second transaction of the drain.
 *
 * Only items whose handler can work inside a transaction (`inTransaction`: nothing to wait for
 * outside the database, e.g. a notification without SMTP_URL) and only when everything the
 * command left due now is such an item (no follow-up work that could change the case first).
 * Each is claimed, performed and marked done in its own savepoint, exactly as the drain's
 * `performHere` does, so the outbox's guarantees hold: the item, its effects and its `done`
 * mark commit or roll back with the case; if the handler cannot (returns false) or fails, its
 * savepoint is rolled back and the item stays due for the drain, which performs it (and counts
 * a failing attempt) as before. The items of a case keep their order: the first item not
 * performed here stops the rest.
 */
import { inSavepoint, type Db } from '../db/client.js';
import type { Services } from '../services.js';
import { claimItem, handlerMarkedDone, MAIL_ITEMS, type OutboxHandler, type OutboxItem } from './outbox.js';

class NotHere extends Error {}

/** Performs the leading items it can (see the file comment) on SQLite's connection `db`, in its transaction; returns how many are done. */
export function performWrittenItems(services: Services, handlers: ReadonlyMap<string, OutboxHandler>, db: Db, items: readonly OutboxItem[]): number {
  const now = services.clock.now();
  let done = 0;
  for (const item of items) {
    if (item.availableAt > now) continue; // scheduled: not due, not in the order of due items
    const inTransaction = MAIL_ITEMS.includes(item.type) ? handlers.get(item.type)?.inTransaction : undefined;
    if (!inTransaction) break;
    try {
      inSavepoint(db, () => {
        if (!claimItem(db, item.id, now)) throw new NotHere();
        if (!inTransaction(services, { ...item, attempts: item.attempts + 1 }, db)) throw new NotHere();
        if (!handlerMarkedDone(db, item.id)) throw new NotHere(); // a handler that does not mark it: the drain's job
      });
    } catch (error) {
      handlerMarkedDone(db, item.id); // a mark rolled back with the savepoint
      if (!(error instanceof NotHere) && !db.$client.inTransaction) throw error; // SQLite lost the transaction
      break;
    }
    done++;
  }
  return done;
}
