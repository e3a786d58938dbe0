/**
 * The other two groups of a search, beside cases: customers (staff only; agents see only
 * customers with a case they may see) and the problem library (everyone; active problems).
 * The library's own index (`problems_fts`, the diagnosis index) is read, never written.
 */
import { statement } from '../db/fast.js';
import type { Principal } from '../http/types.js';
import type { Services } from '../services.js';
import { visibility } from './case-conditions.js';
import { excerpt, highlightAll, plain, type Marked } from './highlight.js';

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

export function searchCustomers(services: Services, principal: Principal, fts: string, limit: number): CustomerHit[] {
  if (principal.actor.type === 'customer') return [];
  const ids = statement<[string, number], { id: number }>(services.db, 'SELECT -rowid AS id FROM search_fts WHERE search_fts MATCH ? AND rowid < 0 ORDER BY rowid LIMIT ?')
    .all(fts, CUSTOMER_SCAN)
    .map((r) => r.id);
  if (ids.length === 0) return [];
  const seen = visibility(principal);
  const rows = statement<unknown[], { id: number; name: string; email: string; organization: string | null; cases: number }>(
    services.db,
    `SELECT * FROM (
       SELECT cu.id, cu.name, cu.email, cu.organization,
              (SELECT count(*) FROM cases c WHERE c.customer_id = cu.id${seen.sql ? ` AND ${seen.sql}` : ''}) AS cases
       FROM customers cu WHERE cu.id IN (SELECT value FROM json_each(?)))
     WHERE cases > 0 ORDER BY id DESC LIMIT ?`,
  ).all(...seen.params, JSON.stringify(ids), limit);
  const marked = highlightAll(
    services.db,
    fts,
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

export function searchLibrary(services: Services, fts: string, limit: number): LibraryHit[] {
  const rows = statement<[string, number], { id: number; title: string; solution: string }>(
    services.db,
    `SELECT p.id, p.title, p.solution FROM problems_fts JOIN problems p ON p.id = problems_fts.rowid
     WHERE problems_fts MATCH ? AND p.active = 1 ORDER BY rank LIMIT ?`,
  ).all(fts, limit);
  const marked = highlightAll(
    services.db,
    fts,
    rows.map((r) => ({ title: r.title, body: r.solution })),
  );
  return rows.map((r, i) => ({ id: r.id, title: marked[i]!.title ?? plain(r.title), solution: marked[i]!.body ?? plain(excerpt(r.solution)) }));
}
