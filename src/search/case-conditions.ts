/**
 * The conditions a case must meet to be a result: the caller's visibility (the same rules as
 * src/cases/access.ts) and the query's filters, as SQL over `cases c` with their parameters.
 * Filter values are checked here (an unknown queue, state or person is a 422, not an empty
 * page); customers may filter by `created:` only — the others are internal fields.
 */
import type { FieldIssue } from '../errors.js';
import type { Principal } from '../http/types.js';
import { isManagerRole } from '../roles.js';
import type { Services } from '../services.js';
import { statement } from '../db/fast.js';
import type { Filters } from './parse-query.js';

export interface CaseConditions {
  /** SQL conditions on `c` (cases), all of which must hold. */
  sql: string[];
  params: unknown[];
  /** Customers see no internal notes. */
  notes: boolean;
  /** Whether `sql` holds anything beyond visibility (a filter was given). */
  filtered: boolean;
  /** A set of few cases the results must be among (own cases, `assignee:`, `customer:`), or null. */
  narrowing: Narrowing | null;
}

/** A set of cases, as `SELECT id FROM cases WHERE …`, that a search is narrowed to. */
export interface Narrowing {
  sql: string;
  params: unknown[];
}

/** Most customers a `customer:` filter may stand for. */
export const MAX_FILTER_CUSTOMERS = 1000;

/**
 * Lists are bound as one JSON parameter (`IN (SELECT value FROM json_each(?))`), so a
 * statement's text depends only on which filters are present, never on their values: the
 * per-connection statement cache stays small whatever callers send.
 */
const IN_LIST = 'IN (SELECT value FROM json_each(?))';

/** Visibility of cases to `principal`, as in src/cases/access.ts and list-cases.ts. */
export function visibility(principal: Principal): { sql: string | null; params: unknown[] } {
  const { actor } = principal;
  if (actor.role === 'customer') return { sql: 'c.customer_id = ?', params: [principal.customerId ?? -1] };
  if (isManagerRole(actor.role)) return { sql: null, params: [] };
  if (actor.role === 'agent' || actor.role === 'advanced') {
    return { sql: `(c.queue_id ${IN_LIST} OR c.assignee_id = ?)`, params: [JSON.stringify([...principal.queues]), principal.staffId ?? -1] };
  }
  return { sql: '0', params: [] };
}

function stateNames(services: Services): Set<string> {
  const names = new Set<string>();
  for (const workflow of services.definitions.names('workflow')) {
    for (const state of Object.keys(services.definitions.workflow(workflow).definition.states)) names.add(state.toLowerCase());
  }
  return names;
}

interface Id {
  id: number;
}
const ofIds = (rows: Id[]) => rows.map((r) => r.id);

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** Customers a `customer:` value names: an email, `@domain`, or words of a name or organization. */
function customersNamed(services: Services, value: string, issues: FieldIssue[]): number[] {
  const db = services.db;
  let ids: number[];
  if (value.startsWith('@')) {
    ids = ofIds(statement<[string, number], Id>(db, "SELECT id FROM customers WHERE email LIKE ? ESCAPE '\\' LIMIT ?").all(`%${escapeLike(value)}`, MAX_FILTER_CUSTOMERS + 1));
  } else if (value.includes('@')) {
    ids = ofIds(statement<[string], Id>(db, 'SELECT id FROM customers WHERE email = ?').all(value));
  } else {
    const words = value.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    if (words.length === 0) return [];
    const query = words.map((w) => `"${w}"`).join(' AND ');
    ids = ofIds(statement<[string, number], Id>(db, 'SELECT -rowid AS id FROM search_fts WHERE search_fts MATCH ? AND rowid < 0 LIMIT ?').all(query, MAX_FILTER_CUSTOMERS + 1));
  }
  if (ids.length > MAX_FILTER_CUSTOMERS) issues.push({ path: 'q', message: `customer:${value} names more than ${MAX_FILTER_CUSTOMERS} customers; be more specific` });
  return ids;
}

export function caseConditions(services: Services, principal: Principal, filters: Filters, issues: FieldIssue[]): CaseConditions {
  const sql: string[] = [];
  const params: unknown[] = [];
  let narrowing: Narrowing | null = null;
  const seen = visibility(principal);
  if (seen.sql) {
    sql.push(seen.sql);
    params.push(...seen.params);
  }
  const customer = principal.actor.role === 'customer';
  if (customer) {
    for (const key of ['status', 'queue', 'assignee', 'tag', 'customer'] as const) {
      if (filters[key].length > 0) issues.push({ path: 'q', message: `${key}: is not a filter for customers` });
    }
  } else {
    if (filters.status.length > 0) {
      const known = stateNames(services);
      for (const s of filters.status) if (!known.has(s)) issues.push({ path: 'q', message: `status:${s} — no such state (${[...known].join(', ')})` });
      sql.push(`lower(c.status) ${IN_LIST}`);
      params.push(JSON.stringify(filters.status));
    }
    if (filters.queue.length > 0) {
      const known = new Set(statement<[], { id: string }>(services.db, 'SELECT lower(id) AS id FROM queues').all().map((r) => r.id));
      for (const q of filters.queue) if (!known.has(q)) issues.push({ path: 'q', message: `queue:${q} — no such queue` });
      sql.push(`lower(c.queue_id) ${IN_LIST}`);
      params.push(JSON.stringify(filters.queue));
      // An agent filtering by queues they do not work sees only their own cases there: few.
      const own = [...principal.queues].map((q) => q.toLowerCase());
      if (!isManagerRole(principal.actor.role) && !filters.queue.some((q) => own.includes(q))) {
        narrowing = { sql: `SELECT id FROM cases WHERE assignee_id = ? AND lower(queue_id) ${IN_LIST}`, params: [principal.staffId ?? -1, JSON.stringify(filters.queue)] };
      }
    }
    if (filters.assignee.length > 0) {
      const ids: number[] = [];
      let none = false;
      for (const a of filters.assignee) {
        if (a === 'none') none = true;
        else if (a === 'me') {
          if (principal.staffId === null) issues.push({ path: 'q', message: 'assignee:me needs a staff account' });
          ids.push(principal.staffId ?? -1);
        } else {
          const id = statement<[string], Id>(services.db, 'SELECT id FROM staff WHERE email = ?').get(a)?.id;
          if (id === undefined) issues.push({ path: 'q', message: `assignee:${a} — use me, none or a staff email address` });
          ids.push(id ?? -1);
        }
      }
      sql.push(`(c.assignee_id ${IN_LIST} OR (? AND c.assignee_id IS NULL))`);
      params.push(JSON.stringify(ids), none ? 1 : 0);
      if (!none) narrowing = { sql: `SELECT id FROM cases WHERE assignee_id ${IN_LIST}`, params: [JSON.stringify(ids)] };
    }
    if (filters.tag.length > 0) {
      sql.push(`EXISTS (SELECT 1 FROM json_each(c.tags) t WHERE lower(t.value) ${IN_LIST})`);
      params.push(JSON.stringify(filters.tag));
    }
    if (filters.customer.length > 0) {
      const ids = [...new Set(filters.customer.flatMap((v) => customersNamed(services, v, issues)))];
      sql.push(`c.customer_id ${IN_LIST}`);
      params.push(JSON.stringify(ids));
      narrowing = { sql: `SELECT id FROM cases WHERE customer_id ${IN_LIST}`, params: [JSON.stringify(ids)] };
    }
  }
  if (filters.created.length > 0) {
    // Every created: condition holds at once: their intersection.
    const from = Math.max(...filters.created.map((r) => r.from ?? Number.MIN_SAFE_INTEGER));
    const to = Math.min(...filters.created.map((r) => r.to ?? Number.MAX_SAFE_INTEGER));
    sql.push('c.created_at >= ? AND c.created_at < ?');
    params.push(from, to);
  }
  const filtered = sql.length > (seen.sql ? 1 : 0);
  if (customer) narrowing = { sql: 'SELECT id FROM cases WHERE customer_id = ?', params: [principal.customerId ?? -1] };
  else if (narrowing === null && principal.queues.size === 0 && !isManagerRole(principal.actor.role)) {
    narrowing = { sql: 'SELECT id FROM cases WHERE assignee_id = ?', params: [principal.staffId ?? -1] };
  }
  return { sql, params, notes: !customer, filtered, narrowing };
}
