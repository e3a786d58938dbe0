/**
 * Intake's SQL that differs by dialect, SQLite's side (dialect.ts chooses this module or pg.ts
 * by the handle's dialect). The id the next case gets: cases use AUTOINCREMENT (never reused),
 * so the id is read from `sqlite_sequence` inside the intake's write transaction, which no
 * other writer shares. The customer fact's reads: cached statements run in one synchronous
 * call, awaited once by the caller (the statements are pg.ts's, without an await each).
 */
import { statement } from '../../db/fast.js';
import { sqliteOf, type Handle } from '../../db/store/index.js';
import { storedCrmRecord, type CrmFact } from '../../crm/records.js';
import { normalizeEmail, type CustomerRow } from '../customers.js';
import { rowById, tableRows } from '../../db/fast.js';
import type { Db } from '../../db/client.js';
import type { IntakeCustomer, IntakeCustomerKey } from './dialect.js';

const NEXT_CASE_ID = "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'cases'), 0), coalesce((SELECT max(id) FROM cases), 0)) + 1 AS id";

/** The customer with this address (normalised), on a cached statement. */
function customerByEmail(db: Db, email: string): CustomerRow | undefined {
  return tableRows(db, db._.fullSchema.customers, 'SELECT * FROM customers WHERE email = ?').get(normalizeEmail(email));
}

export function nextCaseId(q: Handle): Promise<number> {
  return Promise.resolve(statement<[], { id: number }>(sqliteOf(q), NEXT_CASE_ID).get()!.id);
}

export function intakeCustomer(q: Handle, key: IntakeCustomerKey, crm: CrmFact | null | undefined): Promise<IntakeCustomer> {
  try {
    const db = sqliteOf(q);
    const existing = 'id' in key ? rowById(db, q.tables.customers, key.id) : customerByEmail(db, key.email);
    // Kept on the customer's row by triggers on cases (drizzle/0051): no count of their cases.
    const openCases = existing ? existing.openCases : 0;
    const email = existing ? existing.email : 'email' in key ? key.email : null;
    return Promise.resolve({ existing, openCases, crm: crm !== undefined ? crm : email === null ? null : storedCrmRecord(db, email) });
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

const QUEUE_TIER = 'SELECT tier FROM queues WHERE id = ? AND active = 1';

/** An active queue's tier on the intake's connection, on a cached statement (null: none). */
export function queueTierNow(q: Handle): (queueId: string) => number | null {
  const db = sqliteOf(q);
  return (queueId) => (statement<[string], number>(db, QUEUE_TIER).pluck().get(queueId) ?? null);
}
