/**
 * An erasure's SQL that differs on SQLite (the pair of pg.ts, chosen once in dialect.ts):
 * - the WAL truncated after commit (the erased bytes themselves are zeroed as they are freed:
 *   every connection `openDatabase` opens has `secure_delete` on);
 * - the FTS5 search index (contentless: it must be told exactly what it indexed) forgets the
 *   message documents before their texts are redacted, with its secure-delete turned on first
 *   (src/db/search-secure-delete.ts); a document still waiting in `search_pending` is taken out
 *   of it instead;
 * - JSON inside text columns read with `json_extract`, substrings found with `instr`.
 */
import { sql, type SQL } from 'drizzle-orm';
import { withBusyTimeout } from '../db/begin.js';
import { faultsOf } from '../db/faults.js';
import { secureDeletesOn } from '../db/search-secure-delete.js';
import { sqliteOf, type Handle } from '../db/store/index.js';
import { MAX_POSITION, MESSAGE_TYPES } from '../search/documents.js';

const TYPES = MESSAGE_TYPES.map((t) => `'${t}'`).join(', ');

/**
 * After commit: the WAL emptied, so no old page image keeps the erased text. When another
 * connection holds the WAL (a reader's snapshot from before, a checkpoint running) SQLite
 * answers busy instead of emptying it: the checkpointer is then asked to truncate it as soon
 * as it can (its routine resets only start the WAL over, keeping the old frames in the file),
 * and this throws, so the erasure says so in the log.
 */
export function checkpoint(q: Handle): Promise<void> {
  const client = sqliteOf(q).$client;
  const faults = faultsOf(client);
  // With a checkpointer to try again, no waiting for the reader here: the wait (busy_timeout,
  // 5 s) would hold the event loop, every request with it.
  const later = faults.walTruncatedLater;
  const truncate = () => (client.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[])[0];
  const result = later ? withBusyTimeout(client, 0, truncate) : truncate();
  if (!result?.busy) return Promise.resolve();
  faults.wantWalTruncated();
  return Promise.reject(new Error(later ? 'the WAL is in use: the checkpointer truncates it as soon as it is free' : 'the WAL is in use and no checkpointer runs (WAL_CHECKPOINTS=auto): it keeps old page images until overwritten'));
}

/** Nothing to lock: SQLite has one writer, and the erasure's transaction is the one now. */
export function lockCases(_q: Handle, _list: string): Promise<void> {
  return Promise.resolve();
}

/**
 * The search documents of the message entries `entries` picks among the timelines of the cases
 * `cases` picks: the rowid the insert trigger gave each (its place in its case's timeline) and
 * the entry's data.
 */
function messageDocuments(cases: string, entries = 'TRUE'): string {
  return `SELECT (case_id << 20) + (position << 1) + (type = 'staff.noted') AS doc, data
          FROM (SELECT id, case_id, type, data, row_number() OVER (PARTITION BY case_id ORDER BY id) AS position FROM case_events WHERE ${cases})
          WHERE (${entries}) AND type IN (${TYPES}) AND position <= ${MAX_POSITION}`;
}

/**
 * The index forgets these documents (secure-delete on first: src/db/search-secure-delete.ts);
 * one still waiting in `search_pending` (a group commit's, a lone commit's: src/db/search-staging.ts)
 * is taken out of it instead, as the index never held it.
 */
async function forgetDocuments(q: Handle, documents: string): Promise<void> {
  secureDeletesOn(sqliteOf(q));
  await q.run(
    sql.raw(
      `INSERT INTO search_fts(search_fts, rowid, body)
       SELECT 'delete', doc, casebook_search_text(json_extract(data, '$.body')) FROM (${documents})
       WHERE doc NOT IN (SELECT rowid FROM search_pending)`,
    ),
  );
  await q.run(sql.raw(`DELETE FROM search_pending WHERE rowid IN (SELECT doc FROM (${documents}))`));
}

/** The search index forgets the message documents of the cases (ids checked integers). */
export function forgetMessageDocuments(q: Handle, list: string): Promise<void> {
  return forgetDocuments(q, messageDocuments(`case_id IN (${list})`));
}

/** The documents of these message entries (ids made integers), at their place in their case's timeline. */
function entryDocuments(entryIds: readonly number[]): string {
  const ids = entryIds.map((id) => Math.trunc(id)).join(',');
  return messageDocuments(`case_id IN (SELECT case_id FROM case_events WHERE id IN (${ids}))`, `id IN (${ids})`);
}

/** The search index forgets the documents of these message entries. */
export function forgetEntryDocuments(q: Handle, entryIds: readonly number[]): Promise<void> {
  return forgetDocuments(q, entryDocuments(entryIds));
}

/** These message entries indexed again with their (changed) text, at the same place as the insert trigger puts them. */
export async function indexEntryDocuments(q: Handle, entryIds: readonly number[]): Promise<void> {
  await q.run(sql.raw(`INSERT INTO search_fts(rowid, body) SELECT doc, casebook_search_text(json_extract(data, '$.body')) FROM (${entryDocuments(entryIds)})`));
}

/** Webhook deliveries whose payload is about one of the cases (`C-1042` references). */
export function deliveriesAboutCases(refs: readonly string[]): SQL {
  return sql`json_extract(payload, '$.data.case.id') IN (${sql.join(
    refs.map((ref) => sql`${ref}`),
    sql`, `,
  )})`;
}

/** Webhook deliveries whose payload names the customer. */
export function deliveriesAboutCustomer(customerId: number): SQL {
  return sql`json_extract(payload, '$.data.customer.id') = ${customerId}`;
}

/** Webhook deliveries of these timeline entries, or whose payload names `email` (lower-case). */
export function deliveriesMentioning(email: string, entryIds: readonly number[]): SQL {
  const entries = entryIds.length ? sql`json_extract(payload, '$.data.event.id') IN (${sql.join(entryIds.map((id) => sql`${id}`), sql`, `)}) OR ` : sql``;
  return sql`(${entries}instr(lower(payload), ${email}) > 0)`;
}

/** Outbox items whose payload or last error mentions `email` (lower-case). */
export function outboxMentioning(email: string): SQL {
  return sql`(instr(lower(payload), ${email}) > 0 OR instr(lower(coalesce(last_error, '')), ${email}) > 0)`;
}

/** Replaces `text` with `[erased]` in the stored reports; how many rows changed. */
export async function eraseReportQuote(q: Handle, text: string): Promise<number> {
  const { changes } = await q.run(
    sql`UPDATE sla_reports SET html = replace(html, ${text}, '[erased]'), csv = replace(csv, ${text}, '[erased]'), summary = replace(summary, ${text}, '[erased]')
        WHERE instr(html, ${text}) > 0 OR instr(csv, ${text}) > 0 OR instr(summary, ${text}) > 0`,
  );
  return changes;
}
