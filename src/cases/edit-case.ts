/**
 * Staff edit a case: its priority (one of the known priorities), its tags and the subject the
 * customer sees. One transaction with the optimistic version check (`expectedVersion`); each
 * changed field is its own timeline event with before and after:
 *
 * - `case.priority_changed { from, to }` — staff only; the SLA clocks are measured against
 *   the new priority's targets (docs/sla.md, the subscriber in src/sla/subscribers.ts);
 * - `case.tags_changed { from, to, added, removed }` — staff only;
 * - `case.subject_changed { from, to }` — also on the customer's timeline: they see the subject.
 *
 * Customers never edit a case. A closed (final) case is not edited any more.
 *
 * An editor that says what it showed (`base`: the subject, priority and tags the form was
 * opened with) edits by difference, so it never undoes a colleague's change it did not make:
 * the fields it left as shown keep what the case has now, and its tags are added and removed
 * from the case's current ones. A colleague's change to one of the three since `expectedVersion`
 * is a conflict (`CONFLICT`, with `details.current` and `details.merged`: the agent's changes
 * over the case as it is now) for the editor to show; other activity on the case (a reply, a
 * reassignment) is not.
 */
import { z } from 'zod';
import { PRIORITIES, type Priority } from '../db/schema/index.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext, type CaseRow } from '../workflow/context.js';
import { normalizeTags, setPriority, setTags, tagProblem, type PriorityChange, type TagsChange } from './case-changes.js';
import { assertVersion } from './transition-case.js';

export { normalizeTags } from './case-changes.js';

const tagsSchema = z
  .union([z.array(z.string().max(200)).max(100), z.string().max(4_000)])
  .transform((v) => normalizeTags(v))
  .superRefine((tags, ctx) => {
    const problem = tagProblem(tags);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const editCaseSchema = z
  .strictObject({
    priority: z.enum(PRIORITIES, { error: `one of ${PRIORITIES.join(', ')}` }).optional(),
    tags: tagsSchema.optional(),
    subject: z.string().trim().min(1, 'required').max(200, 'at most 200 characters').optional(),
    /** Optimistic concurrency: refuse with 409 CONFLICT if the case changed since this version. */
    expectedVersion: z.number().int().positive().optional(),
  })
  .refine((v) => v.priority !== undefined || v.tags !== undefined || v.subject !== undefined, { message: 'give a priority, tags or a subject' });
export type EditCaseInput = z.input<typeof editCaseSchema>;

export interface CaseChanges {
  priority?: PriorityChange;
  tags?: TagsChange;
  subject?: { from: string; to: string };
}

export interface EditCaseResult {
  case: CaseRow;
  changes: CaseChanges;
}

/** The subject, priority and tags an editing form showed: what its edit is the difference from. */
export interface EditBase {
  subject: string;
  priority: Priority;
  tags: readonly string[];
}

/** The three edited fields of a case. */
export interface EditedFields {
  subject: string;
  priority: Priority;
  tags: string[];
}

/** Which of the three fields differ between `a` and `b` (tags as sets). */
function differing(a: EditBase, b: EditBase): (keyof EditBase)[] {
  const sameTags = a.tags.length === b.tags.length && a.tags.every((t) => b.tags.includes(t));
  return [...(a.subject.trim() !== b.subject.trim() ? ['subject' as const] : []), ...(a.priority !== b.priority ? ['priority' as const] : []), ...(sameTags ? [] : ['tags' as const])];
}

/** The edit (its difference from `base`) made over `current`: fields left as shown keep their current value. */
export function mergeEdit(current: EditBase, base: EditBase, edit: { subject?: string | undefined; priority?: Priority | undefined; tags?: readonly string[] | undefined }): EditedFields {
  const baseTags = normalizeTags(base.tags);
  const typed = edit.tags === undefined ? baseTags : normalizeTags(edit.tags);
  const added = typed.filter((t) => !baseTags.includes(t));
  const removed = baseTags.filter((t) => !typed.includes(t));
  return {
    subject: edit.subject !== undefined && edit.subject.trim() !== base.subject.trim() ? edit.subject : current.subject,
    priority: edit.priority !== undefined && edit.priority !== base.priority ? edit.priority : current.priority,
    tags: [...current.tags.filter((t) => !removed.includes(t)), ...added.filter((t) => !current.tags.includes(t))],
  };
}

export async function editCase(services: Services, caseId: number, input: EditCaseInput, actor: Actor, options: { base?: EditBase } = {}): Promise<EditCaseResult> {
  if (actor.type === 'customer') throw new DomainError('FORBIDDEN', 'Customers cannot edit a case.');
  const parsed = editCaseSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(form)', message: i.message })));
  let edit = parsed.data;
  return services.store.write(async (q) => {
    const ctx = await CaseContext.load(q, services, caseId, actor);
    const { base } = options;
    if (base === undefined) assertVersion(ctx, edit.expectedVersion);
    else {
      const current: EditedFields = { subject: ctx.case.subject, priority: ctx.case.priority, tags: [...ctx.case.tags] };
      const merged = mergeEdit(current, base, edit);
      const changed = differing(current, base);
      // Only a colleague's change to what the form edits is a conflict: the form shows it, with the agent's changes over it.
      if (edit.expectedVersion !== undefined && edit.expectedVersion !== ctx.case.version && changed.length > 0) {
        throw new DomainError('CONFLICT', `${ctx.ref} changed since you loaded it (version ${ctx.case.version}): its ${changed.join(', ')}.`, {
          caseId: ctx.ref,
          version: ctx.case.version,
          changed,
          current,
          merged,
        });
      }
      edit = { ...edit, ...merged };
    }
    if (ctx.workflow.states[ctx.case.status]?.final) {
      throw new DomainError('INVALID_TRANSITION', `${ctx.ref} is ${ctx.workflow.states[ctx.case.status]?.label ?? ctx.case.status}; it is not edited any more.`);
    }
    const c = ctx.case;
    const changes: CaseChanges = {};
    const priority = edit.priority === undefined ? null : await setPriority(ctx, edit.priority);
    if (priority) changes.priority = priority;
    const tags = edit.tags === undefined ? null : await setTags(ctx, edit.tags);
    if (tags) changes.tags = tags;
    if (edit.subject !== undefined && edit.subject !== c.subject) {
      changes.subject = { from: c.subject, to: edit.subject };
      c.subject = edit.subject;
      await ctx.raise('case.subject_changed', { ...changes.subject });
    }
    // Nothing changed: nothing recorded, the version stays.
    if (Object.keys(changes).length > 0) await ctx.save();
    return { case: ctx.case, changes };
  });
}
