/**
 * Intake's SQL that differs by dialect, PostgreSQL's side (see sqlite.ts): the next case id
 * is taken from the identity column's sequence — concurrent intakes each get their own, and
 * an id taken by a transaction that rolls back is never handed out again (as AUTOINCREMENT).
 * The customer fact's reads are the port's queries, awaited one after the other.
 */
import { sql } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';
import { byId } from '../../db/store/rows.js';
import { crmRecordOn, type CrmFact } from '../../crm/records.js';
import { customerByEmail } from '../customers.js';
import type { IntakeCustomer, IntakeCustomerKey } from './dialect.js';

export async function nextCaseId(q: Handle): Promise<number> {
  const row = await q.get<{ id: number }>(sql`SELECT nextval(pg_get_serial_sequence('cases', 'id')) AS id`);
  return Number(row!.id);
}

export async function intakeCustomer(q: Handle, key: IntakeCustomerKey, crm: CrmFact | null | undefined): Promise<IntakeCustomer> {
  const existing = 'id' in key ? await byId(q, q.tables.customers, key.id) : await customerByEmail(q, key.email);
  const openCases = existing ? existing.openCases : 0; // kept by triggers on cases (drizzle/pg/0023)
  const email = existing ? existing.email : 'email' in key ? key.email : null;
  return { existing, openCases, crm: crm !== undefined ? crm : email === null ? null : await crmRecordOn(q, email) };
}

/** PostgreSQL's reads are awaited: evaluateIntakeNow reads decided queues' tiers between evaluations. */
export function queueTierNow(): undefined {
  return undefined;
}
