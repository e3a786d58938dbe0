/**
 * One-time links to set a password: for accounts provisioned without one (`set-password`,
 * 7 days) and "forgot password?" (`reset`, 1 hour). The link holds a random 256-bit token;
 * the database keeps its SHA-256 hash (`password_tokens`, src/auth/links.ts). A link works
 * once. An account has at most one outstanding password link: issuing one revokes the
 * account's earlier password links, and setting a password (with any link) revokes every
 * outstanding link of the account — sign-in links too — and ends the account's sessions.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import type { Handle } from '../db/store/index.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Services } from '../services.js';
import { accountByEmail, liveApiTokensOf, revokeApiTokensOf } from '../auth/api-tokens.js';
import { auditIn } from '../audit/record-audit.js';
import { createLink, findLink, LINK_TTL_MS, purgeLinks, revokeLinks, useLink } from '../auth/links.js';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../auth/password.js';
import { endSessionsOf, type PrincipalRef } from '../auth/sessions.js';
import { canonicalEmail } from '../text/email-address.js';
import { SYSTEM_ACTOR, type Actor } from '../roles.js';

export const PASSWORD_LINK_TTL_MS = LINK_TTL_MS.setPassword;

/** The purposes a link opened on /set-password may have. */
const PASSWORD_PURPOSES = ['set-password', 'reset'] as const;
export type PasswordLinkPurpose = (typeof PASSWORD_PURPOSES)[number];

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

/**
 * Creates a one-time password link for `ref`, revoking the account's earlier password
 * links; call inside the transaction that creates the account or issues the link.
 */
export async function createPasswordToken(q: Handle, ref: PrincipalRef, now: number, ttlMs = PASSWORD_LINK_TTL_MS, purpose: PasswordLinkPurpose = 'set-password'): Promise<PasswordLink> {
  await revokeLinks(q, ref, PASSWORD_PURPOSES);
  await purgeLinks(q, now);
  return createLink(q, ref, purpose, now, ttlMs);
}

/** The account a still-valid (unused, unexpired) password link is for, or null. */
export async function findPasswordToken(q: Handle, token: string, now: number): Promise<PrincipalRef | null> {
  return (await findLink(q, token, PASSWORD_PURPOSES, now))?.ref ?? null;
}

/** What a still-valid password link is for (the page's wording), or null. */
export async function passwordLinkPurpose(q: Handle, token: string, now: number): Promise<PasswordLinkPurpose | null> {
  const link = await findLink(q, token, PASSWORD_PURPOSES, now);
  return link ? (link.purpose as PasswordLinkPurpose) : null;
}

/** Uses the token (once) to set the account's password; NOT_FOUND if it is unknown, used or expired. */
export async function setPasswordWithToken(services: Services, token: string, password: string): Promise<PrincipalRef> {
  const checked = passwordSchema.safeParse(password);
  if (!checked.success) throw new ValidationError(checked.error.issues.map((i) => ({ path: 'password', message: i.message })));
  const passwordHash = await hashPassword(checked.data);
  return services.store.write(async (q) => {
    const { staff, customers } = q.tables;
    const now = services.clock.now();
    const ref = (await useLink(q, token, PASSWORD_PURPOSES, now))?.ref;
    if (!ref) throw new DomainError('NOT_FOUND', 'This link has expired or was already used. Ask for a new one.');
    if (ref.type === 'staff') {
      const changed = await q.db
        .update(staff)
        .set({ passwordHash, updatedAt: now })
        .where(and(eq(staff.id, ref.id), eq(staff.active, true)))
        .returning({ id: staff.id });
      if (changed.length !== 1) throw new DomainError('NOT_FOUND', 'This account is no longer active.');
    } else {
      await q.db.update(customers).set({ passwordHash, updatedAt: now }).where(eq(customers.id, ref.id));
    }
    await endSessionsOf(q, ref);
    return ref;
  });
}

export interface IssuePasswordLinkOptions {
  /**
   * The account is compromised: in the same transaction its password is cleared (it signs in
   * with nothing but the new link), every session ends, every API token is revoked and every
   * other one-time link goes, a portal sign-up pending at the address included; audited
   * (`access-revoked`, the counts).
   */
  revokeAccess?: boolean;
  /** Who asks (the audit entry of `revokeAccess`). */
  actor?: Actor;
}

export interface IssuedPasswordLink {
  ref: PrincipalRef;
  url: string;
  expiresAt: number;
  /** Sessions ended and API tokens revoked (0 unless `revokeAccess`). */
  sessionsEnded: number;
  apiTokensRevoked: number;
  /** The account's API tokens that still work after this call: a new password does not revoke them. */
  apiTokensLive: number;
}

/**
 * A new one-time link for an existing account, found by email: customers who first wrote
 * in through the API or by mail get portal access this way, staff a password reset. With
 * `revokeAccess` (a compromised account) the account loses every way in but the new link.
 */
export function issuePasswordLink(services: Services, email: string, options: IssuePasswordLinkOptions = {}): Promise<IssuedPasswordLink> {
  const address = canonicalEmail(email);
  return services.store.write(async (q) => {
    const { staff, customers } = q.tables;
    const { type, id } = await accountByEmail(q, address);
    const ref: PrincipalRef = { type, id };
    const now = services.clock.now();
    let sessionsEnded = 0;
    let apiTokensRevoked = 0;
    if (options.revokeAccess) {
      const t = ref.type === 'staff' ? staff : customers;
      const [before] = await q.db.select({ passwordHash: t.passwordHash }).from(t).where(eq(t.id, ref.id)).limit(1);
      await q.db.update(t).set({ passwordHash: null, updatedAt: now }).where(eq(t.id, ref.id));
      sessionsEnded = await endSessionsOf(q, ref);
      apiTokensRevoked = await revokeApiTokensOf(q, ref, now);
      // A portal sign-up still waiting for its confirmation at this address is a way in too: used,
      // it signs in as the customer the address now is (and sets the password just cleared).
      const signUps = await q.db
        .delete(q.tables.signUps)
        .where(and(eq(q.tables.signUps.email, address), isNull(q.tables.signUps.usedAt)))
        .returning({ tokenHash: q.tables.signUps.tokenHash });
      const linksRevoked = (await revokeLinks(q, ref)) + signUps.length;
      await auditIn(q, services.clock, options.actor ?? SYSTEM_ACTOR, ref.type, ref.id, 'access-revoked', null, {
        passwordCleared: before?.passwordHash !== null && before?.passwordHash !== undefined,
        sessionsEnded,
        apiTokensRevoked,
        linksRevoked,
      });
    }
    const link = await createPasswordToken(q, ref, now);
    const apiTokensLive = await liveApiTokensOf(q, ref, now);
    return { ref, url: setPasswordUrl(services, link.token), expiresAt: link.expiresAt, sessionsEnded, apiTokensRevoked, apiTokensLive };
  });
}
