/**
 * `/api/v1/webhooks` (admins): webhook subscriptions, their delivery log and replay
 * (docs/integrations.md).
 *
 *   POST   /webhooks                                   { url, events, description? } → 201 with the `secret` (shown once)
 *   GET    /webhooks                                   every subscription (no secrets)
 *   GET    /webhooks/:id                               one subscription
 *   DELETE /webhooks/:id                               → 204
 *   POST   /webhooks/:id/enable                        enable a disabled subscription again
 *   POST   /webhooks/:id/rotate-secret                 { graceHours? } → a new `secret` (shown once); the old one signs too for the grace period
 *   GET    /webhooks/:id/deliveries                    its deliveries, newest first, each with every attempt (?limit=&status=&before=; `Link: rel="next"`)
 *   POST   /webhooks/:id/deliveries/:delivery/replay   send that message again now → 202
 *   POST   /webhooks/:id/deliveries/replay             send again every message that failed and has not arrived since → 202
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { DomainError } from '../../errors.js';
import { WEBHOOK_DELIVERY_STATUSES } from '../../db/schema/index.js';
import { ValidationError } from '../../errors.js';
import { BULK_REPLAY_MAX, listDeliveryPage, replayDelivery, replayFailedDeliveries } from '../../webhooks/delivery-log.js';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/events.js';
import { DEFAULT_GRACE_HOURS, rotateSecretSchema, rotateWebhookSecret } from '../../webhooks/rotate-secret.js';
import { createWebhook, deleteWebhook, enableWebhook, getWebhook, listWebhooks, webhookView } from '../../webhooks/subscriptions.js';
import { jsonBody, parseWith, readJson } from '../json-body.js';
import { requireRole } from '../middleware/api-auth.js';
import { ADMINS_ONLY, apiGroup, on } from '../openapi/route-spec.js';
import type { AppEnv } from '../types.js';
import { createdWebhook, rotatedWebhook, webhook, webhookDelivery, webhookEventType } from './schemas/integrations.js';

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
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional().meta({ description: 'Only deliveries in this state (`failed`: what a receiver missed).' }),
  before: z
    .string()
    .regex(/^\d{1,15}$/, 'a delivery id (the `before` of the `Link: rel="next"` header)')
    .transform(Number)
    .optional()
    .meta({ description: 'Only deliveries older than this one (a delivery id): the next page, as the `Link` header with `rel="next"` names it.' }),
});

/** The `Link` header of a page of the delivery log with more after it (RFC 8288), keeping the page's filters. */
function nextLink(path: string, limit: number, status: string | undefined, before: number): string {
  const params = new URLSearchParams({ limit: String(limit), ...(status ? { status } : {}), before: String(before) });
  return `<${path}?${params.toString()}>; rel="next"`;
}

/** An instant with `Z` or an offset (a bulk replay's range). */
const rangeInstant = z.iso.datetime({ offset: true }).transform((v) => Date.parse(v));

const bulkReplaySchema = z
  .strictObject({
    since: rangeInstant.optional().meta({ description: 'Failed deliveries created from this instant on (inclusive; ISO 8601 with `Z` or an offset; default: the first).' }),
    until: rangeInstant.optional().meta({ description: 'Created before this instant (exclusive; default: now).' }),
  })
  .superRefine((v, ctx) => {
    if (v.since !== undefined && v.until !== undefined && v.until <= v.since) ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be after since' });
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
export const rotateSecretRoute = webhookApi.route({
  method: 'post',
  path: '/:id/rotate-secret',
  summary: 'Rotate the signing secret',
  description: `A new signing secret, in the answer only (shown once, like a new subscription's). For the grace period (\`graceHours\`, default ${DEFAULT_GRACE_HOURS}) every delivery is signed with the new and the old secret — two \`v1,\` entries in \`webhook-signature\`, the new one first — so the receiver can switch to the new secret at any time in between; after it, only the new secret signs. A second rotation within the grace period drops the oldest secret. The body may be empty.`,
  access: ADMINS_ONLY,
  params: idParams,
  body: rotateSecretSchema,
  bodyOptional: true,
  responses: { 200: rotatedWebhook },
});
export const listDeliveriesRoute = webhookApi.route({
  method: 'get',
  path: '/:id/deliveries',
  summary: 'A webhook’s deliveries',
  description:
    'Newest first, each with its body and every attempt (response status, duration, error). In pages of `limit`: when there are older deliveries, the `Link` header names the next page (`rel="next"`, with `before`, the last id of this page), so deliveries created meanwhile never shift a page. `status=failed` lists what the receiver missed.',
  access: ADMINS_ONLY,
  params: idParams,
  query: deliveriesQuery,
  responses: { 200: { description: 'A page of deliveries, newest first', schema: z.array(webhookDelivery), headers: { Link: 'The next (older) page, `<…?before=…>; rel="next"`; absent on the last page' } } },
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

export const replayFailedRoute = webhookApi.route({
  method: 'post',
  path: '/:id/deliveries/replay',
  summary: 'Send again what a receiver missed',
  description: `After an outage: every message whose delivery failed (created in \`[since, until)\`, default all) and that has not reached the receiver since (no other delivery of it succeeded or is under way) is sent again, oldest first, each once, as a new delivery with the same \`webhook-id\` and body. At most ${BULK_REPLAY_MAX} per call; \`more: true\` says another call has more to send (it sends only what is still missing). A disabled subscription is 409: enable it first.`,
  access: ADMINS_ONLY,
  params: idParams,
  body: bulkReplaySchema,
  bodyOptional: true,
  responses: {
    202: {
      description: 'The new deliveries, queued',
      schema: z.object({
        replayed: z.number().int().meta({ description: 'How many messages are sent again.' }),
        more: z.boolean().meta({ description: `More than ${BULK_REPLAY_MAX} were missing: call again for the rest.` }),
        deliveries: z.array(z.number().int()).meta({ description: 'The new deliveries’ ids (in the delivery log, with `replayOf`).' }),
      }),
    },
  },
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

  on(app, rotateSecretRoute, async (c) => {
    const text = await c.req.text(); // Hono caches the body: readJson reads it again
    const input = parseWith(rotateSecretRoute.body, text.trim() === '' ? {} : await readJson(c));
    const { webhook: rotated, secret } = await rotateWebhookSecret(c.get('services'), numericId(c.req.param('id'), 'webhook'), input, c.get('principal')!.actor);
    return c.json({ ...rotated, secret });
  });

  on(app, listDeliveriesRoute, async (c) => {
    const { limit, status, before } = parseWith(listDeliveriesRoute.query, c.req.query());
    const page = await listDeliveryPage(c.get('services'), numericId(c.req.param('id'), 'webhook'), limit, { status, before });
    if (page.nextBefore !== null) c.header('Link', nextLink(new URL(c.req.url).pathname, limit, status, page.nextBefore));
    return c.json(page.items);
  });

  // Before `/:id/deliveries/:delivery/replay` would not matter (another number of segments); kept beside it.
  on(app, replayFailedRoute, async (c) => {
    const services = c.get('services');
    const text = await c.req.text(); // Hono caches the body: readJson reads it again
    const range = parseWith(replayFailedRoute.body, text.trim() === '' ? {} : await readJson(c));
    if (range.since !== undefined && range.since > services.clock.now()) throw new ValidationError([{ path: 'since', message: 'must not be in the future' }]);
    const result = await replayFailedDeliveries(services, numericId(c.req.param('id'), 'webhook'), range, c.get('principal')!.actor);
    services.outbox.kick();
    return c.json(result, 202);
  });

  on(app, replayDeliveryRoute, async (c) => {
    const services = c.get('services');
    const view = await replayDelivery(services, numericId(c.req.param('id'), 'webhook'), numericId(c.req.param('delivery'), 'delivery'), c.get('principal')!.actor);
    services.outbox.kick();
    return c.json(view, 202);
  });

  return app;
}
