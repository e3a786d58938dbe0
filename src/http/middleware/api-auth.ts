/**
 * API authentication: `Authorization: Bearer <token>` with the ADMIN_TOKEN (admin rights,
 * for automation and first setup) or an API token. Sets `principal`; 401 otherwise.
 */
import type { MiddlewareHandler } from 'hono';
import { principalForTokenHash, scopeRefusal } from '../../auth/api-tokens.js';
import { ADMIN_TOKEN_PRINCIPAL } from '../../auth/principal.js';
import { sameDigest, sha256Bytes } from '../../auth/tokens.js';
import { DomainError } from '../../errors.js';
import type { Role } from '../../roles.js';
import type { AppEnv } from '../types.js';

export interface ApiAuthOptions {
  adminToken: string | null;
}

export function apiAuth(options: ApiAuthOptions): MiddlewareHandler<AppEnv> {
  // The admin token's digest once; each request hashes only the token it sent, once, for both
  // the comparison and the API token lookup.
  const adminDigest = options.adminToken === null ? null : sha256Bytes(options.adminToken);
  return async function apiAuthMiddleware(c, next) {
    const header = c.req.header('Authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new DomainError('UNAUTHENTICATED', 'Send an API token: "Authorization: Bearer <token>".');
    const token = match[1]!;
    const services = c.get('services');
    const digest = sha256Bytes(token);
    const admin = adminDigest !== null && sameDigest(digest, adminDigest);
    const tokenHash = admin ? null : digest.toString('hex');
    const principal = tokenHash === null ? ADMIN_TOKEN_PRINCIPAL : await services.store.query((q) => principalForTokenHash(q, tokenHash, services.clock.now()));
    if (!principal) throw new DomainError('UNAUTHENTICATED', 'The API token is unknown, revoked or expired.');
    c.set('principal', principal);
    c.set('tokenKey', tokenHash === null ? null : tokenHash.slice(0, 32));
    await next();
  };
}

/** Refuses (403) callers whose role is not listed. */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async function requireRoleMiddleware(c, next) {
    const principal = c.get('principal');
    if (!principal) throw new DomainError('UNAUTHENTICATED', 'Authentication required.');
    if (!roles.includes(principal.actor.role)) {
      throw new DomainError('FORBIDDEN', `This needs one of the roles: ${roles.join(', ')}.`);
    }
    await next();
  };
}

export const STAFF: Role[] = ['agent', 'advanced', 'manager', 'admin'];
export const MANAGERS: Role[] = ['manager', 'admin'];

/**
 * Tokens limited to scopes (auth/api-tokens.ts) reach only the routes their scopes open:
 * `routes` maps a scope to the path prefix it opens. Everything else is 403 for them.
 */
export function limitScopedTokens(routes: Readonly<Record<string, string | RegExp>>): MiddlewareHandler<AppEnv> {
  const opens = (route: string | RegExp | undefined, path: string) => (typeof route === 'string' ? path.startsWith(route) : route !== undefined && route.test(path));
  return async function limitScopedTokensMiddleware(c, next) {
    const scopes = c.get('principal')?.scopes;
    if (scopes && scopes.length > 0 && !scopes.some((scope) => opens(routes[scope], c.req.path))) {
      throw new DomainError('FORBIDDEN', `This token is limited to: ${scopes.join(', ')}.`);
    }
    // A scope held by an account that may not hold it (minted before the rule, or the role
    // changed since) opens nothing: 403 naming why, on every route.
    const role = c.get('principal')?.actor.role;
    const refused = role === undefined ? null : (scopes ?? []).map((scope) => scopeRefusal(scope, role)).find((why) => why !== null);
    if (refused) throw new DomainError('FORBIDDEN', `${refused} Revoke this token; an admin can mint one for an account that may hold it.`);
    await next();
  };
}

/** Lets through a token with `scope`, or (tokens without scopes) the roles listed. */
export function requireScopeOrRole(scope: string, ...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async function requireScopeOrRoleMiddleware(c, next) {
    const principal = c.get('principal');
    if (!principal) throw new DomainError('UNAUTHENTICATED', 'Authentication required.');
    if (principal.scopes?.includes(scope) || (!principal.scopes?.length && roles.includes(principal.actor.role))) {
      await next();
      return;
    }
    throw new DomainError('FORBIDDEN', `This needs a token with the "${scope}" scope or one of the roles: ${roles.join(', ')}.`);
  };
}
