/**
 * The security headers of every answer, as `hono/secure-headers` sets them (the same names,
 * values and rules: a header the handler set itself is kept, `X-Powered-By` is removed), from
 * lists built once at start-up. Hono's middleware builds its list per request (a copy through
 * its CSP callbacks) and names the headers in mixed case, which the web `Headers` lower-case
 * on every `has` and `set`: ~2 µs of every request (issue 11, sixth round). The lists are
 * checked against Hono's own middleware in `security-headers.test.ts`.
 */
import type { Context, MiddlewareHandler } from 'hono';

/** Header names (lower case) and values, in the order they are set. */
export type HeaderList = readonly (readonly [string, string])[];

/** A Content-Security-Policy as `hono/secure-headers` takes it: camelCase directives → sources. */
export type ContentSecurityPolicy = Readonly<Record<string, readonly string[]>>;

export interface SecurityHeaderOptions {
  contentSecurityPolicy?: ContentSecurityPolicy;
  /** X-Frame-Options; false: not sent. */
  xFrameOptions: string | false;
  referrerPolicy: string;
  crossOriginResourcePolicy: string;
}

/** `defaultSrc: ["'self'"]` → `default-src 'self'`, directives joined by `; ` (Hono's format). */
export function cspHeaderValue(policy: ContentSecurityPolicy): string {
  return Object.entries(policy)
    .map(([directive, sources]) => [directive.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), ...sources].join(' '))
    .join('; ');
}

/** The headers `secureHeaders({ ...options, strictTransportSecurity: false })` sets (HSTS: middleware/hsts.ts). */
export function securityHeaderList(options: SecurityHeaderOptions): HeaderList {
  const list: [string, string][] = [
    ['cross-origin-resource-policy', options.crossOriginResourcePolicy],
    ['cross-origin-opener-policy', 'same-origin'],
    ['origin-agent-cluster', '?1'],
    ['referrer-policy', options.referrerPolicy],
    ['x-content-type-options', 'nosniff'],
    ['x-dns-prefetch-control', 'off'],
    ['x-download-options', 'noopen'],
  ];
  if (options.xFrameOptions !== false) list.push(['x-frame-options', options.xFrameOptions]);
  list.push(['x-permitted-cross-domain-policies', 'none'], ['x-xss-protection', '0']);
  if (options.contentSecurityPolicy) list.push(['content-security-policy', cspHeaderValue(options.contentSecurityPolicy)]);
  return Object.freeze(list.map((entry) => Object.freeze(entry)));
}

/** Sets the list `listFor(c)` picks on the answer, after the handler, keeping headers it set. */
export function securityHeaders(listFor: (c: Context) => HeaderList): MiddlewareHandler {
  return async function securityHeadersMiddleware(c, next) {
    await next();
    const headers = c.res.headers;
    for (const [name, value] of listFor(c)) {
      if (!headers.has(name)) headers.set(name, value);
    }
    headers.delete('x-powered-by');
  };
}
