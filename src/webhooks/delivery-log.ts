/**
 * The console's delivery log of a webhook subscription (`/manage/webhooks/:id`,
 * `GET /api/v1/webhooks/:id/deliveries`): each delivery with its attempts, and replaying one
 * (the same message id and body, as a new delivery). On the storage port.
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import { enqueueIn } from '../outbox/dialect.js';
import { DomainError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { ERASED_PAYLOAD, targetOf, WEBHOOK_DELIVER, type AttemptRow, type DeliveryRow } from './deliveries.js';
import { webhookIn } from './subscriptions.js';

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


/** The subscription's deliveries, newest first, each with its attempts (one snapshot). */
export function listDeliveries(services: Services, webhookId: number, limit = 50): Promise<DeliveryView[]> {
  return services.store.read(async (q) => {
    await webhookIn(q, webhookId);
    const { webhookAttempts: attemptsTable, webhookDeliveries: deliveries } = q.tables;
    const rows = await q.db.select().from(deliveries).where(eq(deliveries.subscriptionId, webhookId)).orderBy(desc(deliveries.id)).limit(limit);
    if (rows.length === 0) return [];
    const attempts = await q.db
      .select()
      .from(attemptsTable)
      .where(inArray(attemptsTable.deliveryId, rows.map((r) => r.id)))
      .orderBy(attemptsTable.attempt);
    return rows.map((r) => deliveryView(r, attempts.filter((a) => a.deliveryId === r.id)));
  });
}

/** Sends a delivery's message again (same `webhook-id` and body) as a new delivery, now. */

export async function replayDelivery(services: Services, webhookId: number, deliveryId: number, actor: Actor): Promise<DeliveryView> {
  if (actor.role !== 'admin') throw new DomainError('FORBIDDEN', 'Only admins manage webhooks.');
  return services.store.write(async (q) => {
    const sub = await webhookIn(q, webhookId);
    const deliveries = q.tables.webhookDeliveries;
    const [original] = await q.db
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.id, deliveryId), eq(deliveries.subscriptionId, webhookId)))
      .limit(1);
    if (!original) throw new DomainError('NOT_FOUND', `No delivery ${deliveryId} of webhook ${webhookId}.`);
    if (!sub.enabled) throw new DomainError('CONFLICT', 'The webhook is disabled: enable it before replaying.');
    // An erasure emptied it (docs/privacy.md): sending `{"erased":true}` as the event would be no event at all.
    if (original.payload === ERASED_PAYLOAD) throw new DomainError('CONFLICT', 'This delivery was about personal data that has been erased: there is nothing left to replay.');
    const now = services.clock.now();
    const [row] = await q.db
      .insert(deliveries)
      .values({ subscriptionId: sub.id, messageId: original.messageId, eventType: original.eventType, payload: original.payload, replayOf: original.id, createdAt: now, updatedAt: now })
      .returning();
    await enqueueIn(q, WEBHOOK_DELIVER, { delivery: row!.id, target: targetOf(sub.id) }, now);
    return deliveryView(row!, []);
  });
}
