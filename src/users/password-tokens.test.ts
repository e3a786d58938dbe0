import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { verifyPassword } from '../auth/password.js';
import { createSession, findSession } from '../auth/sessions.js';
import { customers } from '../db/schema/index.js';
import { DomainError, ValidationError } from '../errors.js';
import { createHarness, type Harness, type TestActor } from '../../test/support/harness.js';
import { createPasswordToken, findPasswordToken, PASSWORD_LINK_TTL_MS, setPasswordWithToken } from './password-tokens.js';

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
    const { token } = createPasswordToken(h.db, { type: 'customer', id: chloe.id }, h.clock.now());
    const other = createSession(h.db, { type: 'customer', id: chloe.id }, h.clock.now());
    expect(findPasswordToken(h.db, token, h.clock.now())).toEqual({ type: 'customer', id: chloe.id });
    expect(await setPasswordWithToken(h.services, token, 'my new password')).toEqual({ type: 'customer', id: chloe.id });
    const hash = h.db.select().from(customers).where(eq(customers.id, chloe.id)).get()!.passwordHash;
    expect(await verifyPassword('my new password', hash)).toBe(true);
    expect(findSession(h.db, other.id, h.clock.now())).toBeNull();
    expect(findPasswordToken(h.db, token, h.clock.now())).toBeNull();
    expect(await failure(token, 'another password')).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('expire', async () => {
    const { token } = createPasswordToken(h.db, { type: 'customer', id: chloe.id }, h.clock.now());
    h.clock.advance(PASSWORD_LINK_TTL_MS);
    expect(findPasswordToken(h.db, token, h.clock.now())).toBeNull();
    expect(await failure(token, 'my new password')).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuse short passwords without using the link, and unknown tokens', async () => {
    const { token } = createPasswordToken(h.db, { type: 'customer', id: chloe.id }, h.clock.now());
    const short = await failure(token, 'short');
    expect(short).toBeInstanceOf(ValidationError);
    expect((short as ValidationError).issues[0]?.path).toBe('password');
    expect(findPasswordToken(h.db, token, h.clock.now())).not.toBeNull();
    expect(await failure('not-a-token', 'my new password')).toMatchObject({ code: 'NOT_FOUND' });
  });
});
