/**
 * The agent inbox: open cases ordered by SLA due time (cases without a running SLA clock
 * last), with keyset pagination on (sla_due_at, id) and the counts for the sidebar.
 *
 * Each view is a union of *branches* whose filter is an index prefix followed by
 * (sla_due_at, id), so every branch reads its index in order and stops after one page:
 * - mine: `assignee_id = me` → cases_assignee_open_due_idx
 * - queues (unassigned): one branch per queue of the agent → cases_queue_open_due_idx;
 *   managers and admins: every unassigned case → cases_open_due_idx
 * - breaching (due within BREACHING_SOON_MS or overdue): the agent's queues and their own
 *   cases; managers and admins: everything → cases_open_due_idx
 * - all (managers and admins): every open case → cases_open_due_idx
 * Branch results are merged, de-duplicated and cut to one page in memory.
 */
import { and, asc, count, eq, inArray, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import { union } from 'drizzle-orm/sqlite-core';
import { z } from 'zod';
import { statement } from '../db/fast.js';
import { cases, customers, PRIORITIES, slaTimers, staff } from '../db/schema/index.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Principal } from '../http/types.js';
import { isManagerRole } from '../roles.js';
import type { Services } from '../services.js';
import type { CaseRow } from './case-view.js';
import { unverifiedChatCases } from './chat-identity.js';

export const INBOX_VIEWS = ['mine', 'queues', 'breaching', 'all'] as const;
export type InboxView = (typeof INBOX_VIEWS)[number];

/** "Breaching soon": the earliest SLA due time is at most this far away (or passed). */
export const BREACHING_SOON_MS = 2 * 3_600_000;

const optionalText = z
  .string()
  .trim()
  .max(64)
  .optional()
  .transform((v) => (v === '' ? undefined : v));

export const inboxQuerySchema = z.object({
  view: z.enum(INBOX_VIEWS).default('mine'),
  queue: optionalText,
  status: optionalText,
  priority: z
    .union([z.enum(PRIORITIES), z.literal('')])
    .optional()
    .transform((v) => (v === '' ? undefined : v)),
  tag: optionalText,
  cursor: optionalText,
  limit: z.coerce.number().int().min(1).max(100).default(25),
});
export type InboxQuery = z.infer<typeof inboxQuerySchema>;
/** A view and its filters, without paging (a saved view, a count). */
export type InboxFilters = Pick<InboxQuery, 'view'> & Partial<Omit<InboxQuery, 'view' | 'cursor' | 'limit'>>;

export interface InboxPage {
  rows: CaseRow[];
  nextCursor: string | null;
}

export type InboxCounts = Partial<Record<InboxView, number>>;

export function encodeInboxCursor(row: Pick<CaseRow, 'slaDueAt' | 'id'>): string {
  return Buffer.from(`${row.slaDueAt}:${row.id}`).toString('base64url');
}

export function decodeInboxCursor(cursor: string): { slaDueAt: number; id: number } {
  const match = /^(\d{1,16}):(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new ValidationError([{ path: 'cursor', message: 'not a cursor from a previous page' }]);
  return { slaDueAt: Number(match[1]), id: Number(match[2]) };
}

/** The views `principal` may open, in sidebar order. */
export function viewsFor(principal: Principal): InboxView[] {
  if (principal.actor.role === 'customer') return [];
  return isManagerRole(principal.actor.role) ? ['mine', 'queues', 'breaching', 'all'] : ['mine', 'queues', 'breaching'];
}

function assertView(principal: Principal, view: InboxView): void {
  if (!viewsFor(principal).includes(view)) throw new DomainError('FORBIDDEN', `The "${view}" view is for managers.`);
}

/** Index-aligned branches of a view (without `open`, the due-time window and filters). */
function branches(principal: Principal, view: InboxView, queueFilter: string | undefined): SQL[] {
  const me = eq(cases.assigneeId, principal.staffId ?? -1);
  const manager = isManagerRole(principal.actor.role);
  const everything = sql`1 = 1`;
  const queues = [...principal.queues].filter((q) => queueFilter === undefined || q === queueFilter);
  switch (view) {
    case 'mine':
      return [me];
    case 'queues':
      return manager ? [isNull(cases.assigneeId)] : queues.map((q) => and(eq(cases.queueId, q), isNull(cases.assigneeId))!);
    case 'breaching':
      return manager ? [everything] : [...queues.map((q) => eq(cases.queueId, q)), me];
    case 'all':
      return [everything];
  }
}

function filters(services: Services, view: InboxView, query: InboxFilters): SQL[] {
  const out: SQL[] = [eq(cases.open, true)];
  if (view === 'breaching') out.push(lte(cases.slaDueAt, services.clock.now() + BREACHING_SOON_MS));
  if (query.queue) out.push(eq(cases.queueId, query.queue));
  if (query.status) out.push(eq(cases.status, query.status));
  if (query.priority) out.push(eq(cases.priority, query.priority));
  if (query.tag) out.push(sql`exists (select 1 from json_each(${cases.tags}) where json_each.value = ${query.tag})`);
  return out;
}

/** One query per branch, each reading its index in (sla_due_at, id) order (exported for plan tests). */
export function inboxQueries(services: Services, principal: Principal, query: InboxQuery) {
  assertView(principal, query.view);
  const common = filters(services, query.view, query);
  if (query.cursor) {
    const after = decodeInboxCursor(query.cursor);
    common.push(sql`(${cases.slaDueAt}, ${cases.id}) > (${after.slaDueAt}, ${after.id})`);
  }
  return branches(principal, query.view, query.queue).map((branch) =>
    services.db
      .select()
      .from(cases)
      .where(and(branch, ...common))
      .orderBy(asc(cases.slaDueAt), asc(cases.id))
      .limit(query.limit + 1),
  );
}

export function inboxPage(services: Services, principal: Principal, query: InboxQuery): InboxPage {
  const seen = new Map<number, CaseRow>();
  for (const q of inboxQueries(services, principal, query)) {
    for (const row of q.all()) seen.set(row.id, row);
  }
  const merged = [...seen.values()].sort((a, b) => a.slaDueAt - b.slaDueAt || a.id - b.id).slice(0, query.limit + 1);
  const page = merged.slice(0, query.limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: merged.length > query.limit && last ? encodeInboxCursor(last) : null };
}

/**
 * Sidebar counts stop at this many: counting is O(rows), and past a thousand open cases the
 * exact number helps nobody while costing tens of milliseconds on every page over a large
 * store. The views show it as "1,000+".
 */
export const COUNT_CAP = 1000;

/** How many open cases each view holds (no filters), for the sidebar; at most COUNT_CAP. */
export function inboxCounts(services: Services, principal: Principal): InboxCounts {
  const out: InboxCounts = {};
  const countWhere = (where: SQL | undefined) =>
    services.db
      .select({ n: count() })
      .from(services.db.select({ one: sql`1` }).from(cases).where(where).limit(COUNT_CAP).as('capped'))
      .get()!.n;
  const manager = isManagerRole(principal.actor.role);
  const queues = [...principal.queues];
  const open = eq(cases.open, true);
  const me = eq(cases.assigneeId, principal.staffId ?? -1);
  const soon = lte(cases.slaDueAt, services.clock.now() + BREACHING_SOON_MS);
  for (const view of viewsFor(principal)) {
    switch (view) {
      case 'mine':
        out.mine = countWhere(and(open, me));
        break;
      case 'queues':
        out.queues = manager
          ? countWhere(and(open, isNull(cases.assigneeId)))
          : queues.length === 0
            ? 0
            : countWhere(and(open, isNull(cases.assigneeId), inArray(cases.queueId, queues)));
        break;
      case 'breaching':
        out.breaching = manager ? countWhere(and(open, soon)) : breachingCount(services, principal, queues);
        break;
      case 'all':
        out.all = countWhere(open);
        break;
    }
  }
  return out;
}

/**
 * How many open cases a view with filters holds (a saved view's count), at most COUNT_CAP:
 * the view's index-aligned branches with the filters, merged by UNION, in one query.
 */
export function inboxCount(services: Services, principal: Principal, query: InboxFilters): number {
  assertView(principal, query.view);
  const common = filters(services, query.view, query);
  const selects = branches(principal, query.view, query.queue).map((branch) => services.db.select({ id: cases.id }).from(cases).where(and(branch, ...common)));
  const [first, second, ...rest] = selects;
  if (!first) return 0;
  const merged = second ? union(first, second, ...rest).limit(COUNT_CAP) : first.limit(COUNT_CAP);
  return services.db.select({ n: count() }).from(merged.as('capped')).get()!.n;
}

/**
 * An agent's "breaching soon": one branch per queue plus their own cases, each read from its
 * covering (queue|assignee, open, sla_due_at, id) index, merged by UNION — an OR over the
 * columns would read every due case's row instead.
 */
function breachingCount(services: Services, principal: Principal, queues: string[]): number {
  const branch = (column: 'queue_id' | 'assignee_id') => `SELECT id FROM cases WHERE ${column} = ? AND open = 1 AND sla_due_at <= ?`;
  const sqlText = `SELECT count(*) AS n FROM (${[...queues.map(() => branch('queue_id')), branch('assignee_id')].join(' UNION ')} LIMIT ${COUNT_CAP})`;
  const soon = services.clock.now() + BREACHING_SOON_MS;
  const params = [...queues.flatMap((q) => [q, soon]), principal.staffId ?? -1, soon];
  return statement<unknown[], { n: number }>(services.db, sqlText).get(...params)!.n;
}

export interface InboxRow {
  case: CaseRow;
  customerName: string;
  assigneeName: string | null;
  timers: (typeof slaTimers.$inferSelect)[];
  /** A chat case whose visitor only typed the customer's address (chat-identity.ts). */
  chatUnverified: boolean;
}

/** Names and SLA timers for a page of cases, in three queries. */
export function describeRows(services: Services, rows: readonly CaseRow[]): InboxRow[] {
  if (rows.length === 0) return [];
  const { db } = services;
  const customerIds = [...new Set(rows.map((r) => r.customerId))];
  const staffIds = [...new Set(rows.flatMap((r) => (r.assigneeId === null ? [] : [r.assigneeId])))];
  const customerNames = new Map(db.select({ id: customers.id, name: customers.name }).from(customers).where(inArray(customers.id, customerIds)).all().map((c) => [c.id, c.name]));
  const staffNames = new Map(
    staffIds.length ? db.select({ id: staff.id, name: staff.name }).from(staff).where(inArray(staff.id, staffIds)).all().map((s) => [s.id, s.name]) : [],
  );
  const timers = db
    .select()
    .from(slaTimers)
    .where(inArray(slaTimers.caseId, rows.map((r) => r.id)))
    .orderBy(asc(slaTimers.id))
    .all();
  const unverified = unverifiedChatCases(db, rows.filter((r) => r.channel === 'chat').map((r) => r.id));
  return rows.map((row) => ({
    case: row,
    customerName: customerNames.get(row.customerId) ?? '',
    assigneeName: row.assigneeId === null ? null : (staffNames.get(row.assigneeId) ?? null),
    timers: timers.filter((t) => t.caseId === row.id),
    chatUnverified: unverified.has(row.id),
  }));
}

