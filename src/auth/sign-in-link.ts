/**
 * Passwordless sign-in for customers: a one-time link (`password_tokens`, purpose
 * `sign-in`, src/auth/links.ts) mailed to the customer's address. The link opens a page that
 * says who is signing in (GET: nothing is used up, so a mail scanner's prefetch is harmless);
 * its button posts the token, which signs the customer in once and revokes every other
 * outstanding link of theirs.
 *
 * Staff never get sign-in links: their accounts reach every case of their queues, and a
 * mailbox alone should not open them. They sign in with their password (and reset it by
 * mail when they forget it).
 */
import { eq } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';
import { DomainError } from '../errors.js';
import type { Services } from '../services.js';
import type { PrincipalRef } from './credential-rules.js';
import { createLink, findLink, LINK_TTL_MS, purgeLinks, useLink } from './links.js';

/** Why the link is issued, which decides how long it works (LINK_TTL_MS). */
export type SignInLinkKind = 'requested' | 'case-mail';

export interface SignInLink {
  url: string;
  /** The secret itself (for a caller that must revoke the link when its mail cannot be sent). */
  token: string;
  expiresAt: number;
}

/** Where a sign-in link lands: `/login/link?token=…[&next=/cases/C-1042]`. */
export function signInLinkUrl(services: Services, token: string, next: string | null = null): string {
  const query = new URLSearchParams({ token });
  if (next) query.set('next', next);
  return `${services.publicUrl}/login/link?${query.toString()}`;
}

/**
 * A new sign-in link for a customer: 30 minutes when asked for on the sign-in page, 7 days in
 * the acknowledgement of a new case. Earlier links stay valid until one of them is used.
 * `next` is a local path to open after signing in (the case).
 */
export function issueSignInLink(services: Services, customerId: number, kind: SignInLinkKind, next: string | null = null): Promise<SignInLink> {
  const now = services.clock.now();
  const ttl = kind === 'case-mail' ? LINK_TTL_MS.caseMail : LINK_TTL_MS.signIn;
  return services.store.write(async (q) => {
    if (!(await customerExists(q, customerId))) throw new DomainError('NOT_FOUND', `No customer ${customerId}.`);
    await purgeLinks(q, now);
    const link = await createLink(q, { type: 'customer', id: customerId }, 'sign-in', now, ttl);
    return { url: signInLinkUrl(services, link.token, next), token: link.token, expiresAt: link.expiresAt };
  });
}

async function customerExists(q: Handle, id: number): Promise<boolean> {
  const [row] = await q.db.select({ id: q.tables.customers.id }).from(q.tables.customers).where(eq(q.tables.customers.id, id)).limit(1);
  return row !== undefined;
}

export interface SignInLinkTarget {
  ref: PrincipalRef;
  name: string;
  email: string;
  expiresAt: number;
}

export const DEAD_SIGN_IN_LINK = 'This sign-in link has expired or was already used. Ask for a new one on the sign-in page.';

/** Who a still-valid sign-in link signs in (for the confirmation page), or null. Uses nothing up. */
export function peekSignInLink(services: Services, token: string): Promise<SignInLinkTarget | null> {
  return services.store.query(async (q) => {
    const link = await findLink(q, token, ['sign-in'], services.clock.now());
    if (!link || link.ref.type !== 'customer') return null;
    const { customers } = q.tables;
    const [customer] = await q.db.select({ name: customers.name, email: customers.email }).from(customers).where(eq(customers.id, link.ref.id)).limit(1);
    return customer ? { ref: link.ref, name: customer.name, email: customer.email, expiresAt: link.expiresAt } : null;
  });
}

/** Uses the link (once) and answers the customer it signs in; NOT_FOUND when it is unknown, used or expired. */
export function signInWithLink(services: Services, token: string): Promise<PrincipalRef> {
  return services.store.write(async (q) => {
    const link = await useLink(q, token, ['sign-in'], services.clock.now());
    if (!link || link.ref.type !== 'customer' || !(await customerExists(q, link.ref.id))) throw new DomainError('NOT_FOUND', DEAD_SIGN_IN_LINK);
    return link.ref;
  });
}
