/**
 * Listing cases for API clients, newest first, with keyset pagination (`cursor` is the
 * last id of the previous page, opaque to clients) and the caller's visibility applied.
 */
import { and, desc, eq, inArray, isNull, lt, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Handle } from '../db/store/index.js';
import { ValidationError, type FieldIssue } from '../errors.js';
import type { Principal } from '../http/types.js';
import { isManagerRole } from '../roles.js';
import type { Services } from '../services.js';

export const listCasesSchema = z.strictObject({
  queue: z.string().min(1).max(64).optional(),
  status: z.string().min(1).max(64).optional(),
  assignee: z.union([z.literal('me'), z.literal('none'), z.coerce.number().int().positive()]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(64).optional(),
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
  const issues = (['queue', 'status', 'assignee'] as const).filter((key) => query[key] !== undefined).map((path) => ({ path, message: 'not a filter for customers' }));
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
  return services.store.query(async (q) => {
    await assertKnownFilters(q, services, principal, query);
    return listCasesOn(q, principal, query);
  });
}

async function listCasesOn(q: Handle, principal: Principal, query: ListCasesQuery) {
  const { cases } = q.tables;
  const filters: (SQL | undefined)[] = [visibleTo(q, principal)];
  if (query.queue) filters.push(eq(cases.queueId, query.queue));
  if (query.status) filters.push(eq(cases.status, query.status));
  if (query.assignee === 'me') filters.push(eq(cases.assigneeId, principal.staffId ?? -1));
  else if (query.assignee === 'none') filters.push(isNull(cases.assigneeId));
  else if (typeof query.assignee === 'number') filters.push(eq(cases.assigneeId, query.assignee));
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
