/**
 * The console's delivery log of a webhook subscription (`/manage/webhooks/:id`,
 * `GET /api/v1/webhooks/:id/deliveries`): each delivery with its attempts, and replaying one
 * (the same message id and body, as a new delivery). On the storage port.
 */
import { and, asc, desc, eq, gte, inArray, lt, ne, sql, type SQL } from 'drizzle-orm';
import { enqueueIn } from '../outbox/dialect.js';
import { DomainError } from '../errors.js';
import type { Handle } from '../db/store/index.js';
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
  log: { attempt: number; at: string; responseStatus: number | null; durationMs: number; ok: boolean; error: string | null; retryAfter: string | null }[];
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
    log: attempts.map((a) => ({ attempt: a.attempt, at: new Date(a.at).toISOString(), responseStatus: a.responseStatus, durationMs: a.durationMs, ok: a.ok, error: a.error, retryAfter: a.retryAfter })),
  };
}


/** Which deliveries a page of the log shows: older than `before` (a delivery id), in one `status`. */
export interface DeliveryFilter {
  before?: number | undefined;
  status?: DeliveryRow['status'] | undefined;
}

/** A page of the delivery log: `nextBefore` is the `before` of the next (older) page, null on the last one. */
export interface DeliveryPage {
  items: DeliveryView[];
  nextBefore: number | null;
}

async function withAttempts(q: Handle, rows: DeliveryRow[]): Promise<DeliveryView[]> {
  if (rows.length === 0) return [];
  const attemptsTable = q.tables.webhookAttempts;
  const attempts = await q.db
    .select()
    .from(attemptsTable)
    .where(inArray(attemptsTable.deliveryId, rows.map((r) => r.id)))
    .orderBy(attemptsTable.attempt);
  return rows.map((r) => deliveryView(r, attempts.filter((a) => a.deliveryId === r.id)));
}

/**
 * The subscription's deliveries, newest first, each with its attempts (one snapshot), in pages
 * by keyset: `before` is the last id of the previous page, so deliveries created meanwhile
 * never shift a page (they are newer than every page after the first).
 */
export function listDeliveryPage(services: Services, webhookId: number, limit = 50, filter: DeliveryFilter = {}): Promise<DeliveryPage> {
  return services.store.read(async (q) => {
    await webhookIn(q, webhookId);
    const deliveries = q.tables.webhookDeliveries;
    const conditions: SQL[] = [eq(deliveries.subscriptionId, webhookId)];
    if (filter.before !== undefined) conditions.push(lt(deliveries.id, filter.before));
    if (filter.status !== undefined) conditions.push(eq(deliveries.status, filter.status));
    const rows = await q.db
      .select()
      .from(deliveries)
      .where(and(...conditions))
      .orderBy(desc(deliveries.id))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    return { items: await withAttempts(q, page), nextBefore: rows.length > limit ? page.at(-1)!.id : null };
  });
}

/** The newest `limit` deliveries of the subscription (the console's log). */
export async function listDeliveries(services: Services, webhookId: number, limit = 50): Promise<DeliveryView[]> {
  return (await listDeliveryPage(services, webhookId, limit)).items;
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

/** How many messages one bulk replay sends at most; `more` says when another call has more to send. */
export const BULK_REPLAY_MAX = 1000;

export interface BulkReplay {
  /** Failed deliveries created from this instant (inclusive; default: the first). */
  since?: number | undefined;
  /** … to this one (exclusive; default: now). */
  until?: number | undefined;
}

/**
 * Sends again every message of the subscription whose delivery failed (created in
 * [since, until)) and that has not reached the receiver since — no other delivery of the same
 * message succeeded or is still under way —, oldest first, each once, as new deliveries (the
 * same `webhook-id` and body), at most BULK_REPLAY_MAX per call. What a receiver needs after
 * an outage: the day of deliveries that failed before the subscription was disabled, without
 * replaying them one by one. Calling it again sends only what is still missing.
 */
export async function replayFailedDeliveries(services: Services, webhookId: number, range: BulkReplay, actor: Actor): Promise<{ replayed: number; more: boolean; deliveries: number[] }> {
  if (actor.role !== 'admin') throw new DomainError('FORBIDDEN', 'Only admins manage webhooks.');
  return services.store.write(async (q) => {
    const sub = await webhookIn(q, webhookId);
    if (!sub.enabled) throw new DomainError('CONFLICT', 'The webhook is disabled: enable it before replaying.');
    const { webhookDeliveries: deliveries, webhookSubscriptions: subs } = q.tables;
    // Two bulk replays at once (PostgreSQL, READ COMMITTED) would each miss the other's new deliveries and send
    // every message twice: the second waits on the subscription's row and then sees them. SQLite writes one at a time.
    if (q.dialect === 'postgres') await q.db.select({ id: subs.id }).from(subs).where(eq(subs.id, sub.id)).for('no key update');
    const conditions: SQL[] = [
      eq(deliveries.subscriptionId, sub.id),
      eq(deliveries.status, 'failed'),
      // An erasure emptied it (docs/privacy.md): nothing to send.
      ne(deliveries.payload, ERASED_PAYLOAD),
      sql`NOT EXISTS (SELECT 1 FROM webhook_deliveries later WHERE later.subscription_id = ${deliveries.subscriptionId} AND later.message_id = ${deliveries.messageId} AND later.status <> 'failed')`,
    ];
    if (range.since !== undefined) conditions.push(gte(deliveries.createdAt, range.since));
    if (range.until !== undefined) conditions.push(lt(deliveries.createdAt, range.until));
    const candidates = await q.db
      .select({ id: deliveries.id, messageId: deliveries.messageId })
      .from(deliveries)
      .where(and(...conditions))
      .orderBy(asc(deliveries.id));
    // A message that failed twice (the original and a failed replay) is sent once.
    const firstOfMessage = new Map<string, number>();
    for (const c of candidates) if (!firstOfMessage.has(c.messageId)) firstOfMessage.set(c.messageId, c.id);
    const chosen = [...firstOfMessage.values()];
    const batch = chosen.slice(0, BULK_REPLAY_MAX);
    const now = services.clock.now();
    const created: number[] = [];
    for (let i = 0; i < batch.length; i += 500) {
      const originals = await q.db
        .select()
        .from(deliveries)
        .where(inArray(deliveries.id, batch.slice(i, i + 500)))
        .orderBy(asc(deliveries.id));
      for (const original of originals) {
        const [row] = await q.db
          .insert(deliveries)
          .values({ subscriptionId: sub.id, messageId: original.messageId, eventType: original.eventType, payload: original.payload, replayOf: original.id, createdAt: now, updatedAt: now })
          .returning({ id: deliveries.id });
        await enqueueIn(q, WEBHOOK_DELIVER, { delivery: row!.id, target: targetOf(sub.id) }, now);
        created.push(row!.id);
      }
    }
    return { replayed: created.length, more: chosen.length > batch.length, deliveries: created };
  });
}
