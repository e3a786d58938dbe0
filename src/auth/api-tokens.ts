/** API bearer tokens: shown once when created, stored only as a SHA-256 hash. */
import { and, eq, isNull } from 'drizzle-orm';
import { audit } from '../audit/record-audit.js';
import { transaction, type Db } from '../db/client.js';
import { statement } from '../db/fast.js';
import { apiTokens, type PrincipalType } from '../db/schema/index.js';
import type { Principal } from '../http/types.js';
import type { Actor } from '../roles.js';
import { customerPrincipal, staffPrincipal } from './principal.js';
import { randomToken, sha256 } from './tokens.js';

export const TOKEN_PREFIX = 'cb_';

/**
 * Token scopes. A token without scopes has its account's full rights; a token with scopes is
 * limited to the routes they open (src/http/api/index.ts). `inbound`: post mail to
 * `POST /api/v1/inbound/email` (a provider's inbound webhook), nothing else; `churn`: mark
 * customers churned with `POST /api/v1/customers/:id/churn` (a CRM or billing system), nothing else.
 */
export const TOKEN_SCOPES = ['inbound', 'churn'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface CreatedToken {
  id: number;
  token: string;
  prefix: string;
}

export function createApiToken(
  db: Db,
  principal: { type: PrincipalType; id: number },
  name: string,
  now: number,
  expiresAt: number | null = null,
  scopes: readonly TokenScope[] = [],
): CreatedToken {
  const token = randomToken(TOKEN_PREFIX);
  const prefix = token.slice(0, 10);
  const row = db
    .insert(apiTokens)
    .values({ name, tokenHash: sha256(token), prefix, principalType: principal.type, principalId: principal.id, scopes: [...scopes], createdAt: now, expiresAt })
    .returning({ id: apiTokens.id })
    .get();
  return { id: row.id, token, prefix };
}

/** The principal a bearer token stands for, or null (unknown, revoked, expired, inactive). */
export function principalForToken(db: Db, token: string, now: number): Principal | null {
  return principalForTokenHash(db, sha256(token), now);
}

interface StoredToken {
  id: number;
  principal_type: PrincipalType;
  principal_id: number;
  scopes: string;
  expires_at: number | null;
  last_used_at: number | null;
}

/**
 * principalForToken by the token's SHA-256 (hex), for a caller that needs the hash anyway.
 * Read on every request, with nothing cached: a revoked or expired token, a deactivated
 * account or a changed role counts from the next request on.
 */
export function principalForTokenHash(db: Db, tokenHash: string, now: number): Principal | null {
  const row = statement<[string], StoredToken>(db, 'SELECT id, principal_type, principal_id, scopes, expires_at, last_used_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL').get(tokenHash);
  if (!row || (row.expires_at !== null && row.expires_at <= now)) return null;
  if (row.last_used_at === null || now - row.last_used_at > 60_000) {
    statement(db, 'UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now, row.id);
  }
  const principal = row.principal_type === 'staff' ? staffPrincipal(db, row.principal_id) : customerPrincipal(db, row.principal_id);
  if (!principal) return null;
  const scopes = JSON.parse(row.scopes) as string[];
  return scopes.length > 0 ? { ...principal, scopes, tokenId: row.id } : { ...principal, tokenId: row.id };
}

export function revokeApiToken(db: Db, id: number, now: number): boolean {
  return db.update(apiTokens).set({ revokedAt: now }).where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt))).run().changes === 1;
}

/** Revokes every live token of an account (deactivation); returns how many. */
export function revokeApiTokensOf(db: Db, principal: { type: PrincipalType; id: number }, now: number): number {
  return db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.principalType, principal.type), eq(apiTokens.principalId, principal.id), isNull(apiTokens.revokedAt)))
    .run().changes;
}

type TokenRow = typeof apiTokens.$inferSelect;
const shown = (row: TokenRow) => ({ ...row, tokenHash: undefined });

/** Issues a token for an account and records it in the audit log (hash never logged), in one transaction. */
export function issueApiToken(
  services: { db: Db; clock: { now(): number } },
  actor: Actor,
  principal: { type: PrincipalType; id: number },
  name: string,
  expiresAt: number | null,
  scopes: readonly TokenScope[],
): CreatedToken {
  return transaction(services.db, () => {
    const created = createApiToken(services.db, principal, name, services.clock.now(), expiresAt, scopes);
    const row = services.db.select().from(apiTokens).where(eq(apiTokens.id, created.id)).get()!;
    audit(services, actor, 'token', created.id, 'created', null, shown(row));
    return created;
  });
}

/** Revokes a live token, audited; false if there is no live token with that id. */
export function revokeApiTokenAudited(services: { db: Db; clock: { now(): number } }, actor: Actor, id: number): boolean {
  return transaction(services.db, () => {
    const before = services.db.select().from(apiTokens).where(eq(apiTokens.id, id)).get();
    if (!before || !revokeApiToken(services.db, id, services.clock.now())) return false;
    const after = services.db.select().from(apiTokens).where(eq(apiTokens.id, id)).get()!;
    audit(services, actor, 'token', id, 'revoked', shown(before), shown(after));
    return true;
  });
}
