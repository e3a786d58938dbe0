/**
 * IMAP UID checkpoints (`imap_checkpoints`): per mailbox (its URL without the password) and
 * UIDVALIDITY, the highest UID whose mail is committed. Only ever moves forward.
 *
 * Written once for both dialects: the forward-only upsert keeps the larger UID with a CASE
 * (SQLite's two-argument `max()` is PostgreSQL's `greatest()`; CASE is the same on both).
 * Once per mail read, off every hot path.
 */
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';

export async function readCheckpoint(q: Handle, mailbox: string, uidValidity: string): Promise<number | null> {
  const t = q.tables.imapCheckpoints;
  const [row] = await q.db
    .select({ lastUid: t.lastUid })
    .from(t)
    .where(and(eq(t.mailbox, mailbox), eq(t.uidValidity, uidValidity)))
    .limit(1);
  return row?.lastUid ?? null;
}

export async function writeCheckpoint(q: Handle, mailbox: string, uidValidity: string, uid: number, at: number): Promise<void> {
  const t = q.tables.imapCheckpoints;
  await q.db
    .insert(t)
    .values({ mailbox, uidValidity, lastUid: uid, updatedAt: at })
    .onConflictDoUpdate({
      target: [t.mailbox, t.uidValidity],
      set: { lastUid: sql`CASE WHEN excluded.last_uid > ${t.lastUid} THEN excluded.last_uid ELSE ${t.lastUid} END`, updatedAt: sql`excluded.updated_at` },
    });
}

export async function hasOtherValidity(q: Handle, mailbox: string, uidValidity: string): Promise<boolean> {
  const t = q.tables.imapCheckpoints;
  const [row] = await q.db
    .select({ mailbox: t.mailbox })
    .from(t)
    .where(and(eq(t.mailbox, mailbox), ne(t.uidValidity, uidValidity)))
    .limit(1);
  return row !== undefined;
}
