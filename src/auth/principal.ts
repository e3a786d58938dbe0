/**
 * The principal (actor + what it may see) of a staff member or a customer, and the ADMIN_TOKEN's.
 * Every API request with a token and every signed-in page asks for one: on SQLite through
 * cached prepared statements (src/auth/sqlite.ts), on PostgreSQL through the builder
 * (src/auth/pg.ts).
 */
import type { Db } from '../db/client.js';
import type { Handle } from '../db/store/index.js';
import type { Principal } from '../http/types.js';
import type { PrincipalRef } from './credential-rules.js';
import { lookups } from './lookups.js';
import { principalIn } from './sqlite.js';

export const ADMIN_TOKEN_PRINCIPAL: Principal = {
  actor: { type: 'system', id: null, role: 'admin', name: 'admin token' },
  staffId: null,
  customerId: null,
  queues: new Set(),
};

/** The principal of a staff member (null when deactivated or gone) or a customer (null when gone). */
export function principalOf(q: Handle, ref: PrincipalRef): Promise<Principal | null> {
  return lookups(q).principalOf(q, ref);
}

/**
 * Synchronous, on a better-sqlite3 database (src/auth/sqlite.ts's statements): for code that
 * still runs on it — benchmarks and tests that build a principal to call a read model.
 */
export function staffPrincipal(db: Db, staffId: number): Principal | null {
  return principalIn(db, { type: 'staff', id: staffId });
}

export function customerPrincipal(db: Db, customerId: number): Principal | null {
  return principalIn(db, { type: 'customer', id: customerId });
}
