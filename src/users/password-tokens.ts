/**
 * One-time links to set a password, for accounts provisioned without one. The link holds
 * a random 256-bit token; the database keeps its SHA-256 hash. A link works once and
 * expires after 7 days. An account has at most one outstanding link: issuing a link revokes
 * the account's earlier ones, and setting a password (with any link) revokes all of them and
 * ends the account's other sessions.
 */
import { and, eq, gt, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { transaction, type Db } from '../db/client.js';
import { customers, passwordTokens, staff } from '../db/schema/index.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Services } from '../services.js';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../auth/password.js';
import { deleteSessionsOf, type PrincipalRef } from '../auth/sessions.js';
import { randomToken, sha256 } from '../auth/tokens.js';

export const PASSWORD_LINK_TTL_MS = 7 * 24 * 3_600_000;

export const passwordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `use at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(200, 'use at most 200 characters');

export interface PasswordLink {
  token: string;
  expiresAt: number;
}

export function setPasswordUrl(services: Services, token: string): string {
  return `${services.publicUrl}/set-password?token=${encodeURIComponent(token)}`;
}

/** Revokes every unused link of the account (deletes them: an old link can never set a password). */
export function revokePasswordTokens(db: Db, ref: PrincipalRef): number {
  return db
    .delete(passwordTokens)
    .where(and(eq(passwordTokens.principalType, ref.type), eq(passwordTokens.principalId, ref.id), isNull(passwordTokens.usedAt)))
    .run().changes;
}

/**
 * Creates a one-time token for `ref`, revoking the account's earlier links; call inside the
 * transaction that creates the account or issues the link.
 */
export function createPasswordToken(db: Db, ref: PrincipalRef, now: number, ttlMs = PASSWORD_LINK_TTL_MS): PasswordLink {
  revokePasswordTokens(db, ref);
  const token = randomToken();
  const expiresAt = now + ttlMs;
  db.insert(passwordTokens).values({ tokenHash: sha256(token), principalType: ref.type, principalId: ref.id, createdAt: now, expiresAt }).run();
  return { token, expiresAt };
}

/** The account a still-valid (unused, unexpired) token is for, or null. */
export function findPasswordToken(db: Db, token: string, now: number): PrincipalRef | null {
  if (!token || token.length > 200) return null;
  const row = db
    .select()
    .from(passwordTokens)
    .where(and(eq(passwordTokens.tokenHash, sha256(token)), isNull(passwordTokens.usedAt), gt(passwordTokens.expiresAt, now)))
    .get();
  return row ? { type: row.principalType, id: row.principalId } : null;
}

/** Uses the token (once) to set the account's password; NOT_FOUND if it is unknown, used or expired. */
export async function setPasswordWithToken(services: Services, token: string, password: string): Promise<PrincipalRef> {
  const checked = passwordSchema.safeParse(password);
  if (!checked.success) throw new ValidationError(checked.error.issues.map((i) => ({ path: 'password', message: i.message })));
  const passwordHash = await hashPassword(checked.data);
  const { db } = services;
  return transaction(db, () => {
    const now = services.clock.now();
    const ref = findPasswordToken(db, token, now);
    if (!ref) throw new DomainError('NOT_FOUND', 'This link has expired or was already used. Ask for a new one.');
    db.update(passwordTokens).set({ usedAt: now }).where(eq(passwordTokens.tokenHash, sha256(token))).run();
    revokePasswordTokens(db, ref);
    if (ref.type === 'staff') {
      const changed = db.update(staff).set({ passwordHash, updatedAt: now }).where(and(eq(staff.id, ref.id), eq(staff.active, true))).run().changes;
      if (changed !== 1) throw new DomainError('NOT_FOUND', 'This account is no longer active.');
    } else {
      db.update(customers).set({ passwordHash, updatedAt: now }).where(eq(customers.id, ref.id)).run();
    }
    deleteSessionsOf(db, ref);
    return ref;
  });
}

/**
 * A new one-time link for an existing account, found by email: customers who first wrote
 * in through the API or by mail get portal access this way, staff a password reset.
 */
export function issuePasswordLink(services: Services, email: string): { ref: PrincipalRef; url: string; expiresAt: number } {
  const address = email.trim().toLowerCase();
  return transaction(services.db, () => {
    const member = services.db.select({ id: staff.id, active: staff.active }).from(staff).where(eq(staff.email, address)).get();
    const customer = member ? undefined : services.db.select({ id: customers.id }).from(customers).where(eq(customers.email, address)).get();
    if (member && !member.active) throw new DomainError('FORBIDDEN', `The account ${address} is deactivated.`);
    if (!member && !customer) throw new DomainError('NOT_FOUND', `No account with the address ${address}.`);
    const ref: PrincipalRef = member ? { type: 'staff', id: member.id } : { type: 'customer', id: customer!.id };
    const link = createPasswordToken(services.db, ref, services.clock.now());
    return { ref, url: setPasswordUrl(services, link.token), expiresAt: link.expiresAt };
  });
}
