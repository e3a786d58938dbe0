/**
 * Applying a macro to a case: its reply rendered for that case (the agent may have edited it)
 * is posted, and its changes — priority, tags, assignee, a workflow transition — are made in
 * the SAME transaction, all or nothing, with the optimistic version check: the case version
 * the agent previewed (`expectedVersion`) and the macro version (`macroVersion`). The macro's
 * usage is counted in that transaction too, and `macro.applied` on the timeline lists what
 * it changed.
 *
 * `previewMacro` runs the very same code in a transaction that is rolled back, so the changes
 * it lists are the ones applying would make now, or it says why applying would fail.
 */
import { z } from 'zod';
import { DomainError, ValidationError } from '../errors.js';
import { reassignWithin } from '../cases/reassign-case.js';
import { assertVersion } from '../cases/transition-case.js';
import type { Handle } from '../db/store/index.js';
import { run } from '../db/store/rows.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext, type CaseRow, type TransitionFields } from '../workflow/context.js';
import { changeTags, setPriority } from '../cases/case-changes.js';
import { assigneeNamesIn, describeActions, staffNames, type MacroActions } from './macro-actions.js';
import { macroValues, renderMacroBody } from './macro-language.js';
import { findMacroIn, scopeOf, type MacroRow } from './macro-store.js';

export const MESSAGE_MAX = 20_000;

export const applyMacroSchema = z.strictObject({
  /** The reply as it goes out (edited by the agent); the macro's reply rendered for the case when left out. */
  body: z.string().max(MESSAGE_MAX, `at most ${MESSAGE_MAX} characters`).optional(),
  /** A public reply (default) or an internal note. */
  public: z.boolean().default(true),
  /** The case version the agent previewed: 409 CONFLICT if the case changed since. */
  expectedVersion: z.number().int().positive().optional(),
  /** The macro version the agent previewed: 409 CONFLICT if the macro changed since. */
  macroVersion: z.number().int().positive().optional(),
});
export type ApplyMacroInput = z.input<typeof applyMacroSchema>;

export interface MacroChange {
  field: 'status' | 'priority' | 'tags' | 'assignee' | 'queue';
  from: unknown;
  to: unknown;
  /** As people read it: "Status: Open → Pending customer". */
  text: string;
}

export interface MacroResult {
  macro: MacroRow;
  /** The reply posted (empty: the macro only changed the case). */
  text: string;
  public: boolean;
  changes: MacroChange[];
  case: CaseRow;
}

export interface MacroPreview {
  macro: MacroRow;
  /** The macro's reply rendered for the case. */
  text: string;
  /** What the macro says it does ("Status: Wait on customer"). */
  planned: string[];
  /** What applying it now would change on this case (empty when `problem` says it would fail). */
  changes: MacroChange[];
  /** Why applying it now would fail, or null. */
  problem: { code: string; message: string } | null;
  /** The version to send back as `expectedVersion`. */
  caseVersion: number;
}

type Snapshot = Pick<CaseRow, 'status' | 'priority' | 'tags' | 'assigneeId' | 'queueId'>;

function snapshot(c: CaseRow): Snapshot {
  return { status: c.status, priority: c.priority, tags: [...c.tags], assigneeId: c.assigneeId, queueId: c.queueId };
}

async function diff(ctx: CaseContext, before: Snapshot): Promise<MacroChange[]> {
  const after = ctx.case;
  const out: MacroChange[] = [];
  const label = (s: string) => ctx.workflow.states[s]?.label ?? s;
  if (before.status !== after.status) out.push({ field: 'status', from: before.status, to: after.status, text: `Status: ${label(before.status)} → ${label(after.status)}` });
  if (before.priority !== after.priority) out.push({ field: 'priority', from: before.priority, to: after.priority, text: `Priority: ${before.priority} → ${after.priority}` });
  const added = after.tags.filter((t) => !before.tags.includes(t));
  const removed = before.tags.filter((t) => !after.tags.includes(t));
  if (added.length || removed.length) {
    out.push({ field: 'tags', from: before.tags, to: [...after.tags], text: `Tags: ${[...added.map((t) => `+${t}`), ...removed.map((t) => `−${t}`)].join(' ')}` });
  }
  if (before.queueId !== after.queueId) out.push({ field: 'queue', from: before.queueId, to: after.queueId, text: `Queue: ${before.queueId} → ${after.queueId}` });
  if (before.assigneeId !== after.assigneeId) {
    const names = await staffNames(ctx.q, [before.assigneeId, after.assigneeId].filter((id): id is number => id !== null));
    const name = (id: number | null) => (id === null ? 'nobody' : (names.get(id) ?? `staff ${id}`));
    out.push({ field: 'assignee', from: before.assigneeId, to: after.assigneeId, text: `Assignee: ${name(before.assigneeId)} → ${name(after.assigneeId)}` });
  }
  return out;
}

function assigneeFor(ctx: CaseContext, assignee: NonNullable<MacroActions['assignee']>): number | null {
  if (assignee === 'unassign') return null;
  if (assignee !== 'me') return assignee;
  if (ctx.actor.type !== 'staff' || ctx.actor.id === null) throw new DomainError('STAFF_NOT_FOUND', `"Assign to me" needs a staff account; ${ctx.actor.name} has none.`);
  return ctx.actor.id;
}

async function invokeTransition(ctx: CaseContext, name: string, text: string, isPublic: boolean): Promise<void> {
  const requires = ctx.workflow.transitions[name]?.requires ?? [];
  const label = ctx.workflow.transitions[name]?.label ?? name;
  if (requires.includes('solution') && text !== '' && !isPublic) {
    throw new DomainError('TRANSITION_REQUIREMENT_MISSING', `"${label}" gives the customer a solution: send the macro's reply as a public reply, not a note.`, { transition: name, missing: ['solution'] });
  }
  // What the transition asks for (a solution, a reason, a note) is the reply itself.
  const fields: TransitionFields = Object.fromEntries(text === '' ? [] : requires.map((field) => [field, text]));
  await ctx.invoke(name, ctx.actor.role, fields);
}

/** The macro's reply and changes inside the caller's unit of work; the caller saves. */
async function runMacro(ctx: CaseContext, macro: MacroRow, text: string, isPublic: boolean): Promise<MacroChange[]> {
  const before = snapshot(ctx.case);
  const a = macro.actions;
  if (text !== '') await ctx.raise(isPublic ? 'staff.replied' : 'staff.noted', { body: text, author: ctx.actor.name });
  if (a.priority) await setPriority(ctx, a.priority);
  if (a.tags) await changeTags(ctx, a.tags.add, a.tags.remove);
  // A resolved case is reopened before it is reassigned (only open cases are); otherwise the
  // assignment comes first, so that resolving does not leave it out.
  const transitionFirst = !ctx.case.open;
  if (a.transition && transitionFirst) await invokeTransition(ctx, a.transition, text, isPublic);
  if (a.assignee !== undefined) await reassignWithin(ctx, { assignee: assigneeFor(ctx, a.assignee), reason: `macro "${macro.name}" applied by ${ctx.actor.name}` });
  if (a.transition && !transitionFirst) await invokeTransition(ctx, a.transition, text, isPublic);
  const changes = await diff(ctx, before);
  await ctx.record('macro.applied', { macroId: macro.id, macro: macro.name, scope: scopeOf(macro), reply: text === '' ? 'none' : isPublic ? 'public' : 'internal', changes: changes.map((c) => c.text) });
  return changes;
}

/** The macro's reply rendered for case `row`. */
export async function renderFor(q: Handle, services: Services, macro: MacroRow, row: CaseRow, actor: Actor): Promise<string> {
  return renderMacroBody(macro.body, await macroValues(q, services, row, actor)).trim();
}

async function countUse(q: Handle, macroId: number, now: number): Promise<void> {
  await run(q, 'UPDATE macros SET usage_count = usage_count + 1, last_used_at = ? WHERE id = ?', [now, macroId]);
}

export async function applyMacro(services: Services, caseId: number, macroId: number, raw: ApplyMacroInput, actor: Actor): Promise<MacroResult> {
  const parsed = applyMacroSchema.safeParse(raw);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message })));
  const input = parsed.data;
  return services.store.write(async (q) => {
    const macro = await findMacroIn(q, macroId, actor);
    if (input.macroVersion !== undefined && input.macroVersion !== macro.version) {
      throw new DomainError('CONFLICT', `The macro "${macro.name}" changed since you previewed it; preview it again.`, { macro: macro.id, version: macro.version });
    }
    const ctx = await CaseContext.load(q, services, caseId, actor);
    assertVersion(ctx, input.expectedVersion);
    const text = (input.body ?? (await renderFor(q, services, macro, ctx.case, actor))).replace(/\r\n?/g, '\n').trim();
    if (text.length > MESSAGE_MAX) throw new ValidationError([{ path: 'body', message: `The reply is ${text.length} characters long; at most ${MESSAGE_MAX}.` }]);
    const changes = await runMacro(ctx, macro, text, input.public);
    await countUse(q, macro.id, ctx.now);
    await ctx.save();
    return { macro: { ...macro, usageCount: macro.usageCount + 1, lastUsedAt: ctx.now }, text, public: input.public, changes, case: ctx.case };
  });
}

/** Thrown to roll the preview's transaction back with its result. */
class RolledBack extends Error {
  constructor(readonly changes: MacroChange[]) {
    super('preview rolled back');
  }
}

export async function previewMacro(services: Services, caseId: number, macroId: number, actor: Actor): Promise<MacroPreview> {
  const { macro, row, text, names } = await services.store.query(async (q) => {
    const macro = await findMacroIn(q, macroId, actor);
    const row = await CaseContext.row(q, caseId);
    return { macro, row, text: await renderFor(q, services, macro, row, actor), names: await assigneeNamesIn(q, [macro.actions]) };
  });
  const base = { macro, text, planned: describeActions(services, macro.actions, names), caseVersion: row.version };
  try {
    await services.store.write(async (q) => {
      const ctx = await CaseContext.load(q, services, caseId, actor);
      const changes = await runMacro(ctx, macro, text, true);
      await ctx.save();
      throw new RolledBack(changes);
    });
  } catch (error) {
    if (error instanceof RolledBack) return { ...base, changes: error.changes, problem: null };
    if (error instanceof DomainError && error.code !== 'INTERNAL') return { ...base, changes: [], problem: { code: error.code, message: error.message } };
    throw error;
  }
  throw new Error('unreachable: the preview always rolls back');
}
