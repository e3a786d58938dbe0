/**
 * Intake's SQL that differs by dialect, PostgreSQL's side (see sqlite.ts): the next case id
 * is taken from the identity column's sequence — concurrent intakes each get their own, and
 * an id taken by a transaction that rolls back is never handed out again (as AUTOINCREMENT).
 * The customer fact's reads: the customer and their stored CRM record in one statement (each
 * statement is a round trip to the server).
 */
import { sql } from 'drizzle-orm';
import { rowMapper } from '../../db/fast.js';
import type { Handle } from '../../db/store/index.js';
import { byId, json } from '../../db/store/rows.js';
import { crmRecordOn, type CrmFact } from '../../crm/records.js';
import { customerByEmail, normalizeEmail } from '../customers.js';
import type { IntakeCustomer, IntakeCustomerKey } from './dialect.js';

export async function nextCaseId(q: Handle): Promise<number> {
  const row = await q.get<{ id: number }>(sql`SELECT nextval(pg_get_serial_sequence('cases', 'id')) AS id`);
  return Number(row!.id);
}

export async function intakeCustomer(q: Handle, key: IntakeCustomerKey, crm: CrmFact | null | undefined): Promise<IntakeCustomer> {
  if (crm !== undefined) {
    const existing = 'id' in key ? await byId(q, q.tables.customers, key.id) : await customerByEmail(q, key.email);
    return { existing, openCases: existing ? existing.openCases : 0, crm };
  }
  // The record is stored under the canonical address (crm/records.ts), which customers' rows
  // hold (normalizeEmail is canonicalEmail): joined on it, the two reads are one round trip.
  const row =
    'id' in key
      ? await q.get<Record<string, unknown>>(
          sql`SELECT c.*, r.data AS crm_record FROM customers c LEFT JOIN crm_records r ON r.email = c.email WHERE c.id = ${key.id}`,
        )
      : await q.get<Record<string, unknown>>(
          sql`SELECT c.*, r.data AS crm_record FROM (SELECT ${normalizeEmail(key.email)}::text AS email) k LEFT JOIN customers c ON c.email = k.email LEFT JOIN crm_records r ON r.email = k.email`,
        );
  const existing = row && row.id !== null ? rowMapper(q.tables.customers).fromRow(row) : undefined;
  const openCases = existing ? existing.openCases : 0; // kept by triggers on cases (drizzle/pg/0023)
  if (existing && normalizeEmail(existing.email) !== existing.email) {
    // A row from before addresses were stored canonical: its record is under the canonical form.
    return { existing, openCases, crm: await crmRecordOn(q, existing.email) };
  }
  return { existing, openCases, crm: row?.crm_record ? json<CrmFact>(row.crm_record) : null };
}

/** PostgreSQL's reads are awaited: evaluateIntakeNow reads decided queues' tiers between evaluations. */
export function queueTierNow(): undefined {
  return undefined;
}
