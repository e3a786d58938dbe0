/**
 * Request limits. Body sizes: pages take 64 KiB and the API 256 KiB, except the routes that
 * take files (multipart messages and the portal's new request), which take the attachments'
 * total (`ATTACHMENT_MAX_TOTAL_BYTES`) plus room for the form's text, and the routes that take
 * a definition (a ruleset, a workflow, the SLA config: the console's editors and the API's
 * publishing routes alike), which take DEFINITION_BODY_LIMIT. Rates: where the intake and message rate limits apply (see src/auth/rate-limit.ts): per API token
 * (every token but the ADMIN_TOKEN, which is for automation and imports) and per customer
 * acting themselves (their tokens and the portal together). Staff replying in the workspace
 * are not limited. A refusal is TOO_MANY_REQUESTS (429 with Retry-After).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from './middleware/body-limit.js';
import { formatBytes } from '../attachments/settings.js';
import { personLimitKey, type Limit, type LimitState, type RateLimits } from '../auth/rate-limit.js';
import { DomainError } from '../errors.js';
import type { AppEnv, Principal } from './types.js';

/**
 * `changes`: a customer's changes to their cases by themselves — transitions (mark solved,
 * reopen) and ratings, the mailed one-click rating too — at their messages' rate in a bucket of
 * its own: each one writes the timeline (and a transition runs the rules, moves the SLA clocks
 * and sends webhooks), so without a limit one customer could do it without end. Staff and
 * tokens are not limited in them.
 */
type Kind = 'cases' | 'messages' | 'changes';

const WHAT: Record<Kind, string> = { cases: 'new requests from your account', messages: 'messages from your account', changes: 'changes to your requests' };

function customerLimit(rates: RateLimits, kind: Kind, customerId: number): Limit {
  return {
    key: personLimitKey.customer(kind, customerId),
    rate: kind === 'cases' ? rates.casesPerCustomer : rates.messagesPerCustomer,
    what: WHAT[kind],
    policy: 'customer',
  };
}

function limitsFor<E extends AppEnv>(c: Context<E>, principal: Principal, kind: Kind): Limit[] {
  const { rates } = c.get('limits');
  const out: Limit[] = [];
  const token = c.get('tokenKey');
  if (token !== null && kind !== 'changes') {
    out.push({
      key: `${kind}:token:${token}`,
      rate: kind === 'cases' ? rates.casesPerToken : rates.messagesPerToken,
      what: kind === 'cases' ? 'new cases with this API token' : 'messages with this API token',
      policy: 'token',
    });
  }
  if (principal.actor.type === 'customer' && principal.customerId !== null) out.push(customerLimit(rates, kind, principal.customerId));
  return out;
}

/** Seconds to wait, for the Retry-After header of a TOO_MANY_REQUESTS refusal. */
export function retryAfterOf(error: DomainError): string {
  return String(error.details.retryAfterSeconds ?? 60);
}

/** The rate limits a request counted against (`rateLimitHeaders`), for the OpenAPI document: on the routes that 429 may refuse. */
export const RATE_LIMIT_HEADERS = {
  'RateLimit-Policy': 'The limits this request counted against (IETF RateLimit fields): `"token";q=60;w=60` — requests per window of seconds, per API token (`token`) and per customer (`customer`); absent for the ADMIN_TOKEN',
  RateLimit: 'Each limit’s state after this request: `"token";r=59;t=1` — whole requests left, and seconds until the quota is whole again',
};

/**
 * The `RateLimit-Policy` and `RateLimit` answer headers (IETF draft-ietf-httpapi-ratelimit-headers:
 * structured-field lists, one item per limit the request counted against): `"token";q=60;w=60`
 * — the quota and its window in seconds — and `"token";r=59;t=1` — whole requests left and the
 * seconds until the quota is whole again. Null when no limit applies (the ADMIN_TOKEN, limits off).
 */
export function rateLimitHeaders(states: readonly LimitState[]): { 'RateLimit-Policy': string; RateLimit: string } | null {
  const named = states.filter((s) => s.limit.policy !== undefined);
  if (named.length === 0) return null;
  return {
    'RateLimit-Policy': named.map((s) => `"${s.limit.policy}";q=${s.limit.rate.count};w=${Math.round(s.limit.rate.windowMs / 1000)}`).join(', '),
    RateLimit: named.map((s) => `"${s.limit.policy}";r=${s.remaining};t=${s.resetSeconds}`).join(', '),
  };
}

/**
 * Counts one request of this kind against the caller's limits; TOO_MANY_REQUESTS when one is
 * used up. The answer carries the limits' state (`rateLimitHeaders`), so a client can pace
 * itself before it is refused.
 */
export async function takeRateLimit<E extends AppEnv>(c: Context<E>, principal: Principal, kind: Kind): Promise<void> {
  const headers = rateLimitHeaders(await c.get('limits').limiter.take(limitsFor(c, principal, kind)));
  if (headers) for (const [name, value] of Object.entries(headers)) c.header(name, value);
}

/** takeRateLimit's `changes` for a customer known without a session: the mailed rating link names them. */
export async function takeCustomerChange<E extends AppEnv>(c: Context<E>, customerId: number): Promise<void> {
  const headers = rateLimitHeaders(await c.get('limits').limiter.take([customerLimit(c.get('limits').rates, 'changes', customerId)]));
  if (headers) for (const [name, value] of Object.entries(headers)) c.header(name, value);
}

/**
 * The body of a request carrying a definition — a ruleset, a workflow or the SLA config —, in
 * the manager console (its editors' forms: the builder also sends a field per value, 3–4 times
 * the JSON) and through the API (PUT /api/v1/rulesets/:name, PUT /api/v1/sla-config): one limit,
 * so a definition built in the console can be sent back through the API. 64 KiB stopped the
 * builder at about 45 rules.
 */
export const DEFINITION_BODY_LIMIT = 2 * 1024 * 1024;

/** The body of every other API request (but the import's, inbound mail's and uploads'). */
export const API_BODY_LIMIT = 256 * 1024;

/** What the API's description says of a route that takes a definition. */
export const DEFINITION_LIMIT_TEXT = `The body may be up to ${formatBytes(DEFINITION_BODY_LIMIT)}, as in the manager console (other API bodies: ${formatBytes(API_BODY_LIMIT)}); larger: 413 PAYLOAD_TOO_LARGE naming the limit.`;

/** Room for a form's text fields and the multipart framing beside its files. */
export const UPLOAD_FORM_ALLOWANCE = 1024 * 1024;

/** Routes that take files: a message on a case (page and API) and the portal's new request. */
const UPLOAD_ROUTES = [/^\/cases\/[^/]+\/messages$/, /^\/portal\/cases$/, /^\/api\/v1\/cases\/[^/]+\/messages$/];

/** A multipart POST to a route that takes files. */
export function isUpload(c: Context): boolean {
  return c.req.method === 'POST' && (c.req.header('Content-Type') ?? '').toLowerCase().startsWith('multipart/form-data') && UPLOAD_ROUTES.some((r) => r.test(c.req.path));
}

/** A body limit; over it, PAYLOAD_TOO_LARGE (413) saying what the limit is. */
export function limitBody(maxSize: number, what: string): MiddlewareHandler {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new DomainError('PAYLOAD_TOO_LARGE', `${what} is larger than ${formatBytes(maxSize)}.`);
    },
  });
}

/** The body limit of an upload: the attachments' total plus the form. */
export function uploadLimit<E extends AppEnv>(c: Context<E>): MiddlewareHandler {
  const { maxTotalBytes } = c.get('services').attachments.settings;
  return limitBody(maxTotalBytes + UPLOAD_FORM_ALLOWANCE, `The upload (files at most ${formatBytes(maxTotalBytes)} together)`);
}
