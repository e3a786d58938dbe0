/** Finding and creating customers when cases arrive; the profile audit trail. */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { insertRow, rowMapper, statement } from '../db/fast.js';
import { customerChanges, customers, type ProfileChanges } from '../db/schema/index.js';
import { ValidationError } from '../errors.js';
import type { Actor } from '../roles.js';
import { storedCrmRecord, type CrmFact } from '../crm/records.js';
import type { CustomerFact } from '../rules/facts.js';

export type CustomerRow = typeof customers.$inferSelect;

/** A customer tier name (rules match on it, SLA policies follow it). */
export const customerTier = z.string().trim().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'letters, digits, "-" and "_"').max(40);

export interface CustomerInput {
  email: string;
  name?: string | undefined;
  tier?: string | undefined;
  organization?: string | undefined;
  /** E.164 (normalised by the caller). */
  phone?: string | undefined;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function findCustomerByEmail(db: Db, email: string): CustomerRow | undefined {
  const row = statement<[string], Record<string, unknown>>(db, 'SELECT * FROM customers WHERE email = ?').get(normalizeEmail(email));
  return row ? rowMapper(customers).fromRow(row) : undefined;
}

export function defaultName(email: string): string {
  const local = email.split('@')[0] ?? email;
  return local.replace(/[._-]+/g, ' ').replace(/\b\p{L}/gu, (ch) => ch.toUpperCase()).trim() || email;
}

/**
 * What intake may add to an existing profile: fields that are still empty (the
 * organization, the phone number). Intake never overwrites a field — the name and the tier always have a
 * value — so changing them goes through `editCustomer`.
 */
export function intakeFill(existing: Pick<CustomerRow, 'organization' | 'phone'>, input: CustomerInput | undefined): ProfileChanges {
  const changes: ProfileChanges = {};
  if (input?.organization && !existing.organization) changes.organization = { from: existing.organization, to: input.organization };
  if (input?.phone && !existing.phone) changes.phone = { from: existing.phone, to: input.phone };
  return changes;
}

/** Appends to the profile audit trail (`customer_changes`). Inside a transaction. */
export function recordProfileChange(
  db: Db,
  customerId: number,
  changes: ProfileChanges,
  by: { actor: Actor; at: number; via: 'edit' | 'intake'; caseId?: number; reason?: string | undefined },
): void {
  insertRow(db, customerChanges, {
    customerId,
    at: by.at,
    via: by.via,
    caseId: by.caseId ?? null,
    actorType: by.actor.type,
    actorId: by.actor.id,
    actorName: by.actor.name,
    changes,
    reason: by.reason ?? null,
  });
}

/** Sets the given profile fields; returns the row after the change. Inside a transaction. */
export function applyProfileChanges(db: Db, customerId: number, changes: ProfileChanges, now: number): CustomerRow {
  const set: Partial<CustomerRow> = { updatedAt: now };
  if (changes.name) set.name = changes.name.to!;
  if (changes.tier) set.tier = changes.tier.to!;
  if (changes.organization) set.organization = changes.organization.to;
  if (changes.phone) set.phone = changes.phone.to;
  return db.update(customers).set(set).where(eq(customers.id, customerId)).returning().get();
}

/**
 * Intake's customer: creates a new one from the input, or for an existing one fills empty
 * fields only (`intakeFill`) and returns what it filled, for the audit trail. Inside a
 * transaction; `known` is the customer with this address (or null) when it was looked up in it.
 */
export function upsertCustomer(db: Db, input: CustomerInput, now: number, known?: CustomerRow | null): { row: CustomerRow; filled: ProfileChanges } {
  const email = normalizeEmail(input.email);
  const existing = known === undefined ? findCustomerByEmail(db, email) : (known ?? undefined);
  if (existing) {
    const filled = intakeFill(existing, input);
    if (Object.keys(filled).length === 0) return { row: existing, filled };
    return { row: applyProfileChanges(db, existing.id, filled, now), filled };
  }
  if (statement<[string]>(db, 'SELECT 1 FROM staff WHERE email = ?').get(email)) {
    throw new ValidationError([{ path: 'customer.email', message: 'this address belongs to a staff account' }]);
  }
  const row = insertRow(db, customers, {
    email,
    name: input.name ?? defaultName(email),
    tier: input.tier ?? 'standard',
    organization: input.organization ?? null,
    phone: input.phone ?? null,
    createdAt: now,
    updatedAt: now,
  });
  return { row, filled: {} };
}

export function openCaseCount(db: Db, customerId: number): number {
  return statement<[number], { n: number }>(db, 'SELECT count(*) AS n FROM cases WHERE customer_id = ? AND open = 1').get(customerId)!.n;
}

/**
 * The `customer` fact: an existing customer as stored (plus what intake would fill), or the new
 * one. `crm`: what the CRM just answered (intake asked it); otherwise its stored record is read.
 */
export function customerFact(
  db: Db,
  customer: Pick<CustomerRow, 'id' | 'email' | 'name' | 'tier' | 'organization' | 'phone'> | null,
  input?: CustomerInput,
  crm?: CrmFact | null,
): CustomerFact {
  if (customer) {
    const filled = intakeFill(customer, input);
    return {
      email: customer.email,
      name: filled.name?.to ?? customer.name,
      tier: customer.tier,
      organization: filled.organization?.to ?? customer.organization,
      openCases: openCaseCount(db, customer.id),
      crm: crm !== undefined ? crm : storedCrmRecord(db, customer.email),
    };
  }
  const email = normalizeEmail(input!.email);
  return { email, name: input?.name ?? defaultName(email), tier: input?.tier ?? 'standard', organization: input?.organization ?? null, openCases: 0, crm: crm !== undefined ? crm : storedCrmRecord(db, email) };
}
