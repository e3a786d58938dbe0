/**
 * The case a bounce (a delivery status notification) is about: the returned original's
 * Message-ID, In-Reply-To or References against the Message-IDs of a case, else the case
 * reference `[C-1042]` in the returned subject or the bounce's own.
 */
import type { Db } from '../../db/client.js';
import { statement } from '../../db/fast.js';
import { messageIds, type InboundMail } from './parse-mail.js';
import { caseOfMessageId, SUBJECT_REF } from './thread.js';

export function findBounceCase(db: Db, mail: InboundMail, raw: Buffer): number | null {
  const text = raw.subarray(0, 2 * 1024 * 1024).toString('latin1');
  const headerIds = [...text.matchAll(/^(?:message-id|in-reply-to|references):[ \t]*((?:.*)(?:\r?\n[ \t]+.*)*)/gim)].flatMap((m) => messageIds(m[1]!));
  for (const id of [...mail.inReplyTo, ...mail.references, ...headerIds]) {
    if (id === mail.messageId) continue;
    const caseId = caseOfMessageId(db, id);
    if (caseId !== null) return caseId;
  }
  for (const source of [mail.subject, mail.text, text]) {
    const tag = SUBJECT_REF.exec(source);
    if (!tag) continue;
    const id = Number(tag[1]);
    if (Number.isSafeInteger(id) && statement<[number]>(db, 'SELECT 1 FROM cases WHERE id = ?').get(id)) return id;
  }
  return null;
}
