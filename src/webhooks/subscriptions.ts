/**
 * Webhook subscriptions (admins): create (the `whsec_…` secret is returned once), list, read,
 * delete, re-enable. These are the verbs the console page and `/api/v1/webhooks` call (and the
 * ones an audit log would wrap). A deleted subscription keeps its delivery log but is never
 * listed or delivered to again; a disabled one gets nothing until it is enabled again.
 * On the storage port (`services.store`), each change with its audit entry in one write.
 */
import { randomBytes } from 'node:crypto';
import { and, asc, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { auditIn } from '../audit/record-audit.js';
import type { webhookSubscriptions } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { DomainError, ValidationError } from '../errors.js';
import { targetUrlProblem } from '../net/guarded-post.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { WEBHOOK_EVENT_TYPES } from './events.js';
import { syncWebhookTrigger } from './trigger.js';

export type WebhookRow = typeof webhookSubscriptions.$inferSelect;

export const createWebhookSchema = z.strictObject({
  url: z.string().trim().min(1, 'required').max(2000, 'at most 2000 characters'),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES, { error: `one of: ${WEBHOOK_EVENT_TYPES.join(', ')}` })).min(1, 'choose at least one event'),
  description: z.string().trim().max(200, 'at most 200 characters').default(''),
});
export type CreateWebhookInput = z.input<typeof createWebhookSchema>;

/** What callers see of a subscription: everything but the secret. */
export interface WebhookView {
  id: number;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  failingSince: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
  createdBy: string;
  createdAt: string;
  /** Until when the secret the last rotation replaced signs deliveries too (null: none; past: it no longer does). */
  previousSecretUntil: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function webhookView(row: WebhookRow): WebhookView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events,
    enabled: row.enabled,
    failingSince: iso(row.failingSince),
    disabledAt: iso(row.disabledAt),
    disabledReason: row.disabledReason,
    createdBy: row.createdBy,
    createdAt: new Date(row.createdAt).toISOString(),
    previousSecretUntil: iso(row.previousSecretUntil),
  };
}

function assertAdmin(actor: Actor): void {
  if (actor.role !== 'admin') throw new DomainError('FORBIDDEN', 'Only admins manage webhooks.');
}

/** A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function parse(raw: unknown): z.infer<typeof createWebhookSchema> {
  const result = createWebhookSchema.safeParse(raw);
  if (!result.success) throw new ValidationError(result.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(form)', message: i.message })));
  return result.data;
}

/** Creates a subscription; the result's `secret` is shown once and never again. */
export async function createWebhook(services: Services, raw: CreateWebhookInput, actor: Actor): Promise<{ webhook: WebhookView; secret: string }> {
  assertAdmin(actor);
  const input = parse(raw);
  const problem = targetUrlProblem(input.url, services.integrations.allowPrivateTargets);
  if (problem) throw new ValidationError([{ path: 'url', message: problem }]);
  const secret = newWebhookSecret();
  const row = await services.store.write(async (q) => {
    const [created] = await q.db
      .insert(q.tables.webhookSubscriptions)
      .values({ url: input.url, description: input.description, events: [...new Set(input.events)], secret, createdBy: actor.name, createdAt: services.clock.now() })
      .returning();
    await auditIn(q, services.clock, actor, 'webhook', created!.id, 'created', null, webhookView(created!));
    syncWebhookTrigger(q);
    return created!;
  });
  return { webhook: webhookView(row), secret };
}

/** A subscription that was not deleted, read with `q`; WEBHOOK_NOT_FOUND otherwise. */
export async function webhookIn(q: Handle, id: number): Promise<WebhookRow> {
  const subs = q.tables.webhookSubscriptions;
  const [row] = await q.db
    .select()
    .from(subs)
    .where(and(eq(subs.id, id), isNull(subs.deletedAt)))
    .limit(1);
  if (!row) throw new DomainError('WEBHOOK_NOT_FOUND', `No webhook ${id}.`, { webhook: id });
  return row;
}

/** A subscription that was not deleted; WEBHOOK_NOT_FOUND otherwise. */
export function getWebhook(services: Services, id: number): Promise<WebhookRow> {
  return services.store.query((q) => webhookIn(q, id));
}

export function listWebhooks(services: Services): Promise<WebhookRow[]> {
  return services.store.query(async (q) => {
    const subs = q.tables.webhookSubscriptions;
    return q.db.select().from(subs).where(isNull(subs.deletedAt)).orderBy(asc(subs.id));
  });
}

export function deleteWebhook(services: Services, id: number, actor: Actor): Promise<WebhookView> {
  assertAdmin(actor);
  return services.store.write(async (q) => {
    const subs = q.tables.webhookSubscriptions;
    const before = webhookView(await webhookIn(q, id));
    const now = services.clock.now();
    const [row] = await q.db.update(subs).set({ deletedAt: now, enabled: false }).where(eq(subs.id, id)).returning();
    await auditIn(q, services.clock, actor, 'webhook', id, 'deleted', before, null);
    syncWebhookTrigger(q);
    return webhookView(row!);
  });
}

/** Enables a subscription again (after it was disabled for failing); its failure streak starts over. */
export function enableWebhook(services: Services, id: number, actor: Actor): Promise<WebhookView> {
  assertAdmin(actor);
  return services.store.write(async (q) => {
    const subs = q.tables.webhookSubscriptions;
    const before = webhookView(await webhookIn(q, id));
    const [row] = await q.db.update(subs).set({ enabled: true, failingSince: null, disabledAt: null, disabledReason: null }).where(eq(subs.id, id)).returning();
    await auditIn(q, services.clock, actor, 'webhook', id, 'enabled', before, webhookView(row!));
    syncWebhookTrigger(q);
    return webhookView(row!);
  });
}
