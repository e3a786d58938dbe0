/**
 * The current password asked for on /profile before a new one is set: whoever holds a session
 * (a computer left signed in, a stolen cookie) cannot guess the password behind it without a
 * limit, as nobody can at sign-in (src/auth/sign-in.ts `verifyCurrentPassword`).
 */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/password.js';
import { eraseCustomer } from '../../src/privacy/erase-customer.js';
import { ADMIN, createHarness, type Harness, type TestActor } from '../support/harness.js';
import { setPassword, signedIn, type PageClient } from '../support/pages.js';

const PASSWORD = 'correct horse battery';
const NEW = 'a new long password';
let h: Harness;
let alice: TestActor;
let bob: TestActor;
let chloe: TestActor;
let desk: PageClient;

beforeEach(async () => {
  h = createHarness();
  alice = h.agent({ name: 'Alice', email: 'alice@casebook.test' });
  bob = h.agent({ name: 'Bob', email: 'bob@casebook.test' });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  await setPassword(h, alice, PASSWORD);
  await setPassword(h, bob, 'bobs own long password');
  await setPassword(h, chloe, PASSWORD);
  desk = signedIn(h, alice);
});
afterEach(() => h.close());

const attempt = (client: PageClient, current: string, next = NEW, htmx = false) => client.post('/profile/password', { current, next }, { htmx });
const hashOf = async (id: number) => (await h.query((q) => q.db.select({ hash: q.tables.staff.passwordHash }).from(q.tables.staff).where(eq(q.tables.staff.id, id))))[0]!.hash!;
const attemptRows = () => h.query((q) => q.db.select().from(q.tables.signInAttempts));

describe('changing the password on /profile', () => {
  it('5 wrong current passwords in 15 minutes lock the change for 15 minutes, the right password included', async () => {
    for (let i = 0; i < 5; i++) expect((await attempt(desk, `guess ${i}`)).status).toBe(422);
    const locked = await attempt(desk, PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.headers.get('Retry-After')).toBe(String(15 * 60));
    expect(await locked.text()).toContain('Too many wrong current passwords. Try again in 15 minutes.');
    const htmx = await attempt(desk, PASSWORD, NEW, true);
    expect(htmx.status).toBe(429);
    expect(htmx.headers.get('HX-Retarget')).toBe('#flash');
    // Nothing changed, and the session is still there.
    expect(await verifyPassword(PASSWORD, await hashOf(alice.id))).toBe(true);
    expect((await desk.get('/profile')).status).toBe(200);
    // Another account is not locked by it.
    expect((await attempt(signedIn(h, bob), 'bobs own long password')).status).toBe(303);
    h.clock.advanceMinutes(14);
    expect((await attempt(desk, PASSWORD)).status).toBe(429);
    h.clock.advanceMinutes(1);
    expect((await attempt(desk, PASSWORD)).status).toBe(303);
    expect(await verifyPassword(NEW, await hashOf(alice.id))).toBe(true);
  });

  it('the right current password clears the count; wrong ones further apart than the window do not add up', async () => {
    for (let i = 0; i < 4; i++) expect((await attempt(desk, `guess ${i}`)).status).toBe(422);
    // The right one with a new password too short: nothing changes, but the count starts over.
    expect((await attempt(desk, PASSWORD, 'short')).status).toBe(422);
    for (let i = 0; i < 4; i++) expect((await attempt(desk, `guess ${i}`)).status).toBe(422);
    h.clock.advanceMinutes(15);
    for (let i = 0; i < 4; i++) expect((await attempt(desk, `guess ${i}`)).status).toBe(422);
    expect((await attempt(desk, PASSWORD)).status).toBe(303);
    expect(await attemptRows()).toEqual([]);
  });

  it('a customer is limited the same way, and erasing the customer erases the count', async () => {
    const portal = signedIn(h, chloe);
    for (let i = 0; i < 5; i++) expect((await attempt(portal, `guess ${i}`)).status).toBe(422);
    expect((await attempt(portal, PASSWORD)).status).toBe(429);
    expect((await attemptRows()).map((r) => r.key)).toEqual([`current:customer:${chloe.id}`]);
    await eraseCustomer(h.services, chloe.id, ADMIN);
    expect(await attemptRows()).toEqual([]);
  });
});
