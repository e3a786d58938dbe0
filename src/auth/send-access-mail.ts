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
import type { Handle } from '../db/store/index.js';
import { markItemDone } from '../outbox/dialect.js';
import type { OutboxItem } from '../outbox/outbox.js';
import type { Services } from '../services.js';
import { automaticHeaders } from '../notifications/mailer.js';
import type { RenderedMessage } from '../notifications/templates.js';
import { createPasswordToken, setPasswordUrl } from '../users/password-tokens.js';
import { claimMail, confirmSignUpMail, describeDuration, resetMail, signInMail, staffNoteMail } from './access-mails.js';
import { LINK_TTL_MS, revokeLink } from './links.js';
import type { AccessMailPayload } from './request-access-mail.js';
import { issueSignInLink } from './sign-in-link.js';
import { createSignUp, revokeSignUp, SIGN_UP_TTL_MS, signUpUrl } from './sign-up.js';
import { allowsNewAccount } from './signup-policy.js';

type Account = { type: 'customer'; id: number; name: string } | { type: 'staff'; id: number; name: string; active: boolean };

async function findAccount(q: Handle, email: string): Promise<Account | null> {
  const { staff, customers } = q.tables;
  const [member] = await q.db.select({ id: staff.id, name: staff.name, active: staff.active }).from(staff).where(eq(staff.email, email)).limit(1);
  if (member) return { type: 'staff', ...member };
  const [customer] = await q.db.select({ id: customers.id, name: customers.name }).from(customers).where(eq(customers.email, email)).limit(1);
  return customer ? { type: 'customer', ...customer } : null;
}

interface Plan {
  /** What was mailed, for the log (never the address or the link). */
  outcome: string;
  message: RenderedMessage;
  /** Undoes the link when its mail could not be sent. */
  revoke(q: Handle): Promise<void>;
}

async function plan(q: Handle, services: Services, p: AccessMailPayload): Promise<Plan | { outcome: string }> {
  const account = await findAccount(q, p.email);
  const site = services.publicUrl;
  const now = services.clock.now();
  if (account?.type === 'staff') {
    if (!account.active) return { outcome: 'nothing (deactivated staff)' };
    if (p.purpose !== 'reset') return { outcome: 'staff note', message: staffNoteMail({ site, name: account.name }), revoke: () => Promise.resolve() };
  }
  if (account && p.purpose === 'reset') {
    const link = await createPasswordToken(q, { type: account.type, id: account.id }, now, LINK_TTL_MS.reset, 'reset');
    return {
      outcome: 'reset link',
      message: resetMail({ site, name: account.name, url: setPasswordUrl(services, link.token), valid: describeDuration(LINK_TTL_MS.reset) }),
      revoke: (r) => revokeLink(r, link.token),
    };
  }
  if (account?.type === 'customer') {
    const link = await issueSignInLink(services, account.id, 'requested', p.purpose === 'sign-in' ? p.next : null);
    const texts = { site, name: account.name, url: link.url, valid: describeDuration(LINK_TTL_MS.signIn) };
    return {
      outcome: p.purpose === 'sign-up' ? 'claim link' : 'sign-in link',
      message: p.purpose === 'sign-up' ? claimMail(texts) : signInMail(texts),
      revoke: (r) => revokeLink(r, link.token),
    };
  }
  if (p.purpose !== 'sign-up') return { outcome: 'nothing (no account)' };
  if (!allowsNewAccount(services.access.signup, p.email)) return { outcome: `nothing (sign-up ${services.access.signup.mode})` };
  const name = p.name ?? defaultName(p.email);
  const pending = await createSignUp(q, p.email, name, now);
  return {
    outcome: 'sign-up confirmation',
    message: confirmSignUpMail({ site, name, url: signUpUrl(services, pending.token), valid: describeDuration(SIGN_UP_TTL_MS) }),
    revoke: (r) => revokeSignUp(r, pending.token),
  };
}

function isPlan(decided: Plan | { outcome: string }): decided is Plan {
  return 'message' in decided;
}

export async function sendAccessMail(services: Services, item: OutboxItem): Promise<void> {
  const payload = item.payload as unknown as AccessMailPayload;
  const decided: Plan | { outcome: string } = services.mailer ? await services.store.write((q) => plan(q, services, payload)) : { outcome: 'nothing (SMTP_URL is not set)' };
  if (isPlan(decided)) {
    try {
      await services.mailer!.send({ to: [payload.email], subject: decided.message.subject, text: decided.message.text, headers: automaticHeaders('auto-generated', services.email.supportAddress) });
    } catch (error) {
      await services.store.write((q) => decided.revoke(q));
      throw error;
    }
  }
  services.logger.info('access mail', { purpose: payload.purpose, outcome: decided.outcome, item: item.id });
  await services.store.write((q) => markItemDone(q, item.id, services.clock.now()));
}
