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
import { statement } from '../db/fast.js';
import { staff, staffQueues, type StaffRole } from '../db/schema/index.js';
import type { Services } from '../services.js';
import type { CaseContext } from '../workflow/context.js';
import { canSeeCase, type CaseScope } from './access.js';

/** Outbox item type of a mention's mail (handler: src/notifications/send-mention.ts). */
export const MENTION_MAIL = 'notification.mention';

/** `@` not preceded by a letter, digit or address character (so `bob@example.com` is not one). */
const MENTION = /(?<![\p{L}\p{N}._%+-])@([\p{L}\p{N}](?:[\p{L}\p{N}._-]*[\p{L}\p{N}])?)/gu;

/** Lower-case, accents folded: `Zoë` matches `@zoe`. */
export function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
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

function activeStaff(services: Services): StaffRow[] {
  return services.db.select({ id: staff.id, name: staff.name, email: staff.email, role: staff.role }).from(staff).where(eq(staff.active, true)).all();
}

function colleagues(rows: StaffRow[]): Colleague[] {
  const firstNames = new Map<string, number>();
  const firstOf = (name: string) => fold(name.trim().split(/\s+/)[0] ?? '');
  for (const r of rows) firstNames.set(firstOf(r.name), (firstNames.get(firstOf(r.name)) ?? 0) + 1);
  return rows.map((r) => {
    const local = fold(r.email.slice(0, r.email.lastIndexOf('@')));
    const words = fold(r.name).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    const first = firstOf(r.name);
    const names = new Set([local, words.join(''), words.join('.'), words.join('_'), words.join('-')]);
    if (first && firstNames.get(first) === 1) names.add(first);
    names.delete('');
    return { ...r, handle: local, names: [...names] };
  });
}

/** The staff ids working the case's queue (one query for everyone). */
function queueMembers(services: Services, queueId: string): Set<number> {
  return new Set(services.db.select({ id: staffQueues.staffId }).from(staffQueues).where(eq(staffQueues.queueId, queueId)).all().map((r) => r.id));
}

function canSee(member: Pick<StaffRow, 'id' | 'name' | 'role'>, c: CaseScope, members: ReadonlySet<number>): boolean {
  const queues = new Set(members.has(member.id) ? [c.queueId] : []);
  return canSeeCase({ actor: { type: 'staff', id: member.id, role: member.role, name: member.name }, staffId: member.id, customerId: null, queues }, c);
}

/** Whether a staff member may see the case (the same rule as every page: `canSeeCase`). */
export function staffCanSee(services: Services, member: Pick<StaffRow, 'id' | 'name' | 'role'>, c: CaseScope): boolean {
  const membership = services.db
    .select({ id: staffQueues.staffId })
    .from(staffQueues)
    .where(and(eq(staffQueues.staffId, member.id), eq(staffQueues.queueId, c.queueId)))
    .get();
  return canSee(member, c, new Set(membership ? [member.id] : []));
}

/** The active colleagues who may see the case (everyone the composer offers to mention), by name. */
export function mentionable(services: Services, c: CaseScope, authorId: number | null): Colleague[] {
  const members = queueMembers(services, c.queueId);
  return colleagues(activeStaff(services))
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
export function resolveMentions(services: Services, text: string, c: CaseScope, authorId: number | null): ResolvedMentions {
  const handles = mentionHandles(text);
  const out: ResolvedMentions = { notified: [], cannotSee: [], unknown: [] };
  if (handles.length === 0) return out;
  const all = colleagues(activeStaff(services));
  const found = new Map<number, Colleague>();
  for (const handle of handles) {
    // The address's local part first: it is unique; a name could be shared.
    const member = all.find((m) => m.handle === handle) ?? all.find((m) => m.names.includes(handle));
    if (!member) out.unknown.push(handle);
    else if (member.id !== authorId) found.set(member.id, member);
  }
  const members = queueMembers(services, c.queueId);
  for (const member of found.values()) (canSee(member, c, members) ? out.notified : out.cannotSee).push(member);
  return out;
}

/**
 * Inside the note's transaction: records `staff.mentioned` (who was notified, who may not see
 * the case) and queues one mail per notified colleague. Returns who was named.
 */
export async function recordMentions(ctx: CaseContext, body: string): Promise<ResolvedMentions> {
  const result = resolveMentions(ctx.services, body, ctx.case, ctx.actor.type === 'staff' ? ctx.actor.id : null);
  if (result.notified.length === 0 && result.cannotSee.length === 0) return result;
  const note = statement<[number], { id: number | null }>(ctx.services.db, "SELECT max(id) AS id FROM case_events WHERE case_id = ? AND type = 'staff.noted'").get(ctx.case.id)?.id ?? null;
  const people = (list: Colleague[]) => list.map((m) => ({ id: m.id, name: m.name }));
  await ctx.record('staff.mentioned', {
    note,
    mentioned: people(result.notified),
    ...(result.cannotSee.length ? { notNotified: people(result.cannotSee), reason: 'cannot see this case' } : {}),
  });
  for (const member of result.notified) await ctx.enqueue(MENTION_MAIL, { staffId: member.id, note, by: ctx.actor.name });
  return result;
}
