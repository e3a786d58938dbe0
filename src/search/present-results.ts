/**
 * A search result as the caller may see it — the JSON of `GET /api/v1/search` and what the
 * search page renders. Customers get their projection of each case (status in customer
 * wording, no queue, assignee, tags or priority) and no customer group; both are built field
 * by field from what may be shown, never by removing internals.
 */
import { caseRef } from '../cases/case-ref.js';
import { iso } from '../cases/case-view.js';
import { customerCaseSummary } from '../cases/customer-view.js';
import { inArray } from 'drizzle-orm';
import type { Principal } from '../http/types.js';
import type { Services } from '../services.js';
import type { StateCategory } from '../workflow/definition.js';
import type { CaseHit, MatchKind } from './case-hits.js';
import type { Marked } from './highlight.js';
import type { CustomerHit, LibraryHit } from './search-people.js';
import type { SearchResult } from './search.js';

export interface CaseResult {
  id: string;
  subject: Marked;
  /** The state name for staff; customer wording for customers. */
  status: string;
  statusLabel: string;
  statusCategory: StateCategory | null;
  open: boolean;
  createdAt: string;
  updatedAt: string;
  match: { in: MatchKind; at: string; author: { type: 'customer' | 'staff'; name: string } | null; snippet: Marked };
  moreMatches: number;
  /** Staff only. */
  queue?: string;
  priority?: string;
  assignee?: { id: number; name: string } | null;
  customer?: { id: number; name: string; email: string };
  tags?: string[];
}

export interface SearchResults {
  q: string;
  /** `C-1042` when the query names a case the caller may see. */
  jump: { id: string; url: string } | null;
  cases: { items: CaseResult[]; nextCursor: string | null; partial: boolean };
  /** Staff only. */
  customers?: CustomerHit[];
  library: LibraryHit[];
}

async function people(services: Services, table: 'staff' | 'customers', ids: number[]): Promise<Map<number, { name: string; email: string }>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await services.store.query((q) => {
    const t = q.tables[table];
    return q.db.select({ id: t.id, name: t.name, email: t.email }).from(t).where(inArray(t.id, unique));
  });
  return new Map(rows.map((r) => [r.id, { name: r.name, email: r.email }]));
}

function match(hit: CaseHit): CaseResult['match'] {
  return { in: hit.match.kind, at: iso(hit.match.at)!, author: hit.match.author, snippet: hit.match.snippet };
}

export async function presentResults(services: Services, principal: Principal, result: SearchResult, caseUrl: (ref: string) => string): Promise<SearchResults> {
  const jump = result.jump === null ? null : { id: caseRef(result.jump), url: caseUrl(caseRef(result.jump)) };
  const hits = result.cases.items;
  if (principal.actor.type === 'customer') {
    const items = hits.map((hit): CaseResult => {
      const summary = customerCaseSummary(services, hit.row);
      return {
        id: summary.id,
        subject: hit.subject,
        status: summary.status,
        statusLabel: summary.status,
        statusCategory: summary.statusCategory,
        open: summary.open,
        createdAt: summary.createdAt,
        updatedAt: summary.updatedAt,
        match: match(hit),
        moreMatches: hit.moreMatches,
      };
    });
    return { q: result.q, jump, cases: { ...result.cases, items }, library: result.library };
  }
  const staff = await people(services, 'staff', hits.map((h) => h.row.assigneeId).filter((id): id is number => id !== null));
  const customers = await people(services, 'customers', hits.map((h) => h.row.customerId));
  const items = hits.map((hit): CaseResult => {
    const { row } = hit;
    const state = services.definitions.workflow(row.workflow, row.workflowVersion).definition.states[row.status];
    const assignee = row.assigneeId === null ? null : staff.get(row.assigneeId);
    const customer = customers.get(row.customerId);
    return {
      id: caseRef(row.id),
      subject: hit.subject,
      status: row.status,
      statusLabel: state?.label ?? row.status,
      statusCategory: state?.category ?? null,
      open: row.open,
      createdAt: iso(row.createdAt)!,
      updatedAt: iso(row.updatedAt)!,
      match: match(hit),
      moreMatches: hit.moreMatches,
      queue: row.queueId,
      priority: row.priority,
      assignee: row.assigneeId === null ? null : { id: row.assigneeId, name: assignee?.name ?? '' },
      customer: { id: row.customerId, name: customer?.name ?? '', email: customer?.email ?? '' },
      tags: row.tags,
    };
  });
  return { q: result.q, jump, cases: { ...result.cases, items }, customers: result.customers, library: result.library };
}
