/**
 * What a macro may change besides replying — a workflow transition, the priority, tags
 * added and removed, the assignee — as data (`MacroActions`, stored as JSON), its schema,
 * the checks made before a macro is saved (names that exist now), and how it reads to people.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { PRIORITIES, type MacroActions } from '../db/schema/index.js';
import type { FieldIssue } from '../errors.js';
import type { Handle } from '../db/store/index.js';
import type { Services } from '../services.js';
import type { WorkflowDefinition } from '../workflow/definition.js';
import { normalizeTags, tagProblem } from '../cases/case-changes.js';

export type { MacroActions } from '../db/schema/index.js';

/** Roles a macro's transition must be open to: it is applied by staff. */
const STAFF_ROLES = ['agent', 'advanced', 'manager', 'admin'] as const;

const tagList = z
  .union([z.array(z.string().max(200)).max(100), z.string().max(4_000)])
  .transform((v) => normalizeTags(v))
  .superRefine((tags, ctx) => {
    const problem = tagProblem(tags);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const macroActionsSchema = z.strictObject({
  transition: z.string().trim().min(1, 'required').max(100).optional(),
  priority: z.enum(PRIORITIES, { error: `one of ${PRIORITIES.join(', ')}` }).optional(),
  tags: z.strictObject({ add: tagList.default([]), remove: tagList.default([]) }).optional(),
  assignee: z.union([z.literal('me'), z.literal('unassign'), z.number().int().positive()], { error: '"me", "unassign" or a staff id' }).optional(),
});

/** Drops what does nothing (empty tag lists), so stored actions say only what they do. */
export function compactActions(actions: z.output<typeof macroActionsSchema>): MacroActions {
  const out: MacroActions = {};
  if (actions.transition) out.transition = actions.transition;
  if (actions.priority) out.priority = actions.priority;
  if (actions.tags && (actions.tags.add.length > 0 || actions.tags.remove.length > 0)) out.tags = { add: actions.tags.add, remove: actions.tags.remove };
  if (actions.assignee !== undefined) out.assignee = actions.assignee;
  return out;
}

export function hasActions(actions: MacroActions): boolean {
  return Object.keys(actions).length > 0;
}

function defaultWorkflow(services: Services): WorkflowDefinition {
  return services.definitions.workflow(services.defaultWorkflow).definition;
}

/** The transitions a macro may name: those of the default workflow that staff invoke by hand. */
export function macroTransitions(services: Services): { name: string; label: string; requires: string[] }[] {
  return Object.entries(defaultWorkflow(services).transitions)
    .filter(([, t]) => t.roles?.some((r) => (STAFF_ROLES as readonly string[]).includes(r)))
    .map(([name, t]) => ({ name, label: t.label ?? name, requires: t.requires ?? [] }));
}

/**
 * Problems of actions against what exists now: an unknown transition (or one only the
 * workflow itself fires), a transition that needs text the macro has no reply for, an
 * assignee who is not an active staff member, a tag both added and removed.
 */
export async function checkActions(q: Handle, services: Services, actions: MacroActions, body: string): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  if (actions.transition !== undefined) {
    const usable = macroTransitions(services);
    const t = usable.find((u) => u.name === actions.transition);
    if (!t) {
      issues.push({ path: 'actions.transition', message: `unknown transition "${actions.transition}": use ${usable.map((u) => `${u.name} (${u.label})`).join(', ')}` });
    } else if (t.requires.length > 0 && body.trim() === '') {
      issues.push({ path: 'body', message: `"${t.label}" asks for ${t.requires.join(' and ')}: the macro's reply is used for it, so write one` });
    }
  }
  if (typeof actions.assignee === 'number') {
    const t = q.tables.staff;
    const [row] = await q.db.select({ id: t.id }).from(t).where(and(eq(t.id, actions.assignee), eq(t.active, true))).limit(1);
    if (!row) issues.push({ path: 'actions.assignee', message: `no active staff member ${actions.assignee}` });
  }
  const both = actions.tags?.add.filter((t) => actions.tags!.remove.includes(t)) ?? [];
  if (both.length > 0) issues.push({ path: 'actions.tags', message: `added and removed at once: ${both.join(', ')}` });
  return issues;
}

/** The actions as people read them, e.g. "Status: Wait on customer", "Tags: +refund −new". */
export function describeActions(services: Services, actions: MacroActions, names: ReadonlyMap<number, string>): string[] {
  const out: string[] = [];
  if (actions.transition) {
    const t = defaultWorkflow(services).transitions[actions.transition];
    out.push(`Status: ${t?.label ?? actions.transition}`);
  }
  if (actions.priority) out.push(`Priority: ${actions.priority}`);
  if (actions.tags) out.push(`Tags: ${[...actions.tags.add.map((t) => `+${t}`), ...actions.tags.remove.map((t) => `−${t}`)].join(' ')}`);
  if (actions.assignee !== undefined) out.push(`Assign: ${assigneeLabel(actions.assignee, names)}`);
  return out;
}

function assigneeLabel(assignee: NonNullable<MacroActions['assignee']>, names: ReadonlyMap<number, string>): string {
  if (assignee === 'me') return 'to whoever applies it';
  if (assignee === 'unassign') return 'back to automatic assignment';
  return `to ${names.get(assignee) ?? `staff ${assignee}`}`;
}

/** Names of the staff members the actions of `list` assign to, read through the store (for `describeActions`). */
export function assigneeNamesIn(q: Handle, list: readonly MacroActions[]): Promise<Map<number, string>> {
  return staffNames(q, list.map((a) => a.assignee).filter((a): a is number => typeof a === 'number'));
}

/** The names of these staff members. */
export async function staffNames(q: Handle, list: readonly number[]): Promise<Map<number, string>> {
  const ids = [...new Set(list)];
  if (ids.length === 0) return new Map();
  const t = q.tables.staff;
  const rows = await q.db.select({ id: t.id, name: t.name }).from(t).where(inArray(t.id, ids));
  return new Map(rows.map((s) => [s.id, s.name]));
}
