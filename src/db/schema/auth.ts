import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

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

/** One-time links to set a password (accounts provisioned without one). Hash stored. */
export const passwordTokens = sqliteTable('password_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  principalType: text('principal_type', { enum: ['staff', 'customer'] }).notNull(),
  principalId: integer('principal_id').notNull(),
  createdAt: integer('created_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
  usedAt: integer('used_at'),
});
