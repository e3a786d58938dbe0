/**
 * Saved inbox views: a name for a combination of the inbox's own filters (view, queue,
 * status, priority, tag), stored as the inbox query string. Each agent keeps their own;
 * managers and admins may share one with the team. The inbox lists them with their counts
 * (`inboxCount`: one capped query per view).
 */
import { and, asc, eq, isNull, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { inboxViews } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Principal } from '../http/types.js';
import { isManagerRole } from '../roles.js';
import type { Services } from '../services.js';
import { inboxCount, inboxQuerySchema, viewsFor, type InboxFilters } from './inbox.js';

export const VIEW_NAME_MAX = 60;
/** Views one person (or the team) may keep: each costs a count on every inbox load. */
export const MAX_VIEWS = 30;

const FILTER_KEYS = ['view', 'queue', 'status', 'priority', 'tag'] as const;
export type ViewFilters = InboxFilters;

export const saveViewSchema = z.object({
  name: z.string().trim().min(1, 'give the view a name').max(VIEW_NAME_MAX, `at most ${VIEW_NAME_MAX} characters`),
  /** Share with the team (managers and admins). */
  shared: z.boolean().default(false),
});
export type SaveViewInput = z.input<typeof saveViewSchema>;

export type InboxViewRow = typeof inboxViews.$inferSelect;

export interface SavedView {
  id: number;
  name: string;
  /** The inbox query string (`view=all&priority=urgent`). */
  query: string;
  shared: boolean;
  /** Open cases it holds now, at most COUNT_CAP. */
  count: number;
  /** The viewer may delete it (their own; shared ones: managers). */
  mayDelete: boolean;
}

/** The filters as a query string, in a fixed order, empty ones left out. */
export function filtersQuery(filters: ViewFilters): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  return params.toString();
}

/** A stored query string back into filters (a later version may refuse it: null). */
export function parseViewQuery(query: string): ViewFilters | null {
  const params = Object.fromEntries(new URLSearchParams(query));
  const parsed = inboxQuerySchema.safeParse(params);
  if (!parsed.success) return null;
  const { cursor: _cursor, limit: _limit, ...filters } = parsed.data;
  return filters;
}

function visibleTo(q: Handle, principal: Principal) {
  const { inboxViews } = q.tables;
  return or(isNull(inboxViews.ownerId), eq(inboxViews.ownerId, principal.staffId ?? -1));
}

function mayDelete(principal: Principal, row: Pick<InboxViewRow, 'ownerId'>): boolean {
  return row.ownerId === null ? isManagerRole(principal.actor.role) : row.ownerId === principal.staffId;
}

/** The viewer's views and the shared ones they can open, with counts: their own first, then by name. */
export async function savedViews(services: Services, principal: Principal): Promise<SavedView[]> {
  if (principal.actor.type !== 'staff') return [];
  return services.store.query(async (q) => {
    const { inboxViews } = q.tables;
    const rows = await q.db
      .select()
      .from(inboxViews)
      .where(visibleTo(q, principal))
      .orderBy(sql`${inboxViews.ownerId} IS NULL`, sql`lower(${inboxViews.name})`, asc(inboxViews.id));
    const open = viewsFor(principal);
    const out: SavedView[] = [];
    for (const row of rows) {
      const filters = parseViewQuery(row.query);
      // A shared "All open" view is for managers; agents do not get it.
      if (!filters || !open.includes(filters.view)) continue;
      out.push({ id: row.id, name: row.name, query: row.query, shared: row.ownerId === null, count: await inboxCount(q, services, principal, filters), mayDelete: mayDelete(principal, row) });
    }
    return out;
  });
}

/** Saves `filters` under a name: the viewer's own view, or (managers) a shared one. */
export function saveInboxView(services: Services, principal: Principal, filters: ViewFilters, raw: SaveViewInput): Promise<InboxViewRow> {
  if (principal.actor.type !== 'staff' || principal.staffId === null) throw new DomainError('FORBIDDEN', 'Saved views are for staff accounts.');
  const parsed = saveViewSchema.safeParse(raw);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || 'name', message: i.message })));
  const { name, shared } = parsed.data;
  if (shared && !isManagerRole(principal.actor.role)) throw new DomainError('FORBIDDEN', 'Only managers share views with the team.');
  if (!viewsFor(principal).includes(filters.view)) throw new DomainError('FORBIDDEN', `The "${filters.view}" view is for managers.`);
  const ownerId = shared ? null : principal.staffId;
  return services.store.write(async (q) => {
    const { inboxViews } = q.tables;
    const scope = ownerId === null ? isNull(inboxViews.ownerId) : eq(inboxViews.ownerId, ownerId);
    const existing = await q.db.select({ id: inboxViews.id, name: inboxViews.name }).from(inboxViews).where(scope);
    if (existing.some((v) => v.name.toLowerCase() === name.toLowerCase())) {
      throw new ValidationError([{ path: 'name', message: `${shared ? 'A shared view' : 'One of your views'} is already called "${name}".` }]);
    }
    if (existing.length >= MAX_VIEWS) throw new ValidationError([{ path: 'name', message: `At most ${MAX_VIEWS} ${shared ? 'shared views' : 'views each'}; delete one first.` }]);
    const [row] = await q.db
      .insert(inboxViews)
      .values({ name, query: filtersQuery(filters), ownerId, createdById: principal.staffId, createdBy: principal.actor.name, createdAt: services.clock.now() })
      .returning();
    return row!;
  });
}

/** Deletes a view: one's own, or (managers) a shared one. Someone else's view is not found. */
export function deleteInboxView(services: Services, principal: Principal, id: number): Promise<InboxViewRow> {
  return services.store.write(async (q) => {
    const { inboxViews } = q.tables;
    const [row] = await q.db.select().from(inboxViews).where(and(eq(inboxViews.id, id), visibleTo(q, principal))).limit(1);
    if (!row || principal.actor.type !== 'staff') throw new DomainError('VIEW_NOT_FOUND', `No saved view ${id}.`);
    if (!mayDelete(principal, row)) throw new DomainError('FORBIDDEN', 'Shared views are deleted by managers.');
    await q.db.delete(inboxViews).where(eq(inboxViews.id, row.id));
    return row;
  });
}
