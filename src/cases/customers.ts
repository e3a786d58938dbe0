/** Finding and creating customers when cases arrive; the profile audit trail. */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { rowMapper } from '../db/fast.js';
import { customerChanges, customers, type ProfileChanges } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { get, insertOne, insertOneUnlessExists, tableRow } from '../db/store/rows.js';
import { ValidationError } from '../errors.js';
import type { Actor } from '../roles.js';
import { crmRecordOn, type CrmFact } from '../crm/records.js';
import type { CustomerFact } from '../rules/facts.js';
import { canonicalEmail } from '../text/email-address.js';

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

/** The address as stored and compared: lower case, the domain in its ASCII (punycode) form (src/text/email-address.ts). */
export function normalizeEmail(email: string): string {
  return canonicalEmail(email);
}


/** The customer with this address (normalised), read with `q`. */
export async function customerByEmail(q: Handle, email: string): Promise<CustomerRow | undefined> {
  return tableRow(q, q.tables.customers, 'SELECT * FROM customers WHERE email = ?', [normalizeEmail(email)]);
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

/** Appends to the profile audit trail (`customer_changes`), in the change's `store.write`. */
export async function recordProfileChangeOn(
  q: Handle,
  customerId: number,
  changes: ProfileChanges,
  by: { actor: Actor; at: number; via: 'edit' | 'intake'; caseId?: number; reason?: string | undefined },
): Promise<void> {
  await insertOne(q, q.tables.customerChanges, {
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
export async function applyProfileChanges(q: Handle, customerId: number, changes: ProfileChanges, now: number): Promise<CustomerRow> {
  const set: Partial<CustomerRow> = { updatedAt: now };
  if (changes.name) set.name = changes.name.to!;
  if (changes.email) set.email = changes.email.to!;
  if (changes.tier) set.tier = changes.tier.to!;
  if (changes.organization) set.organization = changes.organization.to;
  if (changes.phone) set.phone = changes.phone.to;
  const { customers: table } = q.tables;
  const [row] = await q.db.update(table).set(set).where(eq(table.id, customerId)).returning();
  return row!;
}

/**
 * Intake's customer: creates a new one from the input, or for an existing one fills empty
 * fields only (`intakeFill`) and returns what it filled, for the audit trail. Inside a
 * transaction; `known` is the customer with this address (or null) when it was looked up in it.
 */
export async function upsertCustomer(q: Handle, input: CustomerInput, now: number, known?: CustomerRow | null): Promise<{ row: CustomerRow; filled: ProfileChanges }> {
  const email = normalizeEmail(input.email);
  const existing = known === undefined ? await customerByEmail(q, email) : (known ?? undefined);
  if (existing) {
    const filled = intakeFill(existing, input);
    if (Object.keys(filled).length === 0) return { row: existing, filled };
    return { row: await applyProfileChanges(q, existing.id, filled, now), filled };
  }
  if (await get(q, 'SELECT 1 AS one FROM staff WHERE email = ?', [email])) {
    throw new ValidationError([{ path: 'customer.email', message: 'this address belongs to a staff account' }]);
  }
  const row = await insertOneUnlessExists(
    q,
    q.tables.customers,
    { email, name: input.name ?? defaultName(email), tier: input.tier ?? 'standard', organization: input.organization ?? null, phone: input.phone ?? null, createdAt: now, updatedAt: now },
    'email',
  );
  if (row) return { row, filled: {} };
  // Another instance's intake created this customer meanwhile (PostgreSQL): take it as found.
  const found = await customerByEmail(q, email);
  if (!found) throw new Error(`the customer ${email} was neither inserted nor found`);
  return upsertCustomer(q, input, now, found);
}

/**
 * The `customer` fact: an existing customer as stored (plus what intake would fill), or the new
 * one. Their open cases are the row's `open_cases`, kept by triggers on cases (drizzle/0051).
 * `crm`: what the CRM just answered (intake asked it); otherwise its stored record is read.
 */
export async function customerFact(
  q: Handle,
  customer: Pick<CustomerRow, 'id' | 'email' | 'name' | 'tier' | 'organization' | 'phone' | 'openCases'> | null,
  input?: CustomerInput,
  crm?: CrmFact | null,
): Promise<CustomerFact> {
  const openCases = customer ? customer.openCases : 0;
  const record = crm !== undefined ? crm : await crmRecordOn(q, customer ? customer.email : normalizeEmail(input!.email));
  return customerFactOf(customer, input, openCases, record);
}

/** `customerFact` from what was read already: the customer's open cases and CRM record. */
export function customerFactOf(
  customer: Pick<CustomerRow, 'id' | 'email' | 'name' | 'tier' | 'organization' | 'phone'> | null,
  input: CustomerInput | undefined,
  openCases: number,
  crm: CrmFact | null,
): CustomerFact {
  if (customer) {
    const filled = intakeFill(customer, input);
    return {
      email: customer.email,
      name: filled.name?.to ?? customer.name,
      tier: customer.tier,
      organization: filled.organization?.to ?? customer.organization,
      openCases,
      crm,
    };
  }
  const email = normalizeEmail(input!.email);
  return { email, name: input?.name ?? defaultName(email), tier: input?.tier ?? 'standard', organization: input?.organization ?? null, openCases: 0, crm };
}
