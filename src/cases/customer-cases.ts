/**
 * A customer's cases, the one they last saw change first, with keyset pagination on (the
 * customer's last update, id) over `cases_customer_updated_idx`. The order and the cursor use
 * the time the customer is shown (CUSTOMER_UPDATED_AT_SQL), never `updated_at`: a case staff
 * worked on internally does not move up the list. The portal lists them; the agent case page
 * shows a customer's other cases (filtered by what the agent may see).
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import { CUSTOMER_UPDATED_AT_SQL } from '../db/schema/cases.js';
import type { Handle } from '../db/store/index.js';
import { ValidationError } from '../errors.js';
import type { CaseRow } from './case-view.js';

export interface CustomerCasesPage {
  rows: CaseRow[];
  nextCursor: string | null;
}

/** The indexed expression, written as the index has it (unqualified), so both databases' plans use it. */
const SHOWN_AT = sql.raw(CUSTOMER_UPDATED_AT_SQL);

function encode(row: CaseRow): string {
  return Buffer.from(`${row.customerUpdatedAt ?? row.createdAt}:${row.id}`).toString('base64url');
}

function decode(cursor: string): { shownAt: number; id: number } {
  const match = /^(\d{1,16}):(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new ValidationError([{ path: 'cursor', message: 'not a cursor from a previous page' }]);
  return { shownAt: Number(match[1]), id: Number(match[2]) };
}

export async function customerCases(q: Handle, customerId: number, options: { limit?: number; cursor?: string | undefined } = {}): Promise<CustomerCasesPage> {
  const limit = options.limit ?? 25;
  const { cases } = q.tables;
  const where = [eq(cases.customerId, customerId)];
  if (options.cursor) {
    const after = decode(options.cursor);
    // (shown at, id) < (after): spelt out, as SQLite takes a row value with an expression for no range of the index.
    where.push(sql`${SHOWN_AT} <= ${after.shownAt} AND (${SHOWN_AT} < ${after.shownAt} OR ${cases.id} < ${after.id})`);
  }
  const rows = await q.db
    .select()
    .from(cases)
    .where(and(...where))
    .orderBy(desc(SHOWN_AT), desc(cases.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > limit && last ? encode(last) : null };
}
