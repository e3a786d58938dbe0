import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createCase } from '../cases/create-case.js';
import { staff } from '../db/schema/index.js';
import { ADMIN, createHarness, standardQueues, type Harness } from '../../test/support/harness.js';
import { loadCase, timeline } from '../cases/case-read.js';
import { setAvailability } from './set-availability.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
  standardQueues(h);
});
afterEach(() => h.close());

const question = (subject: string) => ({ customer: { email: 'chloe@example.com' }, subject, description: 'How do I change my display name?' });

describe('setAvailability', () => {
  it('going away records nothing on cases and stops new assignments', async () => {
    const alice = h.agent({ name: 'Alice', queues: ['general'] });
    expect(await setAvailability(h.services, alice.id, false, alice)).toEqual({ available: false, assigned: 0 });
    expect(h.db.select().from(staff).where(eq(staff.id, alice.id)).get()?.available).toBe(false);
    const c = await createCase(h.services, question('One'), ADMIN);
    expect(c.assigneeId).toBeNull();
    expect((await timeline(h.services, c.id)).map((e) => e.type)).not.toContain('case.assigned');
  });

  it('becoming available assigns the oldest waiting cases first, up to capacity', async () => {
    const alice = h.agent({ name: 'Alice', queues: ['general'], capacity: 2, available: false });
    const first = await createCase(h.services, question('First'), ADMIN);
    h.clock.advanceMinutes(1);
    const second = await createCase(h.services, question('Second'), ADMIN);
    h.clock.advanceMinutes(1);
    const third = await createCase(h.services, question('Third'), ADMIN);
    expect(await setAvailability(h.services, alice.id, true, alice)).toEqual({ available: true, assigned: 2 });
    expect((await loadCase(h.services, first.id)).assigneeId).toBe(alice.id);
    expect((await loadCase(h.services, second.id)).assigneeId).toBe(alice.id);
    expect((await loadCase(h.services, third.id)).assigneeId).toBeNull();
  });

  it('is a no-op when nothing changes, and refuses unknown staff', async () => {
    const alice = h.agent({ name: 'Alice' });
    expect(await setAvailability(h.services, alice.id, true, alice)).toEqual({ available: true, assigned: 0 });
    await expect(setAvailability(h.services, 999, true, alice)).rejects.toThrow(expect.objectContaining({ code: 'STAFF_NOT_FOUND' }));
  });
});
