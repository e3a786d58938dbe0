/**
 * Outbox handler of `access.mail` (queued by src/auth/request-access-mail.ts): looks the
 * address up and mails what it may have, or nothing.
 *
 * | asked for | a customer | active staff | no account |
 * |---|---|---|---|
 * | `sign-in` | sign-in link (30 min) | a note: staff use their password | nothing |
 * | `reset` | reset link (1 hour) | reset link (1 hour) | nothing |
 * | `sign-up` | claim: a sign-in link (30 min) | the staff note | a confirmation link (24 h) when PORTAL_SIGNUP allows a new account there; else nothing |
 *
 * Deactivated staff get nothing. The link is made here, just before its mail is sent; if the
 * mail fails the link is revoked and the outbox retries with a new one.
 */
import { eq } from 'drizzle-orm';
import { defaultName } from '../cases/customers.js';
import { transaction } from '../db/client.js';
import { customers, signUps, staff } from '../db/schema/index.js';
import { markDone, type OutboxItem } from '../outbox/outbox.js';
import type { Services } from '../services.js';
import type { RenderedMessage } from '../notifications/templates.js';
import { createPasswordToken, setPasswordUrl } from '../users/password-tokens.js';
import { claimMail, confirmSignUpMail, describeDuration, resetMail, signInMail, staffNoteMail } from './access-mails.js';
import { LINK_TTL_MS, revokeLink } from './links.js';
import type { AccessMailPayload } from './request-access-mail.js';
import { issueSignInLink } from './sign-in-link.js';
import { createSignUp, SIGN_UP_TTL_MS, signUpUrl } from './sign-up.js';
import { allowsNewAccount } from './signup-policy.js';
import { sha256 } from './tokens.js';

type Account = { type: 'customer'; id: number; name: string } | { type: 'staff'; id: number; name: string; active: boolean };

function findAccount(services: Services, email: string): Account | null {
  const member = services.db.select({ id: staff.id, name: staff.name, active: staff.active }).from(staff).where(eq(staff.email, email)).get();
  if (member) return { type: 'staff', ...member };
  const customer = services.db.select({ id: customers.id, name: customers.name }).from(customers).where(eq(customers.email, email)).get();
  return customer ? { type: 'customer', ...customer } : null;
}

interface Plan {
  /** What was mailed, for the log (never the address or the link). */
  outcome: string;
  message: RenderedMessage;
  /** Undoes the link when its mail could not be sent. */
  revoke(): void;
}

function plan(services: Services, p: AccessMailPayload): Plan | { outcome: string } {
  const account = findAccount(services, p.email);
  const site = services.publicUrl;
  const now = services.clock.now();
  if (account?.type === 'staff') {
    if (!account.active) return { outcome: 'nothing (deactivated staff)' };
    if (p.purpose !== 'reset') return { outcome: 'staff note', message: staffNoteMail({ site, name: account.name }), revoke: () => undefined };
  }
  if (account && p.purpose === 'reset') {
    const link = createPasswordToken(services.db, { type: account.type, id: account.id }, now, LINK_TTL_MS.reset, 'reset');
    return {
      outcome: 'reset link',
      message: resetMail({ site, name: account.name, url: setPasswordUrl(services, link.token), valid: describeDuration(LINK_TTL_MS.reset) }),
      revoke: () => revokeLink(services.db, link.token),
    };
  }
  if (account?.type === 'customer') {
    const link = issueSignInLink(services, account.id, 'requested', p.purpose === 'sign-in' ? p.next : null);
    const texts = { site, name: account.name, url: link.url, valid: describeDuration(LINK_TTL_MS.signIn) };
    return {
      outcome: p.purpose === 'sign-up' ? 'claim link' : 'sign-in link',
      message: p.purpose === 'sign-up' ? claimMail(texts) : signInMail(texts),
      revoke: () => revokeLink(services.db, link.token),
    };
  }
  if (p.purpose !== 'sign-up') return { outcome: 'nothing (no account)' };
  if (!allowsNewAccount(services.access.signup, p.email)) return { outcome: `nothing (sign-up ${services.access.signup.mode})` };
  const name = p.name ?? defaultName(p.email);
  const pending = createSignUp(services.db, p.email, name, now);
  return {
    outcome: 'sign-up confirmation',
    message: confirmSignUpMail({ site, name, url: signUpUrl(services, pending.token), valid: describeDuration(SIGN_UP_TTL_MS) }),
    revoke: () => services.db.delete(signUps).where(eq(signUps.tokenHash, sha256(pending.token))).run(),
  };
}

function isPlan(decided: Plan | { outcome: string }): decided is Plan {
  return 'message' in decided;
}

export async function sendAccessMail(services: Services, item: OutboxItem): Promise<void> {
  const payload = item.payload as unknown as AccessMailPayload;
  const decided: Plan | { outcome: string } = services.mailer ? transaction(services.db, () => plan(services, payload)) : { outcome: 'nothing (SMTP_URL is not set)' };
  if (isPlan(decided)) {
    try {
      await services.mailer!.send({ to: [payload.email], subject: decided.message.subject, text: decided.message.text, headers: { 'Auto-Submitted': 'auto-generated' } });
    } catch (error) {
      decided.revoke();
      throw error;
    }
  }
  services.logger.info('access mail', { purpose: payload.purpose, outcome: decided.outcome, item: item.id });
  markDone(services.db, item.id, services.clock.now());
}
