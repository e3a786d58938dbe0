/**
 * One-time links of an account (`password_tokens`): set a password, reset it, sign in.
 * The link holds a random 256-bit token; the database keeps only its SHA-256 hash, what it
 * is for (`purpose`) and when it expires. A link works once, and using one — whatever its
 * purpose — revokes every other outstanding link of the account, so a forwarded or stolen
 * older link is dead as soon as its owner uses any newer one.
 *
 * Opening a link is two steps: a GET shows what it will do (`findLink`, nothing changes: mail
 * scanners prefetch links) and a POST uses it (`useLink`).
 */
import { and, eq, gt, inArray, isNull, lt, ne, or } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { passwordTokens, type LinkPurpose } from '../db/schema/index.js';
import type { PrincipalRef } from './sessions.js';
import { randomToken, sha256 } from './tokens.js';

/** How long each kind of link works. */
export const LINK_TTL_MS = {
  /** Set-password links of accounts provisioned without a password. */
  setPassword: 7 * 24 * 3_600_000,
  /** "Forgot password?" */
  reset: 60 * 60_000,
  /** "Email me a sign-in link" on the sign-in page. */
  signIn: 30 * 60_000,
  /** The sign-in link in the acknowledgement of a new case. */
  caseMail: 7 * 24 * 3_600_000,
} as const;

export interface IssuedLink {
  token: string;
  expiresAt: number;
}

export interface FoundLink {
  ref: PrincipalRef;
  purpose: LinkPurpose;
  expiresAt: number;
}

/** Writes a new link of the account. Earlier links are left alone (see `revokeLinks`). Inside the caller's transaction, if any. */
export function createLink(db: Db, ref: PrincipalRef, purpose: LinkPurpose, now: number, ttlMs: number): IssuedLink {
  const token = randomToken();
  const expiresAt = now + ttlMs;
  db.insert(passwordTokens).values({ tokenHash: sha256(token), purpose, principalType: ref.type, principalId: ref.id, createdAt: now, expiresAt }).run();
  return { token, expiresAt };
}

/** The still-valid (unused, unexpired) link for this token among the given purposes, or null. Changes nothing. */
export function findLink(db: Db, token: string, purposes: readonly LinkPurpose[], now: number): FoundLink | null {
  if (!token || token.length > 200) return null;
  const row = db
    .select()
    .from(passwordTokens)
    .where(and(eq(passwordTokens.tokenHash, sha256(token)), isNull(passwordTokens.usedAt), gt(passwordTokens.expiresAt, now), inArray(passwordTokens.purpose, [...purposes])))
    .get();
  return row ? { ref: { type: row.principalType, id: row.principalId }, purpose: row.purpose, expiresAt: row.expiresAt } : null;
}

/**
 * Uses a link once: marks it used and revokes every other outstanding link of the account
 * (any purpose). Null when the token is unknown, used, expired or for another purpose.
 * Call inside the transaction that does what the link is for.
 */
export function useLink(db: Db, token: string, purposes: readonly LinkPurpose[], now: number): FoundLink | null {
  const link = findLink(db, token, purposes, now);
  if (!link) return null;
  const hash = sha256(token);
  const marked = db.update(passwordTokens).set({ usedAt: now }).where(and(eq(passwordTokens.tokenHash, hash), isNull(passwordTokens.usedAt))).run().changes;
  if (marked !== 1) return null;
  db.delete(passwordTokens)
    .where(and(eq(passwordTokens.principalType, link.ref.type), eq(passwordTokens.principalId, link.ref.id), isNull(passwordTokens.usedAt), ne(passwordTokens.tokenHash, hash)))
    .run();
  return link;
}

/** Revokes (deletes) the account's unused links, of the given purposes or of all; returns how many. */
export function revokeLinks(db: Db, ref: PrincipalRef, purposes?: readonly LinkPurpose[]): number {
  const of = and(eq(passwordTokens.principalType, ref.type), eq(passwordTokens.principalId, ref.id), isNull(passwordTokens.usedAt));
  return db
    .delete(passwordTokens)
    .where(purposes ? and(of, inArray(passwordTokens.purpose, [...purposes])) : of)
    .run().changes;
}

/** Revokes one link by its token (a link whose mail could not be sent). */
export function revokeLink(db: Db, token: string): void {
  db.delete(passwordTokens).where(and(eq(passwordTokens.tokenHash, sha256(token)), isNull(passwordTokens.usedAt))).run();
}

/** Forgets links that expired, or were used, more than a day ago. */
export function purgeLinks(db: Db, now: number): number {
  const dayAgo = now - 24 * 3_600_000;
  return db
    .delete(passwordTokens)
    .where(or(lt(passwordTokens.expiresAt, dayAgo), lt(passwordTokens.usedAt, dayAgo)))
    .run().changes;
}
