/**
 * Search (`GET /search`, `GET /api/v1/search`): the caller's query over cases (subjects,
 * descriptions, messages; internal notes for staff only), customers (staff) and the problem
 * library, with filters, hits marked, only what the caller may see. A query that is a case
 * reference the caller may see is a jump to that case.
 */
import { ValidationError } from '../errors.js';
import type { Principal } from '../http/types.js';
import { canSeeCase } from '../cases/access.js';
import type { Services } from '../services.js';
import { statement } from '../db/fast.js';
import { caseConditions, type CaseConditions } from './case-conditions.js';
import { ownCasesSource } from './own-cases.js';
import { caseHits, type CaseHit } from './case-hits.js';
import { ftsQuery, hasFilters, parseQuery, type ParsedQuery } from './parse-query.js';
import { searchCasesByFilters, searchCasesByText, type CasePage, type SearchCasesOptions } from './search-cases.js';
import { searchCustomers, searchLibrary, type CustomerHit, type LibraryHit } from './search-people.js';

export interface SearchRequest {
  q: string;
  cursor?: string | null;
  /** Cases per page (default 20). */
  limit?: number;
  /** Index budget per page (benchmarks and tests); default DEFAULT_BUDGET. */
  budget?: number;
}

export interface SearchResult {
  q: string;
  parsed: ParsedQuery;
  /** The case the query names (`C-1042`), when the caller may see it. */
  jump: number | null;
  cases: { items: CaseHit[]; nextCursor: string | null; partial: boolean };
  /** Staff only; first page of a search by words without filters. */
  customers: CustomerHit[];
  /** First page of a search by words without filters. */
  library: LibraryHit[];
}

export const DEFAULT_LIMIT = 20;
const GROUP_LIMIT = 5;

/** Whether a query asks for anything (words, filters or a case reference). */
export function isEmptyQuery(q: string): boolean {
  const parsed = parseQuery(q);
  return parsed.issues.length === 0 && parsed.terms.length === 0 && parsed.excluded.length === 0 && !hasFilters(parsed.filters) && parsed.ref === null;
}

function visibleRef(services: Services, principal: Principal, id: number | null): number | null {
  if (id === null) return null;
  const row = statement<[number], { id: number; customerId: number; queueId: string; assigneeId: number | null }>(
    services.db,
    'SELECT id, customer_id AS customerId, queue_id AS queueId, assignee_id AS assigneeId FROM cases WHERE id = ?',
  ).get(id);
  return row && canSeeCase(principal, row) ? row.id : null;
}

/** A customer's words are searched among their own documents (own-cases.ts) when they have few cases. */
function byText(services: Services, principal: Principal, fts: string, conditions: CaseConditions, options: SearchCasesOptions): CasePage {
  const own = principal.actor.type === 'customer' ? ownCasesSource(services.db, principal.customerId ?? -1) : null;
  if (!own) return searchCasesByText(services, fts, conditions, options);
  try {
    return searchCasesByText(services, fts, conditions, { ...options, source: own });
  } finally {
    own.done();
  }
}

export function search(services: Services, principal: Principal, request: SearchRequest): SearchResult {
  const q = request.q.trim();
  const parsed = parseQuery(q);
  const issues = [...parsed.issues];
  const conditions = caseConditions(services, principal, parsed.filters, issues);
  const fts = ftsQuery(parsed);
  if (issues.length === 0 && fts === null && !conditions.filtered && parsed.ref === null) issues.push({ path: 'q', message: 'type words, a filter or a case reference (C-1042)' });
  if (issues.length > 0) throw new ValidationError(issues, `The search is not valid: ${issues.map((i) => i.message).join('; ')}.`);

  const options = { limit: request.limit ?? DEFAULT_LIMIT, cursor: request.cursor ?? null, ...(request.budget ? { budget: request.budget } : {}) };
  const page = fts !== null ? byText(services, principal, fts, conditions, options) : conditions.filtered ? searchCasesByFilters(services, conditions, options) : { items: [], nextCursor: null, partial: false };
  const groups = fts !== null && !conditions.filtered && options.cursor === null;
  return {
    q,
    parsed,
    jump: visibleRef(services, principal, parsed.ref),
    cases: { items: caseHits(services, page.items, fts, conditions.notes), nextCursor: page.nextCursor, partial: page.partial },
    customers: groups ? searchCustomers(services, principal, fts, GROUP_LIMIT) : [],
    library: groups ? searchLibrary(services, fts, GROUP_LIMIT) : [],
  };
}
