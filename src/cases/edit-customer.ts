/**
 * The explicit, permissioned and recorded way to change a customer's profile (name, tier,
 * organization, phone): managers and admins only (`PATCH /api/v1/customers/:id`). Every change is
 * appended to `customer_changes` with who changed which field from what to what. Running
 * cases keep the routing and SLA they were given; the new tier counts for new cases and
 * rule evaluations from now on.
 */
import { and, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { PROFILE_FIELDS, type ProfileChanges } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { byId } from '../db/store/rows.js';
import { DomainError } from '../errors.js';
import { isManagerRole, type Actor } from '../roles.js';
import type { Services } from '../services.js';
import { applyProfileChanges, customerTier, recordProfileChangeOn, type CustomerRow } from './customers.js';
import { iso } from './case-view.js';
import { phoneField } from '../text/phone.js';

export const editCustomerSchema = z
  .strictObject({
    name: z.string().trim().min(1, 'required').max(200).optional(),
    tier: customerTier.optional(),
    organization: z
      .string()
      .trim()
      .max(200)
      .nullable()
      .optional()
      .transform((v) => (v === '' ? null : v)),
    /** E.164 after normalising (`+49 30 1234567` → `+49301234567`); empty or null removes it. */
    phone: phoneField.optional(),
    /** Why (kept with the change). */
    reason: z.string().trim().max(2_000).optional(),
  })
    .refine((v) => v.name !== undefined || v.tier !== undefined || v.organization !== undefined || v.phone !== undefined, {
    path: ['(body)'],
    message: 'give at least one of name, tier, organization, phone',
  });
export type EditCustomerInput = z.infer<typeof editCustomerSchema>;

export interface CustomerProfileEntry {
  at: string;
  via: 'edit' | 'intake';
  by: { type: string; id: number | null; name: string };
  caseId: number | null;
  changes: ProfileChanges;
  reason: string | null;
}

export function assertMayEditCustomers(actor: Actor): void {
  if (!isManagerRole(actor.role)) throw new DomainError('FORBIDDEN', 'Only managers and admins change customer profiles.');
}

export async function editCustomer(services: Services, customerId: number, input: EditCustomerInput, actor: Actor): Promise<{ customer: CustomerRow; changes: ProfileChanges }> {
  assertMayEditCustomers(actor);
  return services.store.write(async (q) => {
    const existing = await byId(q, q.tables.customers, customerId);
    if (!existing) throw new DomainError('NOT_FOUND', `No customer ${customerId}.`);
    const changes: ProfileChanges = {};
    for (const field of PROFILE_FIELDS) {
      const to = input[field];
      if (to !== undefined && to !== existing[field]) changes[field] = { from: existing[field], to };
    }
    if (Object.keys(changes).length === 0) return { customer: existing, changes };
    const now = services.clock.now();
    const customer = await applyProfileChanges(q, customerId, changes, now);
    await recordProfileChangeOn(q, customerId, changes, { actor, at: now, via: 'edit', reason: input.reason });
    // Staff working the customer's open cases see the change on those timelines (never customers).
    const { cases, caseEvents } = q.tables;
    const openCases = await q.db.select({ id: cases.id }).from(cases).where(and(eq(cases.customerId, customerId), eq(cases.open, true)));
    for (const c of openCases) {
      await q.db
        .insert(caseEvents)
        .values({
          caseId: c.id,
          type: 'customer.updated',
          at: now,
          actorType: actor.type,
          actorId: actor.id,
          data: { customerId, source: 'edit', changes, ...(input.reason ? { reason: input.reason } : {}), ...(actor.type === 'system' ? { via: actor.name } : {}) },
        });
    }
    return { customer, changes };
  });
}

/** The customer's profile changes, newest first. */
export async function profileHistory(q: Handle, customerId: number, limit = 50): Promise<CustomerProfileEntry[]> {
  const { customerChanges } = q.tables;
  const rows = await q.db.select().from(customerChanges).where(eq(customerChanges.customerId, customerId)).orderBy(desc(customerChanges.id)).limit(limit);
  return rows.map((r) => ({
      at: iso(r.at)!,
      via: r.via,
      by: { type: r.actorType, id: r.actorId, name: r.actorName },
      caseId: r.caseId,
      changes: r.changes,
      reason: r.reason,
    }));
}
