/**
 * The case a bounce (a delivery status notification) is about: the returned original's
 * Message-ID, In-Reply-To or References against the Message-IDs of a case, else the case
 * reference `[C-1042]` in the returned subject or the bounce's own.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';
import { messageIds, type InboundMail } from './parse-mail.js';
import { mailChecks } from './prechecks.js';
import { caseIds, SUBJECT_REF } from './thread.js';

/**
 * The case a bounce is about, and whether it returns the Message-ID of a mail Casebook sent on
 * that case (`ours`). Only such a bounce may move the case (`email.bounced` as an event): the
 * case reference is in every mail's subject, so anyone could write a "bounce" naming it, but
 * our Message-IDs are known only to those who received the mail.
 */
export async function findBounceCase(q: Handle, mail: InboundMail, raw: Buffer): Promise<{ caseId: number; ours: boolean } | null> {
  const text = raw.subarray(0, 2 * 1024 * 1024).toString('latin1');
  const headerIds = [...text.matchAll(/^(?:message-id|in-reply-to|references):[ \t]*((?:.*)(?:\r?\n[ \t]+.*)*)/gim)].flatMap((m) => messageIds(m[1]!));
  const checks = mailChecks(q);
  const ids = [...new Set([...mail.inReplyTo, ...mail.references, ...headerIds])].filter((id) => id !== mail.messageId);
  const byId = await checks.firstCaseOf(q, ids);
  const tagged = [mail.subject, mail.text, text].map((source) => SUBJECT_REF.exec(source)).map((tag) => (tag ? Number(tag[1]) : null));
  const caseId = byId ?? (await checks.firstExistingCase(q, caseIds(tagged)));
  return caseId === null ? null : { caseId, ours: await sentOn(q, caseId, ids) };
}

/** Whether one of `ids` is the Message-ID of a mail Casebook sent on the case. */
async function sentOn(q: Handle, caseId: number, ids: readonly string[]): Promise<boolean> {
  if (ids.length === 0) return false;
  const { emailMessages } = q.tables;
  const [sent] = await q.db
    .select({ id: emailMessages.messageId })
    .from(emailMessages)
    .where(and(eq(emailMessages.caseId, caseId), eq(emailMessages.direction, 'out'), inArray(emailMessages.messageId, ids.slice(0, 100))))
    .limit(1);
  return sent !== undefined;
}

export type DeliveryAction = 'failed' | 'delayed' | 'delivered';

/** Most recipients named on one bounce entry. */
const MAX_NAMED = 10;

/**
 * What a delivery status notification reports, from the `Action:` of each recipient (RFC 3464):
 * `failed` when any recipient failed, or when it names none (a bounce that is not a DSN);
 * else `delayed` when a server still keeps trying ("Delivery delayed", "Message not delivered
 * yet"), else `delivered` (delivered, relayed, expanded: a success report). And the recipients
 * it is about: each per-recipient block's `Final-Recipient`
 * (`rfc822; chloe@example.com`) whose `Action` is that action, so the agent sees which address
 * failed (a reply to the customer and two copies: one copy bouncing is not the customer's). A
 * bounce that is not a DSN names none.
 */
export function deliveryReport(raw: Buffer): { action: DeliveryAction; recipients: string[] } {
  const text = raw.subarray(0, 2 * 1024 * 1024).toString('latin1');
  const actions = [...text.matchAll(/^Action:[ \t]*([a-z]+)/gim)].map((m) => m[1]!.toLowerCase());
  const action: DeliveryAction = actions.length === 0 || actions.includes('failed') ? 'failed' : actions.includes('delayed') ? 'delayed' : 'delivered';
  const wanted = action === 'delivered' ? ['delivered', 'relayed', 'expanded'] : [action];
  const recipients: string[] = [];
  for (const block of text.split(/\r?\n[ \t]*\r?\n/)) {
    const recipient = /^Final-Recipient:[ \t]*[^;\r\n]*;[ \t]*<?([^\s<>;]+@[^\s<>;]+?)>?[ \t]*$/im.exec(block)?.[1];
    const blockAction = /^Action:[ \t]*([a-z]+)/im.exec(block)?.[1]?.toLowerCase();
    if (!recipient || !blockAction || !wanted.includes(blockAction)) continue;
    const address = recipient.toLowerCase().slice(0, 254);
    if (!recipients.includes(address)) recipients.push(address);
    if (recipients.length === MAX_NAMED) break;
  }
  return { action, recipients };
}

/**
 * Whether a report says mail to the case's customer failed: a failure that names the customer's
 * address, or names no one (a bounce that is not a DSN: our mail goes to the customer first).
 * A failure of copies only (Cc) or a report that delivery is delayed or done is not one.
 * (Whether the bounce is really of our mail is `findBounceCase`'s `ours`.)
 */
export async function failedForCustomer(q: Handle, customerId: number, report: { action: DeliveryAction; recipients: readonly string[] }): Promise<boolean> {
  if (report.action !== 'failed') return false;
  if (report.recipients.length === 0) return true;
  const [customer] = await q.db.select({ email: q.tables.customers.email }).from(q.tables.customers).where(eq(q.tables.customers.id, customerId));
  return customer !== undefined && report.recipients.includes(customer.email.toLowerCase());
}
