/**
 * The worked examples of PRODUCT.md, end to end through the API: office calendar
 * (Europe/Berlin, Mon–Fri 09:00–17:00, Friday lunch 13:00–14:00, holidays), policy "standard".
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { berlin, createDesk, type Desk } from './helpers.js';

let d: Desk;
beforeEach(() => {
  d = createDesk();
});
afterEach(() => d.h.close());

async function firstResponseDue(createdLocal: string): Promise<string> {
  d.h.clock.set(berlin(createdLocal));
  const id = await d.create({ priority: 'high' }); // standard/high: firstResponse 2h
  const { firstResponse } = await d.timers(id);
  expect(firstResponse).toMatchObject({ state: 'running', policy: 'standard', targetMinutes: 120 });
  return firstResponse!.dueAt as string;
}

describe('worked examples', () => {
  it('created Friday 17:30 with a 2h target is due Monday 11:00 (nothing counts outside hours)', async () => {
    expect(await firstResponseDue('2026-03-06T17:30')).toBe(berlin('2026-03-09T11:00'));
  });

  it('created Friday 16:30 with 2h: 30 min Friday + 1h30 Monday → Monday 10:30', async () => {
    expect(await firstResponseDue('2026-03-06T16:30')).toBe(berlin('2026-03-09T10:30'));
  });

  it('a holiday counts as a day with no hours', async () => {
    // Wed 23 Dec 16:00: 1h left that day; 24 and 25 Dec are holidays, then the weekend.
    expect(await firstResponseDue('2026-12-23T16:00')).toBe(berlin('2026-12-28T10:00'));
  });

  it('computes in the calendar zone across a daylight-saving change', async () => {
    // Fri 27 Mar 16:00 CET: 1h that day; clocks go forward on Sunday 29 Mar; due Mon 10:00 CEST.
    const due = await firstResponseDue('2026-03-27T16:00');
    expect(due).toBe(berlin('2026-03-30T10:00'));
    expect(due).toBe('2026-03-30T08:00:00.000Z'); // a fixed +01:00 offset would say 09:00Z
  });

  it('pause: 8h resolution, created Mon 10:00, pending from 12:00, customer replies Tue 14:00 → due Wed 12:00', async () => {
    d.h.clock.set(berlin('2026-03-02T10:00'));
    const id = await d.create({ priority: 'urgent' }); // standard/urgent: resolution 8h
    expect((await d.timers(id)).resolution).toMatchObject({ state: 'running', dueAt: berlin('2026-03-03T10:00') });

    d.h.clock.set(berlin('2026-03-02T12:00'));
    expect((await d.transition(id, 'waitOnCustomer')).json.status).toBe('pending');
    const paused = (await d.timers(id)).resolution!;
    expect(paused).toMatchObject({ state: 'paused', pauseReason: 'Pending customer', usedMinutes: 120, dueAt: null, businessMinutesLeft: 360 });

    d.h.clock.set(berlin('2026-03-03T14:00'));
    const after = await d.customerReply(id);
    expect(after.status).toBe('open');
    expect((await d.timers(id)).resolution).toMatchObject({ state: 'running', usedMinutes: 120, dueAt: berlin('2026-03-04T12:00') });

    const types = (await d.events(id)).filter((e) => e.data.metric === 'resolution').map((e) => [e.type, e.data.reason ?? null]);
    expect(types).toEqual([
      ['sla.started', null],
      ['sla.paused', 'Pending customer'],
      ['sla.resumed', null],
    ]);
  });
});
