/** Answers of the integrations API: webhook subscriptions, their deliveries, churn marks (docs/integrations.md). */
import { z } from 'zod';
import { WEBHOOK_DELIVERY_STATUSES } from '../../../db/schema/index.js';
import { WEBHOOK_EVENT_TYPES } from '../../../webhooks/events.js';
import { instant, jsonObject } from './common.js';

/** What CRM_LOOKUP_URL last answered about a customer's address (`customer.crm`; null: unknown or no CRM). */
export const crmRecord = z
  .object({ plan: z.string().nullable(), mrr: z.number().nullable(), accountOwner: z.string().nullable(), churned: z.boolean() })
  .meta({ id: 'CrmRecord', description: 'What the CRM last answered about the customer’s address (CRM_LOOKUP_URL).' });

export const webhookEventType = z.enum(WEBHOOK_EVENT_TYPES).meta({ id: 'WebhookEventType', description: 'An event a webhook may subscribe to.' });

/** A subscription as callers see it: everything but the secret. */
export const webhook = z
  .object({
    id: z.number().int(),
    url: z.string(),
    description: z.string(),
    events: z.array(webhookEventType),
    enabled: z.boolean(),
    failingSince: instant.nullable().meta({ description: 'Since when every attempt failed (null after a success); a day of failures disables the subscription.' }),
    disabledAt: instant.nullable(),
    disabledReason: z.string().nullable(),
    createdBy: z.string(),
    createdAt: instant,
    previousSecretUntil: instant
      .nullable()
      .meta({ description: 'After a secret rotation: until when deliveries are signed with the old secret too (null: no rotation, or one without grace period; in the past: only the new secret signs).' }),
  })
  .meta({ id: 'Webhook' });

export const createdWebhook = z.object({
  ...webhook.shape,
  secret: z.string().regex(/^whsec_/).meta({ description: 'The Standard Webhooks signing secret: shown once, never again.' }),
});

export const rotatedWebhook = z.object({
  ...webhook.shape,
  secret: z.string().regex(/^whsec_/).meta({ description: 'The new signing secret: shown once, never again. The old one signs too until `previousSecretUntil`.' }),
});

/** The body every delivery carries, exactly as signed. */
export const webhookBody = z
  .object({ type: webhookEventType, timestamp: instant, data: jsonObject.meta({ description: 'The event’s case, customer and own part (docs/integrations.md).' }) })
  .meta({ id: 'WebhookMessage' });

export const webhookAttempt = z.object({
  attempt: z.number().int().min(1),
  at: instant,
  responseStatus: z.number().int().nullable().meta({ description: 'The HTTP status answered; null when none was (refused, timed out, blocked).' }),
  durationMs: z.number().int(),
  ok: z.boolean(),
  error: z.string().nullable(),
  retryAfter: z
    .string()
    .nullable()
    .meta({ description: 'The `Retry-After` a 429 or 503 answer carried, as received (seconds or an HTTP-date); the next attempt waits at least that long, at most 10 hours. Null without one.' }),
});

export const webhookDelivery = z
  .object({
    id: z.number().int(),
    messageId: z.string().meta({ description: 'The `webhook-id` header: the same on retries and replays of a message.' }),
    eventType: webhookEventType,
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempts: z.number().int(),
    nextAttemptAt: instant.nullable(),
    replayOf: z.number().int().nullable().meta({ description: 'The delivery this one sends again.' }),
    createdAt: instant,
    payload: z.union([
      webhookBody,
      z.object({ erased: z.literal(true) }).meta({ id: 'ErasedWebhookMessage', description: 'What an erasure left of a delivery’s body (docs/privacy.md): never sent again.' }),
    ]),
    log: z.array(webhookAttempt),
  })
  .meta({ id: 'WebhookDelivery' });

export const churnMarked = z.object({
  customer: z.object({ id: z.number().int(), email: z.string(), name: z.string(), churnedAt: instant }),
  mark: z.object({ at: instant, source: z.string(), reason: z.string().nullable() }),
});
