/**
 * A mail that opens a case: through the same intake command as every channel (`createCase`),
 * with the customer matched by address or created from the From name, those copied kept as
 * contacts, `email.received` (staff only) with the raw mail, and the acknowledgement queued.
 * A mail an agent forwarded opens the case for the customer who wrote it.
 */
import type { Handle } from '../../db/store/index.js';
import { caseRef } from '../../cases/case-ref.js';
import { createCase, createCaseSchema } from '../../cases/create-case.js';
import { customerByEmail } from '../../cases/customers.js';
import { DomainError } from '../../errors.js';
import { SYSTEM_ACTOR, type Actor } from '../../roles.js';
import { clipText } from '../../text/clip-text.js';
import type { Services } from '../../services.js';
import type { Forwarded } from './forwarded.js';
import { attachmentData, clip, emptyBody, MAX_BODY, MAX_ORIGINAL, others, recipientData, type Entry, type InboundResult, type ReceiveEmailOptions } from './mail-case-data.js';
import { fileCounts, recordOriginal, skippedData, type MailFiles } from './mail-files.js';
import { addContactsOn, claimMessageIdOn, logMailOn } from './mail-log.js';
import { noAutomaticAnswer } from './noise.js';
import { mailChecks } from './prechecks.js';
import type { InboundMail, MailAddress } from './parse-mail.js';
import { mailText } from './quoted-text.js';
import { subjectOfReply, type Thread } from './thread.js';

/**
 * Acknowledgements per sender address and hour. A robot that answers every mail with a new
 * one (no auto-reply headers, no threading headers, no case reference) would otherwise get
 * an acknowledgement for each case the rate limit lets through, and answer each: a loop of
 * EMAIL_RATE_LIMIT mails an hour, for ever. Past this, cases still open (nothing is lost)
 * but are not acknowledged (RFC 3834 asks automatic responses not to repeat to one sender).
 */
export const ACK_LIMIT = 3;
const ACK_WINDOW_MS = 3_600_000;
const ACK_SKIPPED = `${ACK_LIMIT} cases from this address were already acknowledged within the hour`;
/** Why a mail gets no automatic answer (noise.ts `noAutomaticAnswer`), as the timeline says it. */
const NO_ANSWER: Record<NonNullable<ReturnType<typeof noAutomaticAnswer>>, string> = {
  // RFC 3834 §2: no automatic response to mail sent through a mailing list or as a newsletter.
  list: 'the mail came through a mailing list or is a newsletter (List-Id, List-Unsubscribe or Precedence: list); no automatic reply is sent to list mail',
  suppressed: 'the sender asked for no automatic replies (X-Auto-Response-Suppress)',
  'x-loop': 'the mail was sent by an automated system (X-Loop); no automatic reply, so the two cannot answer each other in a loop',
};

/** Cases opened by mail from this address within the window (forwards are logged under the agent's address). */
function acknowledgedLately(q: Handle, address: string, at: number): Promise<number> {
  return mailChecks(q).casesOpenedFrom(q, address, at - ACK_WINDOW_MS);
}

export async function openCase(
  services: Services,
  mail: InboundMail,
  entry: Entry,
  files: MailFiles,
  thread: Thread | null,
  reason: string | null,
  options: ReceiveEmailOptions,
  forwarded: Forwarded | null = null,
  /** The mail's one Reply-To address other than its From: the customer a web form or notifier wrote for. */
  replyTo: MailAddress | null = null,
): Promise<InboundResult> {
  // A forward opens the case for the customer who wrote the forwarded mail; whom the agent copied is not theirs.
  // A mail sent for someone else (Reply-To) opens it for them; the entry keeps the From it came from. Whom it
  // copies is its sender's choice, not the customer's (Reply-To is checked by no one): nobody is copied on the
  // case by it, or a stranger naming the customer in Reply-To would get every reply to their case.
  const sender = forwarded?.from ?? replyTo ?? mail.from!;
  const subject = forwarded ? forwarded.subject : mail.subject;
  const contacts = forwarded || replyTo ? [] : others(services, mail);
  const at = services.clock.now();
  const existing = await services.store.query((q) => customerByEmail(q, sender.address));
  const name = clipText(sender.name.replace(/\s+/g, ' ').trim(), 200);
  // An agent's forward is the whole text: their words, then the forwarded mail (one attached whole comes after them).
  const full = [mail.text.trim(), forwarded?.attached ?? ''].filter((part) => part !== '').join('\n\n');
  // A reply that opens a case (a follow-up of a closed case, a stranger's answer) is cut at
  // the quoted history and the signature like any reply: its request — what the customer sees
  // as theirs, what diagnosis and routing read — is what they wrote this time; the full text is
  // kept on `email.received` as `original`. A new mail, an agent's forward and a customer's
  // forward ("Fwd: …": the forwarded mail is what they send) keep it whole.
  const { text: own, cut } = thread ? mailText(full, mail.subject) : { text: full, cut: false };
  // A known customer files as themselves (their profile is never rewritten by a From header);
  // the channel is the intake path's to say, never the mail's.
  const parsed = createCaseSchema.safeParse({
    ...(existing ? {} : { customer: { email: sender.address, ...(name && name !== sender.address ? { name } : {}) } }),
    subject: clipText((thread ? subjectOfReply(subject, thread.caseId) : subject) || '(no subject)', 200),
    description: clip(own || emptyBody(mail)).text,
  });
  if (!parsed.success) throw new DomainError('VALIDATION_FAILED', parsed.error.message);
  const input = parsed.data;
  // A case opened for a mail naming an erased case is not linked to it: that would tie the erased case to a person again.
  const followUp = thread && !thread.erased ? { [reason === 'follow-up' ? 'followUpOf' : 'names']: caseRef(thread.caseId), threadedBy: thread.by } : {};
  const actor: Actor = existing ? { type: 'customer', id: existing.id, role: 'customer', name: existing.name } : SYSTEM_ACTOR;
  // Why the request is not acknowledged (nor answered by any automatic mail), decided in the intake's transaction.
  let ackSkipped: string | null = null;
  const row = await createCase(services, input, actor, {
    channel: 'email',
    // A mailbox's default queue is a routing hint: the routing rules may still pick another.
    ...(options.defaultQueue ? { defaultQueue: options.defaultQueue } : {}),
    ...(options.mailboxName ? { eventData: { mailbox: options.mailboxName } } : {}),
    ...(existing ? { customerId: existing.id } : {}),
    attachments: files.stored,
    // The acknowledgement (it carries a known solution the rules offer); none, nor any automatic mail, when the
    // sender must not get one. An agent's forward is acknowledged to the customer whatever its own headers say.
    acknowledge: async (ctx) => {
      const noAnswer = forwarded ? null : noAutomaticAnswer(mail.parsed, services.email.supportAddress);
      // Checked before this mail's own log line is written.
      if (noAnswer) ackSkipped = NO_ANSWER[noAnswer];
      else if (!forwarded && (await acknowledgedLately(ctx.q, sender.address, at)) >= ACK_LIMIT) ackSkipped = ACK_SKIPPED;
      return ackSkipped === null;
    },
    within: async (ctx) => {
      await claimMessageIdOn(ctx.q, mail, ctx.case.id, at);
      const contactsLeftOut = await addContactsOn(ctx.q, ctx.case.id, contacts, at);
      const received = await ctx.record('email.received', {
        messageId: mail.messageId,
        from: sender.address,
        ...recipientData(mail),
        ...(contactsLeftOut > 0 ? { contactsLeftOut } : {}),
        ...(forwarded ? { forwardedBy: mail.from!.address } : {}),
        ...(!forwarded && replyTo ? { sentBy: mail.from!.address } : {}),
        ...(options.mailboxName ? { mailbox: options.mailboxName } : {}),
        ...(full.length > MAX_BODY || cut ? { original: clipText(full, MAX_ORIGINAL) } : {}),
        ...attachmentData(mail),
        ...skippedData(services, files),
        ...followUp,
        ...(ackSkipped !== null ? { acknowledged: false, ackSkipped } : {}),
      });
      // createCase stores the case before `within` runs: the entry has its id.
      await recordOriginal(ctx, received!, files);
      await logMailOn(ctx.q, entry('created', reason, ctx.case.id));
    },
  });
  return { result: 'created', case: caseRef(row.id), ...(reason ? { reason } : {}), ...fileCounts(files) };
}
