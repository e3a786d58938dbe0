/**
 * Priority and tag changes inside the caller's unit of work, shared by editing a case
 * (edit-case.ts), macros and bulk actions: each raises its timeline event with before and
 * after (`case.priority_changed { from, to }`, `case.tags_changed { from, to, added, removed }`),
 * so the SLA clocks and the timeline treat them alike; nothing is recorded when nothing changes.
 * Tags are normalised and checked here too.
 */
import { PRIORITIES, type Priority } from '../db/schema/index.js';
import { ValidationError } from '../errors.js';
import type { CaseContext } from '../workflow/context.js';

/** A tag as rules write them (`addTags`): letters, digits, ":", "_" and "-", at most 64 characters. */
export const TAG_PATTERN = /^[a-z0-9][a-z0-9:_-]*$/;
export const TAG_MAX = 64;
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

/** Why these tags cannot be stored, or null. */
export function tagProblem(tags: readonly string[]): string | null {
  const bad = tags.filter((t) => t.length > TAG_MAX || !TAG_PATTERN.test(t));
  if (bad.length) return `tags use letters, digits, ":", "_" and "-" (at most ${TAG_MAX} characters): ${bad.map((t) => `"${t}"`).join(', ')}`;
  if (tags.length > MAX_TAGS) return `at most ${MAX_TAGS} tags`;
  return null;
}

export function isPriority(value: unknown): value is Priority {
  return typeof value === 'string' && (PRIORITIES as readonly string[]).includes(value);
}

export interface PriorityChange {
  from: Priority;
  to: Priority;
}

export interface TagsChange {
  from: string[];
  to: string[];
  added: string[];
  removed: string[];
}

/** Sets the priority; null (nothing recorded) when it already is that. */
export async function setPriority(ctx: CaseContext, priority: Priority): Promise<PriorityChange | null> {
  const from = ctx.case.priority;
  if (from === priority) return null;
  ctx.case.priority = priority;
  const change = { from, to: priority };
  await ctx.raise('case.priority_changed', { ...change });
  return change;
}

/** Replaces the tags; null (nothing recorded) when the set stays the same. */
export async function setTags(ctx: CaseContext, to: string[]): Promise<TagsChange | null> {
  const from = ctx.case.tags;
  const added = to.filter((t) => !from.includes(t));
  const removed = from.filter((t) => !to.includes(t));
  if (added.length === 0 && removed.length === 0) return null;
  if (to.length > MAX_TAGS) throw new ValidationError([{ path: 'tags', message: `at most ${MAX_TAGS} tags` }], `${ctx.ref} would have ${to.length} tags; at most ${MAX_TAGS}.`);
  ctx.case.tags = to;
  const change = { from, to, added, removed };
  await ctx.raise('case.tags_changed', { ...change });
  return change;
}

/** Adds and removes tags (a macro, a bulk action). */
export function changeTags(ctx: CaseContext, add: readonly string[], remove: readonly string[]): Promise<TagsChange | null> {
  const from = ctx.case.tags;
  return setTags(ctx, [...from.filter((t) => !remove.includes(t)), ...add.filter((t) => !from.includes(t) && !remove.includes(t))]);
}

