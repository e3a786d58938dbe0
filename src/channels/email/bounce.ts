/**
 * The case a bounce (a delivery status notification) is about: the returned original's
 * Message-ID, In-Reply-To or References against the Message-IDs of a case, else the case
 * reference `[C-1042]` in the returned subject or the bounce's own.
 */
import type { Handle } from '../../db/store/index.js';
import { messageIds, type InboundMail } from './parse-mail.js';
import { mailChecks } from './prechecks.js';
import { caseIds, SUBJECT_REF } from './thread.js';

export async function findBounceCase(q: Handle, mail: InboundMail, raw: Buffer): Promise<number | null> {
  const text = raw.subarray(0, 2 * 1024 * 1024).toString('latin1');
  const headerIds = [...text.matchAll(/^(?:message-id|in-reply-to|references):[ \t]*((?:.*)(?:\r?\n[ \t]+.*)*)/gim)].flatMap((m) => messageIds(m[1]!));
  const checks = mailChecks(q);
  const ids = [...new Set([...mail.inReplyTo, ...mail.references, ...headerIds])].filter((id) => id !== mail.messageId);
  const byId = await checks.firstCaseOf(q, ids);
  if (byId !== null) return byId;
  const tagged = [mail.subject, mail.text, text].map((source) => SUBJECT_REF.exec(source)).map((tag) => (tag ? Number(tag[1]) : null));
  return checks.firstExistingCase(q, caseIds(tagged));
}

export type DeliveryAction = 'failed' | 'delayed' | 'delivered';

/**
 * What a delivery status notification reports, from the `Action:` of each recipient (RFC 3464):
 * `failed` when any recipient failed, or when it names none (a bounce that is not a DSN);
 * else `delayed` when a server still keeps trying ("Delivery delayed", "Message not delivered
 * yet"), else `delivered` (delivered, relayed, expanded: a success report).
 */
export function deliveryAction(raw: Buffer): DeliveryAction {
  const text = raw.subarray(0, 2 * 1024 * 1024).toString('latin1');
  const actions = [...text.matchAll(/^Action:[ \t]*([a-z]+)/gim)].map((m) => m[1]!.toLowerCase());
  if (actions.length === 0 || actions.includes('failed')) return 'failed';
  return actions.includes('delayed') ? 'delayed' : 'delivered';
}
