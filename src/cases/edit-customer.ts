/**
 * The explicit, permissioned and recorded way to change a customer's profile (name, e-mail,
 * tier, organization, phone): managers and admins (`PATCH /api/v1/customers/:id`, the profile
 * form on a case). Every change is appended to `customer_changes` with who changed which field
 * from what to what. Running cases keep the routing and SLA they were given; the new tier counts
 * for new cases and rule evaluations from now on.
 *
 * The e-mail address: validated and normalised as at intake, never one another customer (or a
 * staff member) has — that is refused naming the customer, nothing is merged. An agent may set
 * it only while it is a stand-in under `phone.invalid` (a caller known only by phone) and only
 * for the customer of a case assigned to them. A changed address is the account's sign-in
 * address from then on: its outstanding one-time links (sign-in, set-password, reset) and its
 * sessions end, so nothing opened through the old address carries over. Mail already sent or
 * held keeps its history; mail from now on goes to the new address.
 */
import { and, desc, eq, ne } from 'drizzle-orm';
import { z } from 'zod';
import { PROFILE_FIELDS, type ProfileChanges, type ProfileField } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { byId } from '../db/store/rows.js';
import { DomainError } from '../errors.js';
import { isManagerRole, type Actor } from '../roles.js';
import type { Services } from '../services.js';
import { applyProfileChanges, customerTier, recordProfileChangeOn, type CustomerRow } from './customers.js';
import { iso } from './case-view.js';
import { CALLER_EMAIL_DOMAIN, isCallerOnlyEmail, phoneField } from '../text/phone.js';
import { emailField } from '../text/email-address.js';
import { normalizeEmail } from './customers.js';
import { revokeLinks } from '../auth/links.js';
import { endSessionsOf } from '../auth/sessions.js';
import { ValidationError } from '../errors.js';

export const editCustomerSchema = z
  .strictObject({
    name: z.string().trim().min(1, 'required').max(200).optional(),
    /** Validated and normalised as at intake; refused when another customer or a staff member has it. */
    email: emailField().optional(),
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
  .refine((v) => v.name !== undefined || v.email !== undefined || v.tier !== undefined || v.organization !== undefined || v.phone !== undefined, {
    path: ['(body)'],
    message: 'give at least one of name, email, tier, organization, phone',
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


/** The console page of a customer (managers and admins). */
export const customerPagePath = (id: number) => `/manage/team/customers/${id}`;

/** An address another customer already has: refused, naming them (nothing is merged). */
export class EmailTaken extends ValidationError {
  constructor(readonly owner: { id: number; name: string }) {
    const message = `another customer has this address: ${owner.name} (customer ${owner.id}); nothing was changed or merged`;
    super([{ path: 'email', message }], `The e-mail address belongs to another customer: ${owner.name} (customer ${owner.id}). Nothing was changed or merged.`);
    this.details.existingCustomer = { id: owner.id, name: owner.name, path: customerPagePath(owner.id) };
  }
}

/** Who may change what: managers and admins anything; another staff member only a stand-in address, for the customer of a case of theirs. */
async function assertMayEdit(q: Handle, actor: Actor, existing: CustomerRow, input: EditCustomerInput, caseId: number | undefined): Promise<void> {
  if (isManagerRole(actor.role)) return;
  const onlyEmail = input.email !== undefined && input.name === undefined && input.tier === undefined && input.organization === undefined && input.phone === undefined;
  if (!onlyEmail) assertMayEditCustomers(actor);
  await assertMayReplaceStandIn(q, actor, existing, caseId);
}

/**
 * Whether a staff member who is not a manager may replace this customer's address: only a
 * stand-in, only for the customer of a case assigned to them (that case, when given). FORBIDDEN
 * otherwise — checked before a request's body is read, so a refusal is never a 422.
 */
export async function assertMayReplaceStandIn(q: Handle, actor: Actor, existing: Pick<CustomerRow, 'id' | 'email'>, caseId?: number): Promise<void> {
  if (isManagerRole(actor.role)) return;
  if (actor.type !== 'staff' || actor.id === null) assertMayEditCustomers(actor);
  if (!isCallerOnlyEmail(existing.email)) {
    throw new DomainError('FORBIDDEN', `Only managers and admins change a customer's e-mail address; agents may only replace a stand-in address under ${CALLER_EMAIL_DOMAIN}.`);
  }
  const { cases } = q.tables;
  const mine = and(eq(cases.customerId, existing.id), eq(cases.assigneeId, actor.id!), ...(caseId === undefined ? [] : [eq(cases.id, caseId)]));
  const [theirs] = await q.db.select({ id: cases.id }).from(cases).where(mine).limit(1);
  if (!theirs) throw new DomainError('FORBIDDEN', `Agents set a caller's address only on a case assigned to them; this customer has ${caseId === undefined ? 'no case' : 'not this case'} assigned to you.`);
}

/** The new address, normalised; refused when it is a stand-in, a staff member's or another customer's. */
async function checkedEmail(q: Handle, customerId: number, email: string): Promise<string> {
  const normalized = normalizeEmail(email);
  if (isCallerOnlyEmail(normalized)) throw new ValidationError([{ path: 'email', message: `an address under ${CALLER_EMAIL_DOMAIN} is the stand-in for callers known only by phone: give the real one` }]);
  const { customers, staff } = q.tables;
  const [member] = await q.db.select({ id: staff.id }).from(staff).where(eq(staff.email, normalized)).limit(1);
  if (member) throw new ValidationError([{ path: 'email', message: 'this address belongs to a staff account' }]);
  const [other] = await q.db.select({ id: customers.id, name: customers.name }).from(customers).where(and(eq(customers.email, normalized), ne(customers.id, customerId))).limit(1);
  if (other) throw new EmailTaken(other);
  return normalized;
}

/**
 * What a profile form showed (its hidden `shown…` fields, as rendered: `''` for none). The form
 * saves only the fields changed there, so a colleague's change to another field made since is
 * not put back; a field changed there that someone else changed meanwhile to something else is
 * a CONFLICT (`details.conflicts`, `details.current`), nothing changed.
 */
export type ProfileBase = Partial<Record<ProfileField, string>>;

/** A shown value as it is stored: addresses normalised, an empty organization or phone none. */
function shownValue(field: ProfileField, value: string): string | null {
  const v = value.trim();
  if (field === 'email') return v === '' ? v : normalizeEmail(v);
  if (field === 'organization' || field === 'phone') return v === '' ? null : v;
  return v;
}

export async function editCustomer(
  services: Services,
  customerId: number,
  input: EditCustomerInput,
  actor: Actor,
  /** The case the change is made on (the profile form of a case page): an agent's must be theirs. `base`: what the form showed. */
  context: { caseId?: number; base?: ProfileBase | undefined } = {},
): Promise<{ customer: CustomerRow; changes: ProfileChanges }> {
  if (input.email === undefined || input.name !== undefined || input.tier !== undefined || input.organization !== undefined || input.phone !== undefined) assertMayEditCustomers(actor);
  return services.store.write(async (q) => {
    const existing = await byId(q, q.tables.customers, customerId);
    if (!existing) throw new DomainError('NOT_FOUND', `No customer ${customerId}.`);
    await assertMayEdit(q, actor, existing, input, context.caseId);
    const wanted: Partial<Record<ProfileField, string | null>> = {};
    for (const field of PROFILE_FIELDS) {
      const value = field === 'email' && input.email !== undefined ? normalizeEmail(input.email) : input[field];
      if (value !== undefined) wanted[field] = value;
    }
    if (context.base) {
      const conflicts: ProfileField[] = [];
      for (const field of PROFILE_FIELDS) {
        const shown = context.base[field];
        if (shown === undefined || wanted[field] === undefined) continue;
        const before = shownValue(field, shown);
        // Left as the form showed it: whatever the profile has now stays.
        if (wanted[field] === before) delete wanted[field];
        else if (existing[field] !== before && existing[field] !== wanted[field]) conflicts.push(field);
      }
      if (conflicts.length > 0) {
        const current = Object.fromEntries(PROFILE_FIELDS.map((f) => [f, existing[f]]));
        throw new DomainError('CONFLICT', `Someone else changed this customer's ${conflicts.join(', ')} since the form was shown.`, { conflicts, current });
      }
    }
    const changes: ProfileChanges = {};
    for (const field of PROFILE_FIELDS) {
      const to = wanted[field];
      if (to !== undefined && to !== existing[field]) changes[field] = { from: existing[field], to };
    }
    if (changes.email) await checkedEmail(q, customerId, changes.email.to!);
    if (Object.keys(changes).length === 0) return { customer: existing, changes };
    const now = services.clock.now();
    const customer = await applyProfileChanges(q, customerId, changes, now);
    await recordProfileChangeOn(q, customerId, changes, { actor, at: now, via: 'edit', reason: input.reason });
    if (changes.email) {
      // The sign-in address changed: nothing opened or mailed through the old one carries over.
      await revokeLinks(q, { type: 'customer', id: customerId });
      await endSessionsOf(q, { type: 'customer', id: customerId });
    }
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
