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
import { and, asc, desc, eq, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { customerChurnMarks, customers } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { DomainError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { assertManager, fieldError, parseInput } from './input.js';
import { queueWebhookEventIn } from '../webhooks/deliveries.js';
import { customerPartIn } from '../webhooks/payload.js';

export type CustomerRow = typeof customers.$inferSelect;
export type ChurnMarkRow = typeof customerChurnMarks.$inferSelect;

export const churnSchema = z.strictObject({
  churned: z.boolean(),
  /** Epoch ms the mark applies from. */
  at: z.number({ error: 'a date' }).int('a date').nonnegative('a date'),
  note: z.string().trim().max(500, 'at most 500 characters').default(''),
});
export type ChurnInput = z.input<typeof churnSchema>;

async function customerIn(q: Handle, id: number): Promise<CustomerRow> {
  const t = q.tables.customers;
  const [row] = await q.db.select().from(t).where(eq(t.id, id)).limit(1);
  if (!row) throw new DomainError('NOT_FOUND', `No customer ${id}.`, { customerId: id });
  return row;
}

export function getCustomer(services: Services, id: number): Promise<CustomerRow> {
  return services.store.query((q) => customerIn(q, id));
}

function historyIn(q: Handle, customerId: number): Promise<ChurnMarkRow[]> {
  const t = q.tables.customerChurnMarks;
  return q.db.select().from(t).where(eq(t.customerId, customerId)).orderBy(desc(t.at), desc(t.id));
}

/** The customer's marks, newest first. */
export function churnHistory(services: Services, customerId: number): Promise<ChurnMarkRow[]> {
  return services.store.query((q) => historyIn(q, customerId));
}

/** `source`: who marked it — `manual` (the console) or the system calling the churn API. */
export async function markChurn(services: Services, customerId: number, raw: ChurnInput, actor: Actor, source = 'manual'): Promise<CustomerRow> {
  if (source === 'manual') assertManager(actor);
  const input = parseInput(churnSchema, raw);
  const row = await services.store.write(async (q) => {
    const customer = await customerIn(q, customerId);
    const [latest] = await historyIn(q, customerId);
    const churnedNow = latest?.churned ?? false;
    if (input.churned === churnedNow) {
      throw new DomainError('CONFLICT', input.churned ? `${customer.name} is already marked churned.` : `${customer.name} is not marked churned.`);
    }
    const now = services.clock.now();
    if (input.at > now) throw fieldError('at', 'cannot be in the future');
    if (latest && input.at < latest.at) {
      throw fieldError('at', `cannot be before the latest mark (${new Date(latest.at).toISOString().slice(0, 10)})`);
    }
    const { customerChurnMarks: marks, customers: t } = q.tables;
    await q.db.insert(marks).values({ customerId, churned: input.churned, at: input.at, actorId: actor.type === 'staff' ? actor.id : null, note: input.note || null, source });
    const [row] = await q.db.update(t).set({ churnedAt: input.churned ? input.at : null, updatedAt: now }).where(eq(t.id, customerId)).returning();
    if (input.churned) {
      const churn = { at: new Date(input.at).toISOString(), source, reason: input.note || null };
      await queueWebhookEventIn(q, services, 'customer.churned', { customer: await customerPartIn(q, customerId), churn });
    }
    return row!;
  });
  // The customer.churned webhook (no case: no command's settle performs it) goes out now, not at the next sweep.
  if (input.churned) services.outbox.kick();
  return row;
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

/**
 * Customers matching `q` (name, email or organization, ignoring case: `lower(…) LIKE lower(…)`,
 * as PostgreSQL's LIKE tells cases apart), by name; churned only when asked.
 */
export function searchCustomers(services: Services, options: { q?: string; churnedOnly?: boolean; limit?: number } = {}): Promise<CustomerListRow[]> {
  const text = (options.q ?? '').trim();
  const pattern = `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
  return services.store.query((q) => {
    const customers = q.tables.customers;
    const matches = (column: typeof customers.name | typeof customers.email | typeof customers.organization): SQL => sql`lower(${column}) LIKE lower(${pattern}) ESCAPE '\\'`;
    const conditions = [
      text ? or(matches(customers.name), matches(customers.email), matches(customers.organization)) : undefined,
      options.churnedOnly ? sql`${customers.churnedAt} IS NOT NULL` : undefined,
    ].filter((c) => c !== undefined);
    return q.db
      .select({
        id: customers.id,
        name: customers.name,
        email: customers.email,
        organization: customers.organization,
        tier: customers.tier,
        churnedAt: customers.churnedAt,
        cases: sql<number>`(SELECT count(*) FROM cases c WHERE c.customer_id = "customers"."id")`.mapWith(Number),
      })
      .from(customers)
      .where(conditions.length ? and(...conditions) : undefined)
      .orderBy(asc(customers.name), asc(customers.id))
      .limit(options.limit ?? 50);
  });
}
