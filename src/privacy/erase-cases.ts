/**
 * The part of an erasure that is about cases (inside the erasing transaction, with its
 * `erasures` row open so the timeline's trigger lets the redaction through): subjects,
 * descriptions, solutions and routing input; every message body and the words in every
 * timeline entry (types, times and actors stay: src/privacy/redact.ts); the search index's
 * documents of those texts; rating comments; attachment rows (their files go after commit:
 * `removeUnreferencedFiles`); the mail log, Message-IDs and copied addresses of the cases;
 * Idempotency-Key entries; outbox payloads; the cases' live chats (visitor name and e-mail,
 * token hash, every line's text: src/privacy/erase-chats.ts); and the subjects and reasons
 * quoted in stored SLA reports.
 */
import { caseRef } from '../cases/case-ref.js';
import type { Db } from '../db/client.js';
import { MAX_POSITION, MESSAGE_TYPES } from '../search/documents.js';
import { eraseChatSessions } from './erase-chats.js';
import { ERASED, eraseStrings, redactEventData, textForms } from './redact.js';

export type ErasureSummary = Record<string, number>;

/** Outbox items that carry no one's words: left as they are (a resolved case still auto-closes). */
const IMPERSONAL_OUTBOX = new Set(['workflow.timer', 'report.deliver']);

const TYPES = MESSAGE_TYPES.map((t) => `'${t}'`).join(', ');

function ids(list: readonly number[]): string {
  return list.map((n) => String(Math.trunc(n))).join(',');
}

export interface CaseErasure {
  summary: ErasureSummary;
  /** SHA-256 of the stored files no attachment row names any more: deleted after commit. */
  files: string[];
}

/** Empties the payloads of the webhook deliveries `where` picks; pending ones fail instead of sending. */
export function eraseWebhookPayloads(db: Db, where: string, ...params: unknown[]): number {
  return db.$client
    .prepare(
      `UPDATE webhook_deliveries SET payload = '{"erased":true}', next_attempt_at = NULL,
         status = CASE WHEN status IN ('pending', 'retrying') THEN 'failed' ELSE status END
       WHERE ${where}`,
    )
    .run(...params).changes;
}

export function eraseCaseContent(db: Db, caseIds: readonly number[], now: number): CaseErasure {
  const sql = db.$client;
  const summary: ErasureSummary = {};
  const count = (key: string, n: number) => (summary[key] = (summary[key] ?? 0) + n);
  if (caseIds.length === 0) return { summary, files: [] };
  const list = ids(caseIds);

  // Texts quoted elsewhere (stored reports): subjects and escalation reasons, read before they go.
  const quoted = new Set<string>();
  for (const r of sql.prepare(`SELECT subject FROM cases WHERE id IN (${list})`).all() as { subject: string }[]) if (r.subject.trim().length >= 3) quoted.add(r.subject);
  for (const r of sql.prepare(`SELECT json_extract(data, '$.reason') AS reason FROM case_events WHERE case_id IN (${list}) AND json_extract(data, '$.reason') IS NOT NULL`).all() as { reason: unknown }[]) {
    if (typeof r.reason === 'string' && r.reason.trim().length >= 3) quoted.add(r.reason);
  }

  // The search index forgets the message documents (a contentless index is told exactly what it indexed).
  count(
    'searchDocuments',
    sql
      .prepare(
        `INSERT INTO search_fts(search_fts, rowid, body)
         SELECT 'delete', (case_id << 20) + (position << 1) + (type = 'staff.noted'), json_extract(data, '$.body')
         FROM (SELECT case_id, type, data, row_number() OVER (PARTITION BY case_id ORDER BY id) AS position FROM case_events WHERE case_id IN (${list}))
         WHERE type IN (${TYPES}) AND position <= ${MAX_POSITION}`,
      )
      .run().changes,
  );

  // The timeline: each entry's words erased, its type, time and actor kept.
  const events = sql.prepare(`SELECT id, type, data FROM case_events WHERE case_id IN (${list}) ORDER BY id`).all() as { id: number; type: string; data: string }[];
  const update = sql.prepare('UPDATE case_events SET data = ? WHERE id = ?');
  for (const e of events) update.run(JSON.stringify(redactEventData(e.type, JSON.parse(e.data) as Record<string, unknown>)), e.id);
  count('timelineEntries', events.length);

  // The cases (the index trigger replaces the case document with the erased text).
  const cases = sql.prepare(`SELECT id, routing, solution FROM cases WHERE id IN (${list})`).all() as { id: number; routing: string | null; solution: string | null }[];
  const updateCase = sql.prepare('UPDATE cases SET subject = ?, description = ?, solution = ?, routing = ? WHERE id = ?');
  for (const c of cases) {
    const routing = c.routing === null ? null : (JSON.parse(c.routing) as { input?: Record<string, unknown> });
    if (routing?.input) routing.input = { ...routing.input, customer: eraseStrings(routing.input.customer), ...(routing.input.event ? { event: eraseStrings(routing.input.event) } : {}) };
    updateCase.run(ERASED, ERASED, c.solution === null ? null : ERASED, routing === null ? null : JSON.stringify(routing), c.id);
  }
  count('cases', cases.length);

  // Live chats: the visitor's name, e-mail and token hash, every line's text; ids, times and counts stay.
  const chats = eraseChatSessions(db, `case_id IN (${list})`);
  count('chatSessions', chats.chatSessions);
  count('chatLines', chats.chatLines);

  count('ratingComments', sql.prepare(`UPDATE case_ratings SET comment = '' WHERE case_id IN (${list}) AND comment <> ''`).run().changes);

  const files = sql.prepare(`SELECT DISTINCT sha256 FROM attachments WHERE case_id IN (${list})`).all() as { sha256: string }[];
  count('attachments', sql.prepare(`DELETE FROM attachments WHERE case_id IN (${list})`).run().changes);
  const used = sql.prepare<[string], { n: number }>('SELECT count(*) AS n FROM attachments WHERE sha256 = ?');
  const orphaned = files.map((f) => f.sha256).filter((hash) => used.get(hash)!.n === 0);
  count('files', orphaned.length);

  count('inboundMail', sql.prepare(`UPDATE inbound_mail SET message_id = 'erased:' || id, from_address = NULL, subject = NULL, reason = NULL WHERE case_id IN (${list})`).run().changes);
  count('messageIds', sql.prepare(`DELETE FROM email_messages WHERE case_id IN (${list})`).run().changes);
  count('emailContacts', sql.prepare(`DELETE FROM case_email_contacts WHERE case_id IN (${list})`).run().changes);
  // The keys themselves are the client's words too: the entries go (a retry after this creates anew).
  count('idempotencyKeys', sql.prepare(`DELETE FROM idempotency_keys WHERE case_id IN (${list})`).run().changes);

  // Outbox: payloads emptied; work still pending about these cases (mail to the customer, rules on their words) is cancelled.
  const impersonal = [...IMPERSONAL_OUTBOX].map((t) => `'${t}'`).join(', ');
  count(
    'outboxItems',
    sql
      .prepare(
        `UPDATE outbox SET payload = '{"erased":true}', last_error = NULL,
           done_at = CASE WHEN done_at IS NULL AND failed_at IS NULL THEN ? ELSE done_at END,
           locked_until = NULL, locked_by = NULL
         WHERE case_id IN (${list}) AND type NOT IN (${impersonal})`,
      )
      .run(now).changes,
  );

  // Webhook deliveries carry the staff view of a case (subject, description, the customer): their
  // payloads go, the delivery log's times and outcomes stay; one not yet delivered is not sent.
  count('webhookDeliveries', eraseWebhookPayloads(db, `json_extract(payload, '$.data.case.id') IN (${caseIds.map((id) => `'${caseRef(id)}'`).join(', ')})`));

  // Stored SLA reports quote subjects and reasons: those quotes go, the numbers stay.
  const replace = sql.prepare("UPDATE sla_reports SET html = replace(html, @t, '[erased]'), csv = replace(csv, @t, '[erased]'), summary = replace(summary, @t, '[erased]') WHERE instr(html, @t) > 0 OR instr(csv, @t) > 0 OR instr(summary, @t) > 0");
  let reports = 0;
  for (const text of quoted) for (const form of textForms(text)) reports += replace.run({ t: form }).changes;
  count('reportQuotes', reports);

  return { summary, files: orphaned };
}
