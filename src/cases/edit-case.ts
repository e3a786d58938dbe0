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
 */
import { z } from 'zod';
import { transaction } from '../db/client.js';
import { PRIORITIES, type Priority } from '../db/schema/index.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext, type CaseRow } from '../workflow/context.js';
import { assertVersion } from './transition-case.js';

/** A tag as rules write them (`addTags`): letters, digits, ":", "_" and "-", at most 64 characters. */
const TAG = /^[a-z0-9][a-z0-9:_-]*$/;
export const MAX_TAGS = 20;

/** `" #VIP, after hours "` → `vip`, `after-hours`: lower case, no leading `#`, spaces as `-`. */
export function normalizeTag(raw: string): string {
  return raw.trim().replace(/^#+/, '').trim().toLowerCase().replace(/\s+/g, '-');
}

/** Tags from a list or a comma-separated text, normalised, each once, in the order given. */
export function normalizeTags(input: readonly string[] | string): string[] {
  const parts = typeof input === 'string' ? input.split(',') : input;
  return [...new Set(parts.map(normalizeTag).filter((t) => t !== ''))];
}

const tagsSchema = z
  .union([z.array(z.string().max(200)).max(100), z.string().max(4_000)])
  .transform((v) => normalizeTags(v))
  .superRefine((tags, ctx) => {
    const bad = tags.filter((t) => t.length > 64 || !TAG.test(t));
    if (bad.length) ctx.addIssue({ code: 'custom', message: `tags use letters, digits, ":", "_" and "-" (at most 64 characters): ${bad.map((t) => `"${t}"`).join(', ')}` });
    if (tags.length > MAX_TAGS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_TAGS} tags` });
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
  priority?: { from: Priority; to: Priority };
  tags?: { from: string[]; to: string[]; added: string[]; removed: string[] };
  subject?: { from: string; to: string };
}

export interface EditCaseResult {
  case: CaseRow;
  changes: CaseChanges;
}

export function editCase(services: Services, caseId: number, input: EditCaseInput, actor: Actor): EditCaseResult {
  if (actor.type === 'customer') throw new DomainError('FORBIDDEN', 'Customers cannot edit a case.');
  const parsed = editCaseSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(form)', message: i.message })));
  const edit = parsed.data;
  return transaction(services.db, () => {
    const ctx = CaseContext.load(services, caseId, actor);
    assertVersion(ctx, edit.expectedVersion);
    if (ctx.workflow.states[ctx.case.status]?.final) {
      throw new DomainError('INVALID_TRANSITION', `${ctx.ref} is ${ctx.workflow.states[ctx.case.status]?.label ?? ctx.case.status}; it is not edited any more.`);
    }
    const c = ctx.case;
    const changes: CaseChanges = {};
    if (edit.priority !== undefined && edit.priority !== c.priority) {
      changes.priority = { from: c.priority, to: edit.priority };
      c.priority = edit.priority;
      ctx.raise('case.priority_changed', { ...changes.priority });
    }
    if (edit.tags !== undefined && !sameSet(edit.tags, c.tags)) {
      const from = c.tags;
      changes.tags = { from, to: edit.tags, added: edit.tags.filter((t) => !from.includes(t)), removed: from.filter((t) => !edit.tags!.includes(t)) };
      c.tags = edit.tags;
      ctx.raise('case.tags_changed', { ...changes.tags });
    }
    if (edit.subject !== undefined && edit.subject !== c.subject) {
      changes.subject = { from: c.subject, to: edit.subject };
      c.subject = edit.subject;
      ctx.raise('case.subject_changed', { ...changes.subject });
    }
    // Nothing changed: nothing recorded, the version stays.
    if (Object.keys(changes).length > 0) ctx.save();
    return { case: ctx.case, changes };
  });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
