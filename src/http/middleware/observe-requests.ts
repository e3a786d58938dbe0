/**
 * Every request, once it is answered: its duration into the request histogram (by route
 * pattern and status, src/metrics/request-durations.ts — a timer and three map lookups, no
 * allocation) and one structured log line `request` with the method, the route pattern, the
 * status, the milliseconds, our request id (and the client's, as clientRequestId), who called
 * (`actor` as `staff:12`, `customer:7` or `system`, their `role`, the API token's id) and the
 * client's address (X-Forwarded-For only with TRUST_PROXY). Never the raw path of a matched
 * route (a one-click rating link carries its token in the path), the query string, headers or
 * bodies. Probes and scrapes (`/healthz`, `/readyz`, `/health`, `/metrics`) log at debug; a
 * line the log level drops is never built.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { clientAddress } from '../pages/env.js';
import type { AppEnv } from '../types.js';

export interface ObserveRequestsOptions {
  /** TRUST_PROXY: how many proxies of ours are in front (0: the socket's address). */
  trustProxy?: number;
}

/** The route label of a request no route answered (bounded: never the path). */
export const UNMATCHED_ROUTE = '(unmatched)';

const PROBES = new Set(['/healthz', '/readyz', '/health', '/metrics']);

/** The pattern of the route that answered; UNMATCHED_ROUTE when only middleware ran. */
export function routeOf(c: Context): string {
  const route = c.req.routePath;
  return route === '/*' || route === '*' || route === '' ? UNMATCHED_ROUTE : route;
}

export function observeRequests(options: ObserveRequestsOptions = {}): MiddlewareHandler<AppEnv> {
  const trustProxy = options.trustProxy ?? 0;
  return async function observeRequestsMiddleware(c, next) {
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    const route = routeOf(c);
    const status = c.res.status;
    const services = c.get('services');
    services.metrics.requests.observe(c.req.method, route, status, ms / 1000);
    const level = PROBES.has(route) ? 'debug' : 'info';
    if (!services.logger.enabled(level)) return; // nothing built for a line nobody writes
    const principal = c.get('principal');
    const actor = principal ? principal.actor : null;
    services.logger[level]('request', {
      requestId: c.get('requestId'),
      clientRequestId: c.get('clientRequestId'),
      method: c.req.method,
      route,
      ...(route === UNMATCHED_ROUTE ? { path: c.req.path.slice(0, 200) } : {}),
      status,
      ms: Math.round(ms * 10) / 10,
      actor: actor ? (actor.id === null ? actor.type : `${actor.type}:${actor.id}`) : null,
      role: actor?.role ?? null,
      ...(principal?.tokenId !== undefined ? { tokenId: principal.tokenId } : {}),
      client: clientAddress(c, trustProxy),
    });
  };
}
