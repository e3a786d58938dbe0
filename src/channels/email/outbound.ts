/**
 * Outbound mail about a case. Every public staff reply (`staff.replied`, from any path) queues
 * an `email.reply` outbox item in the reply's own transaction; the handler mails it to the
 * case's customer with the case's CCs copied, built from the customer projection only
 * (`customerTimeline`: the reply's text and its author's name, never notes, queue or tier),
 * wrapped in the editable `staff-reply` template (src/notifications/templates.ts). Its recipients
 * (`caseMailRecipients`) and its making (`caseThreadMail`) serve the chat's missed replies too.
 * Customer mails (replies and notifications alike) carry our own Message-ID (recorded in
 * `email_messages` as `out`, so an answer threads back by In-Reply-To/References),
 * In-Reply-To/References continuing the case's thread, the signed Reply-To, `[C-1042]` in
 * the subject, and a text and an HTML body (the text, HTML-escaped: no user HTML ever). A
 * reply's files (those the customer projection lists for it) go with it as attachments,
 * streamed from the attachment store.
 *
 * Exactly once: the Message-ID is derived from the outbox item, and the timeline entry, the
 * Message-ID row and the item's completion commit together; a failed send records
 * `email.failed` (the SMTP answer, the attempt, whether it is retried) and the outbox retries
 * with back-off. Without SMTP_URL nothing is sent and the timeline says so.
 */
import { createHmac } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';
import { all, get, run } from '../../db/store/rows.js';
import { caseRef } from '../../cases/case-ref.js';
import type { CaseRow } from '../../cases/case-view.js';
import { itemPending, markItemDone } from '../../outbox/dialect.js';
import { MAX_ATTEMPTS, retryDelayMs, type OutboxItem } from '../../outbox/outbox.js';
import { givesUp, RetryUntilError } from '../../outbox/retry-later.js';
import { customerTimelineIn } from '../../notifications/case-reads.js';
import type { MailAttachment, MailMessage } from '../../notifications/mailer.js';
import { templateOverrideIn } from '../../notifications/template-store.js';
import { caseValues } from '../../notifications/template-values.js';
import { renderMail } from '../../notifications/templates.js';
import type { Services } from '../../services.js';
import { canonicalEmail, isUndeliverableAddress } from '../../text/email-address.js';
import type { Subscribers } from '../../workflow/subscribers.js';
import { contactsOn } from './mail-log.js';
import { mailChecks } from './prechecks.js';
import { isSupportAddress, makeReplyAddress } from './reply-address.js';
import { REPLY_PREFIX } from './thread.js';


/** Outbox item type of a staff reply to mail. */
export const REPLY_MAIL = 'email.reply';

/** Queues the mail of every public staff reply, whichever path (API, page, rule) added it. */
export function registerEmailSubscribers(subscribers: Subscribers): Subscribers {
  subscribers.on('staff.replied', async (ctx) => {
    // The entry's id names the reply: known once it is written (a new case's entries are written when it is stored).
    await ctx.whenStored(async () => {
      const row = await get<{ id: number | null }>(ctx.q, "SELECT max(id) AS id FROM case_events WHERE case_id = ? AND type = 'staff.replied'", [ctx.case.id]);
      if (row?.id != null) await ctx.enqueue(REPLY_MAIL, { event: row.id });
    });
  });
  return subscribers;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);
}

/** Our own HTML rendering of a plain text: escaped, blank lines make paragraphs, line breaks stay. */
export function textToHtml(text: string): string {
  const paragraphs = text
    .replace(/\r\n?/g, '\n')
    .trim()
    .split(/\n[ \t]*\n+/)
    // Each paragraph in its own direction: a reply in Arabic right to left under an English greeting.
    .map((p) => `<p dir="auto">${p.split('\n').map(escapeHtml).join('<br>\n')}</p>`);
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body style="font-family: sans-serif; line-height: 1.4">\n${paragraphs.join('\n')}\n</body></html>\n`;
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1) || 'localhost';
}

/**
 * The Message-ID of the mail an outbox item sends: the same on every attempt, so a retry is
 * recognisably the same mail. With the channel's secret it ends in a keyed tag (HMAC-SHA256, 16
 * hex digits): the rest — the case, the item's number, its time — can be pieced together by
 * anyone who got a mail from Casebook, and a bounce returning one of our Message-IDs moves the
 * case (bounce.ts): only a mail's recipients know the tag.
 */
export function outboundMessageId(services: Services, item: Pick<OutboxItem, 'id' | 'createdAt'>, caseId: number): string {
  const local = `casebook.${caseRef(caseId).toLowerCase()}.${item.id}.${item.createdAt.toString(36)}`;
  const { secret } = services.email;
  const tag = secret ? `.${createHmac('sha256', secret).update(`casebook-message-id:${local}`).digest('hex').slice(0, 16)}` : '';
  return `${local}${tag}@${domainOf(services.email.supportAddress)}`;
}

export interface ThreadHeaders {
  messageId: string;
  inReplyTo?: string;
  references: string[];
  replyTo: string;
}

/**
 * The headers continuing a case's thread as the customer knows it: In-Reply-To is the last
 * Message-ID of the customer's side of the thread (their mails and ours to them; never a
 * stranger's mail filed for review, a bounce or an agent's forward: prechecks.ts `threadOf`),
 * References the first one and up to 19 of the latest (ids Casebook had to derive for mail
 * without one are not real and left out).
 */
export async function threadHeaders(q: Handle, services: Services, caseId: number, messageId: string): Promise<ThreadHeaders> {
  const ids = await mailChecks(q).threadOf(q, caseId, messageId);
  const references = ids.length > 20 ? [ids[0]!, ...ids.slice(-19)] : ids;
  const { supportAddress, secret } = services.email;
  return {
    messageId,
    ...(references.length ? { inReplyTo: references.at(-1)! } : {}),
    references,
    replyTo: secret ? makeReplyAddress(supportAddress, secret, caseId) : supportAddress,
  };
}

/** Inside the transaction that records the sending: the Message-ID threads replies to the case. */
export async function recordSentMessageId(q: Handle, messageId: string, caseId: number, at: number): Promise<void> {
  await run(q, "INSERT INTO email_messages (message_id, case_id, direction, at) VALUES (?, ?, 'out', ?) ON CONFLICT DO NOTHING", [messageId, caseId, at]);
}

function smtpError(error: unknown): string {
  const e = error as { response?: unknown; message?: unknown };
  const text = typeof e?.response === 'string' ? e.response : typeof e?.message === 'string' ? e.message : String(error);
  return text.slice(0, 500);
}

/**
 * How long mail waits for a mail server that is down or says "try again later", from the moment
 * it was queued: as an MTA keeps it (Postfix: 5 days), so an outage of hours loses nothing.
 */
export const MAIL_RETRY_WINDOW_MS = 3 * 24 * 3_600_000;

/**
 * Whether a send failed because of the mail server rather than the mail: no connection, a
 * timeout, a dropped socket, a login refused (the operator's to fix), a 4xx answer. A 5xx answer
 * to the mail (a recipient refused, the message rejected) is about the mail: that keeps the
 * outbox's MAX_ATTEMPTS.
 */
function serverUnavailable(error: unknown): boolean {
  const e = error as { responseCode?: unknown; code?: unknown } | null;
  const code = typeof e?.responseCode === 'number' ? e.responseCode : null;
  return code === null || code < 500 || e?.code === 'EAUTH';
}

/**
 * Sends a mail about a case through the configured mailer. A failure is written to the case's
 * delivery log (`email.failed`, staff only) and rethrown so the outbox retries it: while the mail
 * server is unavailable, for MAIL_RETRY_WINDOW_MS (the log names the first MAX_ATTEMPTS failures
 * and the last, not each hourly attempt in between); a mail the server refuses, MAX_ATTEMPTS times.
 */
export async function sendCaseMail(services: Services, item: OutboxItem, caseId: number, mail: MailMessage, what: Record<string, unknown>): Promise<void> {
  try {
    await services.mailer!.send(mail);
  } catch (caught) {
    const error = serverUnavailable(caught) ? new RetryUntilError(caught instanceof Error ? caught.message : String(caught), item.createdAt + MAIL_RETRY_WINDOW_MS, { cause: caught }) : caught;
    const retry = !givesUp(error, item.attempts, services.clock.now(), MAX_ATTEMPTS, retryDelayMs);
    if (item.attempts <= MAX_ATTEMPTS || !retry) {
      const data = { ...what, to: mail.to, cc: mail.cc ?? [], ...(mail.messageId ? { messageId: mail.messageId } : {}), error: smtpError(caught), attempt: item.attempts, retry };
      await services.store.write(async (q) => {
        // Not about an item closed meanwhile (its case erased): the address would be back on the case.
        if (!(await itemPending(q, item.id, data.error))) return;
        await q.db.insert(q.tables.caseEvents).values({ caseId, type: 'email.failed', at: services.clock.now(), actorType: 'system', actorId: null, data });
      });
    }
    throw error;
  }
}

/** The reply's files as mail attachments, read from the store when the mail is sent. */
export async function replyAttachments(q: Handle, services: Services, caseId: number, files: readonly { id: number }[]): Promise<MailAttachment[]> {
  if (files.length === 0) return [];
  const rows = await all<{ id: number; file_name: string; media_type: string; sha256: string }>(q, 'SELECT id, file_name, media_type, sha256 FROM attachments WHERE case_id = ? ORDER BY id', [caseId]);
  const wanted = new Set(files.map((f) => f.id));
  return rows.filter((r) => wanted.has(r.id)).map((r) => ({ filename: r.file_name, path: services.attachments.store.pathOf(r.sha256), contentType: r.media_type }));
}

type Outcome = Record<string, unknown>;

/** Who mail answering on a case goes to. */
export interface CaseMailRecipients {
  to: string[];
  cc: string[];
  /** Why `to` is empty: the customer has no address mail can reach (a caller known only by phone). */
  noAddress?: string;
}

/** What the timeline says of mail not sent because the case's customer has no real address. */
export const NO_CUSTOMER_ADDRESS = 'the customer has no e-mail address (known only by phone): add it to their profile';

/**
 * The recipients of a staff reply's mail, and of any mail that answers on the case as one does
 * (the chat's missed replies): To the case's customer, Cc the addresses copied on the case, one
 * form each, never the customer's own address or the support address.
 */
export async function caseMailRecipients(q: Handle, services: Services, c: Pick<CaseRow, 'id' | 'customerId'>): Promise<CaseMailRecipients> {
  const customer = await get<{ email: string }>(q, 'SELECT email FROM customers WHERE id = ?', [c.customerId]);
  // A stand-in under `.invalid` (a caller known only by phone) is never mailed: the mail server
  // would take it and bounce it, and the timeline would say it was delivered.
  const reachable = customer !== undefined && !isUndeliverableAddress(customer.email);
  const to = reachable ? [canonicalEmail(customer.email)] : [];
  // One form per address (a contact kept before addresses had one form may be there in both).
  const cc = (await contactsOn(q, c.id))
    .map((r) => canonicalEmail(r.address))
    .filter((a, i, all) => !to.includes(a) && !isUndeliverableAddress(a) && !isSupportAddress(services.email.supportAddress, a) && all.indexOf(a) === i);
  return { to, cc, ...(customer && !reachable ? { noAddress: NO_CUSTOMER_ADDRESS } : {}) };
}

/**
 * A mail on the case's customer thread, as a staff reply's is made: the outbox item's own
 * Message-ID, In-Reply-To/References and the signed Reply-To (`threadHeaders`), the text and our
 * HTML rendering of it, and `files` (of the customer projection) attached from the store.
 */
export async function caseThreadMail(
  q: Handle,
  services: Services,
  item: OutboxItem,
  caseId: number,
  recipients: CaseMailRecipients,
  content: { subject: string; text: string; files: readonly { id: number }[] },
): Promise<MailMessage> {
  const messageId = outboundMessageId(services, item, caseId);
  const headers = await threadHeaders(q, services, caseId, messageId);
  const attachments = await replyAttachments(q, services, caseId, content.files);
  return {
    to: recipients.to,
    cc: recipients.cc,
    subject: content.subject,
    text: content.text,
    html: textToHtml(content.text),
    messageId,
    ...(headers.inReplyTo ? { inReplyTo: headers.inReplyTo } : {}),
    references: headers.references,
    replyTo: headers.replyTo,
    ...(attachments.length ? { attachments } : {}),
  };
}

/** The `email.sent` entry of such a mail, delivered: who got it, its Message-ID, the attempts and the files' names. */
export function deliveredOutcome(what: Outcome, mail: MailMessage, item: OutboxItem): Outcome {
  return {
    ...what,
    to: mail.to,
    cc: mail.cc ?? [],
    messageId: mail.messageId,
    delivered: true,
    attempts: item.attempts,
    ...(mail.attachments?.length ? { attachments: mail.attachments.map((a) => a.filename) } : {}),
  };
}

/** What the reply's mail is, read before it is sent: the mail to send, or why none is sent. */
async function replyMail(q: Handle, services: Services, item: OutboxItem, c: CaseRow): Promise<{ mail: MailMessage; outcome: Outcome } | { mail: null; outcome: Outcome }> {
  const eventId = Number(item.payload.event);
  const entry = (await customerTimelineIn(q, services, c)).find((e) => e.id === eventId && e.type === 'staff.replied');
  const recipients = await caseMailRecipients(q, services, c);
  const { to, cc } = recipients;
  const what = { kind: 'reply', reply: eventId };
  if (!entry || entry.type !== 'staff.replied') return { mail: null, outcome: { ...what, delivered: false, reason: 'the reply is not public' } };
  // Delivered live in the visitor's chat (src/chat/subscribers.ts): not mailed as well.
  if ((await get(q, 'SELECT 1 AS one FROM chat_messages WHERE case_event_id = ?', [eventId])) !== undefined) return { mail: null, outcome: { ...what, delivered: false, reason: 'delivered in the live chat' } };
  if (to.length === 0) return { mail: null, outcome: { ...what, delivered: false, reason: recipients.noAddress ?? 'no recipients' } };
  if (!services.mailer) return { mail: null, outcome: { ...what, to, cc, delivered: false, reason: 'SMTP_URL is not set' } };
  // The wrapper is the editable `staff-reply` template (customer version): the reply as the
  // customer sees it, its author's name and the link; bidi controls removed, as in every mail.
  const values = await caseValues(q, services, { ...c, subject: c.subject.replace(REPLY_PREFIX, '') }, 'staff-reply', 'customer', { reply: { text: entry.body.trim(), author: entry.author.name } });
  const message = renderMail('staff-reply', 'customer', values, caseRef(c.id), await templateOverrideIn(q, 'staff-reply', 'customer'));
  const mail = await caseThreadMail(q, services, item, c.id, recipients, { subject: message.subject, text: message.text, files: entry.attachments ?? [] });
  return { mail, outcome: { ...deliveredOutcome(what, mail, item), ...(message.customized ? { customized: true } : {}) } };
}

/** Outbox handler of `email.reply`: mails one public staff reply to the customer and the case's CCs. */
export async function sendReplyMail(services: Services, item: OutboxItem): Promise<void> {
  const read = await services.store.query(async (q) => {
    const [c] = item.caseId === null ? [] : await q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, item.caseId)).limit(1);
    return c ? { c, ...(await replyMail(q, services, item, c)) } : null;
  });
  if (!read) {
    await services.store.write((q) => markItemDone(q, item.id, services.clock.now()));
    return;
  }
  const { c, mail, outcome } = read;
  if (mail) await sendCaseMail(services, item, c.id, mail, { kind: 'reply', reply: Number(item.payload.event) });
  await services.store.write(async (q) => {
    const now = services.clock.now();
    if (!(await markItemDone(q, item.id, now))) return;
    if (mail?.messageId) await recordSentMessageId(q, mail.messageId, c.id, now);
    await q.db.insert(q.tables.caseEvents).values({ caseId: c.id, type: 'email.sent', at: now, actorType: 'system', actorId: null, data: outcome });
  });
}
