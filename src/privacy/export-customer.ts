/**
 * `exportCustomer`: everything Casebook holds about a customer, as one JSON document (the
 * right of access; managers and admins; docs/privacy.md "Export"). What it holds:
 *
 * - the profile, its change history and churn marks (a mark's note is staff's: `staffNote`);
 * - every case with its messages — public replies both ways, and staff's internal notes
 *   included but marked `internal: true` (they are data about the customer, held by us) —,
 *   its rating, its attachments (name, type, size, SHA-256; internal ones marked) and its
 *   timeline (type, time and who, for every entry; the entry's data for entries the
 *   customer sees anyway and for the mail that opened the case: `exportedData`);
 * - every case's live chats: the visitor as they gave themselves (name, e-mail, whether the
 *   host site vouched for the address), the site and page origin, times, and every line with
 *   its author, name and time (never the visitor's token or its hash); chats they started
 *   without writing anything (no case) apart, found by their address;
 * - each case's calls and visits logged by staff (`call.logged`: number, duration, notes, links);
 * - the CRM's record kept for their address, and those kept for their former addresses;
 * - what they wrote on other customers' cases (a reply as a copied contact, a mail filed for review);
 * - the mail received from their address or on their cases (the channel log);
 *
 * "Their address" is every address they had (`customerAddresses`, the erasure's lookup): the
 * current one and each one a profile edit replaced.
 * - how they get in: sessions, API tokens, one-time links (times and names, never secrets).
 */
import { and, asc, eq, inArray, isNotNull, isNull, or, sql, type Column, type SQL } from 'drizzle-orm';
import { allowLongStatements, type Handle } from '../db/store/index.js';
import { DomainError } from '../errors.js';
import type { Services } from '../services.js';
import { customerAddresses } from './addresses.js';
import { writtenBy } from './erase-mentions.js';
import { customerTransition } from '../workflow/customer-visible.js';
import type { WorkflowDefinition } from '../workflow/definition.js';
import type { ActorType } from '../db/schema/index.js';

export const EXPORT_FORMAT = 'casebook.customer-export/1';

/** Timeline entries whose data the customer sees on the portal anyway, as stored. */
const CUSTOMER_VISIBLE = new Set(['case.created', 'customer.replied', 'staff.replied', 'case.rated', 'case.solutionOffered', 'case.solutionAccepted', 'case.solutionDeclined']);

/**
 * The data exported of a timeline entry, or undefined (type, time and actor only: routing,
 * rules, SLA internals and staff's reasons are about our process). Besides the entries above:
 * the mail that opened the case as received (`email.received`: its whole text as `original`
 * when the request kept only part of it — clipped at 20,000 characters, or cut at the quoted
 * history of a follow-up —, its recipients and files; not the agent who forwarded it), a
 * subject change (`from`, `to`: the subject they wrote is nowhere else once changed) and a
 * change of state as the portal shows it (status and solution: every solution they were
 * given, not only the case's last one; not staff's reason).
 */
function exportedData(workflow: WorkflowDefinition, e: { type: string; data: Record<string, unknown>; actorType: ActorType }): Record<string, unknown> | undefined {
  if (CUSTOMER_VISIBLE.has(e.type)) return e.data;
  switch (e.type) {
    case 'email.received': {
      const { forwardedBy: _agent, ...mail } = e.data;
      return mail;
    }
    case 'case.subject_changed':
      return { from: e.data.from ?? null, to: e.data.to ?? null };
    case 'case.transitioned':
      return customerTransition(workflow, e.data, e.actorType) ?? undefined;
    default:
      return undefined;
  }
}
const MESSAGES = new Set(['customer.replied', 'staff.replied', 'staff.noted']);

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** Chat sessions `where` picks, with their site's name, as exported: the visitor as given, times, and every line (never the token or its hash). */
async function exportChats(q: Handle, where: SQL | undefined) {
  const { chatSessions: s, chatSites: site, chatMessages: m } = q.tables;
  const sessions = await q.db
    .select({ id: s.id, caseId: s.caseId, site: site.name, hostOrigin: s.hostOrigin, name: s.name, email: s.email, verified: s.verified, state: s.state, createdAt: s.createdAt, lastActivityAt: s.lastActivityAt, endedAt: s.endedAt, endedBy: s.endedBy, transcriptRequestedAt: s.transcriptRequestedAt })
    .from(s)
    .leftJoin(site, eq(site.id, s.siteId))
    .where(where)
    .orderBy(asc(s.id));
  const out = [];
  for (const chat of sessions) {
    const lines = await q.db.select({ seq: m.seq, author: m.author, authorName: m.authorName, body: m.body, at: m.at }).from(m).where(eq(m.sessionId, chat.id)).orderBy(asc(m.seq));
    out.push({
      caseId: chat.caseId,
      export: {
        site: chat.site,
        hostOrigin: chat.hostOrigin,
        visitor: { name: chat.name, email: chat.email, verified: chat.verified },
        state: chat.state,
        startedAt: iso(chat.createdAt),
        lastActivityAt: iso(chat.lastActivityAt),
        endedAt: iso(chat.endedAt),
        endedBy: chat.endedBy,
        transcriptRequestedAt: iso(chat.transcriptRequestedAt),
        lines: lines.map((l) => ({ seq: l.seq, at: iso(l.at), author: l.author, name: l.authorName, body: l.body })),
      },
    });
  }
  return out;
}

/** A call or visit logged on their case (`call.logged`): staff's record of talking to them, with the number they called from. */
function exportedCall(at: number, data: Record<string, unknown>, by: string) {
  const text = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : null);
  return {
    at: iso(at),
    channel: text('channel') ?? 'phone',
    direction: text('direction'),
    durationSeconds: typeof data.durationSeconds === 'number' ? data.durationSeconds : 0,
    from: text('from'),
    notes: text('notes'),
    recordingUrl: text('recordingUrl'),
    transcriptUrl: text('transcriptUrl'),
    by,
  };
}

/** Mail log rows (`inbound_mail.from_address`) from one of `addresses`, as received (any case). */
const fromAny = (column: Column, addresses: readonly string[]) => or(...addresses.map((a) => eq(sql`lower(${column})`, a)));

/**
 * What they wrote on other customers' cases (a reply as a copied contact, a mail filed for
 * review there): the messages whose `from` is one of their addresses, on the cases they were
 * copied on or mailed to.
 */
async function writtenElsewhere(q: Handle, addresses: readonly string[], ownCaseIds: readonly number[]) {
  const { caseEmailContacts: contacts, inboundMail: mail, caseEvents: events } = q.tables;
  const copiedOn = await q.db.selectDistinct({ id: contacts.caseId }).from(contacts).where(inArray(contacts.address, [...addresses]));
  const mailedTo = await q.db.selectDistinct({ id: mail.caseId }).from(mail).where(and(fromAny(mail.fromAddress, addresses), isNotNull(mail.caseId)));
  const own = new Set(ownCaseIds);
  const others = [...new Set([...copiedOn, ...mailedTo].map((r) => Number(r.id)))].filter((id) => !own.has(id));
  if (others.length === 0) return [];
  const rows = await q.db.select().from(events).where(and(inArray(events.caseId, others), inArray(events.type, [...MESSAGES]))).orderBy(asc(events.id));
  return rows.filter((e) => addresses.some((address) => writtenBy(e.data, address)));
}

/** Everything held about the customer, read in one snapshot, under the long work's statement limit (DATABASE_REPORT_TIMEOUT_MS). */
export function exportCustomer(services: Services, customerId: number): Promise<Record<string, unknown>> {
  return services.store.read(async (q) => {
    await allowLongStatements(q, services.reports.statementTimeoutMs);
    return exportIn(q, services, customerId);
  });
}

async function exportIn(q: Handle, services: Services, customerId: number): Promise<Record<string, unknown>> {
  const t = q.tables;
  const [customer] = await q.db.select().from(t.customers).where(eq(t.customers.id, customerId)).limit(1);
  if (!customer) throw new DomainError('NOT_FOUND', `No customer ${customerId}.`, { customerId });
  const email = customer.email;
  const addresses = await customerAddresses(q, customerId, email);

  const cases = await q.db.select().from(t.cases).where(eq(t.cases.customerId, customerId)).orderBy(asc(t.cases.id));
  const caseIds = cases.map((c) => c.id);
  const ofCases = (column: Column) => (caseIds.length ? inArray(column, caseIds) : sql`false`);
  const events = await q.db.select().from(t.caseEvents).where(ofCases(t.caseEvents.caseId)).orderBy(asc(t.caseEvents.id));
  const files = await q.db.select().from(t.attachments).where(ofCases(t.attachments.caseId)).orderBy(asc(t.attachments.id));
  const ratings = await q.db.select().from(t.caseRatings).where(ofCases(t.caseRatings.caseId));
  const chats = await exportChats(q, ofCases(t.chatSessions.caseId));
  const noteIds = new Set(events.filter((e) => e.type === 'staff.noted').map((e) => e.id));
  const staffNames = new Map((await q.db.select({ id: t.staff.id, name: t.staff.name }).from(t.staff)).map((s) => [s.id, s.name]));
  const who = (type: string, id: number | null) => (type === 'customer' ? 'customer' : type === 'staff' ? (staffNames.get(id ?? -1) ?? 'staff') : 'system');
  const mine = (table: { principalType: Column; principalId: Column }) => and(eq(table.principalType, 'customer'), eq(table.principalId, customerId));

  const history = await q.db.select().from(t.customerChanges).where(eq(t.customerChanges.customerId, customerId)).orderBy(asc(t.customerChanges.id));
  const marks = await q.db.select().from(t.customerChurnMarks).where(eq(t.customerChurnMarks.customerId, customerId)).orderBy(asc(t.customerChurnMarks.id));
  const withoutCase = await exportChats(q, and(isNull(t.chatSessions.caseId), or(...addresses.map((a) => eq(t.chatSessions.email, sql`lower(${a})`)))));
  const mail = await q.db
    .select()
    .from(t.inboundMail)
    .where(or(ofCases(t.inboundMail.caseId), fromAny(t.inboundMail.fromAddress, addresses)))
    .orderBy(asc(t.inboundMail.id));
  const sessions = await q.db.select().from(t.sessions).where(mine(t.sessions)).orderBy(asc(t.sessions.createdAt));
  const tokens = await q.db.select().from(t.apiTokens).where(mine(t.apiTokens)).orderBy(asc(t.apiTokens.id));
  const links = await q.db.select().from(t.passwordTokens).where(mine(t.passwordTokens)).orderBy(asc(t.passwordTokens.createdAt));
  // Their erasures; not the rows that took them off other customers' cases (those cases are not theirs).
  const crmRecords = await q.db.select().from(t.crmRecords).where(inArray(t.crmRecords.email, addresses)).orderBy(asc(t.crmRecords.id));
  const crm = crmRecords.find((r) => r.email === email) ?? null;
  const elsewhere = await writtenElsewhere(q, addresses, caseIds);
  const erasures = await q.db
    .select()
    .from(t.erasures)
    .where(and(eq(t.erasures.customerId, customerId), or(isNull(t.erasures.caseId), ofCases(t.erasures.caseId))))
    .orderBy(asc(t.erasures.id));

  return {
    format: EXPORT_FORMAT,
    exportedAt: iso(services.clock.now()),
    profile: {
      id: customer.id,
      email,
      name: customer.name,
      tier: customer.tier,
      organization: customer.organization,
      phone: customer.phone,
      timeZone: customer.timeZone,
      hasPassword: customer.passwordHash !== null,
      churnedAt: iso(customer.churnedAt),
      createdAt: iso(customer.createdAt),
      updatedAt: iso(customer.updatedAt),
    },
    profileHistory: history.map((h) => ({
      at: iso(h.at),
      via: h.via,
      by: h.actorName,
      case: h.caseId === null ? null : `C-${h.caseId}`,
      changes: h.changes,
      reason: h.reason,
    })),
    churnMarks: marks.map((m) => ({ churned: m.churned, at: iso(m.at), staffNote: m.note })),
    cases: cases.map((c) => {
      const id = c.id;
      const workflow = services.definitions.workflow(c.workflow, c.workflowVersion).definition;
      const own = events.filter((e) => e.caseId === id);
      const rating = ratings.find((r) => r.caseId === id);
      return {
        id: `C-${id}`,
        subject: c.subject,
        description: c.description,
        channel: c.channel,
        status: c.status,
        priority: c.priority,
        solution: c.solution,
        createdAt: iso(c.createdAt),
        resolvedAt: iso(c.resolvedAt),
        closedAt: iso(c.closedAt),
        rating: rating ? { satisfied: rating.satisfied, comment: rating.comment, at: iso(rating.createdAt) } : null,
        messages: own
          .filter((e) => MESSAGES.has(e.type))
          .map((e) => ({ at: iso(e.at), from: who(e.actorType, e.actorId), internal: e.type === 'staff.noted', body: (e.data as { body?: unknown }).body ?? '' })),
        attachments: files
          .filter((f) => f.caseId === id)
          .map((f) => ({ id: f.id, fileName: f.fileName, mediaType: f.mediaType, size: f.size, sha256: f.sha256, kind: f.kind, uploadedBy: f.uploadedByType, internal: noteIds.has(Number(f.eventId)), at: iso(f.createdAt) })),
        chats: chats.filter((s) => s.caseId === id).map((s) => s.export),
        calls: own.filter((e) => e.type === 'call.logged').map((e) => exportedCall(e.at, e.data, who(e.actorType, e.actorId))),
        timeline: own.map((e) => {
          const data = exportedData(workflow, e);
          return { type: e.type, at: iso(e.at), actor: who(e.actorType, e.actorId), ...(data === undefined ? {} : { data }) };
        }),
      };
    }),
    crm: crm === null ? null : { record: crm.data, fetchedAt: iso(crm.fetchedAt) },
    crmFormerAddresses: crmRecords.filter((r) => r !== crm).map((r) => ({ email: r.email, record: r.data, fetchedAt: iso(r.fetchedAt) })),
    chatsWithoutCase: withoutCase.map((s) => s.export),
    messagesOnOtherCases: elsewhere.map((e) => ({ case: `C-${e.caseId}`, at: iso(e.at), body: typeof e.data.body === 'string' ? e.data.body : '' })),
    mail: mail.map((m) => ({
      receivedAt: iso(m.receivedAt),
      via: m.via,
      from: m.fromAddress,
      subject: m.subject,
      size: m.size,
      outcome: m.outcome,
      case: m.caseId === null ? null : `C-${m.caseId}`,
    })),
    access: {
      sessions: sessions.map((s) => ({ createdAt: iso(s.createdAt), lastSeenAt: iso(s.lastSeenAt), expiresAt: iso(s.expiresAt), userAgent: s.userAgent })),
      apiTokens: tokens.map((tk) => ({
        name: tk.name,
        prefix: tk.prefix,
        createdAt: iso(tk.createdAt),
        lastUsedAt: iso(tk.lastUsedAt),
        expiresAt: iso(tk.expiresAt),
        revokedAt: iso(tk.revokedAt),
      })),
      links: links.map((l) => ({ purpose: l.purpose, createdAt: iso(l.createdAt), expiresAt: iso(l.expiresAt), usedAt: iso(l.usedAt) })),
    },
    erasures: erasures.map((e) => ({ reason: e.reason, case: e.caseId === null ? null : `C-${e.caseId}`, at: iso(e.completedAt) })),
  };
}
