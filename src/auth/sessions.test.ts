import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { sessions, staff } from '../db/schema/index.js';
import { createHarness, type Harness } from '../../test/support/harness.js';
import { sha256 } from './tokens.js';
import { createSession, deleteSession, deleteSessionsOf, findSession, purgeSessions, SESSION_IDLE_MS, SESSION_MAX_AGE_MS } from './sessions.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
  h.queue('general');
});
afterEach(() => h.close());

describe('sessions', () => {
  it('stores only a hash of the id and finds the principal by the cookie value', () => {
    const alice = h.agent({ name: 'Alice', queues: ['general'] });
    const s = createSession(h.db, { type: 'staff', id: alice.id }, h.clock.now(), 'test agent');
    expect(s.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.csrfToken).not.toBe(s.id);
    const rows = h.db.select().from(sessions).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.idHash).toBe(sha256(s.id));
    expect(JSON.stringify(rows)).not.toContain(s.id);
    const found = findSession(h.db, s.id, h.clock.now());
    expect(found?.principal.actor).toMatchObject({ type: 'staff', id: alice.id, role: 'agent', name: 'Alice' });
    expect(found?.principal.queues.has('general')).toBe(true);
    expect(found?.csrfToken).toBe(s.csrfToken);
    expect(findSession(h.db, 'x' + s.id, h.clock.now())).toBeNull();
    expect(findSession(h.db, '', h.clock.now())).toBeNull();
  });

  it('ends after 12 idle hours, and after 7 days however active', () => {
    const chloe = h.customer({ email: 'chloe@example.com' });
    const idle = createSession(h.db, { type: 'customer', id: chloe.id }, h.clock.now());
    const active = createSession(h.db, { type: 'customer', id: chloe.id }, h.clock.now());
    h.clock.advance(SESSION_IDLE_MS - 60_000);
    expect(findSession(h.db, active.id, h.clock.now())).not.toBeNull();
    h.clock.advance(120_000);
    expect(findSession(h.db, idle.id, h.clock.now())).toBeNull();
    for (let t = 0; t < SESSION_MAX_AGE_MS; t += SESSION_IDLE_MS / 2) {
      h.clock.advance(SESSION_IDLE_MS / 2);
      findSession(h.db, active.id, h.clock.now());
    }
    expect(findSession(h.db, active.id, h.clock.now())).toBeNull();
    expect(h.db.select().from(sessions).all()).toEqual([]);
  });

  it('background reads (touch: false) do not keep an idle session alive', () => {
    const chloe = h.customer({ email: 'chloe@example.com' });
    const s = createSession(h.db, { type: 'customer', id: chloe.id }, h.clock.now());
    for (let i = 0; i < 13; i++) {
      h.clock.advance(3_600_000);
      if (i < 11) expect(findSession(h.db, s.id, h.clock.now(), { touch: false })).not.toBeNull();
    }
    expect(findSession(h.db, s.id, h.clock.now(), { touch: false })).toBeNull();
  });

  it('ends when the staff member is deactivated', () => {
    const alice = h.agent({ name: 'Alice' });
    const s = createSession(h.db, { type: 'staff', id: alice.id }, h.clock.now());
    h.db.update(staff).set({ active: false }).where(eq(staff.id, alice.id)).run();
    expect(findSession(h.db, s.id, h.clock.now())).toBeNull();
  });

  it('deletes one session, all of an account, and expired ones', () => {
    const a = h.customer({ email: 'a@example.com' });
    const b = h.customer({ email: 'b@example.com' });
    const a1 = createSession(h.db, { type: 'customer', id: a.id }, h.clock.now());
    createSession(h.db, { type: 'customer', id: a.id }, h.clock.now());
    const b1 = createSession(h.db, { type: 'customer', id: b.id }, h.clock.now());
    deleteSession(h.db, a1.id);
    expect(findSession(h.db, a1.id, h.clock.now())).toBeNull();
    expect(deleteSessionsOf(h.db, { type: 'customer', id: a.id })).toBe(1);
    expect(findSession(h.db, b1.id, h.clock.now())).not.toBeNull();
    h.clock.advance(SESSION_IDLE_MS + 1);
    expect(purgeSessions(h.db, h.clock.now())).toBe(1);
  });
});
