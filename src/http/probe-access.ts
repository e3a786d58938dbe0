/**
 * Who may read the details of a failing probe (`/readyz`'s reasons and versions, `/health`'s
 * reason: file paths, SQLite errors): a bearer METRICS_TOKEN, the ADMIN_TOKEN or an admin's API
 * token without scopes. Anyone else gets the bare statuses; the reasons are logged anyway.
 */
import type { Context } from 'hono';
import { principalForToken } from '../auth/api-tokens.js';
import { safeEqual } from '../auth/tokens.js';
import type { AppEnv } from './types.js';

export interface ProbeAccess {
  adminToken: string | null;
  /** METRICS_TOKEN: a bearer token good for `/metrics` only. */
  metricsToken: string | null;
}

export function bearer(c: Context<AppEnv>): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('Authorization') ?? '');
  return match ? match[1]! : null;
}

/** Whether the request carries a token good for /metrics (without refusing it when not). */
export async function mayReadDetails(c: Context<AppEnv>, options: ProbeAccess): Promise<boolean> {
  const token = bearer(c);
  if (token === null) return false;
  if (options.metricsToken !== null && safeEqual(token, options.metricsToken)) return true;
  if (options.adminToken !== null && safeEqual(token, options.adminToken)) return true;
  const services = c.get('services');
  if (services.sqlite && !services.sqlite.$client.open) return false;
  try {
    const principal = await services.store.query((q) => principalForToken(q, token, services.clock.now()));
    return principal !== null && principal.actor.role === 'admin' && (principal.scopes?.length ?? 0) === 0;
  } catch {
    // A database that cannot be read cannot vouch for a token: the bare statuses then.
    return false;
  }
}
