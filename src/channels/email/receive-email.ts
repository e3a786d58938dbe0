/**
 * The one inbound pipeline every way in feeds (HTTP, SMTP, later IMAP): a raw mail becomes a
 * new case through the same intake command as every channel (`createCase`), the customer's
 * message on the case it continues (`addMessage`), an internal note flagged for review, a
 * delivery failure on the case a bounce comes from — or is ignored with a reason. The
 * Message-ID is claimed in the same transaction as the case change, so a mail is processed
 * exactly once however often it is delivered; every mail's outcome goes to `inbound_mail`.
 */
import { and, eq } from 'drizzle-orm';
import type { InboundOutcome } from '../../db/schema/index.js';
import type { Handle } from '../../db/store/index.js';
import { get } from '../../db/store/rows.js';
import { addMessage } from '../../cases/add-message.js';
import { caseRef } from '../../cases/case-ref.js';
import { customerByEmail } from '../../cases/customers.js';
import { DomainError } from '../../errors.js';
import { SYSTEM_ACTOR, type Actor } from '../../roles.js';
import { clipText } from '../../text/clip-text.js';
import { isEmailAddress } from '../../text/email-address.js';
import type { Services } from '../../services.js';
import { CaseContext } from '../../workflow/context.js';
import { deliveryReport, failedForCustomer, findBounceCase } from './bounce.js';
import { reusedMessageId } from './fingerprint.js';
import { forwardedOriginal } from './forwarded.js';
import { attachmentData, clip, emptyBody, MAX_ORIGINAL, others, type Entry, type InboundResult, type ReceiveEmailOptions } from './mail-case-data.js';
import { fileCounts, recordOriginal, skippedData, storeMailFiles, type MailFiles } from './mail-files.js';
import { addContactsOn, claimMessageIdOn, DuplicateMailError, isContactOn, logMailOn, type LogEntry } from './mail-log.js';
import { isAutoReply, isBounce, xLoopAddresses } from './noise.js';
import { openCase } from './open-mail-case.js';
import { withOriginalSender } from './own-group.js';
import { mailChecks } from './prechecks.js';
import { headersOnly, loggedMessageId, parseMail, type InboundMail, type MailAddress } from './parse-mail.js';
import { isForwardSubject, mailText } from './quoted-text.js';
import { isBlocked, isOwnAddress } from './settings.js';
import { findThread, type Thread } from './thread.js';
import { queueTooLargeNoticeOn, tooLargeNoticeTo } from './too-large-notice.js';

export type { InboundResult, InboundVia, ReceiveEmailOptions } from './mail-case-data.js';

export async function receiveEmail(services: Services, raw: Buffer, options: ReceiveEmailOptions): Promise<InboundResult> {
  const { clock, store } = services;
  const settings = services.email;
  const at = clock.now();
  const size = Math.max(options.size ?? 0, raw.length);
  const base = { via: options.via, mailbox: options.mailbox ?? null, mailboxId: options.mailboxId ?? null, size, at };
  const ignoredUnparsed = async (reason: string): Promise<InboundResult> => {
    const head = headersOnly(raw);
    await store.query((q) => logMailOn(q, { ...base, messageId: loggedMessageId(raw, head), from: head.from, subject: head.subject, outcome: 'ignored', reason, caseId: null }));
    return { result: 'ignored', reason };
  };

  if (size > settings.maxBytes) {
    // Over SMTP the 552 tells the sender; over IMAP and HTTP an automatic reply does (too-large-notice.ts).
    if (options.via === 'smtp') return ignoredUnparsed('too-large');
    const head = headersOnly(raw);
    const to = await tooLargeNoticeTo(services, raw, head.from);
    await store.write(async (q) => {
      if (to) await queueTooLargeNoticeOn(q, { to, subject: head.subject, messageId: head.messageId, size, limit: settings.maxBytes }, at);
      await logMailOn(q, { ...base, messageId: loggedMessageId(raw, head), from: head.from, subject: head.subject, outcome: 'ignored', reason: 'too-large', caseId: null });
    });
    if (to) services.outbox.kick();
    return { result: 'ignored', reason: 'too-large' };
  }
  let mail: InboundMail;
  try {
    mail = await parseMail(raw);
  } catch (error) {
    services.logger.warn('email: unparseable mail', { error: error instanceof Error ? error.message : String(error) });
    return ignoredUnparsed('malformed');
  }
  // A Google Workspace group as the support address rewrites a strict-DMARC sender's From to itself: read back (own-group.ts).
  mail = await withOriginalSender(settings, mail);
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
  const ignore = async (reason: string, caseId: number | null = null): Promise<InboundResult> => {
    try {
      await store.write(async (q) => {
        await claimMessageIdOn(q, mail, caseId, at);
        await logMailOn(q, entry('ignored', reason, caseId));
      });
      return { result: 'ignored', reason, ...(caseId !== null ? { case: caseRef(caseId) } : {}) };
    } catch (error) {
      if (error instanceof DuplicateMailError) return duplicate();
      throw error;
    }
  };
  // Intake refused what the mail would make (nothing the checks above foresaw): logged with why, never silent.
  const rejected = (error: DomainError): Promise<InboundResult> => {
    services.logger.warn('email: intake refused a mail', { messageId: mail.messageId, from: sender, code: error.code, error: error.message });
    return ignore('rejected');
  };
  // A redelivery (a provider's retry after a timeout, IMAP reading a mailbox again) names the case the first delivery went to, as its answer did.
  const duplicate = async (): Promise<InboundResult> => {
    // Another mail with the same Message-ID claimed it between our check and our write: this one is read again, and kept apart.
    if (mail.reusedMessageId === undefined && anotherMail(await store.query((q) => mailChecks(q).received(q, mail.messageId)))) return receiveEmail(services, raw, options);
    const caseId = await store.query(async (q) => {
      const { emailMessages } = q.tables;
      const [first] = await q.db
        .select({ caseId: emailMessages.caseId })
        .from(emailMessages)
        .where(and(eq(emailMessages.messageId, mail.messageId), eq(emailMessages.direction, 'in')))
        .limit(1);
      const found = first?.caseId ?? null;
      await logMailOn(q, entry('ignored', 'duplicate', found));
      return found;
    });
    return { result: 'ignored', reason: 'duplicate', ...(caseId !== null ? { case: caseRef(caseId) } : {}) };
  };

  // A sender's broken mailer that writes one Message-ID on every mail (a carrier's notifications, a scanner, a web form):
  // a mail that is not the one received with its Message-ID (fingerprint.ts) is kept by an id of its own, not dropped as a duplicate.
  const anotherMail = (first: { fingerprint: string | null } | undefined) => first !== undefined && first.fingerprint !== null && first.fingerprint !== mail.fingerprint;
  let first = await store.query((q) => mailChecks(q).received(q, mail.messageId));
  if (anotherMail(first)) {
    mail = { ...mail, messageId: reusedMessageId(mail.messageId, mail.fingerprint), reusedMessageId: mail.messageId };
    first = await store.query((q) => mailChecks(q).received(q, mail.messageId));
  }
  if (first) return duplicate();
  if (!sender) return ignore(mail.parsed.headerLines.length === 0 ? 'malformed' : 'no-sender');
  if (isOwnAddress(settings, sender)) return ignore('loop');
  // Casebook marks its automatic mail `X-Loop: <support address>`: such a mail back, whoever it seems to come from, is ours.
  if (xLoopAddresses(mail.parsed).some((address) => isOwnAddress(settings, address))) return ignore('loop');
  if (isBlocked(settings, sender)) return ignore('blocked');
  if (isBounce(mail.parsed)) {
    const found = await store.query((q) => findBounceCase(q, mail, raw));
    if (found === null) return ignore('bounce');
    const { caseId } = found;
    try {
      await services.store.write(async (q) => {
        const ctx = await CaseContext.load(q, services, caseId, SYSTEM_ACTOR);
        // A report that delivery is only delayed (or succeeded) says so: it is no failure.
        const report = deliveryReport(raw);
        const { action, recipients } = report;
        const data = { from: sender, subject: mail.subject, messageId: mail.messageId, detail: clipText(mail.text, 2000), ...(action !== 'failed' ? { action } : {}), ...(recipients.length > 0 ? { recipients } : {}) };
        // Our mail never reached the customer: an event the workflow reacts to (the default one
        // takes a case waiting on the customer, or resolved, back to its agent: docs/email.md).
        // Anything else — and a bounce that does not return one of our Message-IDs, which anyone
        // could write — is only told on the timeline.
        if (found.ours && (await failedForCustomer(q, ctx.case.customerId, report))) {
          await ctx.raise('email.bounced', data);
          await ctx.save();
        } else {
          await ctx.record('email.bounced', data);
        }
        await claimMessageIdOn(q, mail, caseId, at);
        await logMailOn(q, entry('appended', 'bounce', caseId));
      });
    } catch (error) {
      if (error instanceof DuplicateMailError) return duplicate();
      throw error;
    }
    return { result: 'appended', case: caseRef(caseId), reason: 'bounce' };
  }
  if (isAutoReply(mail.parsed)) return ignore('auto-reply');
  if (await isStaff(services, sender)) {
    // Staff work cases in Casebook; a mail of theirs counts only as a customer's mail forwarded on their behalf.
    const forwarded = await forwardedOriginal(mail);
    const original = forwarded?.from.address;
    if (!forwarded || !original || isOwnAddress(settings, original) || (await isStaff(services, original)) || isBlocked(settings, original)) return ignore('staff-sender');
    if (!isEmailAddress(original)) return ignore('invalid-sender');
    try {
      const files = await storeMailFiles(services, mail, raw);
      return await openCase(services, mail, entry, files, null, 'forwarded', options, forwarded);
    } catch (error) {
      if (error instanceof DuplicateMailError) return duplicate();
      if (error instanceof DomainError && error.code === 'VALIDATION_FAILED') return rejected(error);
      throw error;
    }
  }
  // Whoever a customer's mail comes from becomes a customer or a contact: an address that cannot be one is refused, never dropped silently.
  if (!isEmailAddress(sender)) return ignore('invalid-sender');
  const rate = settings.ratePerSender;
  if (rate.count > 0 && (await store.query((q) => mailChecks(q).mailsFrom(q, sender, at - rate.windowMs))) >= rate.count) return ignore('rate-limited');
  // A web form's or a notifier's mail (From: noreply@shop) names the customer in Reply-To: a new case is theirs.
  const replyTo = await replyToOf(services, mail);
  if (replyTo && isBlocked(settings, replyTo.address)) return ignore('blocked');

  try {
    // Written to the store before the transaction that names them (a failure leaves orphans only).
    const files = await storeMailFiles(services, mail, raw);
    const thread = await store.query((q) => findThread(q, settings, mail, options.recipients ?? []));
    // An erased case is no one's thread: the mail that names it (its reply address, its `[C-…]`) is a new request.
    if (thread?.erased) return await openCase(services, mail, entry, files, thread, 'erased-case', options, null, replyTo);
    if (thread) {
      let appended: Awaited<ReturnType<typeof appendToCase>>;
      try {
        appended = await appendToCase(services, mail, thread, entry, files, replyTo);
      } catch (error) {
        // Closed between the check and the write: the reply opens a follow-up case all the same.
        if (!(error instanceof DomainError) || error.code !== 'INVALID_TRANSITION') throw error;
        appended = 'follow-up';
      }
      if (typeof appended !== 'string') return appended;
      if (appended === 'follow-up') {
        // A further reply to the same closed case (the customer answers the same old mail again) joins the
        // follow-up it already opened, while that is not closed itself: one follow-up, not one per mail.
        const followUp = (await latestFollowUp(services, thread.caseId, sender)) ?? (replyTo ? await latestFollowUp(services, thread.caseId, replyTo.address) : null);
        if (followUp !== null) {
          const joined = await appendToCase(services, mail, { caseId: followUp, by: thread.by }, entry, files, replyTo, thread.caseId);
          if (typeof joined !== 'string') return joined;
        }
      }
      return await openCase(services, mail, entry, files, thread, appended, options, null, replyTo);
    }
    return await openCase(services, mail, entry, files, null, null, options, null, replyTo);
  } catch (error) {
    if (error instanceof DuplicateMailError) return duplicate();
    if (error instanceof DomainError && (error.code === 'VALIDATION_FAILED' || error.code === 'FORBIDDEN')) return rejected(error);
    throw error;
  }
}

/** The newest follow-up of a closed case that the sender, as a customer, opened by mail; or null. */
function latestFollowUp(services: Services, closedCaseId: number, sender: string): Promise<number | null> {
  return services.store.query(async (q) => {
    const customer = await customerByEmail(q, sender);
    return customer ? mailChecks(q).latestFollowUpOf(q, closedCaseId, customer.id) : null;
  });
}

/**
 * The one Reply-To address of a mail when it is not its From — the customer a web form or a
 * notifier writes for —, with the From's name when it has none; null when there is none or
 * several, or it is one of our own addresses, a staff account's or no customer's address.
 */
async function replyToOf(services: Services, mail: InboundMail): Promise<MailAddress | null> {
  const [only, ...more] = mail.replyTo;
  if (!only || more.length > 0 || only.address === mail.from?.address) return null;
  if (isOwnAddress(services.email, only.address) || !isEmailAddress(only.address) || (await isStaff(services, only.address))) return null;
  return { address: only.address, name: only.name || mail.from?.name || '' };
}

function isStaff(services: Services, address: string): Promise<boolean> {
  return services.store.query((q) => mailChecks(q).isStaff(q, address));
}

interface Continued {
  customerId: number;
  status: string;
  workflow: string;
  workflowVersion: number;
}

/**
 * What appending to the thread's case needs to know: the case, the sender as a customer,
 * whether they are copied on it — or, when they are neither, whether the mail's Reply-To is
 * the case's customer (a reply sent for them from another address: `byReplyTo`). Reply-To is
 * what the sender wrote, checked by no one (SPF and DKIM vouch for the From only): it counts
 * only on a mail that continues the thread by its headers or the signed reply address — its
 * sender had a mail of the case —, never on one that names the case by its `[C-…]` alone,
 * which anyone can type.
 */
async function threadFacts(q: Handle, thread: Thread, sender: string, replyTo: string | null) {
  const caseId = thread.caseId;
  const c = (await get<Continued>(q, 'SELECT customer_id AS "customerId", status, workflow, workflow_version AS "workflowVersion" FROM cases WHERE id = ?', [caseId]))!;
  const customer = await customerByEmail(q, sender);
  const participant = (customer !== undefined && customer.id === c.customerId) || (await isContactOn(q, caseId, sender));
  if (!participant && replyTo !== null && thread.by !== 'subject') {
    const named = await customerByEmail(q, replyTo);
    if (named !== undefined && named.id === c.customerId) return { c, customer: named, participant: true, byReplyTo: true };
  }
  return { c, customer, participant, byReplyTo: false };
}

/** The mail as a message on the case it continues; or why it opens a new case instead. */
async function appendToCase(
  services: Services,
  mail: InboundMail,
  thread: Thread,
  entry: Entry,
  files: MailFiles,
  /** The mail's one Reply-To address other than its From (see `replyToOf`). */
  replyTo: MailAddress | null,
  /** The closed case the mail answered, when it joins that case's follow-up. */
  answered: number | null = null,
): Promise<InboundResult | 'follow-up' | 'unverified-sender'> {
  const sender = mail.from!.address;
  const { c, customer, participant, byReplyTo } = await services.store.query((q) => threadFacts(q, thread, sender, replyTo?.address ?? null));
  const at = services.clock.now();
  const full = mail.text.trim();
  const { text: cutText, cut } = mailText(full, mail.subject);
  const body = clip(cutText || emptyBody(mail));
  const stored = {
    via: 'email',
    messageId: mail.messageId,
    ...(cut || body.clipped ? { original: clipText(full, MAX_ORIGINAL) } : {}),
    ...attachmentData(mail),
    ...skippedData(services, files),
    ...(answered !== null ? { followUpOf: caseRef(answered) } : {}),
  };

  const workflow = services.definitions.workflow(c.workflow, c.workflowVersion).definition;
  const closed = workflow.states[c.status]?.final === true;
  if (!participant) {
    // Only the case's customer and those copied on it post as the customer. Anyone else who
    // names the case only by its subject tag may be spoofing it.
    if (thread.by === 'subject' && services.email.unverifiedReply === 'new-case') return 'unverified-sender';
    // A note on a closed case is read by no one (closed cases are in no one's list): the mail
    // opens a follow-up case of the sender's own, as a customer's reply to it does.
    if (closed) return 'follow-up';
    await addMessage(services, thread.caseId, { body: clip(full || emptyBody(mail)).text, public: false }, SYSTEM_ACTOR, {
      data: {
        ...stored,
        review: true,
        from: sender,
        threadedBy: thread.by,
        reviewReason: `mail from ${sender}, who is neither the customer nor copied on the case`,
        // Accepted as the customer's message (accept-review.ts), a forward is kept whole, as a participant's is.
        ...(isForwardSubject(mail.subject) ? { forward: true } : {}),
      },
      attachments: files.stored,
      within: async (ctx, eventId) => {
        await recordOriginal(ctx, eventId, files);
        await claimMessageIdOn(ctx.q, mail, thread.caseId, at);
        await logMailOn(ctx.q, entry('appended', 'review', thread.caseId));
      },
    });
    return { result: 'appended', case: caseRef(thread.caseId), reason: 'review', ...fileCounts(files) };
  }

  // A reply to a closed case opens a follow-up case, as the portal asks the customer to do.
  if (closed) return 'follow-up';
  const actor: Actor = { type: 'customer', id: c.customerId, role: 'customer', name: customer?.id === c.customerId ? customer.name : sender };
  await addMessage(services, thread.caseId, { body: body.text, public: true }, actor, {
    data: { ...stored, ...(customer?.id === c.customerId ? {} : { from: sender }), ...(byReplyTo ? { sentBy: sender } : {}) },
    attachments: files.stored,
    within: async (ctx, eventId) => {
      await recordOriginal(ctx, eventId, files);
      await claimMessageIdOn(ctx.q, mail, thread.caseId, at);
      // Whom a mail sent for the customer (Reply-To) copies is its sender's choice, not the customer's: nobody is copied on their case by it.
      if (!byReplyTo) await addContactsOn(ctx.q, thread.caseId, others(services, mail), at);
      await logMailOn(ctx.q, entry('appended', null, thread.caseId));
    },
  });
  return { result: 'appended', case: caseRef(thread.caseId), ...fileCounts(files) };
}
