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
import { listDeliveries, replayDelivery } from '../../webhooks/deliveries.js';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/events.js';
import { createWebhook, deleteWebhook, enableWebhook, getWebhook, listWebhooks, webhookView } from '../../webhooks/subscriptions.js';
import { jsonBody } from '../json-body.js';
import { requireRole } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';

const bodySchema = z.strictObject({
  url: z.string().max(2000),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length),
  description: z.string().max(200).optional(),
});

function numericId(raw: string, what: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw new DomainError(what === 'webhook' ? 'WEBHOOK_NOT_FOUND' : 'NOT_FOUND', `No ${what} ${raw}.`);
  return Number(raw);
}

export function webhookRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requireRole('admin'));

  app.post('/', async (c) => {
    const input = await jsonBody(c, bodySchema);
    const { webhook, secret } = createWebhook(c.get('services'), input, c.get('principal')!.actor);
    return c.json({ ...webhook, secret }, 201);
  });

  app.get('/', (c) => c.json(listWebhooks(c.get('services')).map(webhookView)));

  app.get('/:id', (c) => c.json(webhookView(getWebhook(c.get('services'), numericId(c.req.param('id'), 'webhook')))));

  app.delete('/:id', (c) => {
    deleteWebhook(c.get('services'), numericId(c.req.param('id'), 'webhook'), c.get('principal')!.actor);
    return c.body(null, 204);
  });

  app.post('/:id/enable', (c) => c.json(enableWebhook(c.get('services'), numericId(c.req.param('id'), 'webhook'), c.get('principal')!.actor)));

  app.get('/:id/deliveries', (c) => {
    const limit = Math.min(200, Math.max(1, Number(c.req.query('limit') ?? 50) || 50));
    return c.json(listDeliveries(c.get('services'), numericId(c.req.param('id'), 'webhook'), limit));
  });

  app.post('/:id/deliveries/:delivery/replay', (c) => {
    const services = c.get('services');
    const view = replayDelivery(services, numericId(c.req.param('id'), 'webhook'), numericId(c.req.param('delivery'), 'delivery'), c.get('principal')!.actor);
    services.outbox.kick();
    return c.json(view, 202);
  });

  return app;
}
