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
import type { LinkPurpose } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import type { PrincipalRef } from './credential-rules.js';
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
export async function createLink(q: Handle, ref: PrincipalRef, purpose: LinkPurpose, now: number, ttlMs: number): Promise<IssuedLink> {
  const token = randomToken();
  const expiresAt = now + ttlMs;
  await q.db.insert(q.tables.passwordTokens).values({ tokenHash: sha256(token), purpose, principalType: ref.type, principalId: ref.id, createdAt: now, expiresAt });
  return { token, expiresAt };
}

/** The still-valid (unused, unexpired) link for this token among the given purposes, or null. Changes nothing. */
export async function findLink(q: Handle, token: string, purposes: readonly LinkPurpose[], now: number): Promise<FoundLink | null> {
  if (!token || token.length > 200) return null;
  const t = q.tables.passwordTokens;
  const [row] = await q.db
    .select({ principalType: t.principalType, principalId: t.principalId, purpose: t.purpose, expiresAt: t.expiresAt })
    .from(t)
    .where(and(eq(t.tokenHash, sha256(token)), isNull(t.usedAt), gt(t.expiresAt, now), inArray(t.purpose, [...purposes])))
    .limit(1);
  return row ? { ref: { type: row.principalType, id: row.principalId }, purpose: row.purpose, expiresAt: row.expiresAt } : null;
}

/**
 * Uses a link once: marks it used and revokes every other outstanding link of the account
 * (any purpose). Null when the token is unknown, used, expired or for another purpose.
 * Call inside the transaction that does what the link is for.
 */
export async function useLink(q: Handle, token: string, purposes: readonly LinkPurpose[], now: number): Promise<FoundLink | null> {
  const link = await findLink(q, token, purposes, now);
  if (!link) return null;
  const t = q.tables.passwordTokens;
  const hash = sha256(token);
  const marked = await q.db
    .update(t)
    .set({ usedAt: now })
    .where(and(eq(t.tokenHash, hash), isNull(t.usedAt)))
    .returning({ tokenHash: t.tokenHash });
  if (marked.length !== 1) return null;
  await q.db.delete(t).where(and(eq(t.principalType, link.ref.type), eq(t.principalId, link.ref.id), isNull(t.usedAt), ne(t.tokenHash, hash)));
  return link;
}

/** Revokes (deletes) the account's unused links, of the given purposes or of all; returns how many. */
export async function revokeLinks(q: Handle, ref: PrincipalRef, purposes?: readonly LinkPurpose[]): Promise<number> {
  const t = q.tables.passwordTokens;
  const of = and(eq(t.principalType, ref.type), eq(t.principalId, ref.id), isNull(t.usedAt));
  const revoked = await q.db
    .delete(t)
    .where(purposes ? and(of, inArray(t.purpose, [...purposes])) : of)
    .returning({ tokenHash: t.tokenHash });
  return revoked.length;
}

/** Revokes one link by its token (a link whose mail could not be sent). */
export async function revokeLink(q: Handle, token: string): Promise<void> {
  const t = q.tables.passwordTokens;
  await q.db.delete(t).where(and(eq(t.tokenHash, sha256(token)), isNull(t.usedAt)));
}

/** Forgets links that expired, or were used, more than a day ago. */
export async function purgeLinks(q: Handle, now: number): Promise<number> {
  const t = q.tables.passwordTokens;
  const dayAgo = now - 24 * 3_600_000;
  const purged = await q.db
    .delete(t)
    .where(or(lt(t.expiresAt, dayAgo), lt(t.usedAt, dayAgo)))
    .returning({ tokenHash: t.tokenHash });
  return purged.length;
}
