/**
 * `Strict-Transport-Security: max-age=31536000` on answers that went out over HTTPS: a
 * request that came in over TLS, or — behind proxies of ours (TRUST_PROXY) — one whose
 * X-Forwarded-Proto says `https` (the value our outermost proxy set, counted from the right
 * like X-Forwarded-For; a client's own header is never believed without TRUST_PROXY), or,
 * without trusted proxies, any answer when PUBLIC_URL is https (the address people use is
 * HTTPS; browsers ignore the header on a plain-HTTP answer anyway). Plain HTTP without an
 * https PUBLIC_URL never gets it: a browser pinned to HTTPS on a host that has none is locked
 * out for a year.
 */
import type { Context, MiddlewareHandler } from 'hono';

export const HSTS_VALUE = 'max-age=31536000';

export interface HstsOptions {
  trustProxy: number;
  publicUrl: string;
}

export function forwardedProto(c: Context, trustProxy: number): string | null {
  const header = c.req.header('X-Forwarded-Proto');
  if (trustProxy === 0 || header === undefined) return null;
  const hops = header.split(',').map((hop) => hop.trim().toLowerCase());
  return hops[Math.max(0, hops.length - trustProxy)] || null;
}

export function hsts(options: HstsOptions): MiddlewareHandler {
  const publicHttps = options.publicUrl.startsWith('https:');
  return async function hstsMiddleware(c, next) {
    await next();
    const https = c.req.url.startsWith('https:') || (options.trustProxy > 0 ? forwardedProto(c, options.trustProxy) === 'https' : publicHttps);
    if (https) c.header('Strict-Transport-Security', HSTS_VALUE);
  };
}
