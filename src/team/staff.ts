/**
 * Staff members as managers see them: create (through `createUser`, with a one-time link
 * to set a password), edit role, skills, capacity, chat limit, queues and availability.
 *
 * - Queue rules are those of provisioning (src/users/create-user.ts): plain `agent`s work
 *   tier-1 queues only; advanced agents, managers and admins may work queues of any tier.
 *   Joining needs an active queue; memberships of inactive queues are kept as they are.
 * - Leaving a queue hands the member's open cases in that queue back to automatic
 *   assignment. A smaller capacity keeps the cases already assigned.
 * - More capacity, a higher chat limit, a new queue or becoming available offers waiting cases at once
 *   (`fillCapacity`, same transaction).
 * - Only admins grant the admin role or change an admin's account; nobody changes their own
 *   role (a manager cannot lock themselves out of the console).
 */
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { assignCase, unassign } from '../assignment/assign.js';
import { fillCapacity } from '../assignment/fill-capacity.js';
import { auditIn } from '../audit/record-audit.js';
import { STAFF_ROLES, type staff, type StaffRole } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { DomainError, ValidationError, type FieldIssue } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { setAvailability } from '../staff/set-availability.js';
import { CAPACITY, CHAT_LIMIT, createUser, type CreatedUser } from '../users/create-user.js';
import { CaseContext } from '../workflow/context.js';
import { assertManager, parseInput } from './input.js';

export type StaffRow = typeof staff.$inferSelect;

const slug = z.string().trim().min(1).max(64, 'at most 64 characters each');

export const updateStaffSchema = z.strictObject({
  name: z.string().trim().min(1, 'required').max(200, 'at most 200 characters'),
  role: z.enum(STAFF_ROLES, { error: 'choose a role' }),
  skills: z.array(slug).max(50, 'at most 50 skills'),
  capacity: CAPACITY,
  /** Live chats at once (docs/chat.md); left out: unchanged. */
  chatLimit: CHAT_LIMIT.optional(),
  queues: z.array(slug).max(50, 'at most 50 queues'),
  available: z.boolean(),
});
export type UpdateStaffInput = z.input<typeof updateStaffSchema>;

/** The staff member inside the caller's transaction (`q`); NOT_FOUND when there is none. */
export async function staffIn(q: Handle, id: number): Promise<StaffRow> {
  const t = q.tables.staff;
  const [row] = await q.db.select().from(t).where(eq(t.id, id)).limit(1);
  if (!row) throw new DomainError('NOT_FOUND', `No staff member ${id}.`, { staffId: id });
  return row;
}

export function getStaff(services: Services, id: number): Promise<StaffRow> {
  return services.store.query((q) => staffIn(q, id));
}

/** The queues a staff member works, by id. */
export async function membershipsIn(q: Handle, staffId: number): Promise<string[]> {
  const t = q.tables.staffQueues;
  const rows = await q.db.select({ id: t.queueId }).from(t).where(eq(t.staffId, staffId)).orderBy(asc(t.queueId));
  return rows.map((r) => r.id);
}

export function memberships(services: Services, staffId: number): Promise<string[]> {
  return services.store.query((q) => membershipsIn(q, staffId));
}

/** Only admins grant the admin role or change an admin. */
export function assertMayChange(actor: Actor, target: Pick<StaffRow, 'role'>, newRole?: StaffRole): void {
  if (actor.role === 'admin') return;
  if (target.role === 'admin') throw new DomainError('FORBIDDEN', 'Only admins can change an admin’s account.');
  if (newRole === 'admin') throw new ValidationError([{ path: 'role', message: 'only admins can grant the admin role' }]);
}

/** Creates a staff member; without a password the answer carries a one-time set-password link. */
export async function createStaffMember(services: Services, raw: Record<string, unknown>, actor: Actor): Promise<CreatedUser> {
  assertManager(actor);
  if (raw.role === 'customer') throw new ValidationError([{ path: 'role', message: 'choose a staff role' }]);
  if (raw.role === 'admin' && actor.role !== 'admin') throw new ValidationError([{ path: 'role', message: 'only admins can grant the admin role' }]);
  return createUser(services, raw, actor);
}

async function checkQueues(q: Handle, role: StaffRole, wanted: readonly string[], current: readonly string[]): Promise<FieldIssue[]> {
  const t = q.tables.queues;
  const rows = wanted.length === 0 ? [] : await q.db.select().from(t).where(inArray(t.id, [...wanted]));
  const found = new Map(rows.map((r) => [r.id, r]));
  const issues: FieldIssue[] = [];
  for (const id of wanted) {
    const queue = found.get(id);
    if (!queue || (!queue.active && !current.includes(id))) issues.push({ path: 'queues', message: `no active queue "${id}"` });
    else if (role === 'agent' && queue.tier >= 2) issues.push({ path: 'queues', message: `"${queue.id}" is a tier-${queue.tier} queue; only advanced agents work there` });
  }
  return issues;
}

export interface UpdateStaffResult {
  staff: StaffRow;
  queues: string[];
  /** Open cases handed back to automatic assignment because their assignee left the queue. */
  released: number;
  /** Waiting cases assigned to them after the change. */
  assigned: number;
}

/**
 * Edits a staff member. `queues` lists the queues they work after the change; memberships
 * of inactive queues not listed are kept (the form shows active queues only).
 */
export async function updateStaff(services: Services, staffId: number, raw: UpdateStaffInput, actor: Actor): Promise<UpdateStaffResult> {
  assertManager(actor);
  const input = parseInput(updateStaffSchema, raw);
  return services.store.write(async (q) => {
    const { cases, queues, staff, staffQueues } = q.tables;
    const row = await staffIn(q, staffId);
    if (!row.active) throw new DomainError('CONFLICT', `${row.name} is deactivated; reactivate them first.`);
    assertMayChange(actor, row, input.role);
    if (actor.type === 'staff' && actor.id === staffId && input.role !== row.role) {
      throw new ValidationError([{ path: 'role', message: 'you cannot change your own role' }]);
    }
    const current = await membershipsIn(q, staffId);
    const inactive = new Set(
      current.length === 0 ? [] : (await q.db.select({ id: queues.id }).from(queues).where(and(inArray(queues.id, current), eq(queues.active, false)))).map((r) => r.id),
    );
    const next = [...new Set([...input.queues, ...current.filter((id) => inactive.has(id))])].sort();
    const issues = await checkQueues(q, input.role, next, current);
    if (issues.length > 0) throw new ValidationError(issues);

    const now = services.clock.now();
    await q.db
      .update(staff)
      .set({ name: input.name, role: input.role, skills: [...new Set(input.skills)], capacity: input.capacity, chatLimit: input.chatLimit ?? row.chatLimit, updatedAt: now })
      .where(eq(staff.id, staffId));
    const left = current.filter((id) => !next.includes(id));
    const joined = next.filter((id) => !current.includes(id));
    if (left.length > 0) await q.db.delete(staffQueues).where(and(eq(staffQueues.staffId, staffId), inArray(staffQueues.queueId, left)));
    for (const queueId of joined) await q.db.insert(staffQueues).values({ staffId, queueId });

    let released = 0;
    if (left.length > 0) {
      const affected = await q.db
        .select({ id: cases.id })
        .from(cases)
        .where(and(eq(cases.assigneeId, staffId), eq(cases.open, true), inArray(cases.queueId, left)))
        .orderBy(asc(cases.id));
      for (const { id } of affected) {
        await releaseCase(q, services, id, `${row.name} no longer works this queue`, actor);
        released++;
      }
    }
    // Availability through setAvailability (it offers waiting cases when they become
    // available); otherwise more capacity or a new queue may take waiting cases now.
    let assigned = 0;
    if (input.available !== row.available) assigned = (await setAvailability(services, staffId, input.available, actor)).assigned;
    else if (row.available) assigned = await fillCapacity(q, services, staffId, actor);
    const after = await staffIn(q, staffId);
    await auditIn(q, services.clock, actor, 'staff', staffId, input.role !== row.role ? 'role-changed' : 'updated', { ...row, queues: current }, { ...after, queues: next });
    return { staff: after, queues: next, released, assigned };
  });
}

/** Takes an open case from its assignee and lets automatic assignment pick someone (inside a transaction). */
export async function releaseCase(q: Handle, services: Services, caseId: number, reason: string, actor: Actor): Promise<void> {
  const ctx = await CaseContext.load(q, services, caseId, actor);
  await unassign(ctx, reason);
  await assignCase(ctx);
  await ctx.save();
}

export interface StaffListRow extends StaffRow {
  queues: string[];
  load: number;
}

/** Every staff member (active first, then by name) with their queues and open assigned cases. */
export function listStaff(services: Services): Promise<StaffListRow[]> {
  return services.store.read(async (q) => {
    const { staff, staffQueues } = q.tables;
    const rows = await q.db
      .select({ row: staff, load: sql<number>`(SELECT count(*) FROM cases c WHERE c.assignee_id = "staff"."id" AND c.open = TRUE)`.mapWith(Number) })
      .from(staff)
      .orderBy(desc(staff.active), asc(staff.name), asc(staff.id));
    const byStaff = new Map<number, string[]>();
    for (const m of await q.db.select().from(staffQueues).orderBy(asc(staffQueues.queueId))) {
      const list = byStaff.get(m.staffId) ?? [];
      list.push(m.queueId);
      byStaff.set(m.staffId, list);
    }
    return rows.map(({ row, load }) => ({ ...row, queues: byStaff.get(row.id) ?? [], load }));
  });
}
