/**
 * Creating, changing and deleting macros. Any staff member keeps personal macros; shared
 * macros (the whole team's) are created, changed and deleted by managers and admins. Before
 * anything is stored the reply is checked (syntax, unknown or staff-only variables, each with
 * its line) and so are the actions (a transition, an assignee that exist now): a
 * ValidationError lists every problem beside its field.
 */
import { and, eq, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { auditIn } from '../audit/record-audit.js';
import type { Handle } from '../db/store/index.js';
import { DomainError, ValidationError, type FieldIssue } from '../errors.js';
import { isManagerRole, type Actor } from '../roles.js';
import type { Services } from '../services.js';
import { checkActions, compactActions, hasActions, macroActionsSchema, type MacroActions } from './macro-actions.js';
import { checkMacroBody, MACRO_BODY_MAX } from './macro-language.js';
import { assertMayChange, assertStaff, findMacroIn, staffIdOf, type MacroRow } from './macro-store.js';

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

async function nameTaken(q: Handle, ownerId: number | null, candidate: string, except: number | null): Promise<boolean> {
  const macros = q.tables.macros;
  const scope = sql`coalesce(${macros.ownerId}, 0) = ${ownerId ?? 0}`;
  const same = sql`lower(${macros.name}) = lower(${candidate})`;
  const [row] = await q.db.select({ id: macros.id }).from(macros).where(and(scope, same, except === null ? undefined : ne(macros.id, except))).limit(1);
  return row !== undefined;
}

/** Every problem of a macro as it would be stored. */
async function problems(q: Handle, services: Services, m: { name: string; body: string; actions: MacroActions; ownerId: number | null }, except: number | null): Promise<FieldIssue[]> {
  const issues = [...checkMacroBody(m.body), ...(await checkActions(q, services, m.actions, m.body))];
  if (m.body.trim() === '' && !hasActions(m.actions)) issues.push({ path: 'body', message: 'A macro needs a reply, or at least one change to make.' });
  if (await nameTaken(q, m.ownerId, m.name, except)) {
    issues.push({ path: 'name', message: m.ownerId === null ? `A shared macro is already called "${m.name}".` : `You already have a macro called "${m.name}".` });
  }
  return issues;
}

function refuseIf(issues: FieldIssue[]): void {
  if (issues.length > 0) throw new ValidationError(issues, 'The macro has problems; nothing was saved.');
}

/** Shared macros are the team's configuration: their changes go to the audit log (personal ones do not). */
async function auditShared(q: Handle, services: Services, actor: Actor, id: number, action: string, before: MacroRow | null, after: MacroRow | null): Promise<void> {
  if ((before ?? after)!.ownerId !== null) return;
  const settings = (m: MacroRow | null) => (m === null ? null : { id: m.id, name: m.name, body: m.body, actions: m.actions, version: m.version });
  await auditIn(q, services.clock, actor, 'macro', id, action, settings(before), settings(after));
}

export async function createMacro(services: Services, raw: MacroInput, actor: Actor): Promise<MacroRow> {
  assertStaff(actor);
  const input = parse(macroInputSchema, raw);
  if (input.shared && !isManagerRole(actor.role)) throw new DomainError('FORBIDDEN', 'Only managers share macros with the team; save it as your own.');
  const ownerId = input.shared ? null : staffIdOf(actor);
  if (!input.shared && ownerId === null) throw new ValidationError([{ path: 'shared', message: 'The admin token has no staff account to keep a personal macro: share it.' }]);
  const macro = { name: input.name, body: normaliseBody(input.body), actions: compactActions(input.actions), ownerId };
  const now = services.clock.now();
  const by = { id: staffIdOf(actor), name: actor.name };
  return services.store.write(async (q) => {
    refuseIf(await problems(q, services, macro, null));
    const [row] = await q.db
      .insert(q.tables.macros)
      .values({ ...macro, createdById: by.id, createdBy: by.name, createdAt: now, updatedById: by.id, updatedBy: by.name, updatedAt: now })
      .returning();
    await auditShared(q, services, actor, row!.id, 'created', null, row!);
    return row!;
  });
}

export function updateMacro(services: Services, id: number, raw: MacroPatch, actor: Actor): Promise<MacroRow> {
  return services.store.write(async (q) => {
    const current = await findMacroIn(q, id, actor);
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
    refuseIf(await problems(q, services, next, current.id));
    const macros = q.tables.macros;
    // The version seen is the one changed: a concurrent edit (or a macro applied meanwhile) makes this a conflict.
    const [row] = await q.db
      .update(macros)
      .set({ name: next.name, body: next.body, actions: next.actions, version: current.version + 1, updatedById: staffIdOf(actor), updatedBy: actor.name, updatedAt: services.clock.now() })
      .where(and(eq(macros.id, current.id), eq(macros.version, current.version)))
      .returning();
    if (!row) throw new DomainError('CONFLICT', `The macro "${current.name}" changed meanwhile; reload and try again.`, { macro: id });
    await auditShared(q, services, actor, row.id, 'updated', current, row);
    return row;
  });
}

export function deleteMacro(services: Services, id: number, actor: Actor): Promise<MacroRow> {
  return services.store.write(async (q) => {
    const current = await findMacroIn(q, id, actor);
    assertMayChange(actor, current);
    await q.db.delete(q.tables.macros).where(eq(q.tables.macros.id, current.id));
    await auditShared(q, services, actor, current.id, 'deleted', current, null);
    return current;
  });
}
