/**
 * A staff member switches between available and away. Assignment offers cases only to
 * available people; becoming available offers them the oldest waiting cases of their
 * queues at once, in the same transaction. Nothing is recorded on cases for the switch
 * itself (assignments are, as usual).
 */
import { eq } from 'drizzle-orm';
import { fillCapacity } from '../assignment/fill-capacity.js';
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
    const assigned = available ? await fillCapacity(q, services, staffId, actor) : 0;
    return { available, assigned };
  });
}
