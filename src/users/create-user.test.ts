import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createCase } from '../cases/create-case.js';
import { customers, passwordTokens, staff, staffQueues } from '../db/schema/index.js';
import { DomainError, ValidationError } from '../errors.js';
import { verifyPassword } from '../auth/password.js';
import { ADMIN, createHarness, standardQueues, type Harness } from '../../test/support/harness.js';
import { loadCase } from '../cases/case-read.js';
import { createUser } from './create-user.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
  standardQueues(h);
});
afterEach(() => h.close());

async function failure(input: unknown): Promise<DomainError> {
  try {
    await createUser(h.services, input, ADMIN);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected createUser to fail');
}

describe('createUser', () => {
  it('creates an agent with queues, skills, capacity and a hashed password', async () => {
    const user = await createUser(h.services, { email: 'New.Agent@Casebook.test', name: 'Nia', role: 'agent', password: 'a long password', queues: ['general', 'billing'], skills: ['refunds'], capacity: 4 }, ADMIN);
    expect(user).toMatchObject({ email: 'new.agent@casebook.test', role: 'agent', queues: ['general', 'billing'], skills: ['refunds'], capacity: 4, chatLimit: 3, available: true, setPassword: null });
    const row = h.db.select().from(staff).where(eq(staff.id, user.ref.id)).get()!;
    expect(row.passwordHash).toMatch(/^scrypt\$/);
    expect(await verifyPassword('a long password', row.passwordHash)).toBe(true);
    expect(h.db.select().from(staffQueues).where(eq(staffQueues.staffId, user.ref.id)).all().map((q) => q.queueId).sort()).toEqual(['billing', 'general']);
  });

  it('without a password: a one-time link (stored hashed) and a staff member who starts away', async () => {
    const user = await createUser(h.services, { email: 'dana@casebook.test', name: 'Dana', role: 'advanced', queues: ['advanced'] }, ADMIN);
    expect(user.available).toBe(false);
    expect(user.setPassword?.url).toMatch(/^http:\/\/127\.0\.0\.1:3000\/set-password\?token=[A-Za-z0-9_-]{43}$/);
    expect(user.setPassword?.expiresAt).toBe(h.clock.now() + 7 * 86_400_000);
    const token = new URL(user.setPassword!.url).searchParams.get('token')!;
    const stored = h.db.select().from(passwordTokens).all();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.tokenHash).not.toBe(token);
    expect(stored[0]).toMatchObject({ principalType: 'staff', principalId: user.ref.id, usedAt: null });
  });

  it('creates customers (no queues, skills or capacity allowed)', async () => {
    const user = await createUser(h.services, { email: 'chloe@example.com', name: 'Chloe', role: 'customer' }, ADMIN);
    expect(user).toMatchObject({ ref: { type: 'customer' }, role: 'customer', capacity: null, available: null });
    expect(h.db.select().from(customers).where(eq(customers.id, user.ref.id)).get()?.name).toBe('Chloe');
    const error = await failure({ email: 'sam@example.com', name: 'Sam', role: 'customer', queues: ['general'], capacity: 3, chatLimit: 1 });
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(['queues', 'capacity', 'chatLimit']);
  });

  it('refuses an email that exists among staff or customers (EMAIL_TAKEN)', async () => {
    await createUser(h.services, { email: 'taken@example.com', name: 'One', role: 'customer' }, ADMIN);
    h.agent({ email: 'agent@casebook.test' });
    expect(await failure({ email: 'TAKEN@example.com', name: 'Two', role: 'agent' })).toMatchObject({ code: 'EMAIL_TAKEN' });
    expect(await failure({ email: 'agent@casebook.test', name: 'Three', role: 'customer' })).toMatchObject({ code: 'EMAIL_TAKEN' });
  });

  it('checks queues exist, and keeps plain agents out of tier-2 queues', async () => {
    const unknown = (await failure({ email: 'x@casebook.test', name: 'X', role: 'agent', queues: ['general', 'nope'] })) as ValidationError;
    expect(unknown.issues).toEqual([{ path: 'queues.1', message: 'no active queue "nope"' }]);
    const tier2 = (await failure({ email: 'y@casebook.test', name: 'Y', role: 'agent', queues: ['advanced'] })) as ValidationError;
    expect(tier2.issues[0]).toMatchObject({ path: 'queues.0' });
    const advanced = await createUser(h.services, { email: 'z@casebook.test', name: 'Z', role: 'advanced', queues: ['advanced', 'technical'], password: 'a long password' }, ADMIN);
    expect(advanced.queues).toEqual(['advanced', 'technical']);
    expect(h.db.select().from(staff).all().map((s) => s.email)).toEqual(['z@casebook.test']);
  });

  it('validates fields with paths', async () => {
    const error = (await failure({ email: 'nope', name: '', role: 'boss', password: 'short', extra: true })) as ValidationError;
    expect(error.issues.map((i) => i.path).sort()).toEqual(['(body)', 'email', 'name', 'password', 'role']);
  });

  it('offers waiting cases to a new available agent at once', async () => {
    const waiting = await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: 'Question', description: 'How do I change my display name?' }, ADMIN);
    expect(waiting.assigneeId).toBeNull();
    const user = await createUser(h.services, { email: 'gil@casebook.test', name: 'Gil', role: 'agent', queues: ['general'], password: 'a long password' }, ADMIN);
    expect((await loadCase(h.services, waiting.id)).assigneeId).toBe(user.ref.id);
  });
});
