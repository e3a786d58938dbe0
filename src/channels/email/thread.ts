/**
 * Which case a mail continues, in order of trust: its In-Reply-To/References against the
 * Message-IDs Casebook received or sent for a case; a signed reply address among its
 * recipients; `[C-1042]` in its subject (which anyone can type: see receive-email.ts).
 */
import type { Db } from '../../db/client.js';
import { statement } from '../../db/fast.js';
import type { InboundMail } from './parse-mail.js';
import { verifyReplyAddress } from './reply-address.js';
import type { EmailSettings } from './settings.js';

export type ThreadedBy = 'header' | 'address' | 'subject';

export interface Thread {
  caseId: number;
  by: ThreadedBy;
}

export const SUBJECT_REF = /\[C-(\d{1,15})\]/i;

function caseExists(db: Db, id: number): boolean {
  return Number.isSafeInteger(id) && statement<[number]>(db, 'SELECT 1 FROM cases WHERE id = ?').get(id) !== undefined;
}

/** The case a known Message-ID belongs to (received or sent), or null. */
export function caseOfMessageId(db: Db, messageId: string): number | null {
  const row = statement<[string], { case_id: number | null }>(db, 'SELECT case_id FROM email_messages WHERE message_id = ?').get(messageId);
  return row?.case_id ?? null;
}

export function findThread(db: Db, settings: EmailSettings, mail: InboundMail, recipients: readonly string[]): Thread | null {
  // In-Reply-To first, then References from the newest (last) to the oldest.
  for (const id of [...mail.inReplyTo, ...[...mail.references].reverse()].slice(0, 100)) {
    const caseId = caseOfMessageId(db, id);
    if (caseId !== null) return { caseId, by: 'header' };
  }
  if (settings.secret) {
    const candidates = [...recipients, ...mail.to.map((a) => a.address), ...mail.cc.map((a) => a.address), ...mail.deliveredTo];
    for (const address of candidates) {
      const caseId = verifyReplyAddress(settings.supportAddress, settings.secret, address);
      if (caseId !== null && caseExists(db, caseId)) return { caseId, by: 'address' };
    }
  }
  const tag = SUBJECT_REF.exec(mail.subject);
  if (tag) {
    const caseId = Number(tag[1]);
    if (caseExists(db, caseId)) return { caseId, by: 'subject' };
  }
  return null;
}
