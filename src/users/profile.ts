/**
 * A signed-in person's own profile (`/profile`): their name, the time zone every time is
 * shown in, their password. The browser tells us its zone on the first page load with
 * JavaScript (`setBrowserTimeZone`: only while none is set, so a zone chosen in the profile
 * always wins); without JavaScript times stay in UTC until one is chosen.
 */
import { and, eq, isNull, ne } from 'drizzle-orm';
import { z } from 'zod';
import { hashPassword } from '../auth/password.js';
import { verifyCurrentPassword } from '../auth/sign-in.js';
import { liveApiTokensOf } from '../auth/api-tokens.js';
import { revokeLinks } from '../auth/links.js';
import type { PrincipalRef } from '../auth/sessions.js';
import type { Handle, Tables } from '../db/store/index.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Services } from '../services.js';
import { normalizeTimeZone } from '../text/time-zones.js';
import { passwordSchema } from './password-tokens.js';
import { recordProfileChangeOn } from '../cases/customers.js';
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
  /**
   * The account's API tokens that work now (issued by an admin, `POST /api/v1/tokens`): a
   * password change does not revoke them, so the password form says so.
   */
  liveApiTokens: number;
}

function table(tables: Tables, ref: PrincipalRef): Tables['staff'] | Tables['customers'] {
  return ref.type === 'staff' ? tables.staff : tables.customers;
}

async function profileRow(q: Handle, ref: PrincipalRef) {
  const t = table(q.tables, ref);
  const [row] = await q.db.select({ name: t.name, email: t.email, timeZone: t.timeZone, passwordHash: t.passwordHash }).from(t).where(eq(t.id, ref.id)).limit(1);
  if (!row) throw new DomainError('NOT_FOUND', 'No such account.');
  return row;
}

export async function loadProfile(services: Services, ref: PrincipalRef): Promise<Profile> {
  const now = services.clock.now();
  const { row, tokens } = await services.store.query(async (q) => ({ row: await profileRow(q, ref), tokens: await liveApiTokensOf(q, ref, now) }));
  return { name: row.name, email: row.email, timeZone: row.timeZone, hasPassword: row.passwordHash !== null, liveApiTokens: tokens };
}

/**
 * Name and time zone; returns the profile as it is now. A customer's new name joins their
 * profile's audit trail (`customer_changes`), as staff edits of it do.
 */
export async function updateProfile(services: Services, ref: PrincipalRef, input: ProfileInput, actor: Actor): Promise<Profile> {
  const parsed = profileSchema.parse(input);
  await services.store.write(async (q) => {
    const t = table(q.tables, ref);
    const before = await profileRow(q, ref);
    const now = services.clock.now();
    await q.db.update(t).set({ name: parsed.name, timeZone: parsed.timeZone, updatedAt: now }).where(eq(t.id, ref.id));
    if (ref.type === 'customer' && before.name !== parsed.name) {
      await recordProfileChangeOn(q, ref.id, { name: { from: before.name, to: parsed.name } }, { actor, at: now, via: 'edit', reason: 'changed on their profile page' });
    }
  });
  return loadProfile(services, ref);
}

/** The zone the browser reported, kept only while the account has none; returns the zone in force. */
export async function setBrowserTimeZone(services: Services, ref: PrincipalRef, zone: string): Promise<string> {
  const valid = normalizeTimeZone(zone);
  if (!valid) throw new ValidationError([{ path: 'timeZone', message: 'not an IANA time zone' }]);
  return services.store.write(async (q) => {
    const t = table(q.tables, ref);
    await q.db
      .update(t)
      .set({ timeZone: valid })
      .where(and(eq(t.id, ref.id), isNull(t.timeZone)));
    const [row] = await q.db.select({ timeZone: t.timeZone }).from(t).where(eq(t.id, ref.id)).limit(1);
    return row?.timeZone ?? valid;
  });
}

/**
 * Changes the password after checking the current one (throttled: `verifyCurrentPassword`; an account without a password — a
 * customer who came in by mail — sets its first one). Every other session of the account
 * ends, and every one-time link of it not yet used (sign-in, reset, set-password), as when a
 * link is used; the one in use (`keepSession`, its id hash) stays signed in. The account's API
 * tokens stay: an admin issued them for integrations, and revokes them (`DELETE
 * /api/v1/tokens/{id}`, or a reset link with `revokeAccess`); the form says how many work.
 */
export async function changePassword(services: Services, ref: PrincipalRef, input: { current: string; next: string }, keepSession: string | null): Promise<void> {
  const stored = (await services.store.query((q) => profileRow(q, ref))).passwordHash;
  if (stored !== null && !(await verifyCurrentPassword(services, ref, input.current, stored))) {
    throw new ValidationError([{ path: 'current', message: 'this is not your current password' }]);
  }
  const checked = passwordSchema.safeParse(input.next);
  if (!checked.success) throw new ValidationError(checked.error.issues.map((i) => ({ path: 'next', message: i.message })));
  const passwordHash = await hashPassword(checked.data);
  await services.store.write(async (q) => {
    const t = table(q.tables, ref);
    const { sessions } = q.tables;
    await q.db.update(t).set({ passwordHash, updatedAt: services.clock.now() }).where(eq(t.id, ref.id));
    const others = and(eq(sessions.principalType, ref.type), eq(sessions.principalId, ref.id), ...(keepSession ? [ne(sessions.idHash, keepSession)] : []));
    await q.db.delete(sessions).where(others);
    // Its one-time links too (a forwarded acknowledgement's sign-in link, a reset asked for): the new password is the way in.
    await revokeLinks(q, ref);
  });
}
