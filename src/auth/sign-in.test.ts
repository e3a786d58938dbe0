import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { signInAttempts, staff } from '../db/schema/index.js';
import { DomainError } from '../errors.js';
import { createHarness, type Harness, type TestActor } from '../../test/support/harness.js';
import { setPassword } from '../../test/support/pages.js';
import { INVALID_CREDENTIALS, signIn, type ThrottleOptions } from './sign-in.js';

const THROTTLE: ThrottleOptions = { windowMs: 15 * 60_000, emailLimit: 3, addressLimit: 5, emailTotalLimit: 8, lockMs: 15 * 60_000 };
const PASSWORD = 'correct horse battery';

let h: Harness;
let alice: TestActor;
let chloe: TestActor;

beforeEach(async () => {
  h = createHarness();
  alice = h.agent({ name: 'Alice', email: 'alice@casebook.test' });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  await setPassword(h, alice, PASSWORD);
  await setPassword(h, chloe, PASSWORD);
});
afterEach(() => h.close());

async function attempt(email: string, password: string, clientAddress = '10.0.0.1') {
  try {
    return await signIn(h.services, { email, password, clientAddress }, THROTTLE);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}

describe('signIn', () => {
  it('signs in staff and customers by email (any case) and password', async () => {
    expect(await attempt('Alice@Casebook.test ', PASSWORD)).toEqual({ type: 'staff', id: alice.id });
    expect(await attempt('chloe@example.com', PASSWORD)).toEqual({ type: 'customer', id: chloe.id });
  });

  it('gives the same answer for a wrong password, an unknown email, no password and a deactivated account', async () => {
    const noPassword = h.customer({ email: 'sam@example.org' });
    h.db.update(staff).set({ active: false }).where(eq(staff.id, h.agent({ email: 'gone@casebook.test' }).id)).run();
    for (const [email, password] of [
      ['alice@casebook.test', 'wrong password!'],
      ['nobody@example.com', PASSWORD],
      ['sam@example.org', PASSWORD],
      ['gone@casebook.test', PASSWORD],
    ] as const) {
      const result = await attempt(email, password, `10.0.0.${email.length}`);
      expect(result).toBeInstanceOf(DomainError);
      expect(result).toMatchObject({ code: 'UNAUTHENTICATED', message: INVALID_CREDENTIALS });
    }
    expect(noPassword.id).toBeGreaterThan(0);
  });

  it('locks an account for the guessing address after the limit, even for the right password, until the lock ends', async () => {
    for (let i = 0; i < 3; i++) expect(await attempt('alice@casebook.test', 'nope nope nope', '10.1.0.1')).toMatchObject({ code: 'UNAUTHENTICATED' });
    const locked = await attempt('alice@casebook.test', PASSWORD, '10.1.0.1');
    expect(locked).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect((locked as DomainError).details.retryAfterSeconds).toBe(900);
    h.clock.advanceMinutes(15);
    expect(await attempt('alice@casebook.test', PASSWORD, '10.1.0.1')).toEqual({ type: 'staff', id: alice.id });
  });

  it('one attacker cannot lock anybody else out: the owner signs in from their own address meanwhile', async () => {
    for (let i = 0; i < 10; i++) await attempt(i % 2 ? 'alice@casebook.test' : `user${i}@example.com`, 'guess guess guess', '203.0.113.66');
    expect(await attempt('alice@casebook.test', PASSWORD, '203.0.113.66')).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(await attempt('alice@casebook.test', PASSWORD, '198.51.100.7')).toEqual({ type: 'staff', id: alice.id });
    expect(await attempt('chloe@example.com', PASSWORD, '198.51.100.8')).toEqual({ type: 'customer', id: chloe.id });
  });

  it('locks an account everywhere when guesses come from many addresses (above what one address may try)', async () => {
    for (let i = 0; i < 8; i++) expect(await attempt('alice@casebook.test', 'nope nope nope', `10.3.0.${i}`)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await attempt('alice@casebook.test', PASSWORD, '10.3.1.1')).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(await attempt('chloe@example.com', PASSWORD, '10.3.0.1')).toEqual({ type: 'customer', id: chloe.id });
  });

  it('locks unknown emails the same way (no account enumeration)', async () => {
    for (let i = 0; i < 3; i++) await attempt('ghost@example.com', 'whatever it is', '10.2.0.1');
    expect(await attempt('ghost@example.com', 'whatever it is', '10.2.0.1')).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    for (let i = 0; i < 8; i++) await attempt('ghost2@example.com', 'whatever it is', `10.2.1.${i}`);
    expect(await attempt('ghost2@example.com', 'whatever it is', '10.2.2.1')).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
  });

  it('locks a client address that tries many emails', async () => {
    for (let i = 0; i < 5; i++) await attempt(`user${i}@example.com`, 'guess guess guess', '192.0.2.7');
    expect(await attempt('alice@casebook.test', PASSWORD, '192.0.2.7')).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(await attempt('alice@casebook.test', PASSWORD, '192.0.2.8')).toEqual({ type: 'staff', id: alice.id });
  });

  it('clears the pair counter on success, takes the attempt back from the others, and starts a new window after the old one', async () => {
    const row = (key: string) => h.db.select().from(signInAttempts).where(eq(signInAttempts.key, key)).get();
    await attempt('chloe@example.com', 'wrong wrong wrong');
    await attempt('chloe@example.com', 'wrong wrong wrong');
    expect(await attempt('chloe@example.com', PASSWORD)).toEqual({ type: 'customer', id: chloe.id });
    expect(row('pair:10.0.0.1 chloe@example.com')).toBeUndefined();
    expect(row('email:chloe@example.com')).toMatchObject({ failures: 2 });
    expect(row('addr:10.0.0.1')).toMatchObject({ failures: 2 });
    await attempt('chloe@example.com', 'wrong wrong wrong');
    await attempt('chloe@example.com', 'wrong wrong wrong');
    h.clock.advanceMinutes(16);
    await attempt('chloe@example.com', 'wrong wrong wrong');
    expect(row('pair:10.0.0.1 chloe@example.com')).toMatchObject({ failures: 1, lockedUntil: null });
    expect(row('email:chloe@example.com')).toMatchObject({ failures: 1, lockedUntil: null });
  });
});
