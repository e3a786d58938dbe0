/**
 * Asking for a mailed link: "Email me a sign-in link", "Forgot password?" and sign-up.
 *
 * The request never looks the address up. It counts against the link limits (per address,
 * per client address: src/auth/rate-limit.ts), writes one `access.mail` outbox item and
 * answers; the outbox worker decides afterwards what, if anything, that address gets
 * (src/auth/send-access-mail.ts). So the answer — its content and its timing — is the same
 * for a customer, a staff member, a stranger and a typo: "If we know this address, a link
 * is on its way." The secret is made by the worker and exists only in the mail and, hashed,
 * in the database; the outbox item holds the address and the purpose, nothing secret.
 */
import { normalizeEmail } from '../cases/customers.js';
import { DomainError } from '../errors.js';
import type { Services } from '../services.js';
import { personLimitKey, type Limit, type RateLimits } from './rate-limit.js';

export const ACCESS_MAIL = 'access.mail';

export const ACCESS_MAIL_PURPOSES = ['sign-in', 'reset', 'sign-up'] as const;
export type AccessMailPurpose = (typeof ACCESS_MAIL_PURPOSES)[number];

export interface AccessMailRequest {
  purpose: AccessMailPurpose;
  email: string;
  /** Sign-up: the name the person gave. */
  name?: string | undefined;
  /** Sign-in: the local path to open afterwards (already checked with safeNext). */
  next?: string | null | undefined;
}

/** What the outbox item carries. */
export interface AccessMailPayload {
  purpose: AccessMailPurpose;
  email: string;
  name: string | null;
  next: string | null;
}

export const NO_MAIL_MESSAGE = 'This server cannot send mail (SMTP_URL is not set), so no link can be mailed. Sign in with your password, or ask the support team for help.';

/** The link limits one request counts against: the address asked for, and the client asking. */
export function accessMailLimits(rates: RateLimits, email: string, clientAddress: string): Limit[] {
  return [
    { key: personLimitKey.address(email), rate: rates.linksPerAddress, what: 'links mailed to this address' },
    { key: `links:client:${clientAddress.slice(0, 64)}`, rate: rates.linksPerClient, what: 'links asked for from your network address' },
  ];
}

/**
 * Queues the mail (the same single insert whatever the address) and wakes the worker.
 * Without a mailer (no SMTP_URL) nothing is queued: MAIL_UNAVAILABLE, the same for every
 * address.
 */
export async function requestAccessMail(services: Services, request: AccessMailRequest): Promise<void> {
  if (!services.mailer) throw new DomainError('MAIL_UNAVAILABLE', NO_MAIL_MESSAGE);
  const now = services.clock.now();
  const payload: AccessMailPayload = {
    purpose: request.purpose,
    email: normalizeEmail(request.email).slice(0, 254),
    name: request.name?.trim().slice(0, 200) || null,
    next: request.next ?? null,
  };
  await services.store.write(async (q) => {
    await q.db.insert(q.tables.outbox).values({ type: ACCESS_MAIL, caseId: null, payload: { ...payload }, createdAt: now, availableAt: now });
  });
  services.outbox.kick();
}
