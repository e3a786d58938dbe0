/**
 * Mentions in internal notes: `@alice` (the local part of a colleague's email address),
 * `@alice.archer` or `@AliceArcher` (their name without spaces), or `@Alice` (a first name
 * no other active colleague shares). A mentioned colleague who may see the case gets a
 * `staff.mentioned` entry on the staff timeline and a mail through the outbox
 * (`notification.mention`); one who may not see it is named on the entry as not notified,
 * so a note never reaches someone outside the case's queues. Customers never see any of it:
 * mentions are read from internal notes only, and the customer projection has no such entry.
 */
import { and, eq } from 'drizzle-orm';
import type { StaffRole } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { get } from '../db/store/rows.js';
import type { CaseContext } from '../workflow/context.js';
import { foldAccents } from '../text/fold.js';
import { canSeeCase, type CaseScope } from './access.js';

/** Outbox item type of a mention's mail (handler: src/notifications/send-mention.ts). */
export const MENTION_MAIL = 'notification.mention';

/**
 * `@` not preceded by a letter, digit or address character (so `bob@example.com` is not one).
 * A handle's letters may carry marks: `@प्रिया` is one handle, not `@प` (Devanagari vowel signs are marks).
 */
const MENTION = /(?<![\p{L}\p{N}._%+-])@([\p{L}\p{N}](?:[\p{L}\p{M}\p{N}._-]*[\p{L}\p{M}\p{N}])?)/gu;

/** Lower-case, accents folded (src/text/fold.ts): `Zoë` matches `@zoe`; Devanagari keeps its vowel signs. */
export function fold(text: string): string {
  return foldAccents(text).toLowerCase();
}

/** The handles written in a text (`@alice`, `@alice.archer`), folded, each once, in order. */
export function mentionHandles(text: string): string[] {
  const seen = new Set<string>();
  for (const match of text.matchAll(MENTION)) seen.add(fold(match[1]!));
  return [...seen];
}

export interface Colleague {
  id: number;
  name: string;
  email: string;
  role: StaffRole;
  /** What to type after `@`: the local part of their address. */
  handle: string;
  /** Handles that name them: the address's local part, the name without spaces or with dots, a unique first name. */
  names: string[];
}

interface StaffRow {
  id: number;
  name: string;
  email: string;
  role: StaffRole;
}

function activeStaff(q: Handle): Promise<StaffRow[]> {
  const { staff } = q.tables;
  return q.db.select({ id: staff.id, name: staff.name, email: staff.email, role: staff.role }).from(staff).where(eq(staff.active, true));
}

function colleagues(rows: StaffRow[]): Colleague[] {
  const firstNames = new Map<string, number>();
  const firstOf = (name: string) => fold(name.trim().split(/\s+/)[0] ?? '');
  for (const r of rows) firstNames.set(firstOf(r.name), (firstNames.get(firstOf(r.name)) ?? 0) + 1);
  return rows.map((r) => {
    const local = fold(r.email.slice(0, r.email.lastIndexOf('@')));
    const words = fold(r.name).split(/[^\p{L}\p{M}\p{N}]+/u).filter(Boolean);
    const first = firstOf(r.name);
    const names = new Set([local, words.join(''), words.join('.'), words.join('_'), words.join('-')]);
    if (first && firstNames.get(first) === 1) names.add(first);
    names.delete('');
    return { ...r, handle: local, names: [...names] };
  });
}

/** The staff ids working the case's queue (one query for everyone). */
async function queueMembers(q: Handle, queueId: string): Promise<Set<number>> {
  const { staffQueues } = q.tables;
  return new Set((await q.db.select({ id: staffQueues.staffId }).from(staffQueues).where(eq(staffQueues.queueId, queueId))).map((r) => r.id));
}

function canSee(member: Pick<StaffRow, 'id' | 'name' | 'role'>, c: CaseScope, members: ReadonlySet<number>): boolean {
  const queues = new Set(members.has(member.id) ? [c.queueId] : []);
  return canSeeCase({ actor: { type: 'staff', id: member.id, role: member.role, name: member.name }, staffId: member.id, customerId: null, queues }, c);
}

/** Whether a staff member may see the case (the same rule as every page: `canSeeCase`). */
export async function staffCanSee(q: Handle, member: Pick<StaffRow, 'id' | 'name' | 'role'>, c: CaseScope): Promise<boolean> {
  const { staffQueues } = q.tables;
  const [membership] = await q.db
    .select({ id: staffQueues.staffId })
    .from(staffQueues)
    .where(and(eq(staffQueues.staffId, member.id), eq(staffQueues.queueId, c.queueId)))
    .limit(1);
  return canSee(member, c, new Set(membership ? [member.id] : []));
}

/** The active colleagues who may see the case (everyone the composer offers to mention), by name. */
export async function mentionable(q: Handle, c: CaseScope, authorId: number | null): Promise<Colleague[]> {
  const members = await queueMembers(q, c.queueId);
  return colleagues(await activeStaff(q))
    .filter((m) => m.id !== authorId && canSee(m, c, members))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export interface ResolvedMentions {
  /** Colleagues who may see the case: notified. */
  notified: Colleague[];
  /** Colleagues named who may not see the case: not notified. */
  cannotSee: Colleague[];
  /** Handles that name no active colleague (an address, a handle elsewhere): plain text. */
  unknown: string[];
}

/** Who the handles in `text` name (the author is left out), split by whether they may see the case. */
export async function resolveMentions(q: Handle, text: string, c: CaseScope, authorId: number | null): Promise<ResolvedMentions> {
  const handles = mentionHandles(text);
  const out: ResolvedMentions = { notified: [], cannotSee: [], unknown: [] };
  if (handles.length === 0) return out;
  const all = colleagues(await activeStaff(q));
  const found = new Map<number, Colleague>();
  for (const handle of handles) {
    // The address's local part first: it is unique; a name could be shared.
    const member = all.find((m) => m.handle === handle) ?? all.find((m) => m.names.includes(handle));
    if (!member) out.unknown.push(handle);
    else if (member.id !== authorId) found.set(member.id, member);
  }
  const members = await queueMembers(q, c.queueId);
  for (const member of found.values()) (canSee(member, c, members) ? out.notified : out.cannotSee).push(member);
  return out;
}

/**
 * Inside the note's transaction: records `staff.mentioned` (who was notified, who may not see
 * the case) and queues one mail per notified colleague. Returns who was named.
 */
export async function recordMentions(ctx: CaseContext, body: string): Promise<ResolvedMentions> {
  const result = await resolveMentions(ctx.q, body, ctx.case, ctx.actor.type === 'staff' ? ctx.actor.id : null);
  if (result.notified.length === 0 && result.cannotSee.length === 0) return result;
  const note = (await get<{ id: number | null }>(ctx.q, "SELECT max(id) AS id FROM case_events WHERE case_id = ? AND type = 'staff.noted'", [ctx.case.id]))?.id ?? null;
  const people = (list: Colleague[]) => list.map((m) => ({ id: m.id, name: m.name }));
  await ctx.record('staff.mentioned', {
    note,
    mentioned: people(result.notified),
    ...(result.cannotSee.length ? { notNotified: people(result.cannotSee), reason: 'cannot see this case' } : {}),
  });
  for (const member of result.notified) await ctx.enqueue(MENTION_MAIL, { staffId: member.id, note, by: ctx.actor.name });
  return result;
}
