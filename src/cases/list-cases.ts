/**
 * Listing cases for API clients, newest first, with keyset pagination (`cursor` is the
 * last id of the previous page, opaque to clients) and the caller's visibility applied.
 * With `updatedSince` (or a sync cursor) it is an incremental sync instead: the cases in the
 * order they last changed (`change_seq`, numbered by a database trigger in commit order), so
 * paging never skips or repeats one (docs/api.md, *Incremental sync*).
 */
import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Handle } from '../db/store/index.js';
import { ValidationError, type FieldIssue } from '../errors.js';
import type { Principal } from '../http/types.js';
import { isManagerRole } from '../roles.js';
import type { Services } from '../services.js';
import type { CaseRow } from './case-view.js';

export const listCasesSchema = z.strictObject({
  queue: z.string().min(1).max(64).optional(),
  status: z.string().min(1).max(64).optional(),
  assignee: z.union([z.literal('me'), z.literal('none'), z.coerce.number().int().positive()]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(64).optional(),
  updatedSince: z
    .preprocess(
      // `+01:00` sent unencoded in a query arrives as ` 01:00`: take it as meant.
      (v) => (typeof v === 'string' ? v.replace(/ (\d\d:?\d\d)$/, '+$1') : v),
      z.iso.datetime({ offset: true, message: 'not an ISO 8601 instant with Z or an offset (e.g. 2026-03-02T09:00:00Z)' }),
    )
    .transform((v) => Date.parse(v))
    .optional()
    .meta({
      description:
        'Incremental sync: the cases whose last change (`updatedAt`) is at or after this instant, in the order they changed (oldest change first), with `syncCursor` in the answer. ISO 8601 with `Z` or an offset.',
      examples: ['2026-03-02T09:00:00Z'],
    }),
});
export type ListCasesQuery = z.infer<typeof listCasesSchema>;

export function encodeCursor(id: number): string {
  return Buffer.from(`id:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const match = /^id:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new ValidationError([{ path: 'cursor', message: 'not a cursor from a previous page' }]);
  return Number(match[1]);
}

/** A sync cursor: the `change_seq` of the last case handed out. */
export function encodeSyncCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`).toString('base64url');
}

/** The sync position a cursor names, or null for a cursor of the newest-first list. */
function syncPosition(cursor: string | undefined): number | null {
  if (cursor === undefined) return null;
  const match = /^seq:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : null;
}

/** SQL for the cases `principal` may see. */
export function visibleTo(q: Handle, principal: Principal): SQL | undefined {
  const { cases } = q.tables;
  const { actor } = principal;
  if (actor.role === 'customer') return eq(cases.customerId, principal.customerId ?? -1);
  if (isManagerRole(actor.role)) return undefined;
  const own = eq(cases.assigneeId, principal.staffId ?? -1);
  return principal.queues.size > 0 ? or(inArray(cases.queueId, [...principal.queues]), own) : own;
}

/**
 * Customers list their own cases without filters on internals: a filter by queue, assignee
 * or internal state would tell them where their cases are, so it is refused (422).
 */
function assertCustomerFilters(principal: Principal, query: ListCasesQuery): void {
  if (principal.actor.type !== 'customer') return;
  // The sync order follows every change, internal ones too: it would tell them when staff
  // worked on their case although their `updatedAt` did not move.
  const issues = (['queue', 'status', 'assignee', 'updatedSince'] as const).filter((key) => query[key] !== undefined).map((path) => ({ path, message: 'not a filter for customers' }));
  if (issues.length > 0) throw new ValidationError(issues, `Customers may not filter by ${issues.map((i) => i.path).join(', ')}.`);
}

/**
 * A filter naming a queue or state that does not exist, or `assignee=me` without a staff
 * account, is a 422 naming it (as in search), not an empty page: a typo (`status=Open`)
 * would otherwise read as "no cases".
 */
async function assertKnownFilters(q: Handle, services: Services, principal: Principal, query: ListCasesQuery): Promise<void> {
  const issues: FieldIssue[] = [];
  if (query.queue !== undefined) {
    const [row] = await q.db.select({ id: q.tables.queues.id }).from(q.tables.queues).where(eq(q.tables.queues.id, query.queue)).limit(1);
    if (!row) issues.push({ path: 'queue', message: `no queue "${query.queue}"` });
  }
  if (query.status !== undefined) {
    const states = new Set<string>();
    // Every version's states: a case keeps the workflow version it started with.
    for (const name of services.definitions.names('workflow')) {
      for (const row of services.definitions.history('workflow', name)) {
        const body = row.body as { states?: unknown } | null;
        if (body && typeof body.states === 'object' && body.states !== null) for (const state of Object.keys(body.states)) states.add(state);
      }
    }
    if (!states.has(query.status)) issues.push({ path: 'status', message: `no state "${query.status}" (states: ${[...states].join(', ')})` });
  }
  if (query.assignee === 'me' && principal.staffId === null) issues.push({ path: 'assignee', message: 'me needs a staff account' });
  if (issues.length > 0) throw new ValidationError(issues);
}

export async function listCases(services: Services, principal: Principal, query: ListCasesQuery) {
  assertCustomerFilters(principal, query);
  // A sync reads in one snapshot: a page that found nothing hands on the position of the last
  // change there is (startOfSync), and read by a statement of its own that position could
  // include a change committed after the page was read (PostgreSQL, another instance's
  // command), which the next sync would then start after and never hand out.
  const sync = query.updatedSince !== undefined || syncPosition(query.cursor) !== null;
  const within = <T>(fn: (q: Handle) => Promise<T>): Promise<T> => (sync ? services.store.read(fn) : services.store.query(fn));
  return within(async (q) => {
    await assertKnownFilters(q, services, principal, query);
    return listCasesOn(q, principal, query);
  });
}

export interface CasePage {
  rows: CaseRow[];
  nextCursor: string | null;
  /** Sync only: where the next sync starts (send it as `cursor`), even on the last page. */
  syncCursor?: string;
}

async function listCasesOn(q: Handle, principal: Principal, query: ListCasesQuery): Promise<CasePage> {
  const { cases } = q.tables;
  const filters: (SQL | undefined)[] = [visibleTo(q, principal)];
  if (query.queue) filters.push(eq(cases.queueId, query.queue));
  if (query.status) filters.push(eq(cases.status, query.status));
  if (query.assignee === 'me') filters.push(eq(cases.assigneeId, principal.staffId ?? -1));
  else if (query.assignee === 'none') filters.push(isNull(cases.assigneeId));
  else if (typeof query.assignee === 'number') filters.push(eq(cases.assigneeId, query.assignee));
  const position = syncPosition(query.cursor);
  if (position !== null || query.updatedSince !== undefined) {
    // A customer's, or the newest-first list's cursor with `updatedSince`: not a sync position.
    if (principal.actor.type === 'customer' || (position === null && query.cursor !== undefined)) {
      throw new ValidationError([{ path: 'cursor', message: 'not a cursor from a previous page' }]);
    }
    return syncPage(q, filters, query, position);
  }
  if (query.cursor) filters.push(lt(cases.id, decodeCursor(query.cursor)));
  const rows = await q.db
    .select()
    .from(cases)
    .where(and(...filters))
    .orderBy(desc(cases.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > query.limit && last ? encodeCursor(last.id) : null };
}

/**
 * A page of an incremental sync: the cases changed since `updatedSince` (if given) and after
 * the cursor's position, in the order of their last change. A case changed while a client
 * pages gets a number above every other, so it moves behind the pages not yet read: it comes
 * once, later, in its new state — never skipped, and never twice for one change.
 */
async function syncPage(q: Handle, filters: (SQL | undefined)[], query: ListCasesQuery, position: number | null): Promise<CasePage> {
  const { cases } = q.tables;
  if (query.updatedSince !== undefined) filters.push(gte(cases.updatedAt, query.updatedSince));
  if (position !== null) filters.push(gt(cases.changeSeq, position));
  const rows = await q.db
    .select()
    .from(cases)
    .where(and(...filters))
    .orderBy(asc(cases.changeSeq))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const next = last ? encodeSyncCursor(last.changeSeq) : (query.cursor ?? (await startOfSync(q)));
  return { rows: page, nextCursor: rows.length > query.limit ? next : null, syncCursor: next };
}

/**
 * Where a sync that found nothing goes on from: after the last change there is now, so the next
 * one asks only for what changes after this answer (nothing before it matched `updatedSince`).
 */
async function startOfSync(q: Handle): Promise<string> {
  const [row] = await q.db.select({ seq: q.tables.cases.changeSeq }).from(q.tables.cases).orderBy(desc(q.tables.cases.changeSeq)).limit(1);
  return encodeSyncCursor(row?.seq ?? 0);
}
