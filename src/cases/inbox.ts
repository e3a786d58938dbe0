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
import { and, asc, count, eq, inArray, isNull, lte, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { PRIORITIES, type slaTimers } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Principal } from '../http/types.js';
import { isManagerRole } from '../roles.js';
import type { Services } from '../services.js';
import type { CaseRow } from './case-view.js';
import { mayBeLeftMessage, unverifiedLeftMessages } from './chat-identity.js';
import { normalizeTag } from './case-changes.js';
import { COUNT_CAP, inboxSql } from './inbox/queries.js';

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

/** Cases on one inbox page unless `limit` says otherwise. */
export const INBOX_PAGE_SIZE = 25;

export const inboxQuerySchema = z.object({
  view: z.enum(INBOX_VIEWS).default('mine'),
  queue: optionalText,
  status: optionalText,
  priority: z
    .union([z.enum(PRIORITIES), z.literal('')])
    .optional()
    .transform((v) => (v === '' ? undefined : v)),
  // Read as tags are stored (lower case, no leading '#', spaces as '-'): `VIP`, `#vip` find the cases tagged vip.
  tag: optionalText.transform((v) => (v === undefined ? undefined : normalizeTag(v) || undefined)),
  cursor: optionalText,
  limit: z.coerce.number().int().min(1).max(100).default(INBOX_PAGE_SIZE),
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
function branches(q: Handle, principal: Principal, view: InboxView, queueFilter: string | undefined): SQL[] {
  const { cases } = q.tables;
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

function filters(q: Handle, services: Services, view: InboxView, query: InboxFilters): SQL[] {
  const { cases } = q.tables;
  const out: SQL[] = [eq(cases.open, true)];
  if (view === 'breaching') out.push(lte(cases.slaDueAt, services.clock.now() + BREACHING_SOON_MS));
  if (query.queue) out.push(eq(cases.queueId, query.queue));
  if (query.status) out.push(eq(cases.status, query.status));
  if (query.priority) out.push(eq(cases.priority, query.priority));
  if (query.tag) out.push(inboxSql(q).hasTag(q, query.tag));
  return out;
}

/** One query per branch, each reading its index in (sla_due_at, id) order (exported for plan tests). */
export function inboxQueries(q: Handle, services: Services, principal: Principal, query: InboxQuery) {
  assertView(principal, query.view);
  const { cases } = q.tables;
  const common = filters(q, services, query.view, query);
  if (query.cursor) {
    const after = decodeInboxCursor(query.cursor);
    common.push(sql`(${cases.slaDueAt}, ${cases.id}) > (${after.slaDueAt}, ${after.id})`);
  }
  return branches(q, principal, query.view, query.queue).map((branch) =>
    q.db
      .select()
      .from(cases)
      .where(and(branch, ...common))
      .orderBy(asc(cases.slaDueAt), asc(cases.id))
      .limit(query.limit + 1),
  );
}

export function inboxPage(services: Services, principal: Principal, query: InboxQuery): Promise<InboxPage> {
  return services.store.query((q) => inboxPageOn(q, services, principal, query));
}

async function inboxPageOn(q: Handle, services: Services, principal: Principal, query: InboxQuery): Promise<InboxPage> {
  const seen = new Map<number, CaseRow>();
  for (const branch of inboxQueries(q, services, principal, query)) {
    for (const row of await branch) seen.set(row.id, row);
  }
  const merged = [...seen.values()].sort((a, b) => a.slaDueAt - b.slaDueAt || a.id - b.id).slice(0, query.limit + 1);
  const page = merged.slice(0, query.limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: merged.length > query.limit && last ? encodeInboxCursor(last) : null };
}

/**
 * Sidebar counts stop at COUNT_CAP: counting is O(rows), and past a thousand open cases the
 * exact number helps nobody while costing tens of milliseconds on every page over a large
 * store. The views show it as "1,000+".
 */
export { COUNT_CAP };

/** How many open cases each view holds (no filters), for the sidebar; at most COUNT_CAP. */
export function inboxCounts(services: Services, principal: Principal): Promise<InboxCounts> {
  return services.store.query((q) => inboxCountsOn(q, services, principal));
}

async function inboxCountsOn(q: Handle, services: Services, principal: Principal): Promise<InboxCounts> {
  const { cases } = q.tables;
  const out: InboxCounts = {};
  const countWhere = async (where: SQL | undefined) => {
    const [row] = await q.db.select({ n: count() }).from(q.db.select({ one: sql`1` }).from(cases).where(where).limit(COUNT_CAP).as('capped'));
    return row!.n;
  };
  const manager = isManagerRole(principal.actor.role);
  const queues = [...principal.queues];
  const open = eq(cases.open, true);
  const me = eq(cases.assigneeId, principal.staffId ?? -1);
  const soon = lte(cases.slaDueAt, services.clock.now() + BREACHING_SOON_MS);
  for (const view of viewsFor(principal)) {
    switch (view) {
      case 'mine':
        out.mine = await countWhere(and(open, me));
        break;
      case 'queues':
        out.queues = manager
          ? await countWhere(and(open, isNull(cases.assigneeId)))
          : queues.length === 0
            ? 0
            : await countWhere(and(open, isNull(cases.assigneeId), inArray(cases.queueId, queues)));
        break;
      case 'breaching':
        out.breaching = manager
          ? await countWhere(and(open, soon))
          : await inboxSql(q).breachingCount(q, queues, principal.staffId ?? -1, services.clock.now() + BREACHING_SOON_MS);
        break;
      case 'all':
        out.all = await countWhere(open);
        break;
    }
  }
  return out;
}

/**
 * How many open cases a view with filters holds (a saved view's count), at most COUNT_CAP:
 * the view's index-aligned branches with the filters, merged by UNION, in one query.
 */
export async function inboxCount(q: Handle, services: Services, principal: Principal, query: InboxFilters): Promise<number> {
  assertView(principal, query.view);
  const { cases } = q.tables;
  const common = filters(q, services, query.view, query);
  const selects = branches(q, principal, query.view, query.queue).map((branch) => q.db.select({ id: cases.id }).from(cases).where(and(branch, ...common)));
  const [first, ...rest] = selects;
  if (!first) return 0;
  let merged = first.$dynamic();
  for (const next of rest) merged = merged.union(next).$dynamic();
  const [row] = await q.db.select({ n: count() }).from(merged.limit(COUNT_CAP).as('capped'));
  return row!.n;
}

export interface InboxRow {
  case: CaseRow;
  customerName: string;
  assigneeName: string | null;
  timers: (typeof slaTimers.$inferSelect)[];
  /** A chat case whose visitor only typed the customer's address, or such a left message (chat-identity.ts). */
  chatUnverified: boolean;
}

/** Names and SLA timers for a page of cases, in four queries. */
export function describeRows(services: Services, rows: readonly CaseRow[]): Promise<InboxRow[]> {
  if (rows.length === 0) return Promise.resolve([]);
  return services.store.query(async (q) => {
    const { customers, staff, slaTimers, chatSessions } = q.tables;
    const customerIds = [...new Set(rows.map((r) => r.customerId))];
    const staffIds = [...new Set(rows.flatMap((r) => (r.assigneeId === null ? [] : [r.assigneeId])))];
    const customerNames = new Map((await q.db.select({ id: customers.id, name: customers.name }).from(customers).where(inArray(customers.id, customerIds))).map((c) => [c.id, c.name]));
    const staffNames = new Map(staffIds.length ? (await q.db.select({ id: staff.id, name: staff.name }).from(staff).where(inArray(staff.id, staffIds))).map((s) => [s.id, s.name]) : []);
    const timers = await q.db
      .select()
      .from(slaTimers)
      .where(inArray(slaTimers.caseId, rows.map((r) => r.id)))
      .orderBy(asc(slaTimers.id));
    // Chat cases whose visitor the site did not identify (chat-identity.ts): only typed the customer's address.
    const chats = rows.filter((r) => r.channel === 'chat').map((r) => r.id);
    const unverified = new Set(
      chats.length === 0
        ? []
        : (await q.db.selectDistinct({ caseId: chatSessions.caseId }).from(chatSessions).where(and(eq(chatSessions.verified, false), inArray(chatSessions.caseId, chats)))).map((r) => r.caseId),
    );
    // And messages left in the chat window (answered by mail) whose typed address no agent confirmed yet.
    for (const id of await unverifiedLeftMessages(q, rows.filter(mayBeLeftMessage).map((r) => r.id))) unverified.add(id);
    return rows.map((row) => ({
      case: row,
      customerName: customerNames.get(row.customerId) ?? '',
      assigneeName: row.assigneeId === null ? null : (staffNames.get(row.assigneeId) ?? null),
      timers: timers.filter((t) => t.caseId === row.id),
      chatUnverified: unverified.has(row.id),
    }));
  });
}
