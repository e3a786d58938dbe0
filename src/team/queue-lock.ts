/**
 * A queue's deactivation and the saves that point a mailbox or a chat site at it, in turn.
 * Deactivating reads the channels whose new cases start in the queue and points them
 * elsewhere; a save reads that the queue is active and points a channel at it. On PostgreSQL
 * (READ COMMITTED) two such transactions could each miss the other's change — a mailbox left
 * on an inactive queue, its intake falling back to `general` with `rules.failed` — so each
 * locks the queue's row first: the deactivation FOR UPDATE before it reads the channels, a save
 * FOR SHARE while it checks the queue is active. Whichever comes second waits for the first to
 * commit, then sees its change (PostgreSQL reads a row it waited for again). SQLite runs one
 * write at a time: the plain reads are already in turn.
 */
import { eq } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';

/**
 * Whether the queue is active (null: no such queue), read in the caller's write transaction
 * with a lock a deactivation waits for until that transaction ends (PostgreSQL FOR SHARE).
 */
export async function queueActiveForUse(q: Handle, id: string): Promise<boolean | null> {
  const t = q.tables.queues;
  const query = q.db.select({ active: t.active }).from(t).where(eq(t.id, id)).limit(1);
  const [row] = await (q.dialect === 'postgres' ? query.for('share') : query);
  return row ? row.active : null;
}

/**
 * The queue's row, locked for a change every save pointing a channel at it waits for
 * (PostgreSQL FOR NO KEY UPDATE: it conflicts with a save's FOR SHARE, not with the key-share
 * locks of the foreign keys, so intakes and transfers into the queue do not wait for it).
 */
export async function queueRowForChange(q: Handle, id: string) {
  const t = q.tables.queues;
  const query = q.db.select().from(t).where(eq(t.id, id)).limit(1);
  const [row] = await (q.dialect === 'postgres' ? query.for('no key update') : query);
  return row;
}
