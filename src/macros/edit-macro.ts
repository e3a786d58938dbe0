/**
 * Creating, changing and deleting macros. Any staff member keeps personal macros; shared
 * macros (the whole team's) are created, changed and deleted by managers and admins. Before
 * anything is stored the reply is checked (syntax, unknown or staff-only variables, each with
 * its line) and so are the actions (a transition, an assignee that exist now): a
 * ValidationError lists every problem beside its field.
 */
import { and, eq, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { audit } from '../audit/record-audit.js';
import { transaction } from '../db/client.js';
import { macros } from '../db/schema/index.js';
import { DomainError, ValidationError, type FieldIssue } from '../errors.js';
import { isManagerRole, type Actor } from '../roles.js';
import type { Services } from '../services.js';
import { checkActions, compactActions, hasActions, macroActionsSchema, type MacroActions } from './macro-actions.js';
import { checkMacroBody, MACRO_BODY_MAX } from './macro-language.js';
import { assertMayChange, assertStaff, findMacro, staffIdOf, type MacroRow } from './macro-store.js';

export const MACRO_NAME_MAX = 100;

const name = z.string().trim().min(1, 'required').max(MACRO_NAME_MAX, `at most ${MACRO_NAME_MAX} characters`);
const body = z.string().max(MACRO_BODY_MAX, `at most ${MACRO_BODY_MAX} characters`);

export const macroInputSchema = z.strictObject({
  name,
  body: body.default(''),
  actions: macroActionsSchema.default({}),
  /** Shared with the team (managers and admins); personal otherwise. */
  shared: z.boolean().default(false),
});
export type MacroInput = z.input<typeof macroInputSchema>;

export const macroPatchSchema = z
  .strictObject({
    name: name.optional(),
    body: body.optional(),
    actions: macroActionsSchema.optional(),
    /** Optimistic concurrency: refuse with 409 CONFLICT if the macro changed since this version. */
    expectedVersion: z.number().int().positive().optional(),
  })
  .refine((v) => v.name !== undefined || v.body !== undefined || v.actions !== undefined, { message: 'give a name, a body or actions' });
export type MacroPatch = z.input<typeof macroPatchSchema>;

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(result.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(form)', message: i.message })), 'The macro has problems; nothing was saved.');
  return result.data;
}

/** Line ends as `\n`. */
function normaliseBody(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

function nameTaken(services: Services, ownerId: number | null, candidate: string, except: number | null): boolean {
  const scope = sql`coalesce(${macros.ownerId}, 0) = ${ownerId ?? 0}`;
  const same = sql`lower(${macros.name}) = lower(${candidate})`;
  return services.db.select({ id: macros.id }).from(macros).where(and(scope, same, except === null ? undefined : ne(macros.id, except))).get() !== undefined;
}

/** Every problem of a macro as it would be stored. */
function problems(services: Services, m: { name: string; body: string; actions: MacroActions; ownerId: number | null }, except: number | null): FieldIssue[] {
  const issues = [...checkMacroBody(m.body), ...checkActions(services, m.actions, m.body)];
  if (m.body.trim() === '' && !hasActions(m.actions)) issues.push({ path: 'body', message: 'A macro needs a reply, or at least one change to make.' });
  if (nameTaken(services, m.ownerId, m.name, except)) {
    issues.push({ path: 'name', message: m.ownerId === null ? `A shared macro is already called "${m.name}".` : `You already have a macro called "${m.name}".` });
  }
  return issues;
}

function refuseIf(issues: FieldIssue[]): void {
  if (issues.length > 0) throw new ValidationError(issues, 'The macro has problems; nothing was saved.');
}

/** Shared macros are the team's configuration: their changes go to the audit log (personal ones do not). */
function auditShared(services: Services, actor: Actor, id: number, action: string, before: MacroRow | null, after: MacroRow | null): void {
  if ((before ?? after)!.ownerId !== null) return;
  const settings = (m: MacroRow | null) => (m === null ? null : { id: m.id, name: m.name, body: m.body, actions: m.actions, version: m.version });
  audit(services, actor, 'macro', id, action, settings(before), settings(after));
}

export function createMacro(services: Services, raw: MacroInput, actor: Actor): MacroRow {
  assertStaff(actor);
  const input = parse(macroInputSchema, raw);
  if (input.shared && !isManagerRole(actor.role)) throw new DomainError('FORBIDDEN', 'Only managers share macros with the team; save it as your own.');
  const ownerId = input.shared ? null : staffIdOf(actor);
  if (!input.shared && ownerId === null) throw new ValidationError([{ path: 'shared', message: 'The admin token has no staff account to keep a personal macro: share it.' }]);
  const macro = { name: input.name, body: normaliseBody(input.body), actions: compactActions(input.actions), ownerId };
  const now = services.clock.now();
  const by = { id: staffIdOf(actor), name: actor.name };
  return transaction(services.db, () => {
    refuseIf(problems(services, macro, null));
    const row = services.db
      .insert(macros)
      .values({ ...macro, createdById: by.id, createdBy: by.name, createdAt: now, updatedById: by.id, updatedBy: by.name, updatedAt: now })
      .returning()
      .get();
    auditShared(services, actor, row.id, 'created', null, row);
    return row;
  });
}

export function updateMacro(services: Services, id: number, raw: MacroPatch, actor: Actor): MacroRow {
  return transaction(services.db, () => {
    const current = findMacro(services.db, id, actor);
    assertMayChange(actor, current);
    const patch = parse(macroPatchSchema, raw);
    if (patch.expectedVersion !== undefined && patch.expectedVersion !== current.version) {
      throw new DomainError('CONFLICT', `The macro "${current.name}" changed since you loaded it (version ${current.version}); reload and try again.`, { macro: id, version: current.version });
    }
    const next = {
      name: patch.name ?? current.name,
      body: patch.body === undefined ? current.body : normaliseBody(patch.body),
      actions: patch.actions === undefined ? current.actions : compactActions(patch.actions),
      ownerId: current.ownerId,
    };
    refuseIf(problems(services, next, current.id));
    const row = services.db
      .update(macros)
      .set({ name: next.name, body: next.body, actions: next.actions, version: current.version + 1, updatedById: staffIdOf(actor), updatedBy: actor.name, updatedAt: services.clock.now() })
      .where(eq(macros.id, current.id))
      .returning()
      .get()!;
    auditShared(services, actor, row.id, 'updated', current, row);
    return row;
  });
}

export function deleteMacro(services: Services, id: number, actor: Actor): MacroRow {
  return transaction(services.db, () => {
    const current = findMacro(services.db, id, actor);
    assertMayChange(actor, current);
    services.db.delete(macros).where(eq(macros.id, current.id)).run();
    auditShared(services, actor, current.id, 'deleted', current, null);
    return current;
  });
}
