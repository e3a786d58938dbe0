/**
 * The mail pipeline's look-ups on PostgreSQL (prechecks.ts): the same questions as sqlite.ts,
 * a list of ids asked in one statement (`IN (…)`) and picked in order here, since each
 * statement is a round trip to the server.
 */
import { sql } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';
import { caseRef } from '../../cases/case-ref.js';

function list(values: readonly (string | number)[]) {
  return sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );
}

export async function received(q: Handle, messageId: string): Promise<{ fingerprint: string | null } | undefined> {
  return q.get<{ fingerprint: string | null }>(sql`SELECT fingerprint FROM email_messages WHERE message_id = ${messageId} AND direction = 'in'`);
}

export async function isStaff(q: Handle, address: string): Promise<boolean> {
  return (await q.get(sql`SELECT 1 AS one FROM staff WHERE email = ${address}`)) !== undefined;
}

export async function mailsFrom(q: Handle, address: string, since: number): Promise<number> {
  const row = await q.get<{ n: number }>(
    sql`SELECT count(*) AS n FROM inbound_mail WHERE from_address = ${address} AND received_at > ${since} AND coalesce(reason, '') NOT IN ('duplicate', 'rate-limited')`,
  );
  return Number(row!.n);
}

export async function casesOpenedFrom(q: Handle, address: string, since: number): Promise<number> {
  const row = await q.get<{ n: number }>(sql`SELECT count(*) AS n FROM inbound_mail WHERE from_address = ${address} AND received_at > ${since} AND outcome = 'created'`);
  return Number(row!.n);
}

export async function firstCaseOf(q: Handle, ids: readonly string[]): Promise<number | null> {
  if (ids.length === 0) return null;
  const rows = await q.all<{ message_id: string; case_id: number }>(sql`SELECT message_id, case_id FROM email_messages WHERE message_id IN (${list(ids)}) AND case_id IS NOT NULL`);
  const caseOf = new Map(rows.map((r) => [r.message_id, Number(r.case_id)]));
  for (const id of ids) if (caseOf.has(id)) return caseOf.get(id)!;
  return null;
}

export async function firstExistingCase(q: Handle, ids: readonly number[]): Promise<number | null> {
  if (ids.length === 0) return null;
  const rows = await q.all<{ id: number }>(sql`SELECT id FROM cases WHERE id IN (${list(ids)})`);
  const existing = new Set(rows.map((r) => Number(r.id)));
  return ids.find((id) => existing.has(id)) ?? null;
}

export async function threadOf(q: Handle, caseId: number, except: string): Promise<string[]> {
  const rows = await q.all<{ message_id: string }>(
    sql`SELECT m.message_id FROM email_messages m WHERE m.case_id = ${caseId} AND m.message_id != ${except} AND m.message_id NOT LIKE '%@derived.casebook'
      AND (m.direction = 'out' OR EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = m.case_id AND e.type IN ('email.received', 'customer.replied')
        AND e.data->>'messageId' = m.message_id AND e.data->>'forwardedBy' IS NULL))
      ORDER BY m.at, m.ctid`,
  );
  return rows.map((r) => r.message_id);
}

export async function latestFollowUpOf(q: Handle, closedCaseId: number, customerId: number): Promise<number | null> {
  const row = await q.get<{ id: number }>(
    sql`SELECT c.id FROM cases c WHERE c.customer_id = ${customerId} AND c.id > ${closedCaseId}
      AND EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.type = 'email.received' AND e.data->>'followUpOf' = ${caseRef(closedCaseId)})
      ORDER BY c.id DESC LIMIT 1`,
  );
  return row ? Number(row.id) : null;
}
