/**
 * The one inbound pipeline every way in feeds (HTTP, SMTP, later IMAP): a raw mail becomes a
 * new case through the same intake command as every channel (`createCase`), the customer's
 * message on the case it continues (`addMessage`), an internal note flagged for review, a
 * delivery failure on the case a bounce comes from — or is ignored with a reason. The
 * Message-ID is claimed in the same transaction as the case change, so a mail is processed
 * exactly once however often it is delivered; every mail's outcome goes to `inbound_mail`.
 */
import { transaction } from '../../db/client.js';
import { statement } from '../../db/fast.js';
import type { InboundOutcome } from '../../db/schema/index.js';
import { addMessage } from '../../cases/add-message.js';
import { caseRef } from '../../cases/case-ref.js';
import { createCase, createCaseSchema } from '../../cases/create-case.js';
import { findCustomerByEmail } from '../../cases/customers.js';
import { DomainError } from '../../errors.js';
import { SYSTEM_ACTOR, type Actor } from '../../roles.js';
import type { Services } from '../../services.js';
import { CaseContext } from '../../workflow/context.js';
import { findBounceCase } from './bounce.js';
import { addContacts, claimMessageId, DuplicateMailError, isContact, logMail, mailsFrom, wasReceived, type LogEntry } from './mail-log.js';
import { fileCounts, recordOriginal, skippedData, storeMailFiles, type MailFiles } from './mail-files.js';
import { isAutoReply, isBounce } from './noise.js';
import { derivedMessageId, headersOnly, parseMail, type InboundMail } from './parse-mail.js';
import { replyText } from './quoted-text.js';
import { isSupportAddress } from './reply-address.js';
import { isBlocked } from './settings.js';
import { findThread, type Thread } from './thread.js';

export type InboundVia = 'http' | 'smtp' | 'imap';

export interface ReceiveEmailOptions {
  via: InboundVia;
  /** The mailbox it came from (IMAP), for the log. */
  mailbox?: string;
  /** A console mailbox's id, for the log. */
  mailboxId?: number;
  /** A console mailbox's name: rules see it as `event.mailbox` on `case.created`. */
  mailboxName?: string;
  /** The queue a new case starts in unless a routing rule picks one (a console mailbox's default queue). */
  defaultQueue?: string;
  /** Envelope recipients (SMTP RCPT TO), where a signed reply address may be. */
  recipients?: readonly string[];
  /** The mail's full size when `raw` holds only its start (a mail over the limit, not kept whole). */
  size?: number;
}

export interface InboundResult {
  result: InboundOutcome;
  case?: string;
  reason?: string;
  /** A mail with files: how many were stored, and how many were left out (over a limit; listed on the case). */
  attachments?: { stored: number; skipped: number };
}

/** Largest description and message a mail contributes; the rest stays in the stored original. */
const MAX_BODY = 20_000;
const MAX_ORIGINAL = 200_000;

function clip(text: string): { text: string; clipped: boolean } {
  return text.length <= MAX_BODY ? { text, clipped: false } : { text: `${text.slice(0, MAX_BODY - 60).trimEnd()}\n\n[… shortened; the full text is kept with the mail]`, clipped: true };
}

function emptyBody(mail: InboundMail): string {
  const n = mail.attachments.length;
  return n > 0 ? `(The mail had no text, only ${n} attachment${n === 1 ? '' : 's'}.)` : '(The mail had no text.)';
}

function attachmentData(mail: InboundMail): Record<string, unknown> {
  return mail.attachments.length > 0 ? { attachments: mail.attachments.slice(0, 500), ...(mail.attachments.length > 500 ? { attachmentCount: mail.attachments.length } : {}) } : {};
}

export async function receiveEmail(services: Services, raw: Buffer, options: ReceiveEmailOptions): Promise<InboundResult> {
  const { db, clock } = services;
  const settings = services.email;
  const at = clock.now();
  const size = Math.max(options.size ?? 0, raw.length);
  const base = { via: options.via, mailbox: options.mailbox ?? null, mailboxId: options.mailboxId ?? null, size, at };
  const ignoredUnparsed = (reason: string): InboundResult => {
    const head = headersOnly(raw);
    logMail(db, { ...base, messageId: head.messageId ?? derivedMessageId(raw), from: head.from, subject: head.subject, outcome: 'ignored', reason, caseId: null });
    return { result: 'ignored', reason };
  };

  if (size > settings.maxBytes) return ignoredUnparsed('too-large');
  let mail: InboundMail;
  try {
    mail = await parseMail(raw);
  } catch (error) {
    services.logger.warn('email: unparseable mail', { error: error instanceof Error ? error.message : String(error) });
    return ignoredUnparsed('malformed');
  }
  const sender = mail.from?.address ?? null;
  const entry = (outcome: InboundOutcome, reason: string | null, caseId: number | null): LogEntry => ({
    ...base,
    messageId: mail.messageId,
    from: sender,
    subject: mail.subject,
    outcome,
    reason,
    caseId,
  });
  const ignore = (reason: string, caseId: number | null = null): InboundResult => {
    try {
      transaction(db, () => {
        claimMessageId(db, mail.messageId, caseId, at);
        logMail(db, entry('ignored', reason, caseId));
      });
      return { result: 'ignored', reason, ...(caseId !== null ? { case: caseRef(caseId) } : {}) };
    } catch (error) {
      if (error instanceof DuplicateMailError) return duplicate();
      throw error;
    }
  };
  const duplicate = (): InboundResult => {
    logMail(db, entry('ignored', 'duplicate', null));
    return { result: 'ignored', reason: 'duplicate' };
  };

  if (wasReceived(db, mail.messageId)) return duplicate();
  if (!sender) return ignore(mail.parsed.headerLines.length === 0 ? 'malformed' : 'no-sender');
  if (isSupportAddress(settings.supportAddress, sender)) return ignore('loop');
  if (isBlocked(settings, sender)) return ignore('blocked');
  if (isBounce(mail.parsed)) {
    const caseId = findBounceCase(db, mail, raw);
    if (caseId === null) return ignore('bounce');
    try {
      transaction(db, () => {
        const ctx = CaseContext.load(services, caseId, SYSTEM_ACTOR);
        ctx.record('email.bounced', { from: sender, subject: mail.subject, messageId: mail.messageId, detail: mail.text.slice(0, 2000) });
        claimMessageId(db, mail.messageId, caseId, at);
        logMail(db, entry('appended', 'bounce', caseId));
      });
    } catch (error) {
      if (error instanceof DuplicateMailError) return duplicate();
      throw error;
    }
    return { result: 'appended', case: caseRef(caseId), reason: 'bounce' };
  }
  if (isAutoReply(mail.parsed)) return ignore('auto-reply');
  if (statement<[string]>(db, 'SELECT 1 FROM staff WHERE email = ?').get(sender)) return ignore('staff-sender');
  const rate = settings.ratePerSender;
  if (rate.count > 0 && mailsFrom(db, sender, at - rate.windowMs) >= rate.count) return ignore('rate-limited');

  try {
    // Written to the store before the transaction that names them (a failure leaves orphans only).
    const files = storeMailFiles(services, mail, raw);
    const thread = findThread(db, settings, mail, options.recipients ?? []);
    if (thread) {
      let appended: ReturnType<typeof appendToCase>;
      try {
        appended = appendToCase(services, mail, thread, entry, files);
      } catch (error) {
        // Closed between the check and the write: the reply opens a follow-up case all the same.
        if (!(error instanceof DomainError) || error.code !== 'INVALID_TRANSITION') throw error;
        appended = 'follow-up';
      }
      if (typeof appended !== 'string') return appended;
      return await openCase(services, mail, entry, files, thread, appended, options);
    }
    return await openCase(services, mail, entry, files, null, null, options);
  } catch (error) {
    if (error instanceof DuplicateMailError) return duplicate();
    if (error instanceof DomainError && (error.code === 'VALIDATION_FAILED' || error.code === 'FORBIDDEN')) return ignore('rejected');
    throw error;
  }
}

type Entry = (outcome: InboundOutcome, reason: string | null, caseId: number | null) => LogEntry;

function others(services: Services, mail: InboundMail): { address: string; name: string }[] {
  const sender = mail.from?.address;
  const seen = new Set<string>();
  return [...mail.to, ...mail.cc].filter((a) => {
    if (a.address === sender || seen.has(a.address) || isSupportAddress(services.email.supportAddress, a.address)) return false;
    seen.add(a.address);
    return true;
  });
}

/** The mail as a message on the case it continues; or why it opens a new case instead. */
function appendToCase(services: Services, mail: InboundMail, thread: Thread, entry: Entry, files: MailFiles): InboundResult | 'follow-up' | 'unverified-sender' {
  const { db } = services;
  const sender = mail.from!.address;
  const c = statement<[number], { customer_id: number; status: string; workflow: string; workflow_version: number }>(
    db,
    'SELECT customer_id, status, workflow, workflow_version FROM cases WHERE id = ?',
  ).get(thread.caseId)!;
  const customer = findCustomerByEmail(db, sender);
  const participant = (customer !== undefined && customer.id === c.customer_id) || isContact(db, thread.caseId, sender);
  const at = services.clock.now();
  const full = mail.text.trim();
  const { text: cutText, cut } = replyText(full);
  const body = clip(cutText || emptyBody(mail));
  const stored = {
    via: 'email',
    messageId: mail.messageId,
    ...(cut || body.clipped ? { original: full.slice(0, MAX_ORIGINAL) } : {}),
    ...attachmentData(mail),
    ...skippedData(services, files),
  };

  if (!participant) {
    // Only the case's customer and those copied on it post as the customer. Anyone else who
    // names the case only by its subject tag may be spoofing it.
    if (thread.by === 'subject' && services.email.unverifiedReply === 'new-case') return 'unverified-sender';
    addMessage(services, thread.caseId, { body: clip(full || emptyBody(mail)).text, public: false }, SYSTEM_ACTOR, {
      data: { ...stored, review: true, from: sender, threadedBy: thread.by, reviewReason: `mail from ${sender}, who is neither the customer nor copied on the case` },
      attachments: files.stored,
      within: (ctx, eventId) => {
        recordOriginal(ctx, eventId, files);
        claimMessageId(db, mail.messageId, thread.caseId, at);
        logMail(db, entry('appended', 'review', thread.caseId));
      },
    });
    return { result: 'appended', case: caseRef(thread.caseId), reason: 'review', ...fileCounts(files) };
  }

  const workflow = services.definitions.workflow(c.workflow, c.workflow_version).definition;
  // A reply to a closed case opens a follow-up case, as the portal asks the customer to do.
  if (workflow.states[c.status]?.final) return 'follow-up';
  const actor: Actor = { type: 'customer', id: c.customer_id, role: 'customer', name: customer?.id === c.customer_id ? customer.name : sender };
  addMessage(services, thread.caseId, { body: body.text, public: true }, actor, {
    data: { ...stored, ...(customer?.id === c.customer_id ? {} : { from: sender }) },
    attachments: files.stored,
    within: (ctx, eventId) => {
      recordOriginal(ctx, eventId, files);
      claimMessageId(db, mail.messageId, thread.caseId, at);
      addContacts(db, thread.caseId, others(services, mail), at);
      logMail(db, entry('appended', null, thread.caseId));
    },
  });
  return { result: 'appended', case: caseRef(thread.caseId), ...fileCounts(files) };
}

async function openCase(
  services: Services,
  mail: InboundMail,
  entry: Entry,
  files: MailFiles,
  thread: Thread | null,
  reason: string | null,
  options: ReceiveEmailOptions,
): Promise<InboundResult> {
  const { db } = services;
  const sender = mail.from!;
  const at = services.clock.now();
  const existing = findCustomerByEmail(db, sender.address);
  const name = sender.name.replace(/\s+/g, ' ').trim().slice(0, 200);
  const full = mail.text.trim();
  // A known customer files as themselves (their profile is never rewritten by a From header);
  // the channel is the intake path's to say, never the mail's.
  const parsed = createCaseSchema.safeParse({
    ...(existing ? {} : { customer: { email: sender.address, ...(name && name !== sender.address ? { name } : {}) } }),
    subject: (mail.subject || '(no subject)').slice(0, 200),
    description: clip(full || emptyBody(mail)).text,
  });
  if (!parsed.success) throw new DomainError('VALIDATION_FAILED', parsed.error.message);
  const input = parsed.data;
  const followUp = thread ? { [reason === 'follow-up' ? 'followUpOf' : 'names']: caseRef(thread.caseId), threadedBy: thread.by } : {};
  const actor: Actor = existing ? { type: 'customer', id: existing.id, role: 'customer', name: existing.name } : SYSTEM_ACTOR;
  const row = await createCase(services, input, actor, {
    channel: 'email',
    // A mailbox's default queue is a routing hint: the routing rules may still pick another.
    ...(options.defaultQueue ? { defaultQueue: options.defaultQueue } : {}),
    ...(options.mailboxName ? { eventData: { mailbox: options.mailboxName } } : {}),
    ...(existing ? { customerId: existing.id } : {}),
    attachments: files.stored,
    within: (ctx) => {
      claimMessageId(db, mail.messageId, ctx.case.id, at);
      addContacts(db, ctx.case.id, others(services, mail), at);
      const received = ctx.record('email.received', {
        messageId: mail.messageId,
        from: sender.address,
        to: mail.to.map((a) => a.address),
        cc: mail.cc.map((a) => a.address),
        ...(options.mailboxName ? { mailbox: options.mailboxName } : {}),
        ...(full.length > MAX_BODY ? { original: full.slice(0, MAX_ORIGINAL) } : {}),
        ...attachmentData(mail),
        ...skippedData(services, files),
        ...followUp,
      });
      // createCase stores the case before `within` runs: the entry has its id.
      recordOriginal(ctx, received!, files);
      const acknowledged = statement<[number]>(db, "SELECT 1 FROM outbox WHERE case_id = ? AND type = 'notification.send' AND json_extract(payload, '$.template') = 'case-received'").get(ctx.case.id);
      if (!acknowledged) ctx.enqueue('notification.send', { to: 'customer', template: 'case-received', source: 'email', event: 'case.created', data: {} });
      logMail(db, entry('created', reason, ctx.case.id));
    },
  });
  return { result: 'created', case: caseRef(row.id), ...(reason ? { reason } : {}), ...fileCounts(files) };
}
