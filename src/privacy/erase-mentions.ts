/**
 * A customer's erasure on other customers' cases (docs/privacy.md): cases they were copied on
 * (`case_email_contacts`), cases a mail of theirs was threaded onto (a reply as a copied
 * contact, a mail filed for review), and cases one of theirs was merged into (the merge copied
 * their case's entries there, as internal notes when the customers differ). Inside the erasing transaction, each such case gets an
 * `erasures` row of its own (the erased customer's, `case_id` the other case: the timeline's
 * trigger lets the redaction through only for a case with an open erasure), closed before
 * commit. On those cases:
 *
 * - every timeline entry they wrote (its `from` is their address), and every copy of an entry of
 *   their own case (its `mergedFrom` names it), is erased like an erased case's entry (src/privacy/redact.ts), its search document forgotten, its attachments'
 *   rows deleted (files no row names any more go after commit) and its Message-ID forgotten;
 * - every other string that names their address (`to`/`cc` lists) becomes `[erased]`;
 * - they are no longer a contact of any case: no reply is ever copied to them again;
 * - webhook deliveries of what they wrote, or naming their address, lose their payload.
 *
 * Everything else about those cases (the other customer's words, states, times) stays.
 */
import { and, count as rowCount, eq, inArray, isNotNull, notInArray, sql, type Column } from 'drizzle-orm';
import { caseRef } from '../cases/case-ref.js';
import type { Handle } from '../db/store/index.js';
import type { Actor } from '../roles.js';
import { MESSAGE_TYPES } from '../search/documents.js';
import { privacySql } from './dialect.js';
import { eraseWebhookPayloads, type ErasureSummary } from './erase-cases.js';
import { ERASED, redactEventData } from './redact.js';

const MESSAGES: ReadonlySet<string> = new Set(MESSAGE_TYPES);

export interface MentionErasure {
  summary: ErasureSummary;
  /** SHA-256 of the stored files no attachment row names any more: deleted after commit. */
  files: string[];
}

/** `value` with their address (lower-case `email`, in any case) replaced by `[erased]` wherever a string holds it; null when none did. */
export function eraseAddress(value: unknown, email: string): unknown {
  // The whole address only: not the tail of joann@… when erasing ann@…, nor the head of ann@example.com.au.
  const address = new RegExp(`(?<![A-Za-z0-9.!#$%&'*+/=?^_\`{|}~-])${email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`, 'gi');
  let changed = false;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const erased = v.replace(address, ERASED);
      if (erased !== v) changed = true;
      return erased;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const out = walk(value);
  return changed ? out : null;
}

/** An entry they wrote: a mail of theirs (a reply as a copied contact, a mail filed for review) names them as its `from`. */
export function writtenBy(data: Record<string, unknown>, email: string): boolean {
  if (typeof data.from !== 'string') return false;
  const from = data.from.toLowerCase();
  return from === email || from.endsWith(`<${email}>`);
}

/**
 * Erases `email` (the erased customer's address, lower-case) from the cases other than
 * `ownCaseIds` it appears on. Call before the mail log's addresses are removed (it finds the
 * cases their mail went to by `inbound_mail.from_address`).
 */
export async function eraseMentions(
  q: Handle,
  erasure: { customerId: number; email: string; ownCaseIds: readonly number[]; actor: Actor; now: number },
): Promise<MentionErasure> {
  const t = q.tables;
  const { email, now } = erasure;
  const summary: ErasureSummary = {};
  const count = (key: string, n: number) => (summary[key] = (summary[key] ?? 0) + n);
  const notOwn = (column: Column) => (erasure.ownCaseIds.length ? notInArray(column, [...erasure.ownCaseIds]) : sql`true`);

  const contacts = t.caseEmailContacts;
  const mail = t.inboundMail;
  const copiedOn = await q.db.selectDistinct({ id: contacts.caseId }).from(contacts).where(and(eq(contacts.address, email), notOwn(contacts.caseId)));
  const mailedTo = await q.db
    .selectDistinct({ id: mail.caseId })
    .from(mail)
    .where(and(eq(sql`lower(${mail.fromAddress})`, email), isNotNull(mail.caseId), notOwn(mail.caseId)));
  // Another customer's case one of theirs was merged into (src/cases/merge-case.ts): it holds copies of their case's entries.
  const mergedInto = erasure.ownCaseIds.length
    ? await q.db.selectDistinct({ id: t.cases.mergedIntoId }).from(t.cases).where(and(inArray(t.cases.id, [...erasure.ownCaseIds]), isNotNull(t.cases.mergedIntoId), notOwn(t.cases.mergedIntoId)))
    : [];
  const caseIds = [...new Set([...copiedOn, ...mailedTo, ...mergedInto].map((r) => Number(r.id)))].sort((a, b) => a - b);
  const ownRefs = new Set(erasure.ownCaseIds.map((id) => caseRef(id)));
  /** An entry that is theirs: a mail of theirs, or a copy of an entry of their own case merged there (all of it is erased with that case). */
  const theirs = (data: Record<string, unknown>) => writtenBy(data, email) || (typeof data.mergedFrom === 'string' && ownRefs.has(data.mergedFrom));

  // Copied on no case any more (their own cases' contacts went with those cases): nothing is mailed to them again.
  count('contactsElsewhere', (await q.db.delete(contacts).where(eq(contacts.address, email)).returning({ caseId: contacts.caseId })).length);
  if (caseIds.length === 0) return { summary, files: [] };

  const opened = await q.db
    .insert(t.erasures)
    .values(caseIds.map((caseId) => ({ customerId: erasure.customerId, caseId, reason: 'request' as const, actorType: erasure.actor.type, actorId: erasure.actor.id, actorName: erasure.actor.name, startedAt: now })))
    .returning({ id: t.erasures.id, caseId: t.erasures.caseId });

  const events = await q.db.select({ id: t.caseEvents.id, caseId: t.caseEvents.caseId, type: t.caseEvents.type, data: t.caseEvents.data }).from(t.caseEvents).where(inArray(t.caseEvents.caseId, caseIds)).orderBy(t.caseEvents.id);
  const written = events.filter((e) => theirs(e.data));
  const writtenIds = written.map((e) => e.id);

  // The new data of every entry that changes: what they wrote erased, elsewhere their address.
  const changes = new Map<number, Record<string, unknown>>();
  for (const e of events) {
    const data = theirs(e.data) ? redactEventData(e.type, e.data) : (eraseAddress(e.data, email) as Record<string, unknown> | null);
    if (data !== null) changes.set(e.id, data);
  }
  // Messages among them: the search documents first (the index must be told what it indexed),
  // then the words; a message that only named them is indexed again with its new text.
  const messages = events.filter((e) => changes.has(e.id) && MESSAGES.has(e.type)).map((e) => e.id);
  const dialect = privacySql(q);
  if (messages.length > 0) await dialect.forgetEntryDocuments(q, messages);
  const perCase = new Map<number, number>();
  for (const e of events) {
    const data = changes.get(e.id);
    if (!data) continue;
    await q.db.update(t.caseEvents).set({ data }).where(eq(t.caseEvents.id, e.id));
    perCase.set(e.caseId, (perCase.get(e.caseId) ?? 0) + 1);
  }
  const named = messages.filter((id) => !writtenIds.includes(id));
  if (named.length > 0) await dialect.indexEntryDocuments(q, named);
  const mentions = changes.size;
  count('casesElsewhere', caseIds.length);
  count('timelineEntriesElsewhere', mentions);

  // Their files and Message-IDs on those cases.
  const files: string[] = [];
  if (writtenIds.length > 0) {
    const attachments = t.attachments;
    const hashes = await q.db.selectDistinct({ sha256: attachments.sha256 }).from(attachments).where(and(inArray(attachments.caseId, caseIds), inArray(attachments.eventId, writtenIds)));
    count('attachmentsElsewhere', (await q.db.delete(attachments).where(and(inArray(attachments.caseId, caseIds), inArray(attachments.eventId, writtenIds))).returning({ id: attachments.id })).length);
    for (const { sha256 } of hashes) {
      const [used] = await q.db.select({ n: rowCount() }).from(attachments).where(eq(attachments.sha256, sha256));
      if (used!.n === 0) files.push(sha256);
    }
    count('files', files.length);
    const messageIds = written.map((e) => e.data.messageId).filter((id): id is string => typeof id === 'string' && id !== '');
    if (messageIds.length > 0) {
      count('messageIds', (await q.db.delete(t.emailMessages).where(and(inArray(t.emailMessages.caseId, caseIds), inArray(t.emailMessages.messageId, messageIds))).returning({ id: t.emailMessages.messageId })).length);
    }
  }

  count('webhookDeliveries', await eraseWebhookPayloads(q, dialect.deliveriesMentioning(email, writtenIds)));

  for (const row of opened) await q.db.update(t.erasures).set({ completedAt: now, summary: { timelineEntries: perCase.get(Number(row.caseId)) ?? 0 } }).where(eq(t.erasures.id, row.id));
  return { summary, files };
}
