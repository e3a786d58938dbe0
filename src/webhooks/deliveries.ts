/**
 * Webhook delivery, through the outbox (docs/integrations.md):
 *
 * - `webhook.event` (queued by a trigger on `case_events`, migration `integrations`, or by
 *   `queueWebhookEventIn` for events that are not on a case timeline): the entry becomes its
 *   webhook types (events.ts); each enabled subscription to a type gets a delivery — the
 *   body built once (payload.ts) — and a `webhook.deliver` item, in one transaction with the
 *   item's completion.
 * - `webhook.deliver`: signs the body with the Standard Webhooks scheme (`standardwebhooks`:
 *   `webhook-id`, `webhook-timestamp`, `webhook-signature`) and POSTs it through the SSRF
 *   guard (src/net/guarded-post.ts). Every attempt is logged (status, response code,
 *   duration, error). A failure schedules the next attempt as a new outbox item, after
 *   5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (8 attempts over about 27 hours), then the
 *   delivery has failed; a 429 or 503 answer's `Retry-After` makes that wait longer, up to
 *   10 h (src/net/retry-after.ts). A subscription whose every attempt has failed for a day is disabled
 *   and active admins are mailed (`webhook.disabled`).
 */
import { randomBytes } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { auditIn } from '../audit/record-audit.js';
import type { webhookAttempts, webhookDeliveries } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { guardedPost } from '../net/guarded-post.js';
import { enqueueIn, markItemDone } from '../outbox/dialect.js';
import type { LaneContext, OutboxLane } from '../outbox/lanes.js';
import type { OutboxItem } from '../outbox/outbox.js';
import type { Services } from '../services.js';
import { announce, type WebhookEventType } from './events.js';
import { caseEventBody, type WebhookBody } from './payload.js';
import { nextWait, RETRY_AFTER_STATUSES } from '../net/retry-after.js';
import type { WebhookRow } from './subscriptions.js';
import { signingSecrets } from './rotate-secret.js';
import { syncWebhookTrigger } from './trigger.js';

export const WEBHOOK_EVENT = 'webhook.event';
export const WEBHOOK_DELIVER = 'webhook.deliver';
export const WEBHOOK_DISABLED_MAIL = 'webhook.disabled';

/**
 * Deliveries run in their own outbox lane (src/outbox/lanes.ts): at most 16 at once, 4 per
 * subscription, never holding up mail or other work. Items name their subscription
 * (`target`), so a slow subscription's backlog is left in the database, not read each wave.
 * An item queued before items named their subscription counts against one shared target
 * (`webhook:unnamed`): the drain picks items synchronously on either database, so it reads
 * nothing to find out, and such items are only ever fewer at once, never more.
 */
export const WEBHOOK_LANE: OutboxLane = {
  name: 'webhook',
  concurrency: 16,
  perTarget: 4,
  target: () => 'unnamed',
};

/** What a delivery item names as its target: its subscription, as the lane counts it. */
export function targetOf(subscriptionId: number): string {
  return `${WEBHOOK_LANE.name}:${subscriptionId}`;
}

/** Waits before attempts 2…8. */
export const RETRY_SCHEDULE_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000] as const;
export const MAX_DELIVERY_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;
/** Who the audit log names for a subscription disabled after persistent failure. */
const WEBHOOK_DELIVERY_ACTOR = { type: 'system', id: null, name: 'webhook delivery' } as const;

/** What an erasure leaves of a delivery's payload (src/privacy/erase-cases.ts `eraseWebhookPayloads`): never sent. */
export const ERASED_PAYLOAD = '{"erased":true}';

/** A subscription whose every attempt failed for this long is disabled. */
export const DISABLE_AFTER_MS = 24 * 3_600_000;

export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;

async function subscribersOf(q: Handle, type: string): Promise<WebhookRow[]> {
  const subs = q.tables.webhookSubscriptions;
  const enabled = await q.db.select().from(subs).where(eq(subs.enabled, true));
  return enabled.filter((s) => s.deletedAt === null && s.events.includes(type));
}

/** Creates one delivery per subscription to `body.type` and queues them, in `q`'s transaction. */
async function fanOut(q: Handle, services: Services, body: WebhookBody): Promise<number> {
  const subs = await subscribersOf(q, body.type);
  if (subs.length === 0) return 0;
  const payload = JSON.stringify(body);
  const now = services.clock.now();
  const deliveries = q.tables.webhookDeliveries;
  for (const sub of subs) {
    const [delivery] = await q.db
      .insert(deliveries)
      .values({ subscriptionId: sub.id, messageId: `msg_${randomBytes(12).toString('hex')}`, eventType: body.type, payload, createdAt: now, updatedAt: now })
      .returning({ id: deliveries.id });
    await enqueueIn(q, WEBHOOK_DELIVER, { delivery: delivery!.id, target: targetOf(sub.id) }, now);
  }
  return subs.length;
}

function eventItem(type: WebhookEventType, now: number, data: Record<string, unknown>): Record<string, unknown> {
  return { type, timestamp: new Date(now).toISOString(), data };
}


/** Queues a webhook event that is not on a case timeline, in the change's `store.write` (`q`). */
export async function queueWebhookEventIn(q: Handle, services: Services, type: WebhookEventType, data: Record<string, unknown>): Promise<void> {
  const now = services.clock.now();
  if ((await subscribersOf(q, type)).length === 0) return;
  await enqueueIn(q, WEBHOOK_EVENT, eventItem(type, now, data), now);
}

/** Outbox handler of `webhook.event`. */
export async function fanOutWebhookEvent(services: Services, item: OutboxItem): Promise<void> {
  await services.store.write(async (q) => {
    if (typeof item.payload.event === 'number') {
      const [entry] = await q.db.select().from(q.tables.caseEvents).where(eq(q.tables.caseEvents.id, item.payload.event)).limit(1);
      if (entry) {
        const [kase] = await q.db
          .select({ workflow: q.tables.cases.workflow, workflowVersion: q.tables.cases.workflowVersion })
          .from(q.tables.cases)
          .where(eq(q.tables.cases.id, entry.caseId))
          .limit(1);
        const categoryOf = (state: string) => (kase ? (services.definitions.workflow(kase.workflow, kase.workflowVersion).definition.states[state]?.category ?? null) : null);
        for (const { type, detail } of announce(entry, categoryOf)) {
          if ((await subscribersOf(q, type)).length === 0) continue;
          const body = await caseEventBody(q, services, type, entry.at, entry.caseId, entry, detail);
          if (body) await fanOut(q, services, body);
        }
      }
    } else if (typeof item.payload.type === 'string') {
      await fanOut(q, services, { type: item.payload.type, timestamp: String(item.payload.timestamp), data: (item.payload.data ?? {}) as Record<string, unknown> });
    }
    await markItemDone(q, item.id, services.clock.now());
  });
}

/**
 * The headers of one attempt, signed with each of `secrets` (the subscription's, and during a
 * rotation's grace period the old one after it: `signingSecrets`): `webhook-signature` is the
 * space-separated list of their `v1,<signature>`.
 */
export function signedHeaders(secrets: readonly string[], messageId: string, at: number, payload: string): Record<string, string> {
  const timestamp = new Date(at);
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(messageId, timestamp, payload)).join(' '),
  };
}


/** Outbox handler of `webhook.deliver`: one attempt (in the webhook lane; `context.signal` aborts it on shutdown). */
export async function deliverWebhook(services: Services, item: OutboxItem, context?: LaneContext): Promise<void> {
  const { store, clock } = services;
  const { delivery, sub } = await store.query(async (q) => {
    const { webhookDeliveries: deliveries, webhookSubscriptions: subs } = q.tables;
    const [delivery] = await q.db.select().from(deliveries).where(eq(deliveries.id, Number(item.payload.delivery))).limit(1);
    const [sub] = delivery ? await q.db.select().from(subs).where(eq(subs.id, delivery.subscriptionId)).limit(1) : [];
    return { delivery, sub };
  });
  if (!delivery || !sub || delivery.status === 'succeeded' || delivery.status === 'failed') {
    await store.write((q) => markItemDone(q, item.id, clock.now()));
    return;
  }
  // An erasure that came while an attempt was in flight left it retrying with the emptied payload: nothing to send.
  if (!sub.enabled || sub.deletedAt !== null || delivery.payload === ERASED_PAYLOAD) {
    await store.write(async (q) => {
      await q.db
        .update(q.tables.webhookDeliveries)
        .set({ status: 'failed', nextAttemptAt: null, updatedAt: clock.now() })
        .where(eq(q.tables.webhookDeliveries.id, delivery.id));
      await markItemDone(q, item.id, clock.now());
    });
    return;
  }
  const at = clock.now();
  const attempt = delivery.attempts + 1;
  const result = await guardedPost(sub.url, delivery.payload, {
    allowPrivate: services.integrations.allowPrivateTargets,
    timeoutMs: services.integrations.timeoutMs,
    headers: signedHeaders(signingSecrets(sub, at), delivery.messageId, at, delivery.payload),
    ...(context ? { signal: context.signal } : {}),
  });
  const { disabled, nextAttemptAt } = await store.write((q) => recordAttempt(q, services, item, { delivery, sub, attempt, at, result }));
  if (disabled !== null) services.logger.warn('webhook disabled after persistent failure', { webhook: sub.id, reason: disabled });
  // The retry is sent when it falls due, not at the next minute sweep.
  if (nextAttemptAt !== null) services.outbox.wakeAt(nextAttemptAt);
}

deliverWebhook.lane = WEBHOOK_LANE;

export interface AttemptOutcome {
  delivery: DeliveryRow;
  sub: WebhookRow;
  attempt: number;
  /** When it was sent. */
  at: number;
  result: { ok: boolean; status: number | null; durationMs: number; error: string | null; retryAfter?: string | null };
}

/**
 * The bookkeeping of one attempt, in `q`'s transaction with the item's completion: the attempt
 * logged; the delivery succeeded, retrying (its next item queued) or failed; the
 * subscription's failure streak; and, after a day of failures, the subscription disabled,
 * audited and its admins' mail queued. Returns the reason when it disabled it (else null) and
 * when the next attempt is due (null: none).
 */
export async function recordAttempt(q: Handle, services: Services, item: OutboxItem, outcome: AttemptOutcome): Promise<{ disabled: string | null; nextAttemptAt: number | null }> {
  const { delivery, sub, attempt, at, result } = outcome;
  const { webhookAttempts: attempts, webhookDeliveries: deliveries, webhookSubscriptions: subs } = q.tables;
  const now = services.clock.now();
  let disabled: string | null = null;
  let nextAttemptAt: number | null = null;
  // The log keeps a 429's or 503's Retry-After, the one the next attempt honours.
  const retryAfter = result.status !== null && RETRY_AFTER_STATUSES.includes(result.status) ? (result.retryAfter ?? null) : null;
  await q.db.insert(attempts).values({ deliveryId: delivery.id, attempt, at, responseStatus: result.status, durationMs: result.durationMs, ok: result.ok, error: result.error, retryAfter });
  if (result.ok) {
    await q.db.update(deliveries).set({ status: 'succeeded', attempts: attempt, nextAttemptAt: null, updatedAt: now }).where(eq(deliveries.id, delivery.id));
    await q.db.update(subs).set({ failingSince: null }).where(eq(subs.id, sub.id));
  } else {
    const [current] = await q.db.select().from(subs).where(eq(subs.id, sub.id)).limit(1);
    const [latest] = await q.db.select({ payload: deliveries.payload }).from(deliveries).where(eq(deliveries.id, delivery.id)).limit(1);
    const scheduled = RETRY_SCHEDULE_MS[attempt - 1];
    const wait = scheduled === undefined ? undefined : nextWait(scheduled, result.status, retryAfter, now);
    // An attempt that was in flight when another one disabled the subscription, or an erasure emptied its payload, is not retried.
    const next = wait === undefined || !current!.enabled || latest?.payload === ERASED_PAYLOAD ? null : now + wait;
    await q.db
      .update(deliveries)
      .set({ status: next === null ? 'failed' : 'retrying', attempts: attempt, nextAttemptAt: next, updatedAt: now })
      .where(eq(deliveries.id, delivery.id));
    if (next !== null) await enqueueIn(q, WEBHOOK_DELIVER, { delivery: delivery.id, target: targetOf(sub.id) }, now, next);
    nextAttemptAt = next;
    const failingSince = current!.failingSince ?? at;
    if (current!.failingSince === null) await q.db.update(subs).set({ failingSince }).where(eq(subs.id, sub.id));
    if (current!.enabled && now - failingSince >= DISABLE_AFTER_MS) {
      disabled = `every delivery attempt failed for ${Math.floor((now - failingSince) / 3_600_000)} hours; last: ${result.error ?? 'failed'}`;
      await q.db.update(subs).set({ enabled: false, disabledAt: now, disabledReason: disabled }).where(eq(subs.id, sub.id));
      // Its pending deliveries have failed (this one too): enabling it again sends none of them; their queued attempts find them failed.
      await q.db
        .update(deliveries)
        .set({ status: 'failed', nextAttemptAt: null, updatedAt: now })
        .where(and(eq(deliveries.subscriptionId, sub.id), inArray(deliveries.status, ['pending', 'retrying'])));
      await auditIn(q, services.clock, WEBHOOK_DELIVERY_ACTOR, 'webhook', sub.id, 'disabled', { enabled: true }, { enabled: false, reason: disabled });
      syncWebhookTrigger(q);
      await enqueueIn(q, WEBHOOK_DISABLED_MAIL, { webhook: sub.id }, now);
    }
  }
  await markItemDone(q, item.id, now);
  return { disabled, nextAttemptAt: disabled === null ? nextAttemptAt : null };
}

/** Outbox handler of `webhook.disabled`: tells the active admins (without SMTP_URL: logged only). */
export async function mailWebhookDisabled(services: Services, item: OutboxItem): Promise<void> {
  const { sub, admins } = await services.store.query(async (q) => {
    const { webhookSubscriptions: subs, staff } = q.tables;
    const [sub] = await q.db.select().from(subs).where(eq(subs.id, Number(item.payload.webhook))).limit(1);
    const rows = await q.db
      .select({ email: staff.email })
      .from(staff)
      .where(and(eq(staff.role, 'admin'), eq(staff.active, true)));
    return { sub, admins: rows.map((r) => r.email) };
  });
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
  await services.store.write((q) => markItemDone(q, item.id, services.clock.now()));
}
