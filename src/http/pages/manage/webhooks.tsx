/**
 * `/manage/webhooks` (admins only: endpoints and signing secrets are infrastructure).
 *
 *   GET  /manage/webhooks                                      subscriptions and the form to add one
 *   POST /manage/webhooks                                      add: the new webhook's page with its secret, shown once
 *   GET  /manage/webhooks/:id                                  the subscription and its delivery log
 *   POST /manage/webhooks/:id/enable | delete
 *   POST /manage/webhooks/:id/rotate-secret                    a new secret, shown once; the old one signs too for the chosen grace period
 *   POST /manage/webhooks/:id/deliveries/:delivery/replay      send that message again now
 *   POST /manage/webhooks/:id/deliveries/replay                send again every failed message the endpoint has not got since
 */
import { Hono } from 'hono';
import { DomainError } from '../../../errors.js';
import { listDeliveryPage, replayDelivery, replayFailedDeliveries } from '../../../webhooks/delivery-log.js';
import { WEBHOOK_EVENT_DESCRIPTIONS, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../../../webhooks/events.js';
import { rotateWebhookSecret } from '../../../webhooks/rotate-secret.js';
import { createWebhook, deleteWebhook, enableWebhook, getWebhook, listWebhooks, webhookView } from '../../../webhooks/subscriptions.js';
import type { FormState } from '../../../../views/components.js';
import { WEBHOOKS, WebhookPage, WebhooksPage } from '../../../../views/pages/manage/webhooks.js';
import type { PageContext, PageEnv } from '../env.js';
import { readFormAll } from '../forms.js';
import { redirectTo, sendHtml, viewerOf } from '../render.js';
import { managerOf } from './guard.js';
import { attempt, idParam } from './team-forms.js';

const NOTICES: Record<string, string> = {
  enabled: 'Enabled; new events are delivered again.',
  deleted: 'Webhook deleted.',
  replayed: 'Replay queued; it is sent now.',
  'replayed-failed': 'The failed messages are queued again; they are sent now.',
  'nothing-failed': 'No failed message is missing at the endpoint: nothing to send again.',
};

const EVENTS = WEBHOOK_EVENT_TYPES.map((type) => ({ type, description: WEBHOOK_EVENT_DESCRIPTIONS[type] }));

function adminOf(c: PageContext) {
  const principal = managerOf(c);
  if (principal.actor.role !== 'admin') throw new DomainError('FORBIDDEN', 'Only admins manage webhooks.');
  return principal;
}

function notice(c: PageContext): string | null {
  const key = c.req.query('done') ?? '';
  return Object.hasOwn(NOTICES, key) ? NOTICES[key]! : null;
}

async function listPage(c: PageContext, state: FormState, chosen: string[], status: 200 | 403 | 409 | 422 = 200) {
  const webhooks = (await listWebhooks(c.get('services'))).map(webhookView);
  return sendHtml(c, <WebhooksPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} webhooks={webhooks} events={EVENTS} state={state} chosen={chosen} notice={notice(c)} />, status);
}

async function detailPage(c: PageContext, id: number, secret: string | null, rotated = false) {
  const services = c.get('services');
  const webhook = webhookView(await getWebhook(services, id));
  // Older pages by keyset (`?before=<delivery id>`), as the API's.
  const before = /^\d{1,15}$/.test(c.req.query('before') ?? '') ? Number(c.req.query('before')) : undefined;
  const page = await listDeliveryPage(services, id, 50, { before });
  return sendHtml(c, <WebhookPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} webhook={webhook} deliveries={page.items} olderBefore={page.nextBefore} secret={secret} rotated={rotated} now={services.clock.now()} notice={notice(c)} />);
}

export function webhookPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.get(WEBHOOKS, (c) => {
    adminOf(c);
    return listPage(c, {}, []);
  });

  app.post(WEBHOOKS, async (c) => {
    const { actor } = adminOf(c);
    const form = await readFormAll(c);
    const values = { url: form.get('url')?.[0] ?? '', description: form.get('description')?.[0] ?? '' };
    const events = (form.get('events') ?? []) as WebhookEventType[];
    const result = await attempt(
      () => createWebhook(c.get('services'), { ...values, events }, actor),
      (errors, status) => listPage(c, { values, errors }, events, status as 403 | 409 | 422),
    );
    if (!result.ok) return result.response;
    // The secret is shown on this answer only (no redirect: it is never stored where a GET could show it again).
    return detailPage(c, result.value.webhook.id, result.value.secret);
  });

  app.get(`${WEBHOOKS}/:id`, (c) => {
    adminOf(c);
    return detailPage(c, idParam(c, 'webhook'), null);
  });

  app.post(`${WEBHOOKS}/:id/enable`, async (c) => {
    const { actor } = adminOf(c);
    const id = idParam(c, 'webhook');
    await enableWebhook(c.get('services'), id, actor);
    return redirectTo(c, `${WEBHOOKS}/${id}?done=enabled`);
  });

  app.post(`${WEBHOOKS}/:id/rotate-secret`, async (c) => {
    const { actor } = adminOf(c);
    const id = idParam(c, 'webhook');
    const form = await readFormAll(c);
    const raw = form.get('graceHours')?.[0] ?? '';
    const graceHours = /^\d{1,4}$/.test(raw) ? Number(raw) : raw === '' ? undefined : NaN;
    const { secret } = await rotateWebhookSecret(c.get('services'), id, graceHours === undefined ? {} : { graceHours }, actor);
    // Shown on this answer only, as a new subscription's secret (no redirect).
    return detailPage(c, id, secret, true);
  });

  app.post(`${WEBHOOKS}/:id/delete`, async (c) => {
    const { actor } = adminOf(c);
    await deleteWebhook(c.get('services'), idParam(c, 'webhook'), actor);
    return redirectTo(c, `${WEBHOOKS}?done=deleted`);
  });

  app.post(`${WEBHOOKS}/:id/deliveries/replay`, async (c) => {
    const { actor } = adminOf(c);
    const id = idParam(c, 'webhook');
    const services = c.get('services');
    const { replayed } = await replayFailedDeliveries(services, id, {}, actor);
    services.outbox.kick();
    return redirectTo(c, `${WEBHOOKS}/${id}?done=${replayed > 0 ? 'replayed-failed' : 'nothing-failed'}`);
  });

  app.post(`${WEBHOOKS}/:id/deliveries/:delivery/replay`, async (c) => {
    const { actor } = adminOf(c);
    const id = idParam(c, 'webhook');
    const raw = c.req.param('delivery');
    if (!/^\d{1,9}$/.test(raw)) throw new DomainError('NOT_FOUND', `No delivery ${raw}.`);
    const services = c.get('services');
    await replayDelivery(services, id, Number(raw), actor);
    services.outbox.kick();
    return redirectTo(c, `${WEBHOOKS}/${id}?done=replayed`);
  });

  return app;
}
