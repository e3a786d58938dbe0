/**
 * The conditions a case must meet to be a result: the caller's visibility (the same rules as
 * src/cases/access.ts) and the query's filters, resolved to values (ids, lower-cased names,
 * a time range). Filter values are checked here (an unknown queue, state or person is a 422,
 * not an empty page); customers may filter by `created:` only — the others are internal
 * fields. The dialect's search queries (sqlite.ts / pg.ts) turn them into SQL over `cases c`.
 */
import { eq, sql } from 'drizzle-orm';
import { PRIORITIES } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import type { FieldIssue } from '../errors.js';
import type { Principal } from '../http/types.js';
import { isManagerRole } from '../roles.js';
import type { Services } from '../services.js';
import type { Filters } from './parse-query.js';
import { searchQueries } from './queries.js';

/** Who sees which cases (src/cases/access.ts). */
export type Visibility =
  | { kind: 'all' }
  | { kind: 'customer'; customerId: number }
  /** An agent: the cases of their queues and those assigned to them. */
  | { kind: 'staff'; queues: string[]; staffId: number }
  | { kind: 'none' };

/** A set of few cases a search is narrowed to (read inside the index scan). */
export type Narrowing =
  | { kind: 'customer'; customerId: number }
  | { kind: 'assignee'; staffId: number }
  | { kind: 'assignees'; ids: number[] }
  /** An agent filtering by queues they do not work: their own cases there. */
  | { kind: 'assigned-in-queues'; staffId: number; queues: string[] }
  | { kind: 'customers'; ids: number[] };

export interface CaseConditions {
  visibility: Visibility;
  /** Lower-cased state names, or null without the filter. */
  status: string[] | null;
  /** Lower-cased queue ids. */
  queue: string[] | null;
  assignee: { ids: number[]; none: boolean } | null;
  /** Lower-cased tags: any of them. */
  tag: string[] | null;
  /** Priorities: any of them. */
  priority: string[] | null;
  customer: number[] | null;
  /** `from` inclusive, `to` exclusive. */
  created: { from: number; to: number } | null;
  /** Customers see no internal notes. */
  notes: boolean;
  /** Whether a filter was given (beyond visibility). */
  filtered: boolean;
  /** A set of few cases the results must be among (own cases, `assignee:`, `customer:`), or null. */
  narrowing: Narrowing | null;
}

/** Most customers a `customer:` filter may stand for. */
export const MAX_FILTER_CUSTOMERS = 1000;

/** Visibility of cases to `principal`, as in src/cases/access.ts and list-cases.ts. */
export function visibility(principal: Principal): Visibility {
  const { actor } = principal;
  if (actor.role === 'customer') return { kind: 'customer', customerId: principal.customerId ?? -1 };
  if (isManagerRole(actor.role)) return { kind: 'all' };
  if (actor.role === 'agent' || actor.role === 'advanced') return { kind: 'staff', queues: [...principal.queues], staffId: principal.staffId ?? -1 };
  return { kind: 'none' };
}

/**
 * What a value may name, lower-cased → the lower-cased ids it stands for: each id itself, and
 * the name people see in the pages (a state's label, a queue's name) when no id is spelt so.
 * `status:"Pending customer"` is `status:pending`, `queue:"Tier 2 EMEA"` the queue `tier2-emea`.
 */
function namedIds(items: { id: string; name: string | undefined }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { id } of items) out.set(id.toLowerCase(), [id.toLowerCase()]);
  const byName = new Map<string, Set<string>>();
  for (const { id, name } of items) {
    const key = name?.trim().toLowerCase();
    if (key && !out.has(key)) byName.set(key, (byName.get(key) ?? new Set()).add(id.toLowerCase()));
  }
  for (const [key, ids] of byName) out.set(key, [...ids]);
  return out;
}

function stateNames(services: Services): Map<string, string[]> {
  const states: { id: string; name: string | undefined }[] = [];
  for (const workflow of services.definitions.names('workflow')) {
    for (const [id, state] of Object.entries(services.definitions.workflow(workflow).definition.states)) states.push({ id, name: state.label });
  }
  return namedIds(states);
}

/** The ids `values` name, with an issue for each value that names none. */
function resolveNamed(values: readonly string[], known: Map<string, string[]>, unknown: (value: string) => string, issues: FieldIssue[]): string[] {
  const ids = new Set<string>();
  for (const value of values) {
    const found = known.get(value.trim().toLowerCase());
    if (found) for (const id of found) ids.add(id);
    else issues.push({ path: 'q', message: unknown(value) });
  }
  return [...ids];
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** Customers a `customer:` value names: an email, `@domain`, or words of a name or organization. */
async function customersNamed(q: Handle, value: string, issues: FieldIssue[]): Promise<number[]> {
  const { customers } = q.tables;
  let ids: number[];
  if (value.startsWith('@')) {
    // lower() on both sides: LIKE is case-insensitive (ASCII) on SQLite, not on PostgreSQL.
    const rows = await q.all<{ id: number }>(
      sql`SELECT id FROM customers WHERE lower(email) LIKE lower(${`%${escapeLike(value)}`}) ESCAPE '\\' LIMIT ${MAX_FILTER_CUSTOMERS + 1}`,
    );
    ids = rows.map((r) => Number(r.id));
  } else if (value.includes('@')) {
    ids = (await q.db.select({ id: customers.id }).from(customers).where(eq(customers.email, value))).map((r) => r.id);
  } else {
    const words = value.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    if (words.length === 0) return [];
    ids = await searchQueries(q).customersMatching(q, { terms: words.map((text) => ({ text, phrase: false })), excluded: [] }, MAX_FILTER_CUSTOMERS + 1);
  }
  if (ids.length > MAX_FILTER_CUSTOMERS) issues.push({ path: 'q', message: `customer:${value} names more than ${MAX_FILTER_CUSTOMERS} customers; be more specific` });
  return ids;
}

export async function caseConditions(q: Handle, services: Services, principal: Principal, filters: Filters, issues: FieldIssue[]): Promise<CaseConditions> {
  const seen = visibility(principal);
  const out: CaseConditions = { visibility: seen, status: null, queue: null, assignee: null, tag: null, priority: null, customer: null, created: null, notes: true, filtered: false, narrowing: null };
  const customer = principal.actor.role === 'customer';
  if (customer) {
    for (const key of ['status', 'queue', 'assignee', 'tag', 'priority', 'customer'] as const) {
      if (filters[key].length > 0) issues.push({ path: 'q', message: `${key}: is not a filter for customers` });
    }
  } else {
    if (filters.status.length > 0) {
      const known = stateNames(services);
      const names = [...new Set([...known.values()].flat())];
      out.status = resolveNamed(filters.status, known, (s) => `status:${s} — no such state (${names.join(', ')})`, issues);
    }
    if (filters.queue.length > 0) {
      const known = namedIds(await q.db.select({ id: q.tables.queues.id, name: q.tables.queues.name }).from(q.tables.queues));
      out.queue = resolveNamed(filters.queue, known, (name) => `queue:${name} — no such queue`, issues);
      // An agent filtering by queues they do not work sees only their own cases there: few.
      const own = [...principal.queues].map((name) => name.toLowerCase());
      if (!isManagerRole(principal.actor.role) && !out.queue.some((name) => own.includes(name))) {
        out.narrowing = { kind: 'assigned-in-queues', staffId: principal.staffId ?? -1, queues: out.queue };
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
          const [row] = await q.db.select({ id: q.tables.staff.id }).from(q.tables.staff).where(eq(q.tables.staff.email, a)).limit(1);
          if (row === undefined) issues.push({ path: 'q', message: `assignee:${a} — use me, none or a staff email address` });
          ids.push(row?.id ?? -1);
        }
      }
      out.assignee = { ids, none };
      if (!none) out.narrowing = { kind: 'assignees', ids };
    }
    if (filters.tag.length > 0) out.tag = filters.tag;
    if (filters.priority.length > 0) {
      for (const value of filters.priority) if (!(PRIORITIES as readonly string[]).includes(value)) issues.push({ path: 'q', message: `priority:${value} — use ${PRIORITIES.join(', ')}` });
      out.priority = filters.priority;
    }
    if (filters.customer.length > 0) {
      const ids: number[] = [];
      for (const value of filters.customer) ids.push(...(await customersNamed(q, value, issues)));
      out.customer = [...new Set(ids)];
      out.narrowing = { kind: 'customers', ids: out.customer };
    }
  }
  if (filters.created.length > 0) {
    // Every created: condition holds at once: their intersection.
    const from = Math.max(...filters.created.map((r) => r.from ?? Number.MIN_SAFE_INTEGER));
    const to = Math.min(...filters.created.map((r) => r.to ?? Number.MAX_SAFE_INTEGER));
    out.created = { from, to };
  }
  out.filtered = out.status !== null || out.queue !== null || out.assignee !== null || out.tag !== null || out.priority !== null || out.customer !== null || out.created !== null;
  out.notes = !customer;
  if (customer) out.narrowing = { kind: 'customer', customerId: principal.customerId ?? -1 };
  else if (out.narrowing === null && principal.queues.size === 0 && !isManagerRole(principal.actor.role)) {
    out.narrowing = { kind: 'assignee', staffId: principal.staffId ?? -1 };
  }
  return out;
}
