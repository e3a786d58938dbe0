import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { verifyPassword } from '../auth/password.js';
import { createSession, findSession } from '../auth/sessions.js';
import { customers } from '../db/schema/index.js';
import { DomainError, ValidationError } from '../errors.js';
import { createHarness, type Harness, type TestActor } from '../../test/support/harness.js';
import { createPasswordToken, findPasswordToken, issuePasswordLink, PASSWORD_LINK_TTL_MS, setPasswordWithToken } from './password-tokens.js';
import { passwordTokens } from '../db/schema/index.js';

let h: Harness;
let chloe: TestActor;
beforeEach(() => {
  h = createHarness();
  chloe = h.customer({ email: 'chloe@example.com' });
});
afterEach(() => h.close());

async function failure(token: string, password: string): Promise<DomainError> {
  try {
    await setPasswordWithToken(h.services, token, password);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected failure');
}

describe('one-time password links', () => {
  it('set the password once and end the account’s other sessions', async () => {
    const { token } = await h.services.store.write((q) => createPasswordToken(q, { type: 'customer', id: chloe.id }, h.clock.now()));
    const other = await h.services.store.write((q) => createSession(q, { type: 'customer', id: chloe.id }, h.clock.now()));
    expect(await h.services.store.write((q) => findPasswordToken(q, token, h.clock.now()))).toEqual({ type: 'customer', id: chloe.id });
    expect(await setPasswordWithToken(h.services, token, 'my new password')).toEqual({ type: 'customer', id: chloe.id });
    const hash = h.db.select().from(customers).where(eq(customers.id, chloe.id)).get()!.passwordHash;
    expect(await verifyPassword('my new password', hash)).toBe(true);
    expect(await h.services.store.write((q) => findSession(q, other.id, h.clock.now()))).toBeNull();
    expect(await h.services.store.write((q) => findPasswordToken(q, token, h.clock.now()))).toBeNull();
    expect(await failure(token, 'another password')).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('expire', async () => {
    const { token } = await h.services.store.write((q) => createPasswordToken(q, { type: 'customer', id: chloe.id }, h.clock.now()));
    h.clock.advance(PASSWORD_LINK_TTL_MS);
    expect(await h.services.store.write((q) => findPasswordToken(q, token, h.clock.now()))).toBeNull();
    expect(await failure(token, 'my new password')).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuse short passwords without using the link, and unknown tokens', async () => {
    const { token } = await h.services.store.write((q) => createPasswordToken(q, { type: 'customer', id: chloe.id }, h.clock.now()));
    const short = await failure(token, 'short');
    expect(short).toBeInstanceOf(ValidationError);
    expect((short as ValidationError).issues[0]?.path).toBe('password');
    expect(await h.services.store.write((q) => findPasswordToken(q, token, h.clock.now()))).not.toBeNull();
    expect(await failure('not-a-token', 'my new password')).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('are one per account: a new link revokes the older ones, and an old link cannot take the account over', async () => {
    const older = new URL((await issuePasswordLink(h.services, 'chloe@example.com')).url).searchParams.get('token')!;
    h.clock.advance(60_000);
    const newer = new URL((await issuePasswordLink(h.services, 'chloe@example.com')).url).searchParams.get('token')!;
    expect(await h.services.store.write((q) => findPasswordToken(q, older, h.clock.now()))).toBeNull();
    expect(await h.services.store.write((q) => findPasswordToken(q, newer, h.clock.now()))).toEqual({ type: 'customer', id: chloe.id });
    await setPasswordWithToken(h.services, newer, 'the owner password');
    expect(await failure(older, 'attacker password')).toMatchObject({ code: 'NOT_FOUND' });
    const hash = h.db.select().from(customers).where(eq(customers.id, chloe.id)).get()!.passwordHash;
    expect(await verifyPassword('the owner password', hash)).toBe(true);
  });

  it('setting a password with one link revokes every other outstanding link of the account', async () => {
    const { token: first } = await h.services.store.write((q) => createPasswordToken(q, { type: 'customer', id: chloe.id }, h.clock.now()));
    // a second outstanding link written by an older version (before links were one per account)
    const { sha256 } = await import('../auth/tokens.js');
    h.db.insert(passwordTokens).values({ tokenHash: sha256('legacy-link'), principalType: 'customer', principalId: chloe.id, createdAt: h.clock.now(), expiresAt: h.clock.now() + PASSWORD_LINK_TTL_MS }).run();
    expect(await h.services.store.write((q) => findPasswordToken(q, 'legacy-link', h.clock.now()))).not.toBeNull();
    await setPasswordWithToken(h.services, first, 'the owner password');
    expect(await h.services.store.write((q) => findPasswordToken(q, 'legacy-link', h.clock.now()))).toBeNull();
    expect(await failure('legacy-link', 'attacker password')).toMatchObject({ code: 'NOT_FOUND' });
  });
});
