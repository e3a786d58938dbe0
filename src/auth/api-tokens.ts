/** API bearer tokens: shown once when created, stored only as a SHA-256 hash. */
import { and, eq, isNull } from 'drizzle-orm';
import { audit } from '../audit/record-audit.js';
import { transaction, type Db } from '../db/client.js';
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
  const row = db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, sha256(token)), isNull(apiTokens.revokedAt)))
    .get();
  if (!row || (row.expiresAt !== null && row.expiresAt <= now)) return null;
  if (row.lastUsedAt === null || now - row.lastUsedAt > 60_000) {
    db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id)).run();
  }
  const principal = row.principalType === 'staff' ? staffPrincipal(db, row.principalId) : customerPrincipal(db, row.principalId);
  if (!principal) return null;
  return row.scopes.length > 0 ? { ...principal, scopes: row.scopes, tokenId: row.id } : { ...principal, tokenId: row.id };
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
