/**
 * Outbound mail about a case. Every public staff reply (`staff.replied`, from any path) queues
 * an `email.reply` outbox item in the reply's own transaction; the handler mails it to the
 * case's customer with the case's CCs copied, built from the customer projection only
 * (`customerTimeline`: the reply's text and its author's name, never notes, queue or tier),
 * wrapped in the editable `staff-reply` template (src/notifications/templates.ts).
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
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { cases } from '../../db/schema/index.js';
import { statement } from '../../db/fast.js';
import { get } from '../../db/store/rows.js';
import { caseRef } from '../../cases/case-ref.js';
import { customerTimeline } from '../../cases/case-read.js';
import type { CaseRow } from '../../cases/case-view.js';
import { markDone, MAX_ATTEMPTS, type OutboxItem } from '../../outbox/outbox.js';
import type { MailAttachment, MailMessage } from '../../notifications/mailer.js';
import { templateOverride } from '../../notifications/template-store.js';
import { caseValues } from '../../notifications/template-values.js';
import { renderMail } from '../../notifications/templates.js';
import type { Services } from '../../services.js';
import type { Subscribers } from '../../workflow/subscribers.js';
import { contactsOf } from './mail-log.js';
import { isSupportAddress, makeReplyAddress } from './reply-address.js';

/** "Re:" and its translations (and a reference) already at the start of a subject: not repeated. */
const REPLY_PREFIX = /^(?:\s*(?:re|aw|sv|antw|rif)\s*(?:\[\d+\])?\s*:\s*|\s*\[C-\d+\]\s*)+/i;

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
    .map((p) => `<p>${p.split('\n').map(escapeHtml).join('<br>\n')}</p>`);
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body style="font-family: sans-serif; line-height: 1.4">\n${paragraphs.join('\n')}\n</body></html>\n`;
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1) || 'localhost';
}

/** The Message-ID of the mail an outbox item sends: the same on every attempt, so a retry is recognisably the same mail. */
export function outboundMessageId(services: Services, item: Pick<OutboxItem, 'id' | 'createdAt'>, caseId: number): string {
  return `casebook.${caseRef(caseId).toLowerCase()}.${item.id}.${item.createdAt.toString(36)}@${domainOf(services.email.supportAddress)}`;
}

export interface ThreadHeaders {
  messageId: string;
  inReplyTo?: string;
  references: string[];
  replyTo: string;
}

/**
 * The headers continuing a case's thread: In-Reply-To is the last Message-ID received or
 * sent for the case, References the first one and up to 19 of the latest (ids Casebook had to
 * derive for mail without one are not real and left out).
 */
export function threadHeaders(services: Services, caseId: number, messageId: string): ThreadHeaders {
  const ids = statement<[number, string], { message_id: string }>(
    services.db,
    "SELECT message_id FROM email_messages WHERE case_id = ? AND message_id != ? AND message_id NOT LIKE '%@derived.casebook' ORDER BY at, rowid",
  )
    .all(caseId, messageId)
    .map((r) => r.message_id);
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
export function recordSentMessageId(db: Db, messageId: string, caseId: number, at: number): void {
  statement<[string, number, number]>(db, "INSERT OR IGNORE INTO email_messages (message_id, case_id, direction, at) VALUES (?, ?, 'out', ?)").run(messageId, caseId, at);
}

function smtpError(error: unknown): string {
  const e = error as { response?: unknown; message?: unknown };
  const text = typeof e?.response === 'string' ? e.response : typeof e?.message === 'string' ? e.message : String(error);
  return text.slice(0, 500);
}

/**
 * Sends a mail about a case through the configured mailer. A failure is written to the case's
 * delivery log (`email.failed`, staff only) and rethrown so the outbox retries it.
 */
export async function sendCaseMail(services: Services, item: OutboxItem, caseId: number, mail: MailMessage, what: Record<string, unknown>): Promise<void> {
  try {
    await services.mailer!.send(mail);
  } catch (error) {
    const retry = item.attempts < MAX_ATTEMPTS;
    statement(services.db, 'INSERT INTO case_events (case_id, type, at, actor_type, actor_id, data) VALUES (?, ?, ?, ?, ?, ?)').run(
      caseId,
      'email.failed',
      services.clock.now(),
      'system',
      null,
      JSON.stringify({ ...what, to: mail.to, cc: mail.cc ?? [], ...(mail.messageId ? { messageId: mail.messageId } : {}), error: smtpError(error), attempt: item.attempts, retry }),
    );
    throw error;
  }
}

/** The reply's files as mail attachments, read from the store when the mail is sent. */
function replyAttachments(services: Services, caseId: number, files: readonly { id: number }[]): MailAttachment[] {
  if (files.length === 0) return [];
  const rows = statement<[number], { id: number; file_name: string; media_type: string; sha256: string }>(
    services.db,
    'SELECT id, file_name, media_type, sha256 FROM attachments WHERE case_id = ? ORDER BY id',
  ).all(caseId);
  const wanted = new Set(files.map((f) => f.id));
  return rows.filter((r) => wanted.has(r.id)).map((r) => ({ filename: r.file_name, path: services.attachments.store.pathOf(r.sha256), contentType: r.media_type }));
}

function loadCase(services: Services, id: number | null): CaseRow | undefined {
  if (id === null) return undefined;
  return services.db.select().from(cases).where(eq(cases.id, id)).get();
}

/** Outbox handler of `email.reply`: mails one public staff reply to the customer and the case's CCs. */
export async function sendReplyMail(services: Services, item: OutboxItem): Promise<void> {
  const { db } = services;
  const c = loadCase(services, item.caseId);
  if (!c) {
    markDone(db, item.id, services.clock.now());
    return;
  }
  const eventId = Number(item.payload.event);
  const entry = (await customerTimeline(services, c)).find((e) => e.id === eventId && e.type === 'staff.replied');
  const customer = statement<[number], { email: string; name: string }>(db, 'SELECT email, name FROM customers WHERE id = ?').get(c.customerId);
  const { supportAddress } = services.email;
  const to = customer ? [customer.email.toLowerCase()] : [];
  const cc = contactsOf(db, c.id)
    .map((r) => r.address.toLowerCase())
    .filter((a, i, all) => !to.includes(a) && !isSupportAddress(supportAddress, a) && all.indexOf(a) === i);
  const what = { kind: 'reply', reply: eventId };
  let outcome: Record<string, unknown>;
  let messageId: string | null = null;
  if (!entry || entry.type !== 'staff.replied') {
    outcome = { ...what, delivered: false, reason: 'the reply is not public' };
  } else if (statement<[number], number>(db, 'SELECT 1 FROM chat_messages WHERE case_event_id = ?').pluck().get(eventId) !== undefined) {
    // Delivered live in the visitor's chat (src/chat/subscribers.ts): not mailed as well.
    outcome = { ...what, delivered: false, reason: 'delivered in the live chat' };
  } else if (to.length === 0) {
    outcome = { ...what, delivered: false, reason: 'no recipients' };
  } else if (!services.mailer) {
    outcome = { ...what, to, cc, delivered: false, reason: 'SMTP_URL is not set' };
  } else {
    // The wrapper is the editable `staff-reply` template (customer version): the reply as the
    // customer sees it, its author's name and the link; bidi controls removed, as in every mail.
    const values = caseValues(services, { ...c, subject: c.subject.replace(REPLY_PREFIX, '') }, 'staff-reply', 'customer', { reply: { text: entry.body.trim(), author: entry.author.name } });
    const message = renderMail('staff-reply', 'customer', values, caseRef(c.id), templateOverride(db, 'staff-reply', 'customer'));
    const text = message.text;
    messageId = outboundMessageId(services, item, c.id);
    const headers = threadHeaders(services, c.id, messageId);
    const attachments = replyAttachments(services, c.id, entry.attachments ?? []);
    const mail: MailMessage = {
      to,
      cc,
      subject: message.subject,
      text,
      html: textToHtml(text),
      messageId,
      ...(headers.inReplyTo ? { inReplyTo: headers.inReplyTo } : {}),
      references: headers.references,
      replyTo: headers.replyTo,
      ...(attachments.length ? { attachments } : {}),
    };
    await sendCaseMail(services, item, c.id, mail, what);
    outcome = {
      ...what,
      to,
      cc,
      messageId,
      delivered: true,
      attempts: item.attempts,
      ...(message.customized ? { customized: true } : {}),
      ...(attachments.length ? { attachments: attachments.map((a) => a.filename) } : {}),
    };
  }
  db.$client.transaction(() => {
    const now = services.clock.now();
    if (messageId) recordSentMessageId(db, messageId, c.id, now);
    statement(db, 'INSERT INTO case_events (case_id, type, at, actor_type, actor_id, data) VALUES (?, ?, ?, ?, ?, ?)').run(c.id, 'email.sent', now, 'system', null, JSON.stringify(outcome));
    markDone(db, item.id, now);
  })();
}
