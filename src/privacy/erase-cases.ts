/**
 * The part of an erasure that is about cases (inside the erasing transaction, with its
 * `erasures` row open so the timeline's trigger lets the redaction through): subjects,
 * descriptions, solutions and routing input; every message body and the words in every
 * timeline entry (types, times and actors stay: src/privacy/redact.ts); the search index's
 * documents of those texts; rating comments; attachment rows (their files go after commit:
 * `removeUnreferencedFiles`); the agents' unsent reply drafts; the mail log, Message-IDs and copied addresses of the cases;
 * Idempotency-Key entries; outbox payloads; the cases' live chats (visitor name and e-mail,
 * token hash, every line's text: src/privacy/erase-chats.ts); and the subjects and reasons
 * quoted in stored SLA reports.
 */
import { and, count as rowCount, eq, inArray, isNotNull, ne, notInArray, sql, type SQL } from 'drizzle-orm';
import { caseRef } from '../cases/case-ref.js';
import { eraseDrafts } from '../cases/drafts.js';
import type { RoutingRecord } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { MAX_POSITION, MESSAGE_TYPES } from '../search/documents.js';
import { privacySql } from './dialect.js';
import { eraseChatSessions } from './erase-chats.js';
import { ERASED, eraseStrings, redactEventData, textForms } from './redact.js';

export type ErasureSummary = Record<string, number>;

/** Outbox items that carry no one's words: left as they are (a resolved case still auto-closes). */
const IMPERSONAL_OUTBOX = ['workflow.timer', 'report.deliver'];

const MESSAGES: ReadonlySet<string> = new Set(MESSAGE_TYPES);

export interface CaseErasure {
  summary: ErasureSummary;
  /** SHA-256 of the stored files no attachment row names any more: deleted after commit. */
  files: string[];
}

/** Empties the payloads of the webhook deliveries `where` picks; pending ones fail instead of sending. */
export async function eraseWebhookPayloads(q: Handle, where: SQL): Promise<number> {
  const deliveries = q.tables.webhookDeliveries;
  const rows = await q.db
    .update(deliveries)
    .set({ payload: '{"erased":true}', nextAttemptAt: null, status: sql`CASE WHEN ${deliveries.status} IN ('pending', 'retrying') THEN 'failed' ELSE ${deliveries.status} END` })
    .where(where)
    .returning({ id: deliveries.id });
  return rows.length;
}

/**
 * A stored dry-run's result (src/rules/dry-run-jobs.ts) lists the cases a draft would change,
 * each with its subject: those of `refs` get the erased text; the rest of the preview (ids, times,
 * outcomes, rules) stays. Results live a day, so there are few to read.
 */
async function eraseDryRunSubjects(q: Handle, refs: ReadonlySet<string>): Promise<number> {
  const jobs = q.tables.dryRunJobs;
  let erased = 0;
  for (const job of await q.db.select({ id: jobs.id, result: jobs.result }).from(jobs).where(isNotNull(jobs.result))) {
    const result = JSON.parse(job.result!) as { changes?: { caseId?: unknown; subject?: unknown }[] };
    const hits = (result.changes ?? []).filter((change) => typeof change.caseId === 'string' && refs.has(change.caseId) && change.subject !== ERASED);
    if (hits.length === 0) continue;
    for (const change of hits) change.subject = ERASED;
    await q.db.update(jobs).set({ result: JSON.stringify(result) }).where(eq(jobs.id, job.id));
    erased += hits.length;
  }
  return erased;
}

/**
 * Erases the cases' content in `q`'s transaction (an `erasures` row must be open for them:
 * the timeline's trigger refuses the redaction otherwise).
 */
export async function eraseCaseContent(q: Handle, caseIds: readonly number[], now: number): Promise<CaseErasure> {
  const t = q.tables;
  const dialect = privacySql(q);
  const summary: ErasureSummary = {};
  const count = (key: string, n: number) => (summary[key] = (summary[key] ?? 0) + n);
  if (caseIds.length === 0) return { summary, files: [] };
  const ids = caseIds.map((n) => Math.trunc(n));
  const list = ids.join(',');

  // First, before anything is read: the outbox's payloads emptied, the work still pending about
  // these cases (mail to the customer, rules on their words) cancelled. On PostgreSQL, writes run
  // side by side (read committed), and this order is what keeps a handler from putting words
  // back: one that marked its item done (markItemDone) holds the item's row until it commits
  // its outcome (a sent mail's entry names the address); this UPDATE waits for that commit, and
  // the reads below see the entry. One that comes later finds its item done and records nothing.
  const outbox = t.outbox;
  const items = await q.db
    .update(outbox)
    .set({ payload: { erased: true }, lastError: null, doneAt: sql`CASE WHEN ${outbox.doneAt} IS NULL AND ${outbox.failedAt} IS NULL THEN ${now} ELSE ${outbox.doneAt} END`, lockedUntil: null, lockedBy: null })
    .where(and(inArray(outbox.caseId, ids), notInArray(outbox.type, IMPERSONAL_OUTBOX)))
    .returning({ id: outbox.id });
  count('outboxItems', items.length);

  // Then the cases themselves, locked until commit (PostgreSQL; SQLite has one writer anyway): a
  // write adding to their timeline now (a reply, a note) holds them until it commits, and is then
  // in the reads below; one that comes later waits for the erasure.
  await dialect.lockCases(q, list);

  // The timeline, read once: texts quoted elsewhere (stored reports: escalation reasons) and the messages' search documents.
  const events = await q.db.select({ id: t.caseEvents.id, caseId: t.caseEvents.caseId, type: t.caseEvents.type, data: t.caseEvents.data }).from(t.caseEvents).where(inArray(t.caseEvents.caseId, ids)).orderBy(t.caseEvents.id);

  // Texts quoted elsewhere (stored reports): subjects and escalation reasons, read before they go.
  const quoted = new Set<string>();
  for (const r of await q.db.select({ subject: t.cases.subject }).from(t.cases).where(inArray(t.cases.id, ids))) if (r.subject.trim().length >= 3) quoted.add(r.subject);
  for (const e of events) if (typeof e.data.reason === 'string' && e.data.reason.trim().length >= 3) quoted.add(e.data.reason);

  // The search index forgets the message documents (each case's entries numbered from 1 in timeline order).
  const position = new Map<number, number>();
  let documents = 0;
  for (const e of events) {
    const at = (position.get(e.caseId) ?? 0) + 1;
    position.set(e.caseId, at);
    if (MESSAGES.has(e.type) && at <= MAX_POSITION) documents++;
  }
  await dialect.forgetMessageDocuments(q, list);
  count('searchDocuments', documents);

  // The timeline: each entry's words erased, its type, time and actor kept.
  for (const e of events) await q.db.update(t.caseEvents).set({ data: redactEventData(e.type, e.data) }).where(eq(t.caseEvents.id, e.id));
  count('timelineEntries', events.length);

  // The cases (the index trigger replaces the case document with the erased text).
  const cases = await q.db.select({ id: t.cases.id, routing: t.cases.routing, solution: t.cases.solution }).from(t.cases).where(inArray(t.cases.id, ids));
  for (const c of cases) {
    const routing: RoutingRecord | null = c.routing === null ? null : { ...c.routing };
    if (routing?.input) {
      const { input } = routing;
      routing.input = { ...input, customer: eraseStrings(input.customer) as Record<string, unknown>, ...(input.event ? { event: eraseStrings(input.event) as Record<string, string> } : {}) };
    }
    await q.db.update(t.cases).set({ subject: ERASED, description: ERASED, solution: c.solution === null ? null : ERASED, routing }).where(eq(t.cases.id, c.id));
  }
  count('cases', cases.length);

  // Live chats: the visitor's name, e-mail and token hash, every line's text; ids, times and counts stay.
  const chats = await eraseChatSessions(q, (sessions) => inArray(sessions.caseId, ids), now);
  count('chatSessions', chats.chatSessions);
  count('chatLines', chats.chatLines);

  // Unsent replies and notes the agents were writing on the cases (src/cases/drafts.ts).
  count('replyDrafts', await eraseDrafts(q, ids));

  const ratings = await q.db.update(t.caseRatings).set({ comment: '' }).where(and(inArray(t.caseRatings.caseId, ids), ne(t.caseRatings.comment, ''))).returning({ id: t.caseRatings.id });
  count('ratingComments', ratings.length);

  const files = await q.db.selectDistinct({ sha256: t.attachments.sha256 }).from(t.attachments).where(inArray(t.attachments.caseId, ids));
  count('attachments', (await q.db.delete(t.attachments).where(inArray(t.attachments.caseId, ids)).returning({ id: t.attachments.id })).length);
  const orphaned: string[] = [];
  for (const { sha256 } of files) {
    const [used] = await q.db.select({ n: rowCount() }).from(t.attachments).where(eq(t.attachments.sha256, sha256));
    if (used!.n === 0) orphaned.push(sha256);
  }
  count('files', orphaned.length);

  const mail = t.inboundMail;
  count('inboundMail', (await q.db.update(mail).set({ messageId: sql`'erased:' || ${mail.id}`, fromAddress: null, subject: null, reason: null }).where(inArray(mail.caseId, ids)).returning({ id: mail.id })).length);
  count('messageIds', (await q.db.delete(t.emailMessages).where(inArray(t.emailMessages.caseId, ids)).returning({ caseId: t.emailMessages.caseId })).length);
  count('emailContacts', (await q.db.delete(t.caseEmailContacts).where(inArray(t.caseEmailContacts.caseId, ids)).returning({ caseId: t.caseEmailContacts.caseId })).length);
  // The keys themselves are the client's words too: the entries go (a retry after this creates anew).
  count('idempotencyKeys', (await q.db.delete(t.idempotencyKeys).where(inArray(t.idempotencyKeys.caseId, ids)).returning({ key: t.idempotencyKeys.key })).length);

  // Webhook deliveries carry the staff view of a case (subject, description, the customer): their
  // payloads go, the delivery log's times and outcomes stay; one not yet delivered is not sent.
  count('webhookDeliveries', await eraseWebhookPayloads(q, dialect.deliveriesAboutCases(ids.map((id) => caseRef(id)))));

  // Stored SLA reports quote subjects and reasons: those quotes go, the numbers stay.
  let reports = 0;
  for (const text of quoted) for (const form of textForms(text)) reports += await dialect.eraseReportQuote(q, form);
  count('reportQuotes', reports);

  // Dry-run results kept for a day (dry_run_jobs) list changed cases with their subjects.
  count('dryRunResults', await eraseDryRunSubjects(q, new Set(ids.map((id) => caseRef(id)))));

  return { summary, files: orphaned };
}
