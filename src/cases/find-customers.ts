/**
 * Finding the customer a phone call or a walk-in is about (`/cases/new`): by phone number
 * (exact E.164, or the start of one: `+4930…`), else by name, email or organization through
 * the search index (every word a prefix: `chl car` finds Chloe Carter). Staff file cases for
 * any customer, so this is not narrowed to the cases they see.
 */
import { statement } from '../db/fast.js';
import type { Db } from '../db/client.js';
import { normalizePhone } from '../text/phone.js';

export interface FoundCustomer {
  id: number;
  name: string;
  email: string;
  phone: string | null;
  organization: string | null;
  openCases: number;
}

const COLUMNS = 'c.id, c.name, c.email, c.phone, c.organization, (SELECT count(*) FROM cases k WHERE k.customer_id = c.id AND k.open = 1) AS openCases';

/** The customer with exactly this number (normalised first), if any: the newest when several share it. */
export function customerByPhone(db: Db, phone: string): FoundCustomer | undefined {
  const e164 = normalizePhone(phone);
  if (!e164) return undefined;
  return statement<[string], FoundCustomer>(db, `SELECT ${COLUMNS} FROM customers c WHERE c.phone = ? ORDER BY c.id DESC LIMIT 1`).get(e164);
}

/** A phone-like query ("+49 30 12", "0049301") as the E.164 prefix it stands for, else null. */
function phonePrefix(q: string): string | null {
  const compact = q.replace(/[\s\-.()/]/g, '');
  const plus = compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
  return /^\+\d{2,15}$/.test(plus) ? plus : null;
}

export function findCustomers(db: Db, q: string, limit = 10): FoundCustomer[] {
  const query = q.trim().slice(0, 200);
  if (query === '') return [];
  const prefix = phonePrefix(query);
  if (prefix) {
    // The partial index on phone serves the range: every number starting with the prefix.
    return statement<[string, string, number], FoundCustomer>(db, `SELECT ${COLUMNS} FROM customers c WHERE c.phone >= ? AND c.phone < ? ORDER BY c.phone LIMIT ?`).all(prefix, `${prefix}:`, limit);
  }
  const words = query.match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return [];
  const fts = words.slice(0, 8).map((w) => `"${w}"*`).join(' ');
  return statement<[string, number], FoundCustomer>(
    db,
    `SELECT ${COLUMNS} FROM customers c WHERE c.id IN (SELECT -rowid FROM search_fts WHERE search_fts MATCH ? AND rowid < 0 ORDER BY rowid LIMIT ?) ORDER BY c.name, c.id`,
  ).all(fts, limit);
}
