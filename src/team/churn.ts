/**
 * Marking customers as churned, and un-marking them, with the date the mark applies from
 * and a note. Every mark is kept in `customer_churn_marks` (the history reports read);
 * `customers.churned_at` mirrors the current state (the date of the churned mark in force,
 * null when not churned).
 *
 * - A mark changes the state: marking a churned customer churned again (or un-marking one
 *   who is not) is refused.
 * - History is appended, never rewritten: a mark's date cannot be before the customer's
 *   latest mark, nor in the future.
 */
import { and, asc, desc, eq, like, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { transaction } from '../db/client.js';
import { customerChurnMarks, customers } from '../db/schema/index.js';
import { DomainError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { assertManager, fieldError, parseInput } from './input.js';
import { queueWebhookEvent } from '../webhooks/deliveries.js';
import { customerPart } from '../webhooks/payload.js';

export type CustomerRow = typeof customers.$inferSelect;
export type ChurnMarkRow = typeof customerChurnMarks.$inferSelect;

export const churnSchema = z.strictObject({
  churned: z.boolean(),
  /** Epoch ms the mark applies from. */
  at: z.number({ error: 'a date' }).int('a date').nonnegative('a date'),
  note: z.string().trim().max(500, 'at most 500 characters').default(''),
});
export type ChurnInput = z.input<typeof churnSchema>;

export function getCustomer(services: Services, id: number): CustomerRow {
  const row = services.db.select().from(customers).where(eq(customers.id, id)).get();
  if (!row) throw new DomainError('NOT_FOUND', `No customer ${id}.`, { customerId: id });
  return row;
}

/** The customer's marks, newest first. */
export function churnHistory(services: Services, customerId: number): ChurnMarkRow[] {
  return services.db
    .select()
    .from(customerChurnMarks)
    .where(eq(customerChurnMarks.customerId, customerId))
    .orderBy(desc(customerChurnMarks.at), desc(customerChurnMarks.id))
    .all();
}

/** `source`: who marked it — `manual` (the console) or the system calling the churn API. */
export function markChurn(services: Services, customerId: number, raw: ChurnInput, actor: Actor, source = 'manual'): CustomerRow {
  if (source === 'manual') assertManager(actor);
  const input = parseInput(churnSchema, raw);
  return transaction(services.db, () => {
    const customer = getCustomer(services, customerId);
    const latest = churnHistory(services, customerId)[0];
    const churnedNow = latest?.churned ?? false;
    if (input.churned === churnedNow) {
      throw new DomainError('CONFLICT', input.churned ? `${customer.name} is already marked churned.` : `${customer.name} is not marked churned.`);
    }
    const now = services.clock.now();
    if (input.at > now) throw fieldError('at', 'cannot be in the future');
    if (latest && input.at < latest.at) {
      throw fieldError('at', `cannot be before the latest mark (${new Date(latest.at).toISOString().slice(0, 10)})`);
    }
    services.db
      .insert(customerChurnMarks)
      .values({ customerId, churned: input.churned, at: input.at, actorId: actor.type === 'staff' ? actor.id : null, note: input.note || null, source })
      .run();
    const row = services.db
      .update(customers)
      .set({ churnedAt: input.churned ? input.at : null, updatedAt: now })
      .where(eq(customers.id, customerId))
      .returning()
      .get()!;
    if (input.churned) {
      queueWebhookEvent(services, 'customer.churned', { customer: customerPart(services, customerId), churn: { at: new Date(input.at).toISOString(), source, reason: input.note || null } });
    }
    return row;
  });
}

export interface CustomerListRow {
  id: number;
  name: string;
  email: string;
  organization: string | null;
  tier: string;
  churnedAt: number | null;
  cases: number;
}

/** Customers matching `q` (name, email or organization), by name; churned only when asked. */
export function searchCustomers(services: Services, options: { q?: string; churnedOnly?: boolean; limit?: number } = {}): CustomerListRow[] {
  const text = (options.q ?? '').trim();
  const pattern = sql`${`%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`} ESCAPE '\\'`;
  const conditions = [
    text ? or(like(customers.name, pattern), like(customers.email, pattern), like(customers.organization, pattern)) : undefined,
    options.churnedOnly ? sql`${customers.churnedAt} IS NOT NULL` : undefined,
  ].filter((c) => c !== undefined);
  return services.db
    .select({
      id: customers.id,
      name: customers.name,
      email: customers.email,
      organization: customers.organization,
      tier: customers.tier,
      churnedAt: customers.churnedAt,
      cases: sql<number>`(SELECT count(*) FROM cases c WHERE c.customer_id = "customers"."id")`,
    })
    .from(customers)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(asc(customers.name), asc(customers.id))
    .limit(options.limit ?? 50)
    .all();
}
