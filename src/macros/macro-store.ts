/**
 * Reading macros as one staff member may: their own personal macros and the shared ones.
 * Somebody else's personal macro is answered like one that does not exist (MACRO_NOT_FOUND).
 * Shared macros are changed by managers and admins only; personal ones by their owner.
 */
import { and, asc, eq, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { macros } from '../db/schema/index.js';
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

function visibleTo(actor: Actor) {
  const me = staffIdOf(actor);
  return me === null ? isNull(macros.ownerId) : or(isNull(macros.ownerId), eq(macros.ownerId, me));
}

/** The macros `actor` may use: their own first, then the shared ones, each by name. */
export function usableMacros(db: Db, actor: Actor): MacroRow[] {
  assertStaff(actor);
  return db
    .select()
    .from(macros)
    .where(visibleTo(actor))
    .orderBy(sql`${macros.ownerId} IS NULL`, sql`lower(${macros.name})`, asc(macros.id))
    .all();
}

/** One macro `actor` may use; MACRO_NOT_FOUND otherwise. */
export function findMacro(db: Db, id: number, actor: Actor): MacroRow {
  assertStaff(actor);
  const row = Number.isSafeInteger(id) ? db.select().from(macros).where(and(eq(macros.id, id), visibleTo(actor))).get() : undefined;
  if (!row) throw new DomainError('MACRO_NOT_FOUND', `No macro ${id}.`, { macro: id });
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
