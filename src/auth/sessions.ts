/**
 * Browser sessions. The cookie holds a random 256-bit id; the database keeps only its
 * SHA-256 hash, the principal, a per-session CSRF token and the expiry. A session ends
 * after 7 days at most, or after 12 hours without a request (src/auth/credential-rules.ts).
 * Everything here runs on the storage port's handle, inside the caller's `store.write` or
 * `store.query`.
 */
import { and, eq, lt, or } from 'drizzle-orm';
import type { sessions } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { SESSION_IDLE_MS, SESSION_MAX_AGE_MS, type ActiveSession, type PrincipalRef } from './credential-rules.js';
import { lookups } from './lookups.js';
import { randomToken, sha256 } from './tokens.js';

export { SESSION_IDLE_MS, SESSION_MAX_AGE_MS, type ActiveSession, type PrincipalRef };

export interface NewSession {
  /** The cookie value (never stored). */
  id: string;
  csrfToken: string;
  expiresAt: number;
}

/**
 * A new session's secrets and its row (the id only hashed). Test fixtures that must stay
 * synchronous (test/support/pages.ts) insert the row themselves; everything else calls
 * createSession.
 */
export function newSessionRow(ref: PrincipalRef, now: number, userAgent: string | null = null): { session: NewSession; row: typeof sessions.$inferInsert } {
  const id = randomToken();
  const csrfToken = randomToken();
  const expiresAt = now + SESSION_MAX_AGE_MS;
  return {
    session: { id, csrfToken, expiresAt },
    row: {
      idHash: sha256(id),
      principalType: ref.type,
      principalId: ref.id,
      csrfToken,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
      userAgent: userAgent?.slice(0, 300) ?? null,
    },
  };
}

export async function createSession(q: Handle, ref: PrincipalRef, now: number, userAgent: string | null = null): Promise<NewSession> {
  const { session, row } = newSessionRow(ref, now, userAgent);
  await q.db.insert(q.tables.sessions).values(row);
  return session;
}

/**
 * The live session for a cookie value, or null (unknown, expired, idle too long, account
 * gone). `touch: false` reads without counting as activity (background polling), so an
 * idle browser tab does not keep a session alive. Every signed-in page asks: on SQLite one
 * synchronous call of cached statements (src/auth/sqlite.ts).
 */
export function findSession(q: Handle, id: string, now: number, options: { touch?: boolean } = {}): Promise<ActiveSession | null> {
  if (!id || id.length > 200) return Promise.resolve(null);
  return lookups(q).findSession(q, sha256(id), now, options.touch !== false);
}

/**
 * The live session with this stored id hash (`ActiveSession.idHash`), or null: for work that
 * outlives its request (a live stream) and must stop with the sign-in — signed out, a new
 * password, deactivation, revoked access, expiry. Never counts as activity.
 */
export function findSessionByHash(q: Handle, idHash: string, now: number): Promise<ActiveSession | null> {
  return lookups(q).findSession(q, idHash, now, false);
}

export function deleteSession(q: Handle, id: string): Promise<void> {
  return endSession(q, sha256(id));
}

/** Ends the session with this stored id hash (`ActiveSession.idHash`). */
export async function endSession(q: Handle, idHash: string): Promise<void> {
  await q.db.delete(q.tables.sessions).where(eq(q.tables.sessions.idHash, idHash));
}

/** Ends every session of an account (after a password change or deactivation); returns how many. */
export async function endSessionsOf(q: Handle, ref: PrincipalRef): Promise<number> {
  const { sessions: t } = q.tables;
  const ended = await q.db
    .delete(t)
    .where(and(eq(t.principalType, ref.type), eq(t.principalId, ref.id)))
    .returning({ idHash: t.idHash });
  return ended.length;
}

/** Removes expired and idle sessions. */
export async function purgeSessions(q: Handle, now: number): Promise<number> {
  const { sessions: t } = q.tables;
  const purged = await q.db
    .delete(t)
    .where(or(lt(t.expiresAt, now), lt(t.lastSeenAt, now - SESSION_IDLE_MS)))
    .returning({ idHash: t.idHash });
  return purged.length;
}
