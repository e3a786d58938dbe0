import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { sessions, staff } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { createHarness, type Harness } from '../../test/support/harness.js';
import { sha256 } from './tokens.js';
import { createSession, deleteSession, endSessionsOf, findSession, purgeSessions, SESSION_IDLE_MS, SESSION_MAX_AGE_MS } from './sessions.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
  h.queue('general');
});
afterEach(() => h.close());
const on = <T>(fn: (q: Handle) => Promise<T>) => h.services.store.write(fn);

describe('sessions', () => {
  it('stores only a hash of the id and finds the principal by the cookie value', async () => {
    const alice = h.agent({ name: 'Alice', queues: ['general'] });
    const s = await on((q) => createSession(q, { type: 'staff', id: alice.id }, h.clock.now(), 'test agent'));
    expect(s.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.csrfToken).not.toBe(s.id);
    const rows = h.db.select().from(sessions).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.idHash).toBe(sha256(s.id));
    expect(JSON.stringify(rows)).not.toContain(s.id);
    const found = await on((q) => findSession(q, s.id, h.clock.now()));
    expect(found?.principal.actor).toMatchObject({ type: 'staff', id: alice.id, role: 'agent', name: 'Alice' });
    expect(found?.principal.queues.has('general')).toBe(true);
    expect(found?.csrfToken).toBe(s.csrfToken);
    expect(await on((q) => findSession(q, 'x' + s.id, h.clock.now()))).toBeNull();
    expect(await on((q) => findSession(q, '', h.clock.now()))).toBeNull();
  });

  it('ends after 12 idle hours, and after 7 days however active', async () => {
    const chloe = h.customer({ email: 'chloe@example.com' });
    const idle = await on((q) => createSession(q, { type: 'customer', id: chloe.id }, h.clock.now()));
    const active = await on((q) => createSession(q, { type: 'customer', id: chloe.id }, h.clock.now()));
    h.clock.advance(SESSION_IDLE_MS - 60_000);
    expect(await on((q) => findSession(q, active.id, h.clock.now()))).not.toBeNull();
    h.clock.advance(120_000);
    expect(await on((q) => findSession(q, idle.id, h.clock.now()))).toBeNull();
    for (let t = 0; t < SESSION_MAX_AGE_MS; t += SESSION_IDLE_MS / 2) {
      h.clock.advance(SESSION_IDLE_MS / 2);
      await on((q) => findSession(q, active.id, h.clock.now()));
    }
    expect(await on((q) => findSession(q, active.id, h.clock.now()))).toBeNull();
    expect(h.db.select().from(sessions).all()).toEqual([]);
  });

  it('background reads (touch: false) do not keep an idle session alive', async () => {
    const chloe = h.customer({ email: 'chloe@example.com' });
    const s = await on((q) => createSession(q, { type: 'customer', id: chloe.id }, h.clock.now()));
    for (let i = 0; i < 13; i++) {
      h.clock.advance(3_600_000);
      if (i < 11) expect(await on((q) => findSession(q, s.id, h.clock.now(), { touch: false }))).not.toBeNull();
    }
    expect(await on((q) => findSession(q, s.id, h.clock.now(), { touch: false }))).toBeNull();
  });

  it('ends when the staff member is deactivated', async () => {
    const alice = h.agent({ name: 'Alice' });
    const s = await on((q) => createSession(q, { type: 'staff', id: alice.id }, h.clock.now()));
    h.db.update(staff).set({ active: false }).where(eq(staff.id, alice.id)).run();
    expect(await on((q) => findSession(q, s.id, h.clock.now()))).toBeNull();
  });

  it('deletes one session, all of an account, and expired ones', async () => {
    const a = h.customer({ email: 'a@example.com' });
    const b = h.customer({ email: 'b@example.com' });
    const a1 = await on((q) => createSession(q, { type: 'customer', id: a.id }, h.clock.now()));
    await on((q) => createSession(q, { type: 'customer', id: a.id }, h.clock.now()));
    const b1 = await on((q) => createSession(q, { type: 'customer', id: b.id }, h.clock.now()));
    await on((q) => deleteSession(q, a1.id));
    expect(await on((q) => findSession(q, a1.id, h.clock.now()))).toBeNull();
    expect(await on((q) => endSessionsOf(q, { type: 'customer', id: a.id }))).toBe(1);
    expect(await on((q) => findSession(q, b1.id, h.clock.now()))).not.toBeNull();
    h.clock.advance(SESSION_IDLE_MS + 1);
    expect(await on((q) => purgeSessions(q, h.clock.now()))).toBe(1);
  });
});
