/**
 * The other two groups of a search, beside cases: customers (staff only; agents see only
 * customers with a case they may see) and the problem library (everyone; active problems).
 * The library's own index (`problems_fts`, the diagnosis index) is read, never written.
 */
import type { Handle } from '../db/store/index.js';
import type { Principal } from '../http/types.js';
import { visibility } from './case-conditions.js';
import { excerpt, plain, type Marked } from './highlight.js';
import { searchQueries, type Words } from './queries.js';

export interface CustomerHit {
  id: number;
  email: string;
  name: Marked;
  /** Email and organization, hits marked. */
  details: Marked;
  /** Cases of this customer the caller may see. */
  cases: number;
}

export interface LibraryHit {
  id: number;
  title: Marked;
  solution: Marked;
}

/** Customers read from the index per group, at most (agents may see few of them). */
const CUSTOMER_SCAN = 200;

export async function searchCustomers(q: Handle, principal: Principal, words: Words, limit: number): Promise<CustomerHit[]> {
  if (principal.actor.type === 'customer') return [];
  const dialect = searchQueries(q);
  const ids = await dialect.customersMatching(q, words, CUSTOMER_SCAN);
  if (ids.length === 0) return [];
  const rows = await dialect.customerRows(q, visibility(principal), ids, limit);
  const marked = await dialect.highlight(
    q,
    words,
    rows.map((r) => ({ title: r.name, body: [r.email, r.organization].filter(Boolean).join(' · ') })),
  );
  return rows.map((r, i) => ({
    id: r.id,
    email: r.email,
    name: marked[i]!.title ?? plain(r.name),
    details: marked[i]!.body ?? plain(r.email),
    cases: r.cases,
  }));
}

export async function searchLibrary(q: Handle, words: Words, limit: number): Promise<LibraryHit[]> {
  const dialect = searchQueries(q);
  const rows = await dialect.library(q, words, limit);
  const marked = await dialect.highlight(
    q,
    words,
    rows.map((r) => ({ title: r.title, body: r.solution })),
  );
  return rows.map((r, i) => ({ id: r.id, title: marked[i]!.title ?? plain(r.title), solution: marked[i]!.body ?? plain(excerpt(r.solution)) }));
}
