/**
 * Imported history as an attacker with a manager's import would shape it: a case "created" in
 * year 1 is refused (every dashboard counting it held the server for about a minute working out
 * business minutes day by day), and many cases open for decades cost the dashboard one walk of
 * the calendar, not one walk each — with the same business minutes, to the millisecond.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildDashboard } from '../../src/dashboard/dashboard.js';
import { businessMinutesBetween, type BusinessCalendar } from '../../src/sla/calendar.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = createHarness();
  standardQueues(h);
  await h.settled();
});
afterAll(() => h.close());

function importCase(externalId: string, createdAt: string, resolvedAt: string) {
  return h.app.request('/api/v1/cases', {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ externalId, customer: { email: `${externalId.toLowerCase()}@example.com` }, subject: 'Old history', description: 'From the old desk.', createdAt, status: 'resolved', resolvedAt }),
  });
}

describe('imported history far in the past', () => {
  it('refuses a time before 1990-01-01, and takes 1990-01-01 itself', async () => {
    const refused = await importCase('OLD-1', '0001-01-01T00:00:00Z', '2026-02-20T10:00:00Z');
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { errors: unknown[] }).errors).toEqual([expect.objectContaining({ path: 'createdAt', message: 'must not be before 1990-01-01' })]);
    expect((await importCase('OLD-2', '1990-01-01T00:00:00Z', '2026-02-20T10:00:00Z')).status).toBe(201);
  });

  it('walks the calendar once for many cases open for decades, with the same business minutes as case by case', async () => {
    for (let i = 0; i < 12; i++) {
      const created = new Date(Date.UTC(1991 + (i % 5), i % 12, 1 + i, 8 + (i % 9), 7 * i)).toISOString();
      expect((await importCase(`DECADES-${i}`, created, `2026-02-${String(10 + (i % 15)).padStart(2, '0')}T${String(9 + (i % 8)).padStart(2, '0')}:30:00Z`)).status).toBe(201);
    }
    const sla = h.services.definitions.sla().config;
    const calendar: BusinessCalendar = sla.policy(sla.defaultPolicy)!.calendar;
    expect(calendar.alwaysOpen).toBe(false); // business hours: the minutes are worked out day by day
    const days = vi.spyOn(Object.getPrototypeOf(calendar) as BusinessCalendar, 'day');
    const board = await buildDashboard(h.services, { from: Date.parse('2026-02-01T00:00:00Z'), to: Date.parse('2026-03-01T00:00:00Z'), queue: null, zone: 'UTC' });
    const walked = days.mock.calls.length;
    days.mockRestore();
    expect(board.processing.count).toBe(13);
    // One walk from the oldest creation (1990) to the last resolution: about 13,200 days, not 13 of them.
    expect(walked).toBeLessThan(2 * 13_200);
    // The same minutes as worked out case by case (two of them: each walk takes a while).
    for (const row of [board.processing.rows[0]!, board.processing.rows.at(-1)!]) expect(row.businessMinutes).toBe(businessMinutesBetween(calendar, row.start, row.end));
    expect(board.processing.rows.every((r) => r.businessMinutes > 0 && r.businessMinutes < r.calendarMinutes)).toBe(true);
  });
});
