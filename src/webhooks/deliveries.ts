/**
 * Webhook delivery, through the outbox (docs/integrations.md):
 *
 * - `webhook.event` (queued by a trigger on `case_events`, migration `integrations`, or by
 *   `queueWebhookEvent` for events that are not on a case timeline): the entry becomes its
 *   webhook types (events.ts); each enabled subscription to a type gets a delivery — the
 *   body built once (payload.ts) — and a `webhook.deliver` item, in one transaction with the
 *   item's completion.
 * - `webhook.deliver`: signs the body with the Standard Webhooks scheme (`standardwebhooks`:
 *   `webhook-id`, `webhook-timestamp`, `webhook-signature`) and POSTs it through the SSRF
 *   guard (src/net/guarded-post.ts). Every attempt is logged (status, response code,
 *   duration, error). A failure schedules the next attempt as a new outbox item, after
 *   5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (8 attempts over about 27 hours), then the
 *   delivery has failed. A subscription whose every attempt has failed for a day is disabled
 *   and active admins are mailed (`webhook.disabled`).
 */
import { randomBytes } from 'node:crypto';
import { and, desc, eq, inArray } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { audit } from '../audit/record-audit.js';
import { transaction } from '../db/client.js';
import { statement } from '../db/fast.js';
import { caseEvents, staff, webhookAttempts, webhookDeliveries, webhookSubscriptions } from '../db/schema/index.js';
import { DomainError } from '../errors.js';
import { guardedPost } from '../net/guarded-post.js';
import type { LaneContext, OutboxLane } from '../outbox/lanes.js';
import { markDone, type OutboxItem } from '../outbox/outbox.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { announce, type WebhookEventType } from './events.js';
import { caseEventBody, type WebhookBody } from './payload.js';
import { getWebhook, type WebhookRow } from './subscriptions.js';

export const WEBHOOK_EVENT = 'webhook.event';
export const WEBHOOK_DELIVER = 'webhook.deliver';
export const WEBHOOK_DISABLED_MAIL = 'webhook.disabled';

/**
 * Deliveries run in their own outbox lane (src/outbox/lanes.ts): at most 16 at once, 4 per
 * subscription, never holding up mail or other work. Items name their subscription
 * (`target`), so a slow subscription's backlog is left in the database, not read each wave.
 */
export const WEBHOOK_LANE: OutboxLane = {
  name: 'webhook',
  concurrency: 16,
  perTarget: 4,
  target: (services, item) => String(subscriptionOf(services, item) ?? 'none'),
};

/** What a delivery item names as its target: its subscription, as the lane counts it. */
function targetOf(subscriptionId: number): string {
  return `${WEBHOOK_LANE.name}:${subscriptionId}`;
}

/** The subscription of a `webhook.deliver` item queued before items named their target. */
function subscriptionOf(services: Services, item: OutboxItem): number | undefined {
  return statement<[number], { subscription_id: number }>(services.db, 'SELECT subscription_id FROM webhook_deliveries WHERE id = ?').get(Number(item.payload.delivery))?.subscription_id;
}

/** Waits before attempts 2…8. */
export const RETRY_SCHEDULE_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000] as const;
export const MAX_DELIVERY_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;
/** Who the audit log names for a subscription disabled after persistent failure. */
const WEBHOOK_DELIVERY_ACTOR = { type: 'system', id: null, name: 'webhook delivery' } as const;

/** A subscription whose every attempt failed for this long is disabled. */
export const DISABLE_AFTER_MS = 24 * 3_600_000;

export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;

function enqueue(services: Services, type: string, payload: Record<string, unknown>, at: number): void {
  statement<[string, string, number, number]>(services.db, 'INSERT INTO outbox (type, case_id, payload, created_at, available_at) VALUES (?, NULL, ?, ?, ?)').run(
    type,
    JSON.stringify(payload),
    services.clock.now(),
    at,
  );
}

function subscribersOf(services: Services, type: string): WebhookRow[] {
  return services.db
    .select()
    .from(webhookSubscriptions)
    .where(eq(webhookSubscriptions.enabled, true))
    .all()
    .filter((s) => s.deletedAt === null && s.events.includes(type));
}

/** Creates one delivery per subscription to `body.type` and queues them. Inside a transaction. */
function fanOut(services: Services, body: WebhookBody): number {
  const subs = subscribersOf(services, body.type);
  if (subs.length === 0) return 0;
  const payload = JSON.stringify(body);
  const now = services.clock.now();
  for (const sub of subs) {
    const delivery = services.db
      .insert(webhookDeliveries)
      .values({ subscriptionId: sub.id, messageId: `msg_${randomBytes(12).toString('hex')}`, eventType: body.type, payload, createdAt: now, updatedAt: now })
      .returning({ id: webhookDeliveries.id })
      .get();
    enqueue(services, WEBHOOK_DELIVER, { delivery: delivery.id, target: targetOf(sub.id) }, now);
  }
  return subs.length;
}

/** Announces an event that is not on a case timeline (e.g. `customer.churned`). Inside the change's transaction. */
export function queueWebhookEvent(services: Services, type: WebhookEventType, data: Record<string, unknown>): void {
  const now = services.clock.now();
  if (subscribersOf(services, type).length === 0) return;
  enqueue(services, WEBHOOK_EVENT, { type, timestamp: new Date(now).toISOString(), data }, now);
}

/** Outbox handler of `webhook.event`. */
export function fanOutWebhookEvent(services: Services, item: OutboxItem): void {
  const { db } = services;
  transaction(db, () => {
    if (typeof item.payload.event === 'number') {
      const entry = db.select().from(caseEvents).where(eq(caseEvents.id, item.payload.event)).get();
      if (entry) {
        const kase = statement<[number], { workflow: string; workflow_version: number }>(db, 'SELECT workflow, workflow_version FROM cases WHERE id = ?').get(entry.caseId);
        const categoryOf = (state: string) => (kase ? (services.definitions.workflow(kase.workflow, kase.workflow_version).definition.states[state]?.category ?? null) : null);
        for (const { type, detail } of announce(entry, categoryOf)) {
          if (subscribersOf(services, type).length === 0) continue;
          const body = caseEventBody(services, type, entry.at, entry.caseId, entry, detail);
          if (body) fanOut(services, body);
        }
      }
    } else if (typeof item.payload.type === 'string') {
      fanOut(services, { type: item.payload.type, timestamp: String(item.payload.timestamp), data: (item.payload.data ?? {}) as Record<string, unknown> });
    }
    markDone(db, item.id, services.clock.now());
  });
}

/** The headers of one attempt, signed with the subscription's secret. */
export function signedHeaders(secret: string, messageId: string, at: number, payload: string): Record<string, string> {
  const timestamp = new Date(at);
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at / 1000)),
    'webhook-signature': new Webhook(secret).sign(messageId, timestamp, payload),
  };
}

/** Outbox handler of `webhook.deliver`: one attempt (in the webhook lane; `context.signal` aborts it on shutdown). */
export async function deliverWebhook(services: Services, item: OutboxItem, context?: LaneContext): Promise<void> {
  const { db } = services;
  const delivery = db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, Number(item.payload.delivery))).get();
  const sub = delivery ? db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, delivery.subscriptionId)).get() : undefined;
  if (!delivery || !sub || delivery.status === 'succeeded' || delivery.status === 'failed') {
    markDone(db, item.id, services.clock.now());
    return;
  }
  if (!sub.enabled || sub.deletedAt !== null) {
    transaction(db, () => {
      db.update(webhookDeliveries)
        .set({ status: 'failed', nextAttemptAt: null, updatedAt: services.clock.now() })
        .where(eq(webhookDeliveries.id, delivery.id))
        .run();
      markDone(db, item.id, services.clock.now());
    });
    return;
  }
  const at = services.clock.now();
  const attempt = delivery.attempts + 1;
  const result = await guardedPost(sub.url, delivery.payload, {
    allowPrivate: services.integrations.allowPrivateTargets,
    timeoutMs: services.integrations.timeoutMs,
    headers: signedHeaders(sub.secret, delivery.messageId, at, delivery.payload),
    ...(context ? { signal: context.signal } : {}),
  });
  transaction(db, () => {
    const now = services.clock.now();
    db.insert(webhookAttempts).values({ deliveryId: delivery.id, attempt, at, responseStatus: result.status, durationMs: result.durationMs, ok: result.ok, error: result.error }).run();
    if (result.ok) {
      db.update(webhookDeliveries).set({ status: 'succeeded', attempts: attempt, nextAttemptAt: null, updatedAt: now }).where(eq(webhookDeliveries.id, delivery.id)).run();
      db.update(webhookSubscriptions).set({ failingSince: null }).where(eq(webhookSubscriptions.id, sub.id)).run();
    } else {
      const wait = RETRY_SCHEDULE_MS[attempt - 1];
      const next = wait === undefined ? null : now + wait;
      db.update(webhookDeliveries)
        .set({ status: next === null ? 'failed' : 'retrying', attempts: attempt, nextAttemptAt: next, updatedAt: now })
        .where(eq(webhookDeliveries.id, delivery.id))
        .run();
      if (next !== null) enqueue(services, WEBHOOK_DELIVER, { delivery: delivery.id, target: targetOf(sub.id) }, next);
      const current = db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, sub.id)).get()!;
      const failingSince = current.failingSince ?? at;
      if (current.failingSince === null) db.update(webhookSubscriptions).set({ failingSince }).where(eq(webhookSubscriptions.id, sub.id)).run();
      if (current.enabled && now - failingSince >= DISABLE_AFTER_MS) {
        const reason = `every delivery attempt failed for ${Math.floor((now - failingSince) / 3_600_000)} hours; last: ${result.error ?? 'failed'}`;
        db.update(webhookSubscriptions).set({ enabled: false, disabledAt: now, disabledReason: reason }).where(eq(webhookSubscriptions.id, sub.id)).run();
        audit(services, WEBHOOK_DELIVERY_ACTOR, 'webhook', sub.id, 'disabled', { enabled: true }, { enabled: false, reason });
        enqueue(services, WEBHOOK_DISABLED_MAIL, { webhook: sub.id }, now);
        services.logger.warn('webhook disabled after persistent failure', { webhook: sub.id, reason });
      }
    }
    markDone(db, item.id, now);
  });
}

deliverWebhook.lane = WEBHOOK_LANE;

/** Outbox handler of `webhook.disabled`: tells the active admins (without SMTP_URL: logged only). */
export async function mailWebhookDisabled(services: Services, item: OutboxItem): Promise<void> {
  const { db } = services;
  const sub = db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, Number(item.payload.webhook))).get();
  const admins = db
    .select({ email: staff.email })
    .from(staff)
    .where(and(eq(staff.role, 'admin'), eq(staff.active, true)))
    .all()
    .map((r) => r.email);
  if (sub && services.mailer && admins.length > 0) {
    await services.mailer.send({
      to: admins,
      subject: `Webhook disabled: ${sub.url}`,
      text: [
        `Casebook disabled the webhook ${sub.id} (${sub.url}${sub.description ? `, ${sub.description}` : ''}).`,
        '',
        `Why: ${sub.disabledReason ?? 'it kept failing'}.`,
        '',
        `Its delivery log, and the button to enable it again once the receiver works: ${services.publicUrl}/manage/webhooks/${sub.id}`,
      ].join('\n'),
      headers: { 'Auto-Submitted': 'auto-generated' },
    });
  } else if (sub) {
    services.logger.warn('webhook disabled; no admin could be mailed', { webhook: sub.id, smtp: services.mailer !== null, admins: admins.length });
  }
  markDone(db, item.id, services.clock.now());
}

export interface DeliveryView {
  id: number;
  messageId: string;
  eventType: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  replayOf: number | null;
  createdAt: string;
  payload: unknown;
  log: { attempt: number; at: string; responseStatus: number | null; durationMs: number; ok: boolean; error: string | null }[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function deliveryView(row: DeliveryRow, attempts: AttemptRow[]): DeliveryView {
  return {
    id: row.id,
    messageId: row.messageId,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: iso(row.nextAttemptAt),
    replayOf: row.replayOf,
    createdAt: new Date(row.createdAt).toISOString(),
    payload: JSON.parse(row.payload) as unknown,
    log: attempts.map((a) => ({ attempt: a.attempt, at: new Date(a.at).toISOString(), responseStatus: a.responseStatus, durationMs: a.durationMs, ok: a.ok, error: a.error })),
  };
}

/** The subscription's deliveries, newest first, each with its attempts. */
export function listDeliveries(services: Services, webhookId: number, limit = 50): DeliveryView[] {
  getWebhook(services, webhookId);
  const rows = services.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.subscriptionId, webhookId)).orderBy(desc(webhookDeliveries.id)).limit(limit).all();
  if (rows.length === 0) return [];
  const attempts = services.db.select().from(webhookAttempts).where(inArray(webhookAttempts.deliveryId, rows.map((r) => r.id))).orderBy(webhookAttempts.attempt).all();
  return rows.map((r) => deliveryView(r, attempts.filter((a) => a.deliveryId === r.id)));
}

/** Sends a delivery's message again (same `webhook-id` and body) as a new delivery, now. */
export function replayDelivery(services: Services, webhookId: number, deliveryId: number, actor: Actor): DeliveryView {
  if (actor.role !== 'admin') throw new DomainError('FORBIDDEN', 'Only admins manage webhooks.');
  return transaction(services.db, () => {
    const sub = getWebhook(services, webhookId);
    const original = services.db
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.subscriptionId, webhookId)))
      .get();
    if (!original) throw new DomainError('NOT_FOUND', `No delivery ${deliveryId} of webhook ${webhookId}.`);
    if (!sub.enabled) throw new DomainError('CONFLICT', 'The webhook is disabled: enable it before replaying.');
    const now = services.clock.now();
    const row = services.db
      .insert(webhookDeliveries)
      .values({ subscriptionId: sub.id, messageId: original.messageId, eventType: original.eventType, payload: original.payload, replayOf: original.id, createdAt: now, updatedAt: now })
      .returning()
      .get();
    enqueue(services, WEBHOOK_DELIVER, { delivery: row.id, target: targetOf(sub.id) }, now);
    return deliveryView(row, []);
  });
}
