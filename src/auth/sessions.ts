/**
 * Browser sessions. The cookie holds a random 256-bit id; the database keeps only its
 * SHA-256 hash, the principal, a per-session CSRF token and the expiry. A session ends
 * after 7 days at most, or after 12 hours without a request.
 */
import { and, eq, lt, or } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { statement } from '../db/fast.js';
import { sessions, type PrincipalType } from '../db/schema/index.js';
import type { Principal } from '../http/types.js';
import { customerPrincipal, staffPrincipal } from './principal.js';
import { randomToken, sha256 } from './tokens.js';

export const SESSION_MAX_AGE_MS = 7 * 24 * 3_600_000;
export const SESSION_IDLE_MS = 12 * 3_600_000;
/** `last_seen_at` is written at most this often, not on every request. */
const TOUCH_EVERY_MS = 60_000;

export interface PrincipalRef {
  type: PrincipalType;
  id: number;
}

export interface NewSession {
  /** The cookie value (never stored). */
  id: string;
  csrfToken: string;
  expiresAt: number;
}

export interface ActiveSession {
  idHash: string;
  ref: PrincipalRef;
  principal: Principal;
  csrfToken: string;
  expiresAt: number;
}

export function createSession(db: Db, ref: PrincipalRef, now: number, userAgent: string | null = null): NewSession {
  const id = randomToken();
  const csrfToken = randomToken();
  const expiresAt = now + SESSION_MAX_AGE_MS;
  db.insert(sessions)
    .values({
      idHash: sha256(id),
      principalType: ref.type,
      principalId: ref.id,
      csrfToken,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
      userAgent: userAgent?.slice(0, 300) ?? null,
    })
    .run();
  return { id, csrfToken, expiresAt };
}

type StoredSession = Pick<typeof sessions.$inferSelect, 'principalType' | 'principalId' | 'csrfToken' | 'lastSeenAt' | 'expiresAt'>;

/**
 * The live session for a cookie value, or null (unknown, expired, idle too long, account
 * gone). `touch: false` reads without counting as activity (background polling), so an
 * idle browser tab does not keep a session alive.
 */
export function findSession(db: Db, id: string, now: number, options: { touch?: boolean } = {}): ActiveSession | null {
  if (!id || id.length > 200) return null;
  const idHash = sha256(id);
  // Every signed-in page asks: a prepared statement, not drizzle's builder (built and prepared per call).
  const row = statement<[string], StoredSession>(db, 'SELECT principal_type AS principalType, principal_id AS principalId, csrf_token AS csrfToken, last_seen_at AS lastSeenAt, expires_at AS expiresAt FROM sessions WHERE id_hash = ?').get(idHash);
  if (!row) return null;
  if (row.expiresAt <= now || now - row.lastSeenAt > SESSION_IDLE_MS) {
    db.delete(sessions).where(eq(sessions.idHash, idHash)).run();
    return null;
  }
  const principal = row.principalType === 'staff' ? staffPrincipal(db, row.principalId) : customerPrincipal(db, row.principalId);
  if (!principal) {
    db.delete(sessions).where(eq(sessions.idHash, idHash)).run();
    return null;
  }
  if (options.touch !== false && now - row.lastSeenAt >= TOUCH_EVERY_MS) {
    db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.idHash, idHash)).run();
  }
  return { idHash, ref: { type: row.principalType, id: row.principalId }, principal, csrfToken: row.csrfToken, expiresAt: row.expiresAt };
}

export function deleteSession(db: Db, id: string): void {
  endSession(db, sha256(id));
}

/** Ends the session with this stored id hash (`ActiveSession.idHash`). */
export function endSession(db: Db, idHash: string): void {
  db.delete(sessions).where(eq(sessions.idHash, idHash)).run();
}

/** Ends every session of an account (after a password change or deactivation). */
export function deleteSessionsOf(db: Db, ref: PrincipalRef): number {
  return db
    .delete(sessions)
    .where(and(eq(sessions.principalType, ref.type), eq(sessions.principalId, ref.id)))
    .run().changes;
}

/** Removes expired and idle sessions. */
export function purgeSessions(db: Db, now: number): number {
  return db
    .delete(sessions)
    .where(or(lt(sessions.expiresAt, now), lt(sessions.lastSeenAt, now - SESSION_IDLE_MS)))
    .run().changes;
}
