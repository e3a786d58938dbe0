/**
 * Authentication's per-request reads on SQLite (the dialect pair's SQLite half; src/auth/pg.ts
 * is the other, src/auth/lookups.ts chooses). Every API request with a token and every
 * signed-in page asks: plain prepared statements cached per connection (src/db/fast.ts), run
 * synchronously, so the caller awaits once per request — not drizzle's builder, which builds
 * and prepares its SQL on every call (~40 µs a query; docs/performance.md, sixth round).
 */
import type { Db } from '../db/client.js';
import { oneSnapshot, statement } from '../db/fast.js';
import type { PrincipalType, StaffRole } from '../db/schema/index.js';
import { sqliteOf, type Handle } from '../db/store/index.js';
import type { Principal } from '../http/types.js';
import {
  activeSession,
  customerPrincipalOf,
  sessionIsOver,
  sessionNeedsTouch,
  staffPrincipalOf,
  tokenIsExpired,
  tokenNeedsTouch,
  tokenPrincipal,
  type ActiveSession,
  type PrincipalRef,
  type StoredSession,
} from './credential-rules.js';

interface StaffRow {
  id: number;
  role: StaffRole;
  name: string;
  active: number;
  time_zone: string | null;
}

/** principalOf on a better-sqlite3 database, synchronously (src/auth/principal.ts's staffPrincipal/customerPrincipal). */
export function principalIn(db: Db, ref: PrincipalRef): Principal | null {
  if (ref.type === 'staff') {
    const row = statement<[number], StaffRow>(db, 'SELECT id, role, name, active, time_zone FROM staff WHERE id = ?').get(ref.id);
    if (!row || !row.active) return null;
    const queues = statement<[number], { queue_id: string }>(db, 'SELECT queue_id FROM staff_queues WHERE staff_id = ?').all(row.id);
    return staffPrincipalOf({ id: row.id, role: row.role, name: row.name, active: true, timeZone: row.time_zone }, queues.map((q) => q.queue_id));
  }
  const row = statement<[number], { id: number; name: string; time_zone: string | null }>(db, 'SELECT id, name, time_zone FROM customers WHERE id = ?').get(ref.id);
  return row ? customerPrincipalOf({ id: row.id, name: row.name, timeZone: row.time_zone }) : null;
}

/** The principal of a staff member (null when deactivated or gone) or a customer. */
export async function principalOf(q: Handle, ref: PrincipalRef): Promise<Principal | null> {
  return principalIn(sqliteOf(q), ref);
}

/** The live session with this id hash, or null; an expired one, or one whose account is gone, is deleted. */
export async function findSession(q: Handle, idHash: string, now: number, touch: boolean): Promise<ActiveSession | null> {
  const db = sqliteOf(q);
  // The session's row and its account's (two or three statements) in one read transaction
  // (fast.ts `oneSnapshot`): this runs on every signed-in request. Writes come after it.
  const found = oneSnapshot(db, () => {
    const stored = statement<[string], StoredSession>(db, 'SELECT principal_type AS principalType, principal_id AS principalId, csrf_token AS csrfToken, last_seen_at AS lastSeenAt, expires_at AS expiresAt FROM sessions WHERE id_hash = ?').get(idHash);
    return stored ? { row: stored, principal: sessionIsOver(stored, now) ? null : principalIn(db, { type: stored.principalType, id: stored.principalId }) } : null;
  });
  if (!found) return null;
  const { row, principal } = found;
  if (!principal) {
    statement<[string]>(db, 'DELETE FROM sessions WHERE id_hash = ?').run(idHash);
    return null;
  }
  if (sessionNeedsTouch(row, now, touch)) statement<[number, string]>(db, 'UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?').run(now, idHash);
  return activeSession(idHash, row, principal);
}

interface TokenRow {
  id: number;
  principal_type: PrincipalType;
  principal_id: number;
  scopes: string;
  expires_at: number | null;
  last_used_at: number | null;
}

/** The principal an unrevoked, unexpired token (by its SHA-256) stands for, or null; notes its use at most once a minute. */
export async function principalForTokenHash(q: Handle, tokenHash: string, now: number): Promise<Principal | null> {
  const db = sqliteOf(q);
  // The token's row and its account's in one read transaction (as findSession); the touch after it.
  const found = oneSnapshot(db, () => {
    const stored = statement<[string], TokenRow>(db, 'SELECT id, principal_type, principal_id, scopes, expires_at, last_used_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL').get(tokenHash);
    return !stored || tokenIsExpired({ expiresAt: stored.expires_at }, now) ? null : { row: stored, principal: principalIn(db, { type: stored.principal_type, id: stored.principal_id }) };
  });
  if (!found) return null;
  const { row, principal } = found;
  if (tokenNeedsTouch({ lastUsedAt: row.last_used_at }, now)) statement<[number, number]>(db, 'UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now, row.id);
  return principal && tokenPrincipal(principal, { id: row.id, scopes: JSON.parse(row.scopes) as string[] });
}
