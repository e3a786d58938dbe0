/**
 * Who may sign up on the portal (`PORTAL_SIGNUP`):
 *
 * - `open` — anyone; the address is confirmed by a mailed link before the account exists.
 * - `known` (default) — only addresses that are already customers (they wrote in by mail or
 *   through the API): they get a link to claim their account. Nobody else gets an account.
 * - `domains:example.com,foo.org` — addresses at these domains (exactly; list subdomains
 *   separately), confirmed by a mailed link; known customers anywhere may claim theirs too.
 * - `off` — no sign-up page. Customers still sign in with a password or a mailed link.
 */
import { asciiDomain } from '../text/email-address.js';

export type SignupPolicy = { mode: 'open' } | { mode: 'known' } | { mode: 'off' } | { mode: 'domains'; domains: string[] };

export const DEFAULT_SIGNUP_POLICY: SignupPolicy = { mode: 'known' };

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

export class SignupPolicyError extends Error {}

/** Parses PORTAL_SIGNUP; throws SignupPolicyError with what is wrong. Empty: the default. */
export function parseSignupPolicy(raw: string | undefined): SignupPolicy {
  const text = (raw ?? '').trim();
  if (text === '') return DEFAULT_SIGNUP_POLICY;
  const lower = text.toLowerCase();
  if (lower === 'open' || lower === 'known' || lower === 'off') return { mode: lower };
  if (lower.startsWith('domains:')) {
    const domains = lower
      .slice('domains:'.length)
      .split(/[\s,]+/)
      .map((d) => d.replace(/^@/, ''))
      .filter((d) => d !== '')
      // Compared with addresses in their one form: an internationalized domain in its ASCII form.
      .map((d) => asciiDomain(d) || d);
    const bad = domains.filter((d) => !DOMAIN.test(d));
    if (domains.length === 0) throw new SignupPolicyError('PORTAL_SIGNUP=domains: needs at least one domain, e.g. domains:example.com,foo.org');
    if (bad.length > 0) throw new SignupPolicyError(`PORTAL_SIGNUP has domains that are not domain names: ${bad.join(', ')}`);
    return { mode: 'domains', domains: [...new Set(domains)] };
  }
  throw new SignupPolicyError(`PORTAL_SIGNUP must be open, known, off or domains:example.com,foo.org; got "${text}"`);
}

/** The domain of an address, lower-cased and in its ASCII form ("" when there is none). */
export function domainOf(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return '';
  const domain = email.slice(at + 1).trim();
  return asciiDomain(domain) || domain.toLowerCase();
}

/**
 * May a new account be made for this address (one that is not a customer yet)? `known` and
 * `off` never make new accounts; `domains` only for its domains.
 */
export function allowsNewAccount(policy: SignupPolicy, email: string): boolean {
  switch (policy.mode) {
    case 'open':
      return true;
    case 'domains':
      return policy.domains.includes(domainOf(email));
    default:
      return false;
  }
}

/** The policy in words, for the sign-up page (it says nothing about any particular address). */
export function describeSignupPolicy(policy: SignupPolicy): string {
  switch (policy.mode) {
    case 'open':
      return 'Anyone can create an account: we mail you a link to confirm your address.';
    case 'known':
      return 'If you have written to us before, your account is waiting: we mail you a link to claim it.';
    case 'domains':
      return `Accounts are for addresses at ${policy.domains.join(', ')}: we mail you a link to confirm your address. If you have written to us before from another address, we mail you a link to claim that account.`;
    case 'off':
      return 'Sign-up is off.';
  }
}
