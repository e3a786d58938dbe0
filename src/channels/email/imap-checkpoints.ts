/**
 * IMAP UID checkpoints (`imap_checkpoints`): per mailbox (its URL without the password) and
 * UIDVALIDITY, the highest UID whose mail is committed. Only ever moves forward.
 */
import type { Db } from '../../db/client.js';
import { statement } from '../../db/fast.js';

export function readCheckpoint(db: Db, mailbox: string, uidValidity: string): number | null {
  const row = statement<[string, string], { last_uid: number }>(db, 'SELECT last_uid FROM imap_checkpoints WHERE mailbox = ? AND uid_validity = ?').get(mailbox, uidValidity);
  return row?.last_uid ?? null;
}

export function writeCheckpoint(db: Db, mailbox: string, uidValidity: string, uid: number, at: number): void {
  statement<[string, string, number, number]>(
    db,
    'INSERT INTO imap_checkpoints (mailbox, uid_validity, last_uid, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (mailbox, uid_validity) DO UPDATE SET last_uid = max(last_uid, excluded.last_uid), updated_at = excluded.updated_at',
  ).run(mailbox, uidValidity, uid, at);
}

export function hasOtherValidity(db: Db, mailbox: string, uidValidity: string): boolean {
  return statement<[string, string]>(db, 'SELECT 1 FROM imap_checkpoints WHERE mailbox = ? AND uid_validity <> ?').get(mailbox, uidValidity) !== undefined;
}
