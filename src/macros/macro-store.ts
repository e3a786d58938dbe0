/**
 * Reading macros as one staff member may: their own personal macros and the shared ones.
 * Somebody else's personal macro is answered like one that does not exist (MACRO_NOT_FOUND).
 * Shared macros are changed by managers and admins only; personal ones by their owner.
 */
import { and, asc, eq, isNull, or, sql } from 'drizzle-orm';
import type { macros } from '../db/schema/index.js';
import type { Handle, Tables } from '../db/store/index.js';
import { DomainError } from '../errors.js';
import { isManagerRole, type Actor } from '../roles.js';

export type MacroRow = typeof macros.$inferSelect;
export type MacroScope = 'personal' | 'shared';

export function scopeOf(macro: Pick<MacroRow, 'ownerId'>): MacroScope {
  return macro.ownerId === null ? 'shared' : 'personal';
}

/** The staff account behind an actor (the ADMIN_TOKEN has none: it sees the shared macros only). */
export function staffIdOf(actor: Actor): number | null {
  return actor.type === 'staff' ? actor.id : null;
}

export function assertStaff(actor: Actor): void {
  if (actor.type === 'customer') throw new DomainError('FORBIDDEN', 'Macros are for staff.');
}

type MacroTable = Tables['macros'];

function visibleTo(t: MacroTable, actor: Actor) {
  const me = staffIdOf(actor);
  return me === null ? isNull(t.ownerId) : or(isNull(t.ownerId), eq(t.ownerId, me));
}

/** Their own first, then the shared ones, each by name. */
const usableOrder = (t: MacroTable) => [sql`${t.ownerId} IS NULL`, sql`lower(${t.name})`, asc(t.id)] as const;

function notFound(id: number): DomainError {
  return new DomainError('MACRO_NOT_FOUND', `No macro ${id}.`, { macro: id });
}

/** The macros `actor` may use: their own first, then the shared ones, each by name. */
export function usableMacrosIn(q: Handle, actor: Actor): Promise<MacroRow[]> {
  assertStaff(actor);
  const t = q.tables.macros;
  return q.db.select().from(t).where(visibleTo(t, actor)).orderBy(...usableOrder(t));
}

/** One macro `actor` may use, as `q` sees it; MACRO_NOT_FOUND otherwise. */
export async function findMacroIn(q: Handle, id: number, actor: Actor): Promise<MacroRow> {
  assertStaff(actor);
  const t = q.tables.macros;
  const [row] = Number.isSafeInteger(id) ? await q.db.select().from(t).where(and(eq(t.id, id), visibleTo(t, actor))).limit(1) : [];
  if (!row) throw notFound(id);
  return row;
}

/** A macro's id from a path or form value (`12`); null for anything else. */
export function parseMacroId(raw: string | undefined): number | null {
  return raw !== undefined && /^\d{1,12}$/.test(raw) ? Number(raw) : null;
}

export function mayChange(actor: Actor, macro: Pick<MacroRow, 'ownerId'>): boolean {
  if (macro.ownerId === null) return isManagerRole(actor.role);
  return staffIdOf(actor) === macro.ownerId;
}

export function assertMayChange(actor: Actor, macro: Pick<MacroRow, 'ownerId'>): void {
  if (!mayChange(actor, macro)) throw new DomainError('FORBIDDEN', 'Shared macros are changed by managers; ask one, or make a personal copy.');
}
