/** Builds the principal (actor + what it may see) for a staff member or a customer. */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { customers, staff, staffQueues } from '../db/schema/index.js';
import type { Principal } from '../http/types.js';

export const ADMIN_TOKEN_PRINCIPAL: Principal = {
  actor: { type: 'system', id: null, role: 'admin', name: 'admin token' },
  staffId: null,
  customerId: null,
  queues: new Set(),
};

export function staffPrincipal(db: Db, staffId: number): Principal | null {
  const row = db.select().from(staff).where(eq(staff.id, staffId)).get();
  if (!row || !row.active) return null;
  const queues = db.select({ id: staffQueues.queueId }).from(staffQueues).where(eq(staffQueues.staffId, row.id)).all();
  return {
    actor: { type: 'staff', id: row.id, role: row.role, name: row.name },
    staffId: row.id,
    customerId: null,
    queues: new Set(queues.map((q) => q.id)),
    timeZone: row.timeZone,
  };
}

export function customerPrincipal(db: Db, customerId: number): Principal | null {
  const row = db.select().from(customers).where(eq(customers.id, customerId)).get();
  if (!row) return null;
  return { actor: { type: 'customer', id: row.id, role: 'customer', name: row.name }, staffId: null, customerId: row.id, queues: new Set(), timeZone: row.timeZone };
}
