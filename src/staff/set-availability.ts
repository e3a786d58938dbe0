/**
 * A staff member switches between available and away. Assignment offers cases only to
 * available people; becoming available offers them the oldest waiting cases of their
 * queues at once, in the same transaction. Nothing is recorded on cases for the switch
 * itself (assignments are, as usual).
 */
import { eq } from 'drizzle-orm';
import { fillCapacity } from '../assignment/fill-capacity.js';
import { transaction } from '../db/client.js';
import { staff } from '../db/schema/index.js';
import { DomainError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';

export interface AvailabilityResult {
  available: boolean;
  /** Waiting cases assigned to them because they became available. */
  assigned: number;
}

const notFound = (staffId: number) => new DomainError('STAFF_NOT_FOUND', `No active staff member ${staffId}.`, { staffId });

/** In its own write (inside a caller's write: a savepoint of it). */
export function setAvailability(services: Services, staffId: number, available: boolean, actor: Actor): Promise<AvailabilityResult> {
  return services.store.write(async (q) => {
    const t = q.tables.staff;
    const [row] = await q.db.select({ active: t.active, available: t.available }).from(t).where(eq(t.id, staffId)).limit(1);
    if (!row?.active) throw notFound(staffId);
    if (row.available === available) return { available, assigned: 0 };
    await q.db.update(t).set({ available, updatedAt: services.clock.now() }).where(eq(t.id, staffId));
    // fillCapacity (src/assignment, the case engine's) still runs on better-sqlite3: on SQLite it writes in this unit's transaction.
    const assigned = available ? fillCapacity(services, staffId, actor) : 0;
    return { available, assigned };
  });
}

/**
 * setAvailability for a caller still inside one of better-sqlite3's synchronous transactions
 * (src/team/staff.ts updateStaff, the case engine's) until it moves onto the storage port; then
 * it awaits setAvailability, which joins its write as a savepoint.
 */
export function setAvailabilitySync(services: Services, staffId: number, available: boolean, actor: Actor): AvailabilityResult {
  const { db } = services;
  return transaction(db, () => {
    const row = db.select().from(staff).where(eq(staff.id, staffId)).get();
    if (!row || !row.active) throw notFound(staffId);
    if (row.available === available) return { available, assigned: 0 };
    db.update(staff).set({ available, updatedAt: services.clock.now() }).where(eq(staff.id, staffId)).run();
    const assigned = available ? fillCapacity(services, staffId, actor) : 0;
    return { available, assigned };
  });
}
