/**
 * Self sign-up on the portal. Asking for an account (`POST /signup`) only queues a mail
 * (src/auth/request-access-mail.ts); when the policy (src/auth/signup-policy.ts) allows a new
 * account for the address, that mail carries a confirmation link (`sign_ups`, the token's
 * hash, 24 hours). Nothing exists until the link is used: then the customer is created (or,
 * if the address became a customer meanwhile, that account is signed in), once.
 */
import { and, eq, gt, isNull, lt, ne, or } from 'drizzle-orm';
import { transaction, type Db } from '../db/client.js';
import { customers, signUps, staff } from '../db/schema/index.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Services } from '../services.js';
import { revokeLinks } from './links.js';
import { hashPassword, MIN_PASSWORD_LENGTH } from './password.js';
import type { PrincipalRef } from './sessions.js';
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
export function createSignUp(db: Db, email: string, name: string, now: number): { token: string; expiresAt: number } {
  db.delete(signUps)
    .where(or(lt(signUps.expiresAt, now - 24 * 3_600_000), lt(signUps.usedAt, now - 24 * 3_600_000)))
    .run();
  const token = randomToken();
  const expiresAt = now + SIGN_UP_TTL_MS;
  db.insert(signUps).values({ tokenHash: sha256(token), email, name, createdAt: now, expiresAt }).run();
  return { token, expiresAt };
}

export function signUpUrl(services: Services, token: string): string {
  return `${services.publicUrl}/signup/confirm?token=${encodeURIComponent(token)}`;
}

/** The pending sign-up of a still-valid link (for the confirmation page), or null. Uses nothing up. */
export function peekSignUp(services: Services, token: string): PendingSignUp | null {
  if (!token || token.length > 200) return null;
  const row = services.db
    .select()
    .from(signUps)
    .where(and(eq(signUps.tokenHash, sha256(token)), isNull(signUps.usedAt), gt(signUps.expiresAt, services.clock.now())))
    .get();
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
  const { db } = services;
  return transaction(db, () => {
    const now = services.clock.now();
    const hash = sha256(input.token);
    const row = input.token.length > 200 ? undefined : db.select().from(signUps).where(and(eq(signUps.tokenHash, hash), isNull(signUps.usedAt), gt(signUps.expiresAt, now))).get();
    if (!row) throw new DomainError('NOT_FOUND', DEAD_SIGN_UP_LINK);
    db.update(signUps).set({ usedAt: now }).where(eq(signUps.tokenHash, hash)).run();
    db.delete(signUps)
      .where(and(eq(signUps.email, row.email), isNull(signUps.usedAt), ne(signUps.tokenHash, hash)))
      .run();
    if (db.select({ id: staff.id }).from(staff).where(eq(staff.email, row.email)).get()) throw new DomainError('NOT_FOUND', DEAD_SIGN_UP_LINK);
    const existing = db.select().from(customers).where(eq(customers.email, row.email)).get();
    if (existing) {
      if (existing.passwordHash === null && passwordHash !== null) db.update(customers).set({ passwordHash, updatedAt: now }).where(eq(customers.id, existing.id)).run();
      revokeLinks(db, { type: 'customer', id: existing.id });
      return { type: 'customer', id: existing.id };
    }
    if (!allowsNewAccount(services.access.signup, row.email)) throw new DomainError('NOT_FOUND', 'Sign-up is closed for this address now.');
    const created = db.insert(customers).values({ email: row.email, name, passwordHash, createdAt: now, updatedAt: now }).returning({ id: customers.id }).get();
    return { type: 'customer', id: created.id };
  });
}
