/**
 * Outbox handler for `notification.send`: resolves the recipients (`customer`,
 * `assignee`, `queue`, `queueManagers`, `managers` or an address), renders the template
 * and mails it: the customer (or their address) gets the template's customer version, built
 * from the customer projection of the case; staff get the full one. An unassigned case's
 * `assignee` is its queue's managers (members of the queue with the manager or admin role),
 * or every manager when the queue has none: an SLA warning or breach always reaches someone.
 * Without SMTP_URL nothing is sent and the timeline says so. Failures are retried by
 * the outbox with back-off and written to the case's delivery log (`email.failed`). Mail to
 * the customer continues the case's thread (Message-ID, In-Reply-To/References, signed
 * Reply-To, HTML beside the text: src/channels/email/outbound.ts).
 */
import { isPlaceholderEmail } from '../text/phone.js';
import { and, eq, inArray } from 'drizzle-orm';
import { caseEvents, cases, customers, staff, staffQueues } from '../db/schema/index.js';
import { revokeLink } from '../auth/links.js';
import { issueSignInLink, type SignInLink } from '../auth/sign-in-link.js';
import { caseRef } from '../cases/case-ref.js';
import { markDone, type OutboxItem } from '../outbox/outbox.js';
import type { Services } from '../services.js';
import { outboundMessageId, recordSentMessageId, sendCaseMail, textToHtml, threadHeaders } from '../channels/email/outbound.js';
import type { MailMessage } from './mailer.js';
import { templateOverride } from './template-store.js';
import { caseValues } from './template-values.js';
import { renderMail, type TemplateName } from './templates.js';

interface Recipients {
  addresses: string[];
  /** Who stood in for an absent assignee, or the queue's absent managers. */
  fallback?: 'queue managers' | 'managers';
}

const MANAGER_ROLES = ['manager', 'admin'] as const;

function managers(services: Services): string[] {
  return services.db
    .select({ email: staff.email })
    .from(staff)
    .where(and(inArray(staff.role, [...MANAGER_ROLES]), eq(staff.active, true)))
    .all()
    .map((r) => r.email);
}

/** The case queue's managers, or all managers when the queue has none. */
function queueManagers(services: Services, queueId: string): Recipients {
  const members = services.db
    .select({ email: staff.email })
    .from(staffQueues)
    .innerJoin(staff, eq(staff.id, staffQueues.staffId))
    .where(and(eq(staffQueues.queueId, queueId), inArray(staff.role, [...MANAGER_ROLES]), eq(staff.active, true)))
    .all()
    .map((r) => r.email);
  return members.length > 0 ? { addresses: members } : { addresses: managers(services), fallback: 'managers' };
}

function recipients(services: Services, to: string, c: typeof cases.$inferSelect): Recipients {
  const { db } = services;
  switch (to) {
    case 'customer':
      // A caller known only by their phone number has a placeholder address nobody receives.
      return { addresses: db.select({ email: customers.email }).from(customers).where(eq(customers.id, c.customerId)).all().map((r) => r.email).filter((a) => !isPlaceholderEmail(a)) };
    case 'assignee': {
      const assignee = c.assigneeId === null ? [] : db.select({ email: staff.email }).from(staff).where(and(eq(staff.id, c.assigneeId), eq(staff.active, true))).all();
      if (assignee.length > 0) return { addresses: assignee.map((r) => r.email) };
      const stand = queueManagers(services, c.queueId);
      return { addresses: stand.addresses, fallback: stand.fallback ?? 'queue managers' };
    }
    case 'queueManagers':
      return queueManagers(services, c.queueId);
    case 'queue':
      return {
        addresses: db
          .select({ email: staff.email })
          .from(staffQueues)
          .innerJoin(staff, eq(staff.id, staffQueues.staffId))
          .where(and(eq(staffQueues.queueId, c.queueId), eq(staff.active, true)))
          .all()
          .map((r) => r.email),
      };
    case 'managers':
      return { addresses: managers(services) };
    default:
      return { addresses: [to] };
  }
}

export async function sendNotification(services: Services, item: OutboxItem): Promise<void> {
  const { db } = services;
  const c = item.caseId === null ? undefined : db.select().from(cases).where(eq(cases.id, item.caseId)).get();
  if (!c) {
    markDone(db, item.id, services.clock.now());
    return;
  }
  const { to, template } = item.payload as { to: string; template: TemplateName };
  const { addresses, fallback } = recipients(services, to, c);
  const customer = db.select().from(customers).where(eq(customers.id, c.customerId)).get()!;
  // The customer (by target or by address) gets the customer projection, never staff detail.
  const toCustomer = to === 'customer' || (addresses.length > 0 && addresses.every((a) => a.toLowerCase() === customer.email.toLowerCase()));
  const audience = toCustomer ? 'customer' : 'staff';
  // A customer without a password gets in with a one-time link that opens the case.
  let signIn: SignInLink | null = null;
  if (toCustomer && template === 'case-received' && services.mailer && addresses.length > 0 && customer.passwordHash === null) {
    signIn = issueSignInLink(services, customer.id, 'case-mail', `/cases/${caseRef(c.id)}`);
  }
  const values = caseValues(services, c, template, audience, { data: (item.payload.data ?? {}) as Record<string, unknown>, signInUrl: signIn?.url ?? null });
  const message = renderMail(template, audience, values, caseRef(c.id), templateOverride(db, template, audience));
  let outcome: Record<string, unknown>;
  let messageId: string | null = null;
  const via = { ...(fallback ? { fallback } : {}), ...(message.customized ? { customized: true } : {}) };
  if (addresses.length === 0) {
    outcome = { template, to, ...via, delivered: false, reason: 'no recipients' };
  } else if (!services.mailer) {
    outcome = { template, to, ...via, recipients: addresses, delivered: false, reason: 'SMTP_URL is not set' };
  } else if (toCustomer) {
    // A customer's mail continues the case's thread (src/channels/email/outbound.ts).
    messageId = outboundMessageId(services, item, c.id);
    const thread = threadHeaders(services, c.id, messageId);
    const mail: MailMessage = {
      to: addresses,
      subject: message.subject,
      text: message.text,
      html: textToHtml(message.text),
      messageId,
      ...(thread.inReplyTo ? { inReplyTo: thread.inReplyTo } : {}),
      references: thread.references,
      replyTo: thread.replyTo,
      headers: { 'Auto-Submitted': 'auto-generated' },
    };
    try {
      await sendCaseMail(services, item, c.id, mail, { kind: 'notification', template });
    } catch (error) {
      if (signIn) revokeLink(db, signIn.token); // the retry mails a new one
      throw error;
    }
    outcome = { template, to, ...via, recipients: addresses, messageId, delivered: true, ...(signIn ? { signInLink: true } : {}) };
  } else {
    await sendCaseMail(services, item, c.id, { to: addresses, subject: message.subject, text: message.text, headers: { 'Auto-Submitted': 'auto-generated' } }, { kind: 'notification', template });
    outcome = { template, to, ...via, recipients: addresses, delivered: true };
  }
  db.$client.transaction(() => {
    if (messageId) recordSentMessageId(db, messageId, c.id, services.clock.now());
    db.insert(caseEvents)
      .values({ caseId: c.id, type: 'notification.sent', at: services.clock.now(), actorType: 'system', actorId: null, data: outcome })
      .run();
    markDone(db, item.id, services.clock.now());
  })();
}
