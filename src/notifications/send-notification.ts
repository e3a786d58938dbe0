/**
 * Outbox handler for `notification.send`: resolves the recipients (`customer`,
 * `assignee`, `queue`, `queueManagers`, `managers` or an address), renders the template
 * and mails it: the customer (or their address) gets the template's customer version, built
 * from the customer projection of the case; staff get the full one (recipients.ts).
 * Without SMTP_URL nothing is sent and the timeline says so. Failures are retried by
 * the outbox with back-off and written to the case's delivery log (`email.failed`). Mail to
 * the customer continues the case's thread (Message-ID, In-Reply-To/References, signed
 * Reply-To, HTML beside the text: src/channels/email/outbound.ts). Mail to an address a chat
 * visitor only typed is held until an agent confirms it (held-mail.ts).
 *
 * On the storage port; without SMTP_URL the outcome is also recorded synchronously on SQLite's
 * connection inside the transaction that queued it (`inTransaction`: intake's
 * acknowledgement, src/outbox/perform-now.ts), with the same look-ups (recipients.ts).
 */
import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { statement } from '../db/fast.js';
import type { cases, customers } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { get } from '../db/store/rows.js';
import { revokeLink } from '../auth/links.js';
import { issueSignInLink, type SignInLink } from '../auth/sign-in-link.js';
import { caseRef } from '../cases/case-ref.js';
import { markItemDone } from '../outbox/dialect.js';
import { markDone, type OutboxItem } from '../outbox/outbox.js';
import type { Services } from '../services.js';
import { outboundMessageId, recordSentMessageId, sendCaseMail, textToHtml, threadHeaders } from '../channels/email/outbound.js';
import { holdMail, isConfirmed, typedAddressAmong } from './held-mail.js';
import { automaticHeaders, type MailMessage } from './mailer.js';
import { resolveIn, resolveOnSqlite, type CaseRecipients, type Recipients } from './recipients.js';
import { templateOverrideIn, templateOverrideOnSqlite } from './template-store.js';
import { caseValues } from './template-values.js';
import { overrideInUse, renderMail, type TemplateName } from './templates.js';

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
async function planOf(q: Handle, item: OutboxItem): Promise<Plan | null> {
  const { cases: t, customers: people } = q.tables;
  const [c] = item.caseId === null ? [] : await q.db.select().from(t).where(eq(t.id, item.caseId)).limit(1);
  if (!c) return null;
  const { to, template } = item.payload as { to: string; template: TemplateName };
  const { addresses, fallback } = await resolveIn(q, to, c);
  const [customer] = await q.db.select().from(people).where(eq(people.id, c.customerId)).limit(1);
  // The customer (by target or by address) gets the customer projection, never staff detail.
  const toCustomer = to === 'customer' || (addresses.length > 0 && addresses.every((a) => a.toLowerCase() === customer!.email.toLowerCase()));
  return { c, to, template, addresses, fallback, customer: customer!, toCustomer };
}

/**
 * The time zone the staff recipients set on their profile, when every one of them is staff with
 * the same zone: a staff mail shows its times in it. Else null (an SLA due time is then shown
 * in its calendar's zone), as one mail goes to them all.
 */
async function sharedTimeZone(q: Handle, addresses: readonly string[]): Promise<string | null> {
  const lower = [...new Set(addresses.map((a) => a.toLowerCase()))];
  if (lower.length === 0) return null;
  const rows = await q.db.select({ timeZone: q.tables.staff.timeZone }).from(q.tables.staff).where(inArray(q.tables.staff.email, lower));
  const zones = new Set(rows.map((r) => r.timeZone));
  const [zone] = zones;
  return rows.length === lower.length && zones.size === 1 && zone ? zone : null;
}

/** The message for the plan's audience (a manager's saved version of the template if there is one). */
async function compose(q: Handle, services: Services, item: OutboxItem, plan: Plan, signIn: SignInLink | null) {
  const { c, template, toCustomer } = plan;
  const audience = toCustomer ? 'customer' : 'staff';
  const timeZone = toCustomer ? null : await sharedTimeZone(q, plan.addresses);
  const values = await caseValues(q, services, c, template, audience, { data: (item.payload.data ?? {}) as Record<string, unknown>, signInUrl: signIn?.url ?? null, timeZone });
  return renderMail(template, audience, values, caseRef(c.id), await templateOverrideIn(q, template, audience));
}

const NOTED = 'INSERT INTO case_events (case_id, type, at, actor_type, actor_id, data) VALUES (?, ?, ?, ?, ?, ?)';
const CASE = 'SELECT id, customer_id AS "customerId", assignee_id AS "assigneeId", queue_id AS "queueId" FROM cases WHERE id = ?';
const CUSTOMER_EMAIL = 'SELECT lower(email) AS email FROM customers WHERE id = ?';

/** Records the outcome on the timeline and marks the item done (inside the caller's transaction). */
async function record(q: Handle, services: Services, item: OutboxItem, caseId: number, outcome: Record<string, unknown>, messageId: string | null): Promise<void> {
  const now = services.clock.now();
  if (!(await markItemDone(q, item.id, now))) return;
  if (messageId) await recordSentMessageId(q, messageId, caseId, now);
  await q.db.insert(q.tables.caseEvents).values({ caseId, type: 'notification.sent', at: now, actorType: 'system', actorId: null, data: outcome });
}

type Undelivered = Pick<Plan, 'to' | 'template'> & Recipients & { customized: boolean };

/** Nothing is sent (no recipients, or no SMTP_URL): what the timeline says. */
function undeliveredOutcome(u: Undelivered): Record<string, unknown> {
  const { template, to, addresses } = u;
  const via = { ...(u.fallback ? { fallback: u.fallback } : {}), ...(u.customized ? { customized: true } : {}) };
  return addresses.length === 0 ? { template, to, ...via, delivered: false, reason: 'no recipients' } : { template, to, ...via, recipients: addresses, delivered: false, reason: 'SMTP_URL is not set' };
}

/** Whether the recipients are the customer (by target, or all by the customer's address, lower-cased). */
function isCustomer(to: string, r: Recipients, customerEmail: () => string | undefined): boolean {
  return to === 'customer' || (r.addresses.length > 0 && r.addresses.every((a) => a.toLowerCase() === customerEmail()));
}

/**
 * Nothing is sent: the timeline says so. Reads only what says who would get it and whether a
 * manager's version of the template would have been used.
 */
async function undelivered(q: Handle, services: Services, item: OutboxItem): Promise<void> {
  const c = item.caseId === null ? undefined : await get<CaseRecipients & { id: number }>(q, CASE, [item.caseId]);
  if (!c) {
    await markItemDone(q, item.id, services.clock.now());
    return;
  }
  const { to, template } = item.payload as { to: string; template: TemplateName };
  const r = await resolveIn(q, to, c);
  const email = to === 'customer' || r.addresses.length === 0 ? undefined : (await get<{ email: string }>(q, CUSTOMER_EMAIL, [c.customerId]))?.email;
  const audience = isCustomer(to, r, () => email) ? 'customer' : 'staff';
  const customized = overrideInUse(template, audience, await templateOverrideIn(q, template, audience));
  await record(q, services, item, c.id, undeliveredOutcome({ to, template, ...r, customized }), null);
}

/** `undelivered` synchronously on SQLite's connection, inside the transaction that queued the item. */
function undeliveredOnSqlite(db: Db, services: Services, item: OutboxItem): void {
  const now = services.clock.now();
  const c = item.caseId === null ? undefined : statement<[number], CaseRecipients & { id: number }>(db, CASE).get(item.caseId);
  if (!c) {
    markDone(db, item.id, now);
    return;
  }
  const { to, template } = item.payload as { to: string; template: TemplateName };
  const r = resolveOnSqlite(db, to, c);
  const audience = isCustomer(to, r, () => statement<[number], { email: string }>(db, CUSTOMER_EMAIL).get(c.customerId)?.email) ? 'customer' : 'staff';
  const customized = overrideInUse(template, audience, templateOverrideOnSqlite(db, template, audience));
  statement(db, NOTED).run(c.id, 'notification.sent', now, 'system', null, JSON.stringify(undeliveredOutcome({ to, template, ...r, customized })));
  markDone(db, item.id, now);
}

export async function sendNotification(services: Services, item: OutboxItem): Promise<void> {
  const { store } = services;
  // Without SMTP there is nothing to wait for: read, decide and record in one unit of a group commit.
  if (!services.mailer) return store.write((q) => undelivered(q, services, item));
  const plan = await store.query((q) => planOf(q, item));
  if (!plan || plan.addresses.length === 0) return store.write((q) => undelivered(q, services, item));
  const { c, to, template, addresses, customer, toCustomer } = plan;
  // To an address a chat visitor only typed: held until an agent confirms it (held-mail.ts).
  if (toCustomer && !isConfirmed(item)) {
    const typed = await store.query((q) => typedAddressAmong(q, c.id, addresses));
    if (typed) return store.write((q) => holdMail(q, services, item, c.id, typed, { kind: 'notification', template }));
  }
  // A customer without a password gets in with a one-time link that opens the case.
  let signIn: SignInLink | null = null;
  if (toCustomer && template === 'case-received' && customer.passwordHash === null) {
    signIn = await issueSignInLink(services, customer.id, 'case-mail', `/cases/${caseRef(c.id)}`);
  }
  const messageId = toCustomer ? outboundMessageId(services, item, c.id) : null;
  // A customer's mail continues the case's thread (src/channels/email/outbound.ts).
  const { message, thread } = await store.query(async (q) => ({
    message: await compose(q, services, item, plan, signIn),
    thread: messageId ? await threadHeaders(q, services, c.id, messageId) : null,
  }));
  const via = { ...(plan.fallback ? { fallback: plan.fallback } : {}), ...(message.customized ? { customized: true } : {}) };
  // The acknowledgement of a mail answers it (RFC 3834 `auto-replied`); every other notification is sent on its own.
  const headers = automaticHeaders(template === 'case-received' && item.payload.source === 'email' ? 'auto-replied' : 'auto-generated', services.email.supportAddress);
  let outcome: Record<string, unknown>;
  if (thread) {
    const mail: MailMessage = {
      to: addresses,
      subject: message.subject,
      text: message.text,
      html: textToHtml(message.text),
      messageId: thread.messageId,
      ...(thread.inReplyTo ? { inReplyTo: thread.inReplyTo } : {}),
      references: thread.references,
      replyTo: thread.replyTo,
      headers,
    };
    try {
      await sendCaseMail(services, item, c.id, mail, { kind: 'notification', template });
    } catch (error) {
      if (signIn) await store.write((q) => revokeLink(q, signIn!.token)); // the retry mails a new one
      throw error;
    }
    outcome = { template, to, ...via, recipients: addresses, messageId, delivered: true, ...(signIn ? { signInLink: true } : {}) };
  } else {
    await sendCaseMail(services, item, c.id, { to: addresses, subject: message.subject, text: message.text, headers }, { kind: 'notification', template });
    outcome = { template, to, ...via, recipients: addresses, delivered: true };
  }
  // With the commands arriving meanwhile (group commit): no transaction of its own.
  await store.write((q) => record(q, services, item, c.id, outcome, messageId));
}

/** Without SMTP there is nothing to wait for: performed inside the transaction on SQLite's connection `db`. */
sendNotification.inTransaction = (services: Services, item: OutboxItem, db: Db): boolean => {
  if (services.mailer) return false;
  undeliveredOnSqlite(db, services, item);
  return true;
};
