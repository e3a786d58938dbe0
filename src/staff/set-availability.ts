/**
 * A staff member switches between available and away. Assignment offers cases only to
 * available people; becoming available offers them the oldest waiting cases of their
 * queues at once, in the same transaction. Nothing is recorded on cases for the switch
 * itself (assignments are, as usual).
 */
import { eq } from 'drizzle-orm';
import { fillCapacity } from '../assignment/fill-capacity.js';
import { staff } from '../db/schema/index.js';
import { DomainError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';

export interface AvailabilityResult {
  available: boolean;
  /** Waiting cases assigned to them because they became available. */
  assigned: number;
}

export async function setAvailability(services: Services, staffId: number, available: boolean, actor: Actor): Promise<AvailabilityResult> {
  const { db } = services;
  return services.store.write(async (q) => {
    const row = db.select().from(staff).where(eq(staff.id, staffId)).get();
    if (!row || !row.active) throw new DomainError('STAFF_NOT_FOUND', `No active staff member ${staffId}.`, { staffId });
    if (row.available === available) return { available, assigned: 0 };
    db.update(staff).set({ available, updatedAt: services.clock.now() }).where(eq(staff.id, staffId)).run();
    const assigned = available ? await fillCapacity(q, services, staffId, actor) : 0;
    return { available, assigned };
  });
}
