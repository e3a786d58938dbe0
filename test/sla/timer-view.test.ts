/** The `sla` array of GET /api/v1/cases/:id: due and warning times, and the level to colour by. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { createDesk, type Desk } from './helpers.js';

let d: Desk;
beforeEach(() => {
  d = createDesk();
});
afterEach(() => d.h.close());

describe('timer view', () => {
  it('moves from ok to warning to breached, and shows paused clocks with their reason', async () => {
    const id = await d.create();
    // Monday 10:00 Berlin, standard policy, normal priority: firstResponse 8 business hours
    // (due Tuesday 10:00), warned at 80% = 6h24m (Monday 16:24).
    let first = (await d.timers(id)).firstResponse!;
    expect(first).toMatchObject({ level: 'ok', state: 'running', warnAt: '2026-03-02T15:24:00.000Z', dueAt: '2026-03-03T09:00:00.000Z' });

    d.h.clock.advanceMinutes(6 * 60 + 25);
    first = (await d.timers(id)).firstResponse!;
    expect(first.level).toBe('warning');

    d.h.clock.set('2026-03-03T09:01:00Z');
    await runSlaSweep(d.h.services);
    first = (await d.timers(id)).firstResponse!;
    expect(first).toMatchObject({ level: 'breached', state: 'breached' });

    // The breach escalated the case to advanced support: Dana answers and waits on the customer.
    const dana = d.h.tokenFor(d.dana);
    expect((await d.call('POST', `/api/v1/cases/${id}/messages`, dana, { body: 'On it.', public: true })).status).toBe(201);
    expect((await d.transition(id, 'waitOnCustomer', {}, dana)).status).toBe(200);
    const resolution = (await d.timers(id)).resolution!;
    expect(resolution).toMatchObject({ level: 'paused', pauseReason: 'Pending customer', warnAt: null });
    expect((await d.timers(id)).firstResponse).toMatchObject({ level: 'fulfilled', state: 'fulfilled' });
  });
});
