/** Finding and creating customers when cases arrive. */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { insertRow, rowMapper, statement } from '../db/fast.js';
import { customers } from '../db/schema/index.js';
import { ValidationError } from '../errors.js';
import type { CustomerFact } from '../rules/facts.js';

export type CustomerRow = typeof customers.$inferSelect;

export interface CustomerInput {
  email: string;
  name?: string | undefined;
  tier?: string | undefined;
  organization?: string | undefined;
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

/** Creates the customer, or updates the fields given for an existing one. Inside a transaction. */
export function upsertCustomer(db: Db, input: CustomerInput, now: number): CustomerRow {
  const email = normalizeEmail(input.email);
  const existing = findCustomerByEmail(db, email);
  if (existing) {
    const changes: Partial<CustomerRow> = {};
    if (input.name && input.name !== existing.name) changes.name = input.name;
    if (input.tier && input.tier !== existing.tier) changes.tier = input.tier;
    if (input.organization !== undefined && input.organization !== existing.organization) changes.organization = input.organization;
    if (Object.keys(changes).length === 0) return existing;
    return db
      .update(customers)
      .set({ ...changes, updatedAt: now })
      .where(eq(customers.id, existing.id))
      .returning()
      .get();
  }
  if (statement<[string]>(db, 'SELECT 1 FROM staff WHERE email = ?').get(email)) {
    throw new ValidationError([{ path: 'customer.email', message: 'this address belongs to a staff account' }]);
  }
  return insertRow(db, customers, {
    email,
    name: input.name ?? defaultName(email),
    tier: input.tier ?? 'standard',
    organization: input.organization ?? null,
    createdAt: now,
    updatedAt: now,
  });
}

export function openCaseCount(db: Db, customerId: number): number {
  return statement<[number], { n: number }>(db, 'SELECT count(*) AS n FROM cases WHERE customer_id = ? AND open = 1').get(customerId)!.n;
}

export function customerFact(db: Db, customer: Pick<CustomerRow, 'id' | 'email' | 'name' | 'tier' | 'organization'> | null, input?: CustomerInput): CustomerFact {
  if (customer) {
    return {
      email: customer.email,
      name: input?.name ?? customer.name,
      tier: input?.tier ?? customer.tier,
      organization: input?.organization ?? customer.organization,
      openCases: openCaseCount(db, customer.id),
    };
  }
  const email = normalizeEmail(input!.email);
  return { email, name: input?.name ?? defaultName(email), tier: input?.tier ?? 'standard', organization: input?.organization ?? null, openCases: 0 };
}
