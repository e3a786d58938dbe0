/**
 * Self sign-up on the portal. Asking for an account (`POST /signup`) only queues a mail
 * (src/auth/request-access-mail.ts); when the policy (src/auth/signup-policy.ts) allows a new
 * account for the address, that mail carries a confirmation link (`sign_ups`, the token's
 * hash, 24 hours). Nothing exists until the link is used: then the customer is created (or,
 * if the address became a customer meanwhile, that account is signed in), once.
 */
import { and, eq, gt, isNull, lt, ne, or } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Services } from '../services.js';
import type { PrincipalRef } from './credential-rules.js';
import { revokeLinks } from './links.js';
import { hashPassword, MIN_PASSWORD_LENGTH } from './password.js';
import { allowsNewAccount } from './signup-policy.js';
import { randomToken, sha256 } from './tokens.js';

export const SIGN_UP_TTL_MS = 24 * 3_600_000;

export const DEAD_SIGN_UP_LINK = 'This confirmation link has expired or was already used. Sign up again to get a new one.';

export interface PendingSignUp {
  email: string;
  name: string;
  expiresAt: number;
}

/** Writes a pending sign-up and answers the link's token. */
export async function createSignUp(q: Handle, email: string, name: string, now: number): Promise<{ token: string; expiresAt: number }> {
  const t = q.tables.signUps;
  await q.db.delete(t).where(or(lt(t.expiresAt, now - 24 * 3_600_000), lt(t.usedAt, now - 24 * 3_600_000)));
  const token = randomToken();
  const expiresAt = now + SIGN_UP_TTL_MS;
  await q.db.insert(t).values({ tokenHash: sha256(token), email, name, createdAt: now, expiresAt });
  return { token, expiresAt };
}

/** Forgets a pending sign-up by its token (one whose mail could not be sent). */
export async function revokeSignUp(q: Handle, token: string): Promise<void> {
  await q.db.delete(q.tables.signUps).where(eq(q.tables.signUps.tokenHash, sha256(token)));
}

export function signUpUrl(services: Services, token: string): string {
  return `${services.publicUrl}/signup/confirm?token=${encodeURIComponent(token)}`;
}

/** The pending sign-up of a still-valid link (for the confirmation page), or null. Uses nothing up. */
export async function peekSignUp(services: Services, token: string): Promise<PendingSignUp | null> {
  if (!token || token.length > 200) return null;
  const row = await services.store.query(async (q) => {
    const t = q.tables.signUps;
    const [found] = await q.db
      .select({ email: t.email, name: t.name, expiresAt: t.expiresAt })
      .from(t)
      .where(and(eq(t.tokenHash, sha256(token)), isNull(t.usedAt), gt(t.expiresAt, services.clock.now())))
      .limit(1);
    return found;
  });
  return row ? { email: row.email, name: row.name, expiresAt: row.expiresAt } : null;
}

export interface ConfirmSignUpInput {
  token: string;
  name: string;
  /** Optional: without one the customer signs in with mailed links. */
  password?: string | undefined;
}

/**
 * Uses the confirmation link once: creates the customer (the address is proven) and answers
 * who to sign in. If the address became a customer meanwhile, that account is signed in
 * instead (its password, if it has one, is left alone) and its other links are revoked.
 * NOT_FOUND for an unknown, used or expired link, for a staff address, and when the policy
 * no longer allows the account.
 */
export async function confirmSignUp(services: Services, input: ConfirmSignUpInput): Promise<PrincipalRef> {
  const name = input.name.trim();
  const issues = [];
  if (name === '' || name.length > 200) issues.push({ path: 'name', message: name === '' ? 'enter your name' : 'use at most 200 characters' });
  const password = input.password ?? '';
  if (password !== '' && (password.length < MIN_PASSWORD_LENGTH || password.length > 200)) {
    issues.push({ path: 'password', message: password.length > 200 ? 'use at most 200 characters' : `use at least ${MIN_PASSWORD_LENGTH} characters, or leave it empty` });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  const passwordHash = password === '' ? null : await hashPassword(password);
  return services.store.write(async (q) => {
    const { signUps, staff, customers } = q.tables;
    const now = services.clock.now();
    const hash = sha256(input.token);
    // One conditional UPDATE finds the link and marks it used: the same link sent twice at once
    // (on PostgreSQL both transactions run side by side) is marked by one of them only.
    const [row] =
      input.token.length > 200
        ? []
        : await q.db
            .update(signUps)
            .set({ usedAt: now })
            .where(and(eq(signUps.tokenHash, hash), isNull(signUps.usedAt), gt(signUps.expiresAt, now)))
            .returning({ email: signUps.email });
    if (!row) throw new DomainError('NOT_FOUND', DEAD_SIGN_UP_LINK);
    await q.db.delete(signUps).where(and(eq(signUps.email, row.email), isNull(signUps.usedAt), ne(signUps.tokenHash, hash)));
    const [member] = await q.db.select({ id: staff.id }).from(staff).where(eq(staff.email, row.email)).limit(1);
    if (member) throw new DomainError('NOT_FOUND', DEAD_SIGN_UP_LINK);
    const [existing] = await q.db.select({ id: customers.id, passwordHash: customers.passwordHash }).from(customers).where(eq(customers.email, row.email)).limit(1);
    if (existing) {
      if (existing.passwordHash === null && passwordHash !== null) await q.db.update(customers).set({ passwordHash, updatedAt: now }).where(eq(customers.id, existing.id));
      await revokeLinks(q, { type: 'customer', id: existing.id });
      return { type: 'customer', id: existing.id };
    }
    if (!allowsNewAccount(services.access.signup, row.email)) throw new DomainError('NOT_FOUND', 'Sign-up is closed for this address now.');
    const [created] = await q.db.insert(customers).values({ email: row.email, name, passwordHash, createdAt: now, updatedAt: now }).returning({ id: customers.id });
    return { type: 'customer', id: created!.id };
  });
}
