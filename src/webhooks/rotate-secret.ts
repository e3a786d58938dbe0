/**
 * Rotating a webhook subscription's signing secret without downtime (docs/integrations.md,
 * *Rotating the secret*): a new secret from now on, and for a grace period every delivery is
 * signed with the new and the old one (two `v1,` entries in `webhook-signature`), so a receiver
 * that still checks with the old secret keeps accepting while it is switched over. After the
 * grace period the old secret signs nothing. A second rotation within the grace period replaces
 * the old secret with the one it rotates out: at most two secrets sign at any time.
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { auditIn } from '../audit/record-audit.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { newWebhookSecret, webhookIn, webhookView, type WebhookRow, type WebhookView } from './subscriptions.js';

/** How long the old secret still signs by default, and at most (hours). */
export const DEFAULT_GRACE_HOURS = 24;
export const MAX_GRACE_HOURS = 7 * 24;

export const rotateSecretSchema = z.strictObject({
  graceHours: z
    .number({ error: 'a number of hours' })
    .int('whole hours')
    .min(0, 'at least 0')
    .max(MAX_GRACE_HOURS, `at most ${MAX_GRACE_HOURS} (7 days)`)
    .default(DEFAULT_GRACE_HOURS)
    .meta({ description: `How long deliveries are signed with the old secret too (hours, 0–${MAX_GRACE_HOURS}, default ${DEFAULT_GRACE_HOURS}); 0 ends it at once.` }),
});
export type RotateSecretInput = z.input<typeof rotateSecretSchema>;

/** The secrets that sign a delivery made at `at`: the current one, then the old one while its grace period lasts. */
export function signingSecrets(sub: Pick<WebhookRow, 'secret' | 'previousSecret' | 'previousSecretUntil'>, at: number): string[] {
  return sub.previousSecret !== null && sub.previousSecretUntil !== null && at < sub.previousSecretUntil ? [sub.secret, sub.previousSecret] : [sub.secret];
}

/** Gives the subscription a new secret (returned once, like a new subscription's); the old one signs too until the grace period ends. */
export async function rotateWebhookSecret(services: Services, id: number, raw: RotateSecretInput, actor: Actor): Promise<{ webhook: WebhookView; secret: string }> {
  if (actor.role !== 'admin') throw new DomainError('FORBIDDEN', 'Only admins manage webhooks.');
  const parsed = rotateSecretSchema.safeParse(raw);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(form)', message: i.message })));
  const secret = newWebhookSecret();
  const row = await services.store.write(async (q) => {
    const subs = q.tables.webhookSubscriptions;
    const current = await webhookIn(q, id);
    const now = services.clock.now();
    const graceMs = parsed.data.graceHours * 3_600_000;
    const [row] = await q.db
      .update(subs)
      .set({ secret, previousSecret: graceMs > 0 ? current.secret : null, previousSecretUntil: graceMs > 0 ? now + graceMs : null })
      .where(eq(subs.id, id))
      .returning();
    // The audit entry names the rotation and the grace period, never a secret.
    await auditIn(q, services.clock, actor, 'webhook', id, 'secretRotated', webhookView(current), webhookView(row!));
    return row!;
  });
  return { webhook: webhookView(row), secret };
}
