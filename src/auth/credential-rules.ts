/**
 * What a stored session or API token means at a given instant — the rules the per-request
 * lookups of both dialects share (src/auth/sqlite.ts, src/auth/pg.ts): pure, no database.
 */
import type { PrincipalType, StaffRole } from '../db/schema/index.js';
import type { Principal } from '../http/types.js';

export const SESSION_MAX_AGE_MS = 7 * 24 * 3_600_000;
export const SESSION_IDLE_MS = 12 * 3_600_000;
/** A session's `last_seen_at` is written at most this often, not on every request. */
const SESSION_TOUCH_EVERY_MS = 60_000;
/** An API token's `last_used_at` likewise. */
const TOKEN_TOUCH_EVERY_MS = 60_000;

export interface PrincipalRef {
  type: PrincipalType;
  id: number;
}

export interface ActiveSession {
  idHash: string;
  ref: PrincipalRef;
  principal: Principal;
  csrfToken: string;
  expiresAt: number;
}

/** A `sessions` row as the lookups read it. */
export interface StoredSession {
  principalType: PrincipalType;
  principalId: number;
  csrfToken: string;
  lastSeenAt: number;
  expiresAt: number;
}

/** Expired (7 days at most) or idle too long (12 hours): the session is deleted. */
export function sessionIsOver(row: StoredSession, now: number): boolean {
  return row.expiresAt <= now || now - row.lastSeenAt > SESSION_IDLE_MS;
}

export function sessionNeedsTouch(row: StoredSession, now: number, touch: boolean): boolean {
  return touch && now - row.lastSeenAt >= SESSION_TOUCH_EVERY_MS;
}

export function activeSession(idHash: string, row: StoredSession, principal: Principal): ActiveSession {
  return { idHash, ref: { type: row.principalType, id: row.principalId }, principal, csrfToken: row.csrfToken, expiresAt: row.expiresAt };
}

/** An unrevoked `api_tokens` row as the lookups read it (scopes parsed). */
export interface StoredToken {
  id: number;
  principalType: PrincipalType;
  principalId: number;
  scopes: readonly string[];
  expiresAt: number | null;
  lastUsedAt: number | null;
}

export function tokenIsExpired(row: Pick<StoredToken, 'expiresAt'>, now: number): boolean {
  return row.expiresAt !== null && row.expiresAt <= now;
}

export function tokenNeedsTouch(row: Pick<StoredToken, 'lastUsedAt'>, now: number): boolean {
  return row.lastUsedAt === null || now - row.lastUsedAt > TOKEN_TOUCH_EVERY_MS;
}

/** The account's principal as a token's: limited to the token's scopes, if it has any. */
export function tokenPrincipal(principal: Principal, row: Pick<StoredToken, 'id' | 'scopes'>): Principal {
  return row.scopes.length > 0 ? { ...principal, scopes: row.scopes, tokenId: row.id } : { ...principal, tokenId: row.id };
}

export interface StaffPrincipalRow {
  id: number;
  role: StaffRole;
  name: string;
  active: boolean;
  timeZone: string | null;
}

/** A staff member's principal, or null when deactivated. */
export function staffPrincipalOf(row: StaffPrincipalRow, queues: Iterable<string>): Principal | null {
  if (!row.active) return null;
  return {
    actor: { type: 'staff', id: row.id, role: row.role, name: row.name },
    staffId: row.id,
    customerId: null,
    queues: new Set(queues),
    timeZone: row.timeZone,
  };
}

export function customerPrincipalOf(row: { id: number; name: string; timeZone: string | null }): Principal {
  return { actor: { type: 'customer', id: row.id, role: 'customer', name: row.name }, staffId: null, customerId: row.id, queues: new Set(), timeZone: row.timeZone };
}
