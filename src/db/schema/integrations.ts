import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * Webhook subscriptions (docs/integrations.md): an HTTPS endpoint, the event types it wants,
 * its Standard Webhooks signing secret (`whsec_…`, shown once when created). A subscription
 * that keeps failing for a day is disabled (`disabledAt`, `disabledReason`) and admins are mailed.
 */
export const webhookSubscriptions = sqliteTable('webhook_subscriptions', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  url: text('url').notNull(),
  description: text('description').notNull().default(''),
  /** Event types (`case.created`, …), a JSON array. */
  events: text('events', { mode: 'json' }).$type<string[]>().notNull(),
  secret: text('secret').notNull(),
  /**
   * The secret a rotation replaced (src/webhooks/rotate-secret.ts): deliveries are signed with it
   * too, beside `secret`, until `previousSecretUntil`; after that it counts no more.
   */
  previousSecret: text('previous_secret'),
  previousSecretUntil: integer('previous_secret_until'),
  enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
  /** Since when every attempt failed (null after a success): a day of failures disables it. */
  failingSince: integer('failing_since'),
  disabledAt: integer('disabled_at'),
  disabledReason: text('disabled_reason'),
  createdBy: text('created_by').notNull(),
  createdAt: integer('created_at').notNull(),
  /** Deleted subscriptions stay (their delivery log with them) but are never delivered to or listed. */
  deletedAt: integer('deleted_at'),
});

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'retrying', 'succeeded', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** One message to one subscription: the body signed and sent on every attempt (the same `webhook-id`). */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    subscriptionId: integer('subscription_id')
      .notNull()
      .references(() => webhookSubscriptions.id),
    /** The `webhook-id` header: the same on retries and replays of this message. */
    messageId: text('message_id').notNull(),
    eventType: text('event_type').notNull(),
    /** The JSON body, exactly as signed. */
    payload: text('payload').notNull(),
    status: text('status', { enum: WEBHOOK_DELIVERY_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at'),
    /** The delivery this one replays (same message, sent again on request). */
    replayOf: integer('replay_of'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('webhook_deliveries_subscription_idx').on(t.subscriptionId, t.id)],
);

/** Every attempt of a delivery: the log shown on the console and by the API. */
export const webhookAttempts = sqliteTable(
  'webhook_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    deliveryId: integer('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id),
    attempt: integer('attempt').notNull(),
    at: integer('at').notNull(),
    /** The HTTP status answered, null when none was (refused, timed out, blocked). */
    responseStatus: integer('response_status'),
    durationMs: integer('duration_ms').notNull(),
    ok: integer('ok', { mode: 'boolean' }).notNull(),
    error: text('error'),
    /** The `Retry-After` a 429 or 503 answer carried, as received (at most 100 characters); null without one. */
    retryAfter: text('retry_after'),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId, t.attempt)],
);

/** What the CRM (CRM_LOOKUP_URL) last answered about an address: the `customer.crm` fact and the case page. */
export const crmRecords = sqliteTable(
  'crm_records',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    email: text('email').notNull(),
    /** `{ plan, mrr, accountOwner, churned }`, null when the CRM does not know the address. */
    data: text('data', { mode: 'json' }).$type<Record<string, unknown> | null>(),
    fetchedAt: integer('fetched_at').notNull(),
  },
  (t) => [uniqueIndex('crm_records_email_idx').on(t.email)],
);
