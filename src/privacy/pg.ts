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

export function withSecureDelete<T>(_q: Handle, fn: () => Promise<T>): Promise<T> {
  return fn();
}

export function checkpoint(_q: Handle): Promise<void> {
  return Promise.resolve();
}

/** The search documents of the cases' messages (ids checked integers): `doc` between `id << 20` and `(id + 1) << 20`. */
export async function forgetMessageDocuments(q: Handle, list: string): Promise<void> {
  await q.run(sql.raw(`DELETE FROM search_documents d USING unnest(ARRAY[${list}]::bigint[]) AS c(id) WHERE d.doc > c.id << 20 AND d.doc < (c.id + 1) << 20`));
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
