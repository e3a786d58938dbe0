/**
 * Finding the customer a phone call or a walk-in is about (`/cases/new`): by phone number
 * (exact E.164, or the start of one: `+4930…`), else by name, email or organization through
 * the search index (every word a prefix: `chl car` finds Chloe Carter). Staff file cases for
 * any customer, so this is not narrowed to the cases they see.
 */
import type { Handle } from '../db/store/index.js';
import { all } from '../db/store/rows.js';
import { compactPhone } from '../text/phone.js';
import * as pgQueries from './find-customers/pg.js';
import * as sqliteQueries from './find-customers/sqlite.js';

export interface FoundCustomer {
  id: number;
  name: string;
  email: string;
  phone: string | null;
  organization: string | null;
  openCases: number;
}

const COLUMNS = 'c.id, c.name, c.email, c.phone, c.organization, c.open_cases AS "openCases"';


/** A phone-like query ("+49 30 12", "0049301") as the E.164 prefix it stands for, else null. */
function phonePrefix(text: string): string | null {
  const plus = compactPhone(text);
  return /^\+\d{2,15}$/.test(plus) ? plus : null;
}

export async function findCustomers(q: Handle, text: string, limit = 10): Promise<FoundCustomer[]> {
  const query = text.trim().slice(0, 200);
  if (query === '') return [];
  const prefix = phonePrefix(query);
  if (prefix) {
    // The partial index on phone serves the range: every number starting with the prefix.
    return all<FoundCustomer>(q, `SELECT ${COLUMNS} FROM customers c WHERE c.phone >= ? AND c.phone < ? ORDER BY c.phone LIMIT ?`, [prefix, `${prefix}:`, limit]);
  }
  const words = query.match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return [];
  // The index differs: FTS5 on SQLite, search_documents' tsvectors on PostgreSQL.
  const dialect = q.dialect === 'sqlite' ? sqliteQueries : pgQueries;
  return dialect.customersMatching<FoundCustomer>(q, COLUMNS, words.slice(0, 8), limit);
}
