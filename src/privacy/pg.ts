/**
 * An erasure's SQL that differs on PostgreSQL (the pair of sqlite.ts):
 * - no secure_delete or WAL to truncate: PostgreSQL keeps dead row versions until VACUUM
 *   (autovacuum, or `VACUUM` by the operator: docs/privacy.md);
 * - every message document of the cases is deleted by its range of `doc` (a message's place,
 *   counted by its insert trigger, misses an entry with a lower id that another transaction
 *   committed after it: the redaction trigger's recount then names another document); the
 *   case's own document follows its erased text through its trigger;
 * - JSON text read with `::jsonb` and `->`/`->>`, substrings found with `strpos`; the report
 *   summary is `jsonb`: its text form is edited and cast back.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';

export function checkpoint(_q: Handle): Promise<void> {
  return Promise.resolve();
}

/**
 * The cases' rows locked until the erasure commits (ids checked integers; in id order, so two
 * erasures never wait for each other crosswise). Adding to a timeline takes a key-share lock on
 * its case (the foreign key): a write doing that now is waited for, a later one waits.
 */
export async function lockCases(q: Handle, list: string): Promise<void> {
  await q.run(sql.raw(`SELECT id FROM cases WHERE id IN (${list}) ORDER BY id FOR UPDATE`));
}

/** The search documents of the cases' messages (ids checked integers): `doc` between `id << 20` and `(id + 1) << 20`. */
export async function forgetMessageDocuments(q: Handle, list: string): Promise<void> {
  await q.run(sql.raw(`DELETE FROM search_documents d USING unnest(ARRAY[${list}]::bigint[]) AS c(id) WHERE d.doc > c.id << 20 AND d.doc < (c.id + 1) << 20`));
}

/** Nothing to do: the redaction trigger (search_documents_redaction) deletes a message's document when its data changes. */
export function forgetEntryDocuments(_q: Handle, _entryIds: readonly number[]): Promise<void> {
  return Promise.resolve();
}

/** These message entries indexed again with their (changed) text, at the place the insert trigger gives them. */
export async function indexEntryDocuments(q: Handle, entryIds: readonly number[]): Promise<void> {
  const ids = entryIds.map((id) => Math.trunc(id)).join(',');
  await q.run(
    sql.raw(
      `INSERT INTO search_documents (doc, words)
       SELECT (e.case_id << 20) + (p.place << 1) + (e.type = 'staff.noted')::int, casebook_search_vector(e.data ->> 'body')
       FROM case_events e CROSS JOIN LATERAL (SELECT count(*) AS place FROM case_events x WHERE x.case_id = e.case_id AND x.id <= e.id) p
       WHERE e.id IN (${ids}) AND e.type IN ('customer.replied', 'staff.replied', 'staff.noted') AND p.place < 524288
       ON CONFLICT (doc) DO UPDATE SET words = EXCLUDED.words`,
    ),
  );
}

export function deliveriesAboutCases(refs: readonly string[]): SQL {
  return sql`(payload::jsonb -> 'data' -> 'case' ->> 'id') IN (${sql.join(
    refs.map((ref) => sql`${ref}`),
    sql`, `,
  )})`;
}

export function deliveriesAboutCustomer(customerId: number): SQL {
  return sql`(payload::jsonb -> 'data' -> 'customer' ->> 'id') = ${String(customerId)}`;
}

export function deliveriesMentioning(email: string, entryIds: readonly number[]): SQL {
  const entries = entryIds.length ? sql`(payload::jsonb -> 'data' -> 'event' ->> 'id') IN (${sql.join(entryIds.map((id) => sql`${String(id)}`), sql`, `)}) OR ` : sql``;
  return sql`(${entries}strpos(lower(payload::text), ${email}) > 0)`;
}

export function outboxMentioning(email: string): SQL {
  return sql`(strpos(lower(payload::text), ${email}) > 0 OR strpos(lower(coalesce(last_error, '')), ${email}) > 0)`;
}

export async function eraseReportQuote(q: Handle, text: string): Promise<number> {
  const { changes } = await q.run(
    sql`UPDATE sla_reports SET html = replace(html, ${text}, '[erased]'), csv = replace(csv, ${text}, '[erased]'), summary = replace(summary::text, ${text}, '[erased]')::jsonb
        WHERE strpos(html, ${text}) > 0 OR strpos(csv, ${text}) > 0 OR strpos(summary::text, ${text}) > 0`,
  );
  return changes;
}
