/**
 * A customer's cases, most recently updated first, with keyset pagination on
 * (updated_at, id) over `cases_customer_updated_idx`. The portal lists them; the agent
 * case page shows a customer's other cases (filtered by what the agent may see).
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';
import { ValidationError } from '../errors.js';
import type { CaseRow } from './case-view.js';

export interface CustomerCasesPage {
  rows: CaseRow[];
  nextCursor: string | null;
}

function encode(row: CaseRow): string {
  return Buffer.from(`${row.updatedAt}:${row.id}`).toString('base64url');
}

function decode(cursor: string): { updatedAt: number; id: number } {
  const match = /^(\d{1,16}):(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new ValidationError([{ path: 'cursor', message: 'not a cursor from a previous page' }]);
  return { updatedAt: Number(match[1]), id: Number(match[2]) };
}

export async function customerCases(q: Handle, customerId: number, options: { limit?: number; cursor?: string | undefined } = {}): Promise<CustomerCasesPage> {
  const limit = options.limit ?? 25;
  const { cases } = q.tables;
  const where = [eq(cases.customerId, customerId)];
  if (options.cursor) {
    const after = decode(options.cursor);
    where.push(sql`(${cases.updatedAt}, ${cases.id}) < (${after.updatedAt}, ${after.id})`);
  }
  const rows = await q.db
    .select()
    .from(cases)
    .where(and(...where))
    .orderBy(desc(cases.updatedAt), desc(cases.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > limit && last ? encode(last) : null };
}
