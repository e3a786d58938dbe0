/**
 * Builds the principal (actor + what it may see) for a staff member or a customer. Every
 * API request with a token and every signed-in page asks for one: plain prepared statements
 * (src/db/fast.ts), not drizzle's builder, which builds and prepares its SQL on every call
 * (~40 µs a query, most of an API request's authentication).
 */
import type { Db } from '../db/client.js';
import { statement } from '../db/fast.js';
import type { StaffRole } from '../db/schema/index.js';
import type { Principal } from '../http/types.js';

export const ADMIN_TOKEN_PRINCIPAL: Principal = {
  actor: { type: 'system', id: null, role: 'admin', name: 'admin token' },
  staffId: null,
  customerId: null,
  queues: new Set(),
};

interface StaffRow {
  id: number;
  role: StaffRole;
  name: string;
  active: number;
  time_zone: string | null;
}

export function staffPrincipal(db: Db, staffId: number): Principal | null {
  const row = statement<[number], StaffRow>(db, 'SELECT id, role, name, active, time_zone FROM staff WHERE id = ?').get(staffId);
  if (!row || !row.active) return null;
  const queues = statement<[number], { queue_id: string }>(db, 'SELECT queue_id FROM staff_queues WHERE staff_id = ?').all(row.id);
  return {
    actor: { type: 'staff', id: row.id, role: row.role, name: row.name },
    staffId: row.id,
    customerId: null,
    queues: new Set(queues.map((q) => q.queue_id)),
    timeZone: row.time_zone,
  };
}

export function customerPrincipal(db: Db, customerId: number): Principal | null {
  const row = statement<[number], { id: number; name: string; time_zone: string | null }>(db, 'SELECT id, name, time_zone FROM customers WHERE id = ?').get(customerId);
  if (!row) return null;
  return { actor: { type: 'customer', id: row.id, role: 'customer', name: row.name }, staffId: null, customerId: row.id, queues: new Set(), timeZone: row.time_zone };
}
