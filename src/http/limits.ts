/**
 * Where the intake and message rate limits apply (see src/auth/rate-limit.ts): per API token
 * (every token but the ADMIN_TOKEN, which is for automation and imports) and per customer
 * acting themselves (their tokens and the portal together). Staff replying in the workspace
 * are not limited. A refusal is TOO_MANY_REQUESTS (429 with Retry-After).
 */
import type { Context } from 'hono';
import type { Limit } from '../auth/rate-limit.js';
import type { DomainError } from '../errors.js';
import type { AppEnv, Principal } from './types.js';

type Kind = 'cases' | 'messages';

function limitsFor<E extends AppEnv>(c: Context<E>, principal: Principal, kind: Kind): Limit[] {
  const { rates } = c.get('limits');
  const out: Limit[] = [];
  const token = c.get('tokenKey');
  if (token !== null) {
    out.push({
      key: `${kind}:token:${token}`,
      rate: kind === 'cases' ? rates.casesPerToken : rates.messagesPerToken,
      what: kind === 'cases' ? 'new cases with this API token' : 'messages with this API token',
    });
  }
  if (principal.actor.type === 'customer' && principal.customerId !== null) {
    out.push({
      key: `${kind}:customer:${principal.customerId}`,
      rate: kind === 'cases' ? rates.casesPerCustomer : rates.messagesPerCustomer,
      what: kind === 'cases' ? 'new requests from your account' : 'messages from your account',
    });
  }
  return out;
}

/** Seconds to wait, for the Retry-After header of a TOO_MANY_REQUESTS refusal. */
export function retryAfterOf(error: DomainError): string {
  return String(error.details.retryAfterSeconds ?? 60);
}

/** Counts one request of this kind against the caller's limits; TOO_MANY_REQUESTS when one is used up. */
export function takeRateLimit<E extends AppEnv>(c: Context<E>, principal: Principal, kind: Kind): void {
  c.get('limits').limiter.take(limitsFor(c, principal, kind));
}
