/**
 * `/api/v1/webhooks` (admins): webhook subscriptions, their delivery log and replay
 * (docs/integrations.md).
 *
 *   POST   /webhooks                                   { url, events, description? } → 201 with the `secret` (shown once)
 *   GET    /webhooks                                   every subscription (no secrets)
 *   GET    /webhooks/:id                               one subscription
 *   DELETE /webhooks/:id                               → 204
 *   POST   /webhooks/:id/enable                        enable a disabled subscription again
 *   GET    /webhooks/:id/deliveries                    its deliveries, newest first, each with every attempt
 *   POST   /webhooks/:id/deliveries/:delivery/replay   send that message again now → 202
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { DomainError } from '../../errors.js';
import { listDeliveries, replayDelivery } from '../../webhooks/delivery-log.js';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/events.js';
import { createWebhook, deleteWebhook, enableWebhook, getWebhook, listWebhooks, webhookView } from '../../webhooks/subscriptions.js';
import { jsonBody, parseWith } from '../json-body.js';
import { requireRole } from '../middleware/api-auth.js';
import { ADMINS_ONLY, apiGroup, on } from '../openapi/route-spec.js';
import type { AppEnv } from '../types.js';
import { createdWebhook, webhook, webhookDelivery, webhookEventType } from './schemas/integrations.js';

export const webhookApi = apiGroup('/webhooks', 'Webhooks');

const bodySchema = z.strictObject({
  url: z.string().max(2000).meta({ description: 'An http(s) URL without credentials; IP literals and `localhost` are refused (422) unless WEBHOOKS_ALLOW_PRIVATE.' }),
  events: z.array(webhookEventType).min(1).max(WEBHOOK_EVENT_TYPES.length),
  description: z.string().max(200).optional(),
});

const DEFAULT_LIMIT = 50;
/** How many deliveries: 1–200, anything else is brought into that range (not a number: 50). */
const deliveriesQuery = z.object({
  limit: z
    .string()
    .optional()
    .meta({ description: 'How many deliveries, newest first: 1–200 (default 50; values outside are brought into the range).' })
    .transform((raw) => Math.min(200, Math.max(1, Number(raw ?? DEFAULT_LIMIT) || DEFAULT_LIMIT))),
});

const webhookIdParam = z.string().meta({ description: 'The webhook subscription id.' });
const idParams = { id: webhookIdParam };

export const createWebhookRoute = webhookApi.route({
  method: 'post',
  path: '/',
  summary: 'Subscribe to events',
  description: 'Deliveries are signed with Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`). The answer carries the signing `secret`: shown once, never again.',
  access: ADMINS_ONLY,
  body: bodySchema,
  responses: { 201: createdWebhook },
});
export const listWebhooksRoute = webhookApi.route({ method: 'get', path: '/', summary: 'Webhook subscriptions', description: 'Every subscription, without secrets.', access: ADMINS_ONLY, responses: { 200: z.array(webhook) } });
export const getWebhookRoute = webhookApi.route({ method: 'get', path: '/:id', summary: 'A webhook subscription', access: ADMINS_ONLY, params: idParams, responses: { 200: webhook } });
export const deleteWebhookRoute = webhookApi.route({
  method: 'delete',
  path: '/:id',
  summary: 'Remove a webhook subscription',
  description: 'Nothing is delivered to it again; its delivery log stays in the database.',
  access: ADMINS_ONLY,
  params: idParams,
  responses: { 204: { description: 'Removed' } },
});
export const enableWebhookRoute = webhookApi.route({
  method: 'post',
  path: '/:id/enable',
  summary: 'Enable a webhook subscription again',
  description: 'After it was disabled for a day of failed deliveries; its failure streak starts over.',
  access: ADMINS_ONLY,
  params: idParams,
  responses: { 200: webhook },
});
export const listDeliveriesRoute = webhookApi.route({
  method: 'get',
  path: '/:id/deliveries',
  summary: 'A webhook’s deliveries',
  description: 'Newest first, each with its body and every attempt (response status, duration, error).',
  access: ADMINS_ONLY,
  params: idParams,
  query: deliveriesQuery,
  responses: { 200: z.array(webhookDelivery) },
});
export const replayDeliveryRoute = webhookApi.route({
  method: 'post',
  path: '/:id/deliveries/:delivery/replay',
  summary: 'Send a delivery again',
  description: 'The same message (same `webhook-id`, same body) sent again now, as a new delivery. A disabled subscription is 409: enable it first.',
  access: ADMINS_ONLY,
  params: { id: webhookIdParam, delivery: z.string().meta({ description: 'The delivery id.' }) },
  responses: { 202: { description: 'The new delivery, queued', schema: webhookDelivery } },
  errors: [409],
});

function numericId(raw: string, what: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw new DomainError(what === 'webhook' ? 'WEBHOOK_NOT_FOUND' : 'NOT_FOUND', `No ${what} ${raw}.`);
  return Number(raw);
}

export function webhookRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requireRole('admin'));

  on(app, createWebhookRoute, async (c) => {
    const input = await jsonBody(c, createWebhookRoute.body);
    const { webhook: created, secret } = await createWebhook(c.get('services'), input, c.get('principal')!.actor);
    return c.json({ ...created, secret }, 201);
  });

  on(app, listWebhooksRoute, async (c) => c.json((await listWebhooks(c.get('services'))).map(webhookView)));

  on(app, getWebhookRoute, async (c) => c.json(webhookView(await getWebhook(c.get('services'), numericId(c.req.param('id'), 'webhook')))));

  on(app, deleteWebhookRoute, async (c) => {
    await deleteWebhook(c.get('services'), numericId(c.req.param('id'), 'webhook'), c.get('principal')!.actor);
    return c.body(null, 204);
  });

  on(app, enableWebhookRoute, async (c) => c.json(await enableWebhook(c.get('services'), numericId(c.req.param('id'), 'webhook'), c.get('principal')!.actor)));

  on(app, listDeliveriesRoute, async (c) => {
    const { limit } = parseWith(listDeliveriesRoute.query, c.req.query());
    return c.json(await listDeliveries(c.get('services'), numericId(c.req.param('id'), 'webhook'), limit));
  });

  on(app, replayDeliveryRoute, async (c) => {
    const services = c.get('services');
    const view = await replayDelivery(services, numericId(c.req.param('id'), 'webhook'), numericId(c.req.param('delivery'), 'delivery'), c.get('principal')!.actor);
    services.outbox.kick();
    return c.json(view, 202);
  });

  return app;
}
