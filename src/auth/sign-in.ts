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
 * Every attempt is counted *before* the password is checked, so parallel guesses cannot
 * slip past the limit while scrypt runs; a successful sign-in clears its pair counter and
 * takes its own attempt back from the other two. Unknown emails, accounts without a password
 * and deactivated staff verify against `dummyHash()`, so they take as long as a wrong
 * password and get the same answer (and lock the same way).
 */
import { eq, inArray } from 'drizzle-orm';
import { customers, signInAttempts, staff } from '../db/schema/index.js';
import { normalizeEmail } from '../cases/customers.js';
import { DomainError } from '../errors.js';
import type { Services } from '../services.js';
import { dummyHash, verifyPassword } from './password.js';
import type { PrincipalRef } from './sessions.js';

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

function findAccount(services: Services, email: string): Account | null {
  const member = services.db.select().from(staff).where(eq(staff.email, email)).get();
  if (member) return { ref: { type: 'staff', id: member.id }, passwordHash: member.passwordHash, usable: member.active };
  const customer = services.db.select().from(customers).where(eq(customers.email, email)).get();
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
function assertNotLocked(services: Services, keys: string[], now: number): void {
  const rows = services.db.select().from(signInAttempts).where(inArray(signInAttempts.key, keys)).all();
  const lockedUntil = Math.max(0, ...rows.map((r) => r.lockedUntil ?? 0));
  if (lockedUntil > now) {
    const retryAfterSeconds = Math.ceil((lockedUntil - now) / 1000);
    throw new DomainError('TOO_MANY_REQUESTS', `Too many sign-in attempts. Try again in ${Math.ceil(retryAfterSeconds / 60)} minutes.`, {
      retryAfterSeconds,
    });
  }
}

function countAttempt(services: Services, key: string, limit: number, throttle: ThrottleOptions, now: number): void {
  const { db } = services;
  const row = db.select().from(signInAttempts).where(eq(signInAttempts.key, key)).get();
  const fresh = !row || now - row.windowStartedAt >= throttle.windowMs;
  const failures = fresh ? 1 : row.failures + 1;
  const values = {
    failures,
    windowStartedAt: fresh ? now : row.windowStartedAt,
    lockedUntil: failures >= limit ? now + throttle.lockMs : null,
  };
  if (row) db.update(signInAttempts).set(values).where(eq(signInAttempts.key, key)).run();
  else db.insert(signInAttempts).values({ key, ...values }).run();
}

function forgiveAttempt(services: Services, keys: Keys): void {
  const { db } = services;
  db.delete(signInAttempts).where(eq(signInAttempts.key, keys.pair)).run();
  for (const key of [keys.email, keys.address]) {
    const row = db.select().from(signInAttempts).where(eq(signInAttempts.key, key)).get();
    if (row && row.lockedUntil === null) {
      db.update(signInAttempts)
        .set({ failures: Math.max(0, row.failures - 1) })
        .where(eq(signInAttempts.key, key))
        .run();
    }
  }
}

/** The account for the email and password; UNAUTHENTICATED or TOO_MANY_REQUESTS otherwise. */
export async function signIn(services: Services, input: SignInInput, throttle: ThrottleOptions = DEFAULT_THROTTLE): Promise<PrincipalRef> {
  const email = normalizeEmail(input.email).slice(0, 254);
  const keys = keysFor(email, input.clientAddress);
  const started = services.clock.now();
  services.db.$client
    .transaction(() => {
      assertNotLocked(services, [keys.pair, keys.email, keys.address], started);
      countAttempt(services, keys.pair, throttle.emailLimit, throttle, started);
      countAttempt(services, keys.email, throttle.emailTotalLimit, throttle, started);
      countAttempt(services, keys.address, throttle.addressLimit, throttle, started);
    })
    .immediate();

  const account = email === '' ? null : findAccount(services, email);
  const hash = account?.usable && account.passwordHash ? account.passwordHash : await dummyHash();
  const matches = await verifyPassword(input.password.slice(0, 1024), hash);
  if (!account?.usable || !account.passwordHash || !matches) {
    throw new DomainError('UNAUTHENTICATED', INVALID_CREDENTIALS);
  }
  services.db.$client.transaction(() => forgiveAttempt(services, keys)).immediate();
  return account.ref;
}
