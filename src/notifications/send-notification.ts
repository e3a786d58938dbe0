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
import { isCallerOnlyEmail } from '../text/phone.js';
import { and, eq, inArray } from 'drizzle-orm';
import { readTransaction } from '../db/client.js';
import { groupCommit } from '../db/group-commit.js';
import { rowById, statement } from '../db/fast.js';
import { cases, customers, staff, staffQueues } from '../db/schema/index.js';
import { revokeLink } from '../auth/links.js';
import { issueSignInLink, type SignInLink } from '../auth/sign-in-link.js';
import { caseRef } from '../cases/case-ref.js';
import { markDone, type OutboxItem } from '../outbox/outbox.js';
import type { Services } from '../services.js';
import { outboundMessageId, recordSentMessageId, sendCaseMail, textToHtml, threadHeaders } from '../channels/email/outbound.js';
import type { MailMessage } from './mailer.js';
import { templateOverride } from './template-store.js';
import { caseValues } from './template-values.js';
import { overrideInUse, renderMail, type TemplateName } from './templates.js';

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

function recipients(services: Services, to: string, c: Pick<typeof cases.$inferSelect, 'customerId' | 'assigneeId' | 'queueId'>): Recipients {
  const { db } = services;
  switch (to) {
    case 'customer': {
      const email = statement<[number], { email: string }>(db, 'SELECT email FROM customers WHERE id = ?').get(c.customerId)?.email;
      // A caller known only by their phone number has an address under .invalid that nobody receives.
      return { addresses: email === undefined || isCallerOnlyEmail(email) ? [] : [email] };
    }
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

interface Plan {
  c: typeof cases.$inferSelect;
  to: string;
  template: TemplateName;
  addresses: string[];
  fallback: Recipients['fallback'];
  customer: typeof customers.$inferSelect;
  toCustomer: boolean;
}

/** What the item asks for: the case, who gets it and how; null when the case is gone. */
function planOf(services: Services, item: OutboxItem): Plan | null {
  const { db } = services;
  const c = item.caseId === null ? undefined : rowById(db, cases, item.caseId);
  if (!c) return null;
  const { to, template } = item.payload as { to: string; template: TemplateName };
  const { addresses, fallback } = recipients(services, to, c);
  const customer = rowById(db, customers, c.customerId)!;
  // The customer (by target or by address) gets the customer projection, never staff detail.
  const toCustomer = to === 'customer' || (addresses.length > 0 && addresses.every((a) => a.toLowerCase() === customer.email.toLowerCase()));
  return { c, to, template, addresses, fallback, customer, toCustomer };
}

/** The message for the plan's audience (a manager's saved version of the template if there is one). */
function compose(services: Services, item: OutboxItem, plan: Plan, signIn: SignInLink | null) {
  const { c, template, toCustomer } = plan;
  const audience = toCustomer ? 'customer' : 'staff';
  const values = caseValues(services, c, template, audience, { data: (item.payload.data ?? {}) as Record<string, unknown>, signInUrl: signIn?.url ?? null });
  return renderMail(template, audience, values, caseRef(c.id), templateOverride(services.db, template, audience));
}

/** Records the outcome on the timeline and marks the item done (inside a transaction). */
function record(services: Services, item: OutboxItem, caseId: number, outcome: Record<string, unknown>, messageId: string | null): void {
  const { db } = services;
  const now = services.clock.now();
  if (messageId) recordSentMessageId(db, messageId, caseId, now);
  statement(db, 'INSERT INTO case_events (case_id, type, at, actor_type, actor_id, data) VALUES (?, ?, ?, ?, ?, ?)').run(caseId, 'notification.sent', now, 'system', null, JSON.stringify(outcome));
  markDone(db, item.id, now);
}

interface CaseRecipients {
  id: number;
  customerId: number;
  assigneeId: number | null;
  queueId: string;
}

/**
 * Nothing is sent (no recipients, or no SMTP_URL): the timeline says so. Reads only what says
 * who would get it and whether a manager's version of the template would have been used.
 */
function undelivered(services: Services, item: OutboxItem): void {
  const { db } = services;
  const row =
    item.caseId === null
      ? undefined
      : statement<[number], { id: number; customer_id: number; assignee_id: number | null; queue_id: string }>(db, 'SELECT id, customer_id, assignee_id, queue_id FROM cases WHERE id = ?').get(item.caseId);
  if (!row) {
    markDone(db, item.id, services.clock.now());
    return;
  }
  const c: CaseRecipients = { id: row.id, customerId: row.customer_id, assigneeId: row.assignee_id, queueId: row.queue_id };
  const { to, template } = item.payload as { to: string; template: TemplateName };
  const { addresses, fallback } = recipients(services, to, c);
  const toCustomer = to === 'customer' || (addresses.length > 0 && addresses.every((a) => a.toLowerCase() === customerEmail(services, c.customerId)));
  const customized = overrideInUse(template, toCustomer ? 'customer' : 'staff', templateOverride(db, template, toCustomer ? 'customer' : 'staff'));
  const via = { ...(fallback ? { fallback } : {}), ...(customized ? { customized: true } : {}) };
  const outcome =
    addresses.length === 0
      ? { template, to, ...via, delivered: false, reason: 'no recipients' }
      : { template, to, ...via, recipients: addresses, delivered: false, reason: 'SMTP_URL is not set' };
  record(services, item, c.id, outcome, null);
}

function customerEmail(services: Services, customerId: number): string | undefined {
  return statement<[number], string>(services.db, 'SELECT lower(email) FROM customers WHERE id = ?').pluck().get(customerId);
}

export async function sendNotification(services: Services, item: OutboxItem): Promise<void> {
  const { db } = services;
  // Without SMTP there is nothing to wait for: read, decide and record in one unit of a group commit.
  if (!services.mailer) return groupCommit(db, () => undelivered(services, item));
  const plan = readTransaction(db, () => planOf(services, item));
  if (!plan || plan.addresses.length === 0) return groupCommit(db, () => undelivered(services, item));
  const { c, to, template, addresses, customer, toCustomer } = plan;
  // A customer without a password gets in with a one-time link that opens the case.
  let signIn: SignInLink | null = null;
  if (toCustomer && template === 'case-received' && customer.passwordHash === null) {
    signIn = await issueSignInLink(services, customer.id, 'case-mail', `/cases/${caseRef(c.id)}`);
  }
  const message = compose(services, item, plan, signIn);
  const via = { ...(plan.fallback ? { fallback: plan.fallback } : {}), ...(message.customized ? { customized: true } : {}) };
  let outcome: Record<string, unknown>;
  let messageId: string | null = null;
  if (toCustomer) {
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
      if (signIn) await services.store.write((q) => revokeLink(q, signIn!.token)); // the retry mails a new one
      throw error;
    }
    outcome = { template, to, ...via, recipients: addresses, messageId, delivered: true, ...(signIn ? { signInLink: true } : {}) };
  } else {
    await sendCaseMail(services, item, c.id, { to: addresses, subject: message.subject, text: message.text, headers: { 'Auto-Submitted': 'auto-generated' } }, { kind: 'notification', template });
    outcome = { template, to, ...via, recipients: addresses, delivered: true };
  }
  // With the commands arriving meanwhile (group commit): no transaction of its own.
  const sent = messageId;
  await groupCommit(db, () => record(services, item, c.id, outcome, sent));
}

/** Without SMTP there is nothing to wait for: performed inside the drain's transaction. */
sendNotification.inTransaction = (services: Services, item: OutboxItem): boolean => {
  if (services.mailer) return false;
  undelivered(services, item);
  return true;
};
