/** API bearer tokens: shown once when created, stored only as a SHA-256 hash. */
import { and, count, desc, eq, gt, isNull, lt, or } from 'drizzle-orm';
import { auditIn } from '../audit/record-audit.js';
import type { apiTokens, PrincipalType } from '../db/schema/index.js';
import type { Handle, Store } from '../db/store/index.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Principal } from '../http/types.js';
import type { Actor, Role } from '../roles.js';
import { lookups } from './lookups.js';
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

/**
 * The account roles that may hold each scope. A scope narrows a token, never widens it: only an
 * account whose own role already may call the scope's route may hold it (`inbound`: admins, as
 * `POST /inbound/email`; `churn`: managers and admins, as `POST /customers/{id}/churn`). Minting
 * refuses anyone else (issueApiToken), and a token minted before this rule, or whose account's
 * role changed since, gets 403 at use (`scopeRefusal`, src/http/middleware/api-auth.ts).
 */
export const SCOPE_HOLDERS: Readonly<Record<TokenScope, readonly Role[]>> = {
  inbound: ['admin'],
  churn: ['manager', 'admin'],
};

const ROLE_NAMES: Partial<Record<Role, string>> = { admin: 'admins', manager: 'managers', advanced: 'advanced agents', agent: 'agents', customer: 'customers' };
const listed = (roles: readonly Role[]) => roles.map((r) => ROLE_NAMES[r] ?? r).join(' and ');
/** Who may hold `scope`, in words ("managers and admins"): the console says so beside each scope. */
export const scopeHolderWords = (scope: TokenScope): string => listed(SCOPE_HOLDERS[scope]);
const accountKind = (role: Role) => (role === 'customer' ? 'a customer account' : `a staff account with the role ${role}`);

/** Why an account with this role may not hold `scope` (null: it may). */
export function scopeRefusal(scope: string, role: Role): string | null {
  const holders = (SCOPE_HOLDERS as Record<string, readonly Role[] | undefined>)[scope];
  if (!holders) return `The scope "${scope}" is unknown.`;
  if (holders.includes(role)) return null;
  return `The "${scope}" scope is for ${listed(holders)} only; this is ${accountKind(role)}.`;
}

export interface CreatedToken {
  id: number;
  token: string;
  prefix: string;
}

/**
 * A new token's secret and its row (only the hash stored). Test fixtures that must stay
 * synchronous (test/support/harness.ts `tokenFor`) insert the row themselves; everything else
 * calls createApiToken.
 */
export function newTokenRow(
  principal: { type: PrincipalType; id: number },
  name: string,
  now: number,
  expiresAt: number | null = null,
  scopes: readonly TokenScope[] = [],
): { token: string; prefix: string; row: typeof apiTokens.$inferInsert } {
  const token = randomToken(TOKEN_PREFIX);
  const prefix = token.slice(0, 10);
  return { token, prefix, row: { name, tokenHash: sha256(token), prefix, principalType: principal.type, principalId: principal.id, scopes: [...scopes], createdAt: now, expiresAt } };
}

export async function createApiToken(
  q: Handle,
  principal: { type: PrincipalType; id: number },
  name: string,
  now: number,
  expiresAt: number | null = null,
  scopes: readonly TokenScope[] = [],
): Promise<CreatedToken> {
  const { token, prefix, row } = newTokenRow(principal, name, now, expiresAt, scopes);
  const [created] = await q.db.insert(q.tables.apiTokens).values(row).returning({ id: q.tables.apiTokens.id });
  return { id: created!.id, token, prefix };
}

/** The principal a bearer token stands for, or null (unknown, revoked, expired, inactive). */
export function principalForToken(q: Handle, token: string, now: number): Promise<Principal | null> {
  return principalForTokenHash(q, sha256(token), now);
}

/**
 * principalForToken by the token's SHA-256 (hex), for a caller that needs the hash anyway.
 * Read on every request, with nothing cached: a revoked or expired token, a deactivated
 * account or a changed role counts from the next request on. On SQLite one synchronous call
 * of cached statements (src/auth/sqlite.ts).
 */
export function principalForTokenHash(q: Handle, tokenHash: string, now: number): Promise<Principal | null> {
  return lookups(q).principalForTokenHash(q, tokenHash, now);
}

/** Revokes a live token; false when there is none with that id. */
export async function revokeApiToken(q: Handle, id: number, now: number): Promise<boolean> {
  const t = q.tables.apiTokens;
  const revoked = await q.db
    .update(t)
    .set({ revokedAt: now })
    .where(and(eq(t.id, id), isNull(t.revokedAt)))
    .returning({ id: t.id });
  return revoked.length === 1;
}

/** Revokes every live token of an account (deactivation, inside its transaction); returns how many. */
export async function revokeApiTokensOf(q: Handle, principal: { type: PrincipalType; id: number }, now: number): Promise<number> {
  const t = q.tables.apiTokens;
  const revoked = await q.db
    .update(t)
    .set({ revokedAt: now })
    .where(and(eq(t.principalType, principal.type), eq(t.principalId, principal.id), isNull(t.revokedAt)))
    .returning({ id: t.id });
  return revoked.length;
}

/** How many tokens of an account work now (not revoked, not expired). */
export async function liveApiTokensOf(q: Handle, principal: { type: PrincipalType; id: number }, now: number): Promise<number> {
  const t = q.tables.apiTokens;
  const [row] = await q.db
    .select({ n: count() })
    .from(t)
    .where(and(eq(t.principalType, principal.type), eq(t.principalId, principal.id), isNull(t.revokedAt), or(isNull(t.expiresAt), gt(t.expiresAt, now))));
  return Number(row?.n ?? 0);
}

export interface ListedToken {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
  /** Works now: not revoked, not expired. */
  live: boolean;
}

/** Every token of the account with this address, newest first (never a hash); NOT_FOUND when there is no such account. */
export async function listApiTokens(q: Handle, email: string, now: number): Promise<{ principal: { type: PrincipalType; id: number }; tokens: ListedToken[] }> {
  const t = q.tables.apiTokens;
  const { type, id } = await accountByEmail(q, email, { deactivated: 'include' });
  const principal = { type, id };
  const rows = await q.db
    .select()
    .from(t)
    .where(and(eq(t.principalType, principal.type), eq(t.principalId, principal.id)))
    .orderBy(desc(t.id));
  return { principal, tokens: rows.map((r) => asListed(r, now)) };
}

/** A token with the account that holds it (the console's list of every token). */
export interface HeldToken extends ListedToken {
  account: { type: PrincipalType; id: number; name: string; email: string; role: Role; active: boolean };
}

/**
 * Every account's tokens (or one account's: `holder`), newest first, `limit` at a time
 * (`before`: older than that token id), with the account that holds each; `older` is the id to
 * pass as `before` for the next page.
 */
export async function listAllApiTokens(
  q: Handle,
  now: number,
  options: { limit: number; before?: number | undefined; holder?: { type: PrincipalType; id: number } | undefined },
): Promise<{ tokens: HeldToken[]; older: number | null }> {
  const { apiTokens: t, staff, customers } = q.tables;
  const rows = await q.db
    .select({
      token: t,
      staff: { name: staff.name, email: staff.email, role: staff.role, active: staff.active },
      customer: { name: customers.name, email: customers.email },
    })
    .from(t)
    .leftJoin(staff, and(eq(t.principalType, 'staff'), eq(staff.id, t.principalId)))
    .leftJoin(customers, and(eq(t.principalType, 'customer'), eq(customers.id, t.principalId)))
    .where(
      and(
        options.before === undefined ? undefined : lt(t.id, options.before),
        options.holder ? and(eq(t.principalType, options.holder.type), eq(t.principalId, options.holder.id)) : undefined,
      ),
    )
    .orderBy(desc(t.id))
    .limit(options.limit + 1);
  const tokens = rows.slice(0, options.limit).map(({ token: r, staff: member, customer }): HeldToken => ({
    ...asListed(r, now),
    account:
      r.principalType === 'staff'
        ? { type: 'staff', id: r.principalId, name: member?.name ?? '', email: member?.email ?? '', role: member?.role ?? 'agent', active: member?.active ?? false }
        : { type: 'customer', id: r.principalId, name: customer?.name ?? '', email: customer?.email ?? '', role: 'customer', active: customer !== null },
  }));
  return { tokens, older: rows.length > options.limit ? tokens.at(-1)!.id : null };
}

/** A stored token as lists show it: never its hash. */
function asListed(r: TokenRow, now: number): ListedToken {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: [...(r.scopes ?? [])],
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
    expiresAt: r.expiresAt,
    revokedAt: r.revokedAt,
    live: r.revokedAt === null && (r.expiresAt === null || r.expiresAt > now),
  };
}

type TokenRow = typeof apiTokens.$inferSelect;
const shown = (row: TokenRow) => ({ ...row, tokenHash: undefined });

async function tokenRow(q: Handle, id: number): Promise<TokenRow | undefined> {
  const [row] = await q.db.select().from(q.tables.apiTokens).where(eq(q.tables.apiTokens.id, id)).limit(1);
  return row;
}

export interface IssueTokenInput {
  /** The account's address (staff or customer), already normalised. */
  email: string;
  name: string;
  expiresInDays?: number | undefined;
  scopes: readonly TokenScope[];
}

export interface IssuedToken extends CreatedToken {
  principal: { type: PrincipalType; id: number };
  expiresAt: number | null;
}

/**
 * The account with this address (canonical), staff first: NOT_FOUND when there is none;
 * FORBIDDEN for deactivated staff unless `deactivated: 'include'` (a list of what they hold).
 */
export async function accountByEmail(q: Handle, email: string, options: { deactivated?: 'refuse' | 'include' } = {}): Promise<{ type: PrincipalType; id: number; role: Role }> {
  const { staff, customers } = q.tables;
  const [member] = await q.db.select({ id: staff.id, name: staff.name, active: staff.active, role: staff.role }).from(staff).where(eq(staff.email, email)).limit(1);
  if (member && !member.active && options.deactivated !== 'include') throw new DomainError('FORBIDDEN', `${member.name} is deactivated.`);
  if (member) return { type: 'staff', id: member.id, role: member.role };
  const [customer] = await q.db.select({ id: customers.id }).from(customers).where(eq(customers.email, email)).limit(1);
  if (!customer) throw new DomainError('NOT_FOUND', `No account with the address ${email}.`);
  return { type: 'customer', id: customer.id, role: 'customer' };
}

/** Issues a token for the account with this address and records it in the audit log (hash never logged), in one transaction. */
export function issueApiToken(services: { store: Store; clock: { now(): number } }, actor: Actor, input: IssueTokenInput): Promise<IssuedToken> {
  return services.store.write(async (q) => {
    const { role, ...principal } = await accountByEmail(q, input.email);
    const refused = input.scopes.map((scope) => scopeRefusal(scope, role)).filter((why): why is string => why !== null);
    if (refused.length > 0) throw new ValidationError([{ path: 'scopes', message: refused.join(' ') }], `${refused.join(' ')} (${input.email})`);
    const now = services.clock.now();
    const expiresAt = input.expiresInDays ? now + input.expiresInDays * 86_400_000 : null;
    const created = await createApiToken(q, principal, input.name, now, expiresAt, input.scopes);
    const row = (await tokenRow(q, created.id))!;
    await auditIn(q, services.clock, actor, 'token', created.id, 'created', null, shown(row));
    return { ...created, principal, expiresAt };
  });
}

/** Revokes a live token, audited; false if there is no live token with that id. */
export function revokeApiTokenAudited(services: { store: Store; clock: { now(): number } }, actor: Actor, id: number): Promise<boolean> {
  return services.store.write(async (q) => {
    const before = await tokenRow(q, id);
    if (!before || !(await revokeApiToken(q, id, services.clock.now()))) return false;
    const after = (await tokenRow(q, id))!;
    await auditIn(q, services.clock, actor, 'token', id, 'revoked', shown(before), shown(after));
    return true;
  });
}
