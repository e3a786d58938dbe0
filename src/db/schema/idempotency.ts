import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * `Idempotency-Key` entries (src/idempotency/): one per principal and key, written in the
 * same transaction as the case or message the request created, so a crash cannot store
 * one without the other. A retry with the same key replays the stored answer; the
 * fingerprint (method, path, body hash) tells a retry from a reuse of the key for another
 * request. Purged 24 h after `created_at` (a scheduled job).
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    /** Who sent it: `staff:12`, `customer:7`, `admin-token` (keys are scoped per principal). */
    principal: text('principal').notNull(),
    key: text('key').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    /** SHA-256 of the request body, hex. */
    bodyHash: text('body_hash').notNull(),
    /** The answer's status (201), known when the entry is written. */
    status: integer('status').notNull(),
    /** What the request created, to answer a retry if the stored body is missing (a crash right after the commit). */
    caseId: integer('case_id'),
    eventId: integer('event_id'),
    /** The answer as sent (JSON text) and its Location header; null until the answer is built, just after the commit. */
    response: text('response'),
    location: text('location'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.principal, t.key] }), index('idempotency_keys_created_at_idx').on(t.createdAt)],
);
