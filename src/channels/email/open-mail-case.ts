/**
 * A mail that opens a case: through the same intake command as every channel (`createCase`),
 * with the customer matched by address or created from the From name, those copied kept as
 * contacts, `email.received` (staff only) with the raw mail, and the acknowledgement queued.
 * A mail an agent forwarded opens the case for the customer who wrote it.
 */
import { statement } from '../../db/fast.js';
import { caseRef } from '../../cases/case-ref.js';
import { createCase, createCaseSchema } from '../../cases/create-case.js';
import { findCustomerByEmail } from '../../cases/customers.js';
import { DomainError } from '../../errors.js';
import { SYSTEM_ACTOR, type Actor } from '../../roles.js';
import type { Services } from '../../services.js';
import type { Forwarded } from './forwarded.js';
import { attachmentData, clip, emptyBody, MAX_BODY, MAX_ORIGINAL, others, recipientData, type Entry, type InboundResult, type ReceiveEmailOptions } from './mail-case-data.js';
import { fileCounts, recordOriginal, skippedData, type MailFiles } from './mail-files.js';
import { addContacts, claimMessageId, logMail } from './mail-log.js';
import type { InboundMail } from './parse-mail.js';
import type { Thread } from './thread.js';

export async function openCase(
  services: Services,
  mail: InboundMail,
  entry: Entry,
  files: MailFiles,
  thread: Thread | null,
  reason: string | null,
  options: ReceiveEmailOptions,
  forwarded: Forwarded | null = null,
): Promise<InboundResult> {
  const { db } = services;
  // A forward opens the case for the customer who wrote the forwarded mail; whom the agent copied is not theirs.
  const sender = forwarded?.from ?? mail.from!;
  const subject = forwarded ? forwarded.subject : mail.subject;
  const contacts = forwarded ? [] : others(services, mail);
  const at = services.clock.now();
  const existing = findCustomerByEmail(db, sender.address);
  const name = sender.name.replace(/\s+/g, ' ').trim().slice(0, 200);
  const full = mail.text.trim();
  // A known customer files as themselves (their profile is never rewritten by a From header);
  // the channel is the intake path's to say, never the mail's.
  const parsed = createCaseSchema.safeParse({
    ...(existing ? {} : { customer: { email: sender.address, ...(name && name !== sender.address ? { name } : {}) } }),
    subject: (subject || '(no subject)').slice(0, 200),
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
      const contactsLeftOut = addContacts(db, ctx.case.id, contacts, at);
      const received = ctx.record('email.received', {
        messageId: mail.messageId,
        from: sender.address,
        ...recipientData(mail),
        ...(contactsLeftOut > 0 ? { contactsLeftOut } : {}),
        ...(forwarded ? { forwardedBy: mail.from!.address } : {}),
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
