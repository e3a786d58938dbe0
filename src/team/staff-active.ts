/**
 * Deactivating and reactivating staff. Deactivating ends the member's sessions, revokes
 * their API tokens and their outstanding set-password links in the same transaction, so
 * reactivation restores none of them (they sign in again; an admin issues new tokens). A
 * deactivated member cannot sign in, is never offered cases, and their open
 * cases go back to automatic assignment in the same transaction (the case stays in its
 * queue; with nobody available it waits for the next free agent). Reactivated members start
 * away and switch themselves to available.
 */
import { and, asc, eq } from 'drizzle-orm';
import { revokeApiTokensOf } from '../auth/api-tokens.js';
import { endSessionsOf } from '../auth/sessions.js';
import { revokeLinks } from '../auth/links.js';
import { auditIn } from '../audit/record-audit.js';
import { DomainError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { assertManager } from './input.js';
import { assertMayChange, releaseCase, staffIn, type StaffRow } from './staff.js';

export interface DeactivateStaffResult {
  staff: StaffRow;
  /** Open cases taken from them. */
  released: number;
  /** Of those, how many another agent got at once (the rest wait). */
  reassigned: number;
  /** Sessions ended and API tokens revoked. */
  sessionsEnded: number;
  tokensRevoked: number;
}

export async function deactivateStaff(services: Services, staffId: number, actor: Actor): Promise<DeactivateStaffResult> {
  assertManager(actor);
  return services.store.write(async (q) => {
    const { cases, staff } = q.tables;
    const row = await staffIn(q, staffId);
    assertMayChange(actor, row);
    if (actor.type === 'staff' && actor.id === staffId) throw new DomainError('CONFLICT', 'You cannot deactivate yourself.');
    if (!row.active) return { staff: row, released: 0, reassigned: 0, sessionsEnded: 0, tokensRevoked: 0 };
    const now = services.clock.now();
    const [updated] = await q.db.update(staff).set({ active: false, available: false, updatedAt: now }).where(eq(staff.id, staffId)).returning();
    const ref = { type: 'staff' as const, id: staffId };
    const sessionsEnded = await endSessionsOf(q, ref);
    const tokensRevoked = await revokeApiTokensOf(q, ref, now);
    await revokeLinks(q, ref);
    const open = await q.db.select({ id: cases.id }).from(cases).where(and(eq(cases.assigneeId, staffId), eq(cases.open, true))).orderBy(asc(cases.id));
    let reassigned = 0;
    for (const { id } of open) {
      await releaseCase(q, services, id, `${row.name} was deactivated`, actor);
      const [after] = await q.db.select({ assigneeId: cases.assigneeId }).from(cases).where(eq(cases.id, id)).limit(1);
      if (after?.assigneeId !== null && after?.assigneeId !== undefined) reassigned++;
    }
    await auditIn(q, services.clock, actor, 'staff', staffId, 'deactivated', row, { ...updated!, sessionsEnded, tokensRevoked, released: open.length });
    return { staff: updated!, released: open.length, reassigned, sessionsEnded, tokensRevoked };
  });
}

export async function reactivateStaff(services: Services, staffId: number, actor: Actor): Promise<StaffRow> {
  assertManager(actor);
  return services.store.write(async (q) => {
    const t = q.tables.staff;
    const row = await staffIn(q, staffId);
    assertMayChange(actor, row);
    if (row.active) return row;
    const [updated] = await q.db.update(t).set({ active: true, available: false, updatedAt: services.clock.now() }).where(eq(t.id, staffId)).returning();
    await auditIn(q, services.clock, actor, 'staff', staffId, 'reactivated', row, updated);
    return updated!;
  });
}
