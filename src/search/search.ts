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
import { eq } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';
import { caseConditions, type CaseConditions } from './case-conditions.js';
import { caseHits, type CaseHit } from './case-hits.js';
import { hasFilters, parseQuery, type ParsedQuery } from './parse-query.js';
import { searchIndexCurrent } from './index-current.js';
import { searchQueries, type Words } from './queries.js';
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

async function visibleRef(q: Handle, principal: Principal, id: number | null): Promise<number | null> {
  if (id === null) return null;
  const { cases } = q.tables;
  const [row] = await q.db
    .select({ id: cases.id, customerId: cases.customerId, queueId: cases.queueId, assigneeId: cases.assigneeId })
    .from(cases)
    .where(eq(cases.id, id))
    .limit(1);
  return row && canSeeCase(principal, row) ? row.id : null;
}

/** A customer's words are searched among their own documents (own-cases.ts) when they have few cases. */
async function byText(q: Handle, principal: Principal, words: Words, conditions: CaseConditions, options: SearchCasesOptions): Promise<CasePage> {
  const own = principal.actor.type === 'customer' ? await searchQueries(q).ownDocuments(q, principal.customerId ?? -1) : null;
  if (!own) return searchCasesByText(q, words, conditions, options);
  try {
    return await searchCasesByText(q, words, conditions, { ...options, source: own });
  } finally {
    await own.done();
  }
}

/**
 * The search, on the storage port: statements each by itself (no snapshot: a page of results, as
 * before), on an index holding every committed case and customer (index-current.ts).
 */
export async function search(services: Services, principal: Principal, request: SearchRequest): Promise<SearchResult> {
  await searchIndexCurrent(services);
  return services.store.query((q) => searchOn(q, services, principal, request));
}

async function searchOn(q: Handle, services: Services, principal: Principal, request: SearchRequest): Promise<SearchResult> {
  const text = request.q.trim();
  const parsed = parseQuery(text);
  const issues = [...parsed.issues];
  const conditions = await caseConditions(q, services, principal, parsed.filters, issues);
  const words: Words | null = parsed.terms.length > 0 ? { terms: parsed.terms, excluded: parsed.excluded } : null;
  if (issues.length === 0 && words === null && !conditions.filtered && parsed.ref === null) issues.push({ path: 'q', message: 'type words, a filter or a case reference (C-1042)' });
  if (issues.length > 0) throw new ValidationError(issues, `The search is not valid: ${issues.map((i) => i.message).join('; ')}.`);

  const options = { limit: request.limit ?? DEFAULT_LIMIT, cursor: request.cursor ?? null, ...(request.budget ? { budget: request.budget } : {}) };
  const page = words !== null ? await byText(q, principal, words, conditions, options) : conditions.filtered ? await searchCasesByFilters(q, conditions, options) : { items: [], nextCursor: null, partial: false };
  const groups = words !== null && !conditions.filtered && options.cursor === null;
  return {
    q: text,
    parsed,
    jump: await visibleRef(q, principal, parsed.ref),
    cases: { items: await caseHits(q, page.items, words, conditions.notes), nextCursor: page.nextCursor, partial: page.partial },
    customers: groups && words ? await searchCustomers(q, principal, words, GROUP_LIMIT) : [],
    library: groups && words ? await searchLibrary(q, words, GROUP_LIMIT) : [],
  };
}
