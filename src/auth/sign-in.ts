/**
 * Email + password sign-in for staff and customers, with throttling (`sign_in_attempts`) by
 * account and by client address separately, so that one attacker cannot lock anybody else
 * out:
 *
 * - `addr:<address>` — attempts from one client address, any accounts (password spraying).
 *   At the limit the address is locked: it locks out only the clients behind it.
 * - `pair:<address> <email>` — attempts at one account from one address (guessing one
 *   password). At the limit that account is locked *for that address only*: the account's
 *   owner signs in from anywhere else.
 * - `email:<email>` — attempts at one account from all addresses (distributed guessing). Its
 *   limit is above the address limit, so no single address can reach it on its own; at the
 *   limit the account is locked everywhere.
 *
 * - `current:<type>:<id>` — attempts at the current password of a signed-in account, to
 *   change it on `/profile` (`verifyCurrentPassword`). Whoever holds a session (a computer
 *   left signed in, a stolen cookie) may not guess the password behind it without a limit:
 *   at `emailLimit` wrong ones within the window the change is locked for `lockMs`.
 *
 * Every attempt is counted *before* the password is checked, so parallel guesses cannot
 * slip past the limit while scrypt runs; a successful sign-in clears its pair counter and
 * takes its own attempt back from the other two. Unknown emails, accounts without a password
 * and deactivated staff verify against `dummyHash()`, so they take as long as a wrong
 * password and get the same answer (and lock the same way).
 */
import { and, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { normalizeEmail } from '../cases/customers.js';
import type { Handle } from '../db/store/index.js';
import { DomainError } from '../errors.js';
import type { Services } from '../services.js';
import type { PrincipalRef } from './credential-rules.js';
import { dummyHash, verifyPassword } from './password.js';

export interface ThrottleOptions {
  /** Failures are counted within this window. */
  windowMs: number;
  /** Attempts at one account from one client address within the window before that pair is locked. */
  emailLimit: number;
  /** Attempts from one client address (any accounts) within the window before the address is locked. */
  addressLimit: number;
  /** Attempts at one account from all addresses within the window before the account is locked everywhere; above `addressLimit`. */
  emailTotalLimit: number;
  /** How long a key stays locked. */
  lockMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  windowMs: 15 * 60_000,
  emailLimit: 5,
  addressLimit: 30,
  emailTotalLimit: 100,
  lockMs: 15 * 60_000,
};

export interface SignInInput {
  email: string;
  password: string;
  /** The client's network address (or "unknown"). */
  clientAddress: string;
}

export const INVALID_CREDENTIALS = 'The email address or the password is not right.';

interface Account {
  ref: PrincipalRef;
  passwordHash: string | null;
  usable: boolean;
}

async function findAccount(q: Handle, email: string): Promise<Account | null> {
  const { staff, customers } = q.tables;
  const [member] = await q.db.select({ id: staff.id, passwordHash: staff.passwordHash, active: staff.active }).from(staff).where(eq(staff.email, email)).limit(1);
  if (member) return { ref: { type: 'staff', id: member.id }, passwordHash: member.passwordHash, usable: member.active };
  const [customer] = await q.db.select({ id: customers.id, passwordHash: customers.passwordHash }).from(customers).where(eq(customers.email, email)).limit(1);
  if (customer) return { ref: { type: 'customer', id: customer.id }, passwordHash: customer.passwordHash, usable: true };
  return null;
}

interface Keys {
  pair: string;
  email: string;
  address: string;
}

function keysFor(email: string, clientAddress: string): Keys {
  const address = clientAddress.replace(/\s+/g, '').slice(0, 64) || 'unknown';
  return { pair: `pair:${address} ${email}`, email: `email:${email}`, address: `addr:${address}` };
}

/** Throws TOO_MANY_REQUESTS while either key is locked. */
async function assertNotLocked(q: Handle, keys: string[], now: number, what = 'Too many sign-in attempts'): Promise<void> {
  const t = q.tables.signInAttempts;
  const rows = await q.db.select({ lockedUntil: t.lockedUntil }).from(t).where(inArray(t.key, keys));
  const lockedUntil = Math.max(0, ...rows.map((r) => r.lockedUntil ?? 0));
  if (lockedUntil > now) {
    const retryAfterSeconds = Math.ceil((lockedUntil - now) / 1000);
    throw new DomainError('TOO_MANY_REQUESTS', `${what}. Try again in ${Math.ceil(retryAfterSeconds / 60)} minutes.`, {
      retryAfterSeconds,
    });
  }
}

/**
 * Counts one attempt against `key` in one statement (an upsert: atomic on both dialects, so
 * parallel attempts are all counted): a fresh window after `windowMs`, locked at `limit`.
 * False, counting nothing, while the key is locked.
 */
async function countAttempt(q: Handle, key: string, limit: number, throttle: ThrottleOptions, now: number): Promise<boolean> {
  const t = q.tables.signInAttempts;
  const fresh = sql`${now} - ${t.windowStartedAt} >= ${throttle.windowMs}`;
  const failures = sql`CASE WHEN ${fresh} THEN 1 ELSE ${t.failures} + 1 END`;
  const counted = await q.db
    .insert(t)
    .values({ key, failures: 1, windowStartedAt: now, lockedUntil: 1 >= limit ? now + throttle.lockMs : null })
    .onConflictDoUpdate({
      target: t.key,
      set: {
        failures,
        windowStartedAt: sql`CASE WHEN ${fresh} THEN ${now} ELSE ${t.windowStartedAt} END`,
        // CAST: PostgreSQL would type a parameter beside NULL as text.
        lockedUntil: sql`CASE WHEN ${failures} >= ${limit} THEN CAST(${now + throttle.lockMs} AS BIGINT) ELSE NULL END`,
      },
      setWhere: or(isNull(t.lockedUntil), lte(t.lockedUntil, now)),
    })
    .returning({ key: t.key });
  return counted.length === 1;
}

/** A successful sign-in clears its pair counter and takes its own attempt back from the other two (unless locked). */
async function forgiveAttempt(q: Handle, keys: Keys): Promise<void> {
  const t = q.tables.signInAttempts;
  await q.db.delete(t).where(eq(t.key, keys.pair));
  await q.db
    .update(t)
    .set({ failures: sql`CASE WHEN ${t.failures} > 0 THEN ${t.failures} - 1 ELSE 0 END` })
    .where(and(inArray(t.key, [keys.email, keys.address]), isNull(t.lockedUntil)));
}

/** The account for the email and password; UNAUTHENTICATED or TOO_MANY_REQUESTS otherwise. */
export async function signIn(services: Services, input: SignInInput, throttle: ThrottleOptions = DEFAULT_THROTTLE): Promise<PrincipalRef> {
  const email = normalizeEmail(input.email).slice(0, 254);
  const keys = keysFor(email, input.clientAddress);
  const started = services.clock.now();
  await services.store.write(async (q) => {
    const all = [keys.pair, keys.email, keys.address];
    await assertNotLocked(q, all, started);
    const limits: [string, number][] = [
      [keys.pair, throttle.emailLimit],
      [keys.email, throttle.emailTotalLimit],
      [keys.address, throttle.addressLimit],
    ];
    for (const [key, limit] of limits) {
      // Locked by a parallel attempt since the check above: throws (the counts so far roll back).
      if (!(await countAttempt(q, key, limit, throttle, started))) await assertNotLocked(q, all, started);
    }
  });

  const account = email === '' ? null : await services.store.query((q) => findAccount(q, email));
  const hash = account?.usable && account.passwordHash ? account.passwordHash : await dummyHash();
  const matches = await verifyPassword(input.password.slice(0, 1024), hash);
  if (!account?.usable || !account.passwordHash || !matches) {
    throw new DomainError('UNAUTHENTICATED', INVALID_CREDENTIALS);
  }
  await services.store.write((q) => forgiveAttempt(q, keys));
  return account.ref;
}

/** The throttling key of attempts at a signed-in account's current password (erased with a customer). */
export function currentPasswordKey(ref: PrincipalRef): string {
  return `current:${ref.type}:${ref.id}`;
}

/**
 * Whether `password` is the account's current one (`stored`, its hash), as asked before the
 * password is changed: counted first and limited like guesses at one account (`emailLimit`
 * per `windowMs`, then locked for `lockMs`: TOO_MANY_REQUESTS); the right one clears the count.
 */
export async function verifyCurrentPassword(services: Services, ref: PrincipalRef, password: string, stored: string, throttle: ThrottleOptions = DEFAULT_THROTTLE): Promise<boolean> {
  const key = currentPasswordKey(ref);
  const started = services.clock.now();
  await services.store.write(async (q) => {
    await assertNotLocked(q, [key], started, 'Too many wrong current passwords');
    if (!(await countAttempt(q, key, throttle.emailLimit, throttle, started))) await assertNotLocked(q, [key], started, 'Too many wrong current passwords');
  });
  const matches = await verifyPassword(password.slice(0, 1024), stored);
  if (matches) await services.store.write((q) => q.db.delete(q.tables.signInAttempts).where(eq(q.tables.signInAttempts.key, key)));
  return matches;
}
