/**
 * A signed-in person's own profile (`/profile`): their name, the time zone every time is
 * shown in, their password. The browser tells us its zone on the first page load with
 * JavaScript (`setBrowserTimeZone`: only while none is set, so a zone chosen in the profile
 * always wins); without JavaScript times stay in UTC until one is chosen.
 */
import { and, eq, isNull, ne } from 'drizzle-orm';
import { z } from 'zod';
import { hashPassword, verifyPassword } from '../auth/password.js';
import type { PrincipalRef } from '../auth/sessions.js';
import { transaction } from '../db/client.js';
import { customers, sessions, staff } from '../db/schema/index.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Services } from '../services.js';
import { normalizeTimeZone } from '../text/time-zones.js';
import { passwordSchema } from './password-tokens.js';
import { recordProfileChange } from '../cases/customers.js';
import type { Actor } from '../roles.js';

export const timeZoneField = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const zone = normalizeTimeZone(v);
    if (!zone) {
      ctx.addIssue({ code: 'custom', message: 'choose a time zone from the list' });
      return z.NEVER;
    }
    return zone;
  });

export const profileSchema = z.object({
  name: z.string().trim().min(1, 'required').max(200, 'at most 200 characters'),
  timeZone: timeZoneField,
});
export type ProfileInput = z.infer<typeof profileSchema>;

export interface Profile {
  name: string;
  email: string;
  timeZone: string | null;
  hasPassword: boolean;
}

function table(ref: PrincipalRef) {
  return ref.type === 'staff' ? staff : customers;
}

export function loadProfile(services: Services, ref: PrincipalRef): Profile {
  const t = table(ref);
  const row = services.db.select({ name: t.name, email: t.email, timeZone: t.timeZone, passwordHash: t.passwordHash }).from(t).where(eq(t.id, ref.id)).get();
  if (!row) throw new DomainError('NOT_FOUND', 'No such account.');
  return { name: row.name, email: row.email, timeZone: row.timeZone, hasPassword: row.passwordHash !== null };
}

/**
 * Name and time zone; returns the profile as it is now. A customer's new name joins their
 * profile's audit trail (`customer_changes`), as staff edits of it do.
 */
export function updateProfile(services: Services, ref: PrincipalRef, input: ProfileInput, actor: Actor): Profile {
  const parsed = profileSchema.parse(input);
  const t = table(ref);
  const before = loadProfile(services, ref);
  transaction(services.db, () => {
    const now = services.clock.now();
    services.db.update(t).set({ name: parsed.name, timeZone: parsed.timeZone, updatedAt: now }).where(eq(t.id, ref.id)).run();
    if (ref.type === 'customer' && before.name !== parsed.name) {
      recordProfileChange(services.db, ref.id, { name: { from: before.name, to: parsed.name } }, { actor, at: now, via: 'edit', reason: 'changed on their profile page' });
    }
  });
  return loadProfile(services, ref);
}

/** The zone the browser reported, kept only while the account has none; returns the zone in force. */
export function setBrowserTimeZone(services: Services, ref: PrincipalRef, zone: string): string {
  const valid = normalizeTimeZone(zone);
  if (!valid) throw new ValidationError([{ path: 'timeZone', message: 'not an IANA time zone' }]);
  const t = table(ref);
  return transaction(services.db, () => {
    services.db
      .update(t)
      .set({ timeZone: valid })
      .where(and(eq(t.id, ref.id), isNull(t.timeZone)))
      .run();
    return services.db.select({ timeZone: t.timeZone }).from(t).where(eq(t.id, ref.id)).get()?.timeZone ?? valid;
  });
}

/**
 * Changes the password after checking the current one (an account without a password — a
 * customer who came in by mail — sets its first one). Every other session of the account
 * ends; the one in use (`keepSession`, its id hash) stays signed in.
 */
export async function changePassword(services: Services, ref: PrincipalRef, input: { current: string; next: string }, keepSession: string | null): Promise<void> {
  const profile = loadProfile(services, ref);
  const t = table(ref);
  const stored = services.db.select({ hash: t.passwordHash }).from(t).where(eq(t.id, ref.id)).get()?.hash ?? null;
  if (profile.hasPassword && !(await verifyPassword(input.current, stored))) {
    throw new ValidationError([{ path: 'current', message: 'this is not your current password' }]);
  }
  const checked = passwordSchema.safeParse(input.next);
  if (!checked.success) throw new ValidationError(checked.error.issues.map((i) => ({ path: 'next', message: i.message })));
  const passwordHash = await hashPassword(checked.data);
  transaction(services.db, () => {
    services.db.update(t).set({ passwordHash, updatedAt: services.clock.now() }).where(eq(t.id, ref.id)).run();
    const others = and(eq(sessions.principalType, ref.type), eq(sessions.principalId, ref.id), ...(keepSession ? [ne(sessions.idHash, keepSession)] : []));
    services.db.delete(sessions).where(others).run();
  });
}
