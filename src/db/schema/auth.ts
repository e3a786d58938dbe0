import { sql } from 'drizzle-orm';
import { index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export type PrincipalType = 'staff' | 'customer';

/** Bearer tokens for the API. Only a SHA-256 hash of the secret is stored. */
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    /** First characters of the token, to recognise it in lists. */
    prefix: text('prefix').notNull(),
    principalType: text('principal_type', { enum: ['staff', 'customer'] }).notNull(),
    principalId: integer('principal_id').notNull(),
    /** Empty: the principal's full rights. Otherwise only the routes these scopes open (`inbound`: mail in). */
    scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    expiresAt: integer('expires_at'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash_idx').on(t.tokenHash)],
);

/** Browser sessions. The id stored is a SHA-256 hash of the cookie value. */
export const sessions = sqliteTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    principalType: text('principal_type', { enum: ['staff', 'customer'] }).notNull(),
    principalId: integer('principal_id').notNull(),
    csrfToken: text('csrf_token').notNull(),
    createdAt: integer('created_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_principal_idx').on(t.principalType, t.principalId), index('sessions_expires_idx').on(t.expiresAt)],
);

/** Failed sign-ins per key (an email or a client address), for throttling. */
export const signInAttempts = sqliteTable('sign_in_attempts', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  windowStartedAt: integer('window_started_at').notNull(),
  lockedUntil: integer('locked_until'),
});

/**
 * Rate-limit buckets shared by every instance on PostgreSQL (src/auth/shared-rate-limit.ts):
 * one token bucket per limit key (`cases:token:…`, `links:address:…`), as the in-memory
 * limiter keeps them, named by a SHA-256 of the key (`bucketKey`: keys name client and e-mail
 * addresses). On SQLite, where one process serves a store, the limiter keeps its buckets in
 * memory and this table stays empty.
 */
export const rateBuckets = sqliteTable('rate_buckets', {
  /** `bucketKey(limit key)`. */
  key: text('key').primaryKey(),
  /** Requests left, fractional while refilling. */
  tokens: real('tokens').notNull(),
  /** When `tokens` was counted. */
  at: integer('at').notNull(),
  /** When the bucket is full again if nothing more is taken: from then on the row can go. */
  fullAt: integer('full_at').notNull(),
});

/**
 * What a one-time link of an account does: `set-password` (an account provisioned without
 * one), `reset` (forgot password: choose a new one), `sign-in` (passwordless sign-in of a
 * customer). src/users/password-tokens.ts, src/auth/links.ts.
 */
export const LINK_PURPOSES = ['set-password', 'reset', 'sign-in'] as const;
export type LinkPurpose = (typeof LINK_PURPOSES)[number];

/**
 * One-time links of an account (set a password, reset it, sign in). Hash stored. A link
 * works once; using one revokes every other outstanding link of the account.
 */
export const passwordTokens = sqliteTable(
  'password_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    purpose: text('purpose', { enum: LINK_PURPOSES }).notNull().default('set-password'),
    principalType: text('principal_type', { enum: ['staff', 'customer'] }).notNull(),
    principalId: integer('principal_id').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [index('password_tokens_principal_idx').on(t.principalType, t.principalId)],
);

/**
 * Self sign-up on the portal, waiting for the address to be confirmed: the mailed link's
 * hash, the address and the name given. The customer is created only when the link is used
 * (src/auth/sign-up.ts); there is no account before that.
 */
export const signUps = sqliteTable(
  'sign_ups',
  {
    tokenHash: text('token_hash').primaryKey(),
    /** Lower-cased. */
    email: text('email').notNull(),
    name: text('name').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [index('sign_ups_email_idx').on(t.email)],
);
