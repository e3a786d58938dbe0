/**
 * Sessions and secrets from an attacker's side: a planted session id is never adopted,
 * sign-in is throttled, passwords are stored with a slow KDF, and no secret (session id, API
 * token, set-password link) is stored in a form that could be replayed from the database.
 */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApiToken } from '../../src/auth/api-tokens.js';
import { passwordCost, verifyPassword } from '../../src/auth/password.js';
import { sha256 } from '../../src/auth/tokens.js';
import { createPasswordToken } from '../../src/users/password-tokens.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { visitor } from '../support/pages.js';
import { setPassword } from './sign-in.js';

const PASSWORD = 'a good long password';
let h: Harness;
let alice: TestActor;

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', email: 'alice@casebook.test', queues: ['general'] });
  await setPassword(h, alice, PASSWORD);
});
afterEach(() => h.close());

describe('sessions and secrets', () => {
  it('never adopts a session id planted before sign-in (fixation)', async () => {
    const planted = 'A'.repeat(43);
    const v = visitor(h);
    await v.start();
    v.cookies.set('casebook_session', planted);
    const res = await v.post('/login', { email: 'alice@casebook.test', password: PASSWORD });
    expect(res.status).toBe(303);
    expect(v.cookies.get('casebook_session')).not.toBe(planted);
    const attacker = await h.app.request('http://localhost/inbox', { headers: { Cookie: `casebook_session=${planted}` } });
    expect(attacker.status).toBe(303);
    expect(attacker.headers.get('Location')).toMatch(/^\/login/);
  });

  it('throttles guessing: after repeated failures even the right password is refused for a while', async () => {
    const v = visitor(h);
    await v.start();
    let last = 0;
    for (let i = 0; i < 6; i++) last = (await v.post('/login', { email: 'alice@casebook.test', password: `wrong guess ${i}` })).status;
    expect(last).toBe(429);
    expect((await v.post('/login', { email: 'alice@casebook.test', password: PASSWORD })).status).toBe(429);
    h.clock.advanceMinutes(16);
    expect((await v.post('/login', { email: 'alice@casebook.test', password: PASSWORD })).status).toBe(303);
  });

  it('stores passwords with scrypt (N ≥ 2^15), never in the clear', async () => {
    // The suite hashes at a lower cost (vitest.config.ts); a password set without that setting
    // is hashed as production hashes it.
    vi.stubEnv('CASEBOOK_TEST_PASSWORD_COST', undefined);
    try {
      await setPassword(h, alice, PASSWORD);
    } finally {
      vi.unstubAllEnvs();
    }
    const [row] = await h.query((q) => q.db.select({ hash: q.tables.staff.passwordHash }).from(q.tables.staff).where(eq(q.tables.staff.id, alice.id)));
    const stored = row!.hash!;
    const [scheme, n] = stored.split('$');
    expect(scheme).toBe('scrypt');
    expect(Number(n)).toBeGreaterThanOrEqual(2 ** 15);
    expect(stored).not.toContain(PASSWORD);
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
    expect(await verifyPassword('not the password', stored)).toBe(false);
  });

  it("lowers scrypt's cost only for the test suite: the setting is ignored unless NODE_ENV is test, and never goes below 2^10", () => {
    expect(passwordCost({})).toBe(2 ** 15);
    expect(passwordCost({ CASEBOOK_TEST_PASSWORD_COST: '10' })).toBe(2 ** 15);
    expect(passwordCost({ NODE_ENV: 'production', CASEBOOK_TEST_PASSWORD_COST: '10' })).toBe(2 ** 15);
    expect(passwordCost({ NODE_ENV: 'development', CASEBOOK_TEST_PASSWORD_COST: '10' })).toBe(2 ** 15);
    expect(passwordCost({ NODE_ENV: 'test', CASEBOOK_TEST_PASSWORD_COST: '10' })).toBe(2 ** 10);
    expect(passwordCost({ NODE_ENV: 'test', CASEBOOK_TEST_PASSWORD_COST: '4' })).toBe(2 ** 10);
    expect(passwordCost({ NODE_ENV: 'test', CASEBOOK_TEST_PASSWORD_COST: '20' })).toBe(2 ** 15);
    expect(passwordCost({ NODE_ENV: 'test', CASEBOOK_TEST_PASSWORD_COST: 'cheap' })).toBe(2 ** 15);
  });

  it('keeps only hashes of session ids, API tokens and set-password links', async () => {
    const v = visitor(h);
    await v.start();
    await v.post('/login', { email: 'alice@casebook.test', password: PASSWORD });
    const sessionId = v.cookies.get('casebook_session')!;
    const apiToken = (await h.services.store.write((q) => createApiToken(q, { type: 'staff', id: alice.id }, 'ci', h.clock.now()))).token;
    const link = (await h.services.store.write((q) => createPasswordToken(q, { type: 'staff', id: alice.id }, h.clock.now()))).token;

    const dump = JSON.stringify([
      await h.all('SELECT * FROM sessions'),
      await h.all('SELECT * FROM api_tokens'),
      await h.all('SELECT * FROM password_tokens'),
    ]);
    for (const secret of [sessionId, apiToken, link]) {
      expect(dump).not.toContain(secret);
      expect(dump).toContain(sha256(secret));
    }
  });
});
