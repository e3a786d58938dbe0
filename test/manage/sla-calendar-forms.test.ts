/**
 * Calendars with real opening hours, end to end: a holiday with its own hours ("open 09–12 on
 * Christmas Eve"), yearly holidays ("12-25") and night shifts past midnight (["22:00","06:00"]),
 * published through the API, shown on /manage/sla, counted by the timers of new cases, by a
 * re-apply of running ones, and by the due-time calculator — with the same answers, computed
 * here by hand. One harness for the file: each step builds on the versions published before.
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../support/harness.js';
import { signedIn } from '../support/pages.js';
import { manageHarness, textOf, type ManageHarness } from './support.js';

type Json = Record<string, any>;

let h: ManageHarness;
let managerToken: string;
beforeAll(async () => {
  h = manageHarness();
  await h.settled();
  managerToken = h.tokenFor(h.maria);
});
afterAll(() => h.close());

const berlin = (local: string) => DateTime.fromISO(local, { zone: 'Europe/Berlin' }).toUTC().toISO()!;

async function call(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await h.api(method, url, { token, body });
  return { status: res.status, json: (await res.json()) as Json };
}

async function publish(edit: (config: Json) => void): Promise<Json> {
  const config = structuredClone((await call('GET', '/api/v1/sla-config', managerToken)).json.config);
  edit(config);
  const res = await call('PUT', '/api/v1/sla-config', managerToken, { config, note: 'opening hours' });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json;
}

/** A high-priority case created now (the harness clock set to a Berlin local time). */
async function createAt(local: string): Promise<string> {
  h.clock.set(berlin(local));
  const res = await call('POST', '/api/v1/cases', ADMIN_TOKEN, { customer: { email: 'chloe@example.com' }, subject: 'Night desk', description: 'Help', priority: 'high' });
  expect(res.status).toBe(201);
  return res.json.id as string;
}

async function timer(id: string, metric: string): Promise<Json> {
  return ((await call('GET', `/api/v1/cases/${id}`, ADMIN_TOKEN)).json.sla as Json[]).find((t) => t.metric === metric)!;
}

/** A manager signed in now (the clock jumps months ahead, past a session's life). */
const manager = () => signedIn(h, h.maria);

/** The calculator's sentence for a case created at a Berlin local time. */
async function calculator(created: string, priority: string, metric: string): Promise<string> {
  const query = new URLSearchParams({ created, policy: 'standard', priority, metric });
  return textOf(await (await manager().get(`/manage/sla/calculator?${query.toString()}`)).text());
}

describe('holidays with their own hours and yearly holidays', () => {
  let running: string;

  it('re-plans a running case onto a partial-day holiday, and times new cases on it like the calculator', async () => {
    // Version 1 (shipped): Wed 23 Dec 2026 16:00, high firstResponse 2h: 1h Wed; 24–26 Dec
    // closed, Sun 27th → Mon 28 Dec 10:00.
    running = await createAt('2026-12-23T16:00');
    expect((await timer(running, 'firstResponse')).dueAt).toBe(berlin('2026-12-28T10:00'));

    const published = await publish((c) => {
      const office = c.calendars.office;
      office.holidays = office.holidays.map((d: string) => (d === '2026-12-24' ? { date: '2026-12-24', hours: [['09:00', '12:00']] } : d));
      office.holidays.push('12-25', '01-01');
      c.policies.standard.targets.high.firstResponse = '4h';
    });
    expect(published).toMatchObject({ version: 2, warnings: [] });

    // Re-apply: 4h from Wed 23 Dec 16:00 = 1h Wed + 3h on Thu 24th (09:00–12:00) → Thu 12:00.
    const preview = await call('POST', '/api/v1/sla/reapply', managerToken, { dryRun: true });
    const change = (preview.json.changes as Json[]).find((c) => c.caseId === running)!;
    expect(change.timers).toContainEqual(expect.objectContaining({ metric: 'firstResponse', to: expect.objectContaining({ targetMinutes: 240, dueAt: berlin('2026-12-24T12:00') }) }));
    expect((await call('POST', '/api/v1/sla/reapply', managerToken, {})).status).toBe(200);
    expect((await timer(running, 'firstResponse')).dueAt).toBe(berlin('2026-12-24T12:00'));

    // Thu 24 Dec 2026 10:00, 4h: 10:00–12:00 = 2h on the 24th; Fri 25th a holiday, the weekend;
    // Mon 28 Dec 09:00 + 2h → 11:00.
    const id = await createAt('2026-12-24T10:00');
    expect(await timer(id, 'firstResponse')).toMatchObject({ policyVersion: 2, targetMinutes: 240, dueAt: berlin('2026-12-28T11:00') });
    expect(await calculator('2026-12-24T10:00', 'high', 'firstResponse')).toContain('is due (first response, 4h of business time) at Mon 28 Dec 2026, 11:00 Europe/Berlin.');
  });

  it('counts "12-25" every year, as the calculator does', async () => {
    // Fri 22 Dec 2028 16:00, 4h: 1h Fri; the weekend; Mon 25 Dec 2028 a yearly holiday (no dated
    // one for 2028) → Tue 26 Dec 09:00 + 3h → 12:00.
    expect(await calculator('2028-12-22T16:00', 'high', 'firstResponse')).toContain('at Tue 26 Dec 2028, 12:00 Europe/Berlin.');
    // Fri 29 Dec 2028 16:00, 4h: 1h Fri; the weekend; Mon 1 Jan 2029 a yearly holiday ("01-01")
    // → Tue 2 Jan 09:00 + 3h → 12:00.
    expect(await calculator('2028-12-29T16:00', 'high', 'firstResponse')).toContain('at Tue 2 Jan 2029, 12:00 Europe/Berlin.');
  });

  it('shows them on /manage/sla', async () => {
    const text = textOf(await (await manager().get('/manage/sla')).text());
    expect(text).toContain('Holidays 2026-12-24 (open 09:00–12:00), 2026-12-25,');
    expect(text).toContain(', 12-25 every year, 01-01 every year');
  });
});

describe('night shifts past midnight', () => {
  it('refuses a shift of no length with its JSON path', async () => {
    const config = structuredClone((await call('GET', '/api/v1/sla-config', managerToken)).json.config);
    config.calendars.office.weekly.sat = [['22:00', '22:00']];
    config.calendars.office.holidays.push('02-30');
    const res = await call('PUT', '/api/v1/sla-config', managerToken, config);
    expect(res.status).toBe(422);
    expect(res.json.problems).toEqual([
      expect.objectContaining({ path: '$.calendars.office.weekly.sat[0]', message: expect.stringMatching(/^starts and ends at 22:00: an interval needs a length/) }),
      expect.objectContaining({ path: `$.calendars.office.holidays[${config.calendars.office.holidays.length - 1}]`, message: expect.stringMatching(/^"02-30" is not a date/) }),
    ]);
  });

  it('times a case on a night shift like the calculator, across midnight and across the clock change', async () => {
    await publish((c) => {
      c.calendars.night = { timezone: 'Europe/Berlin', weekly: { mon: [['22:00', '06:00']], sat: [['22:00', '06:00']] } };
      c.policies.standard.calendar = 'night';
      c.policies.standard.targets.high.firstResponse = '2h';
    });
    // Mon 4 Jan 2027 23:30, 2h: 30 min to midnight + 1h30 of Tuesday's morning → Tue 01:30.
    const monday = await createAt('2027-01-04T23:30');
    expect(await timer(monday, 'firstResponse')).toMatchObject({ policyVersion: 3, dueAt: berlin('2027-01-05T01:30') });
    expect(await calculator('2027-01-04T23:30', 'high', 'firstResponse')).toContain('is due (first response, 2h of business time) at Tue 5 Jan 2027, 01:30 Europe/Berlin.');

    // Sat 27 Mar 2027 22:00 (CET), resolution 16h. Clocks go forward on Sun 28 Mar 02:00 → 03:00:
    // Sat 22–24 (2h) + Sun 00–06 (5h) = 7h; Mon 29 Mar 22:00–06:00 CEST (8h) = 15h; the last hour
    // in Sat 3 Apr's shift → 23:00 CEST (21:00Z).
    const saturday = await createAt('2027-03-27T22:00');
    expect(await timer(saturday, 'resolution')).toMatchObject({ targetMinutes: 960, dueAt: '2027-04-03T21:00:00.000Z' });
    expect(await calculator('2027-03-27T22:00', 'high', 'resolution')).toContain('at Sat 3 Apr 2027, 23:00 Europe/Berlin.');
    const view = textOf(await (await manager().get('/manage/sla')).text());
    expect(view).toContain('Calendar night Time zone Europe/Berlin Monday 22:00–06:00 (to Tuesday) Tuesday closed');
    expect(view).toContain('Saturday 22:00–06:00 (to Sunday) Sunday closed');
  });
});

describe('ranges of holidays ({ from, to })', () => {
  it('refuses a range that ends before it starts, with its JSON path, and keeps the version in force', async () => {
    const before = (await call('GET', '/api/v1/sla-config', managerToken)).json;
    const config = structuredClone(before.config);
    config.calendars.office.holidays.push({ from: '2027-08-14', to: '2027-08-02' });
    const res = await call('PUT', '/api/v1/sla-config', managerToken, config);
    expect(res.status).toBe(422);
    expect(res.json.problems).toEqual([
      expect.objectContaining({ path: `$.calendars.office.holidays[${config.calendars.office.holidays.length - 1}].to`, message: '"2027-08-02" is before "2027-08-14": a range runs from its first day to its last' }),
    ]);
    expect((await call('GET', '/api/v1/sla-config', managerToken)).json.version).toBe(before.version);
  });

  it('times cases over a closure between the years and over reduced hours like the calculator, and shows the ranges', async () => {
    await publish((c) => {
      c.policies.standard.calendar = 'office';
      c.policies.standard.targets.high.firstResponse = '4h';
      // Closed from Christmas Eve to New Year's Day every year; open 10:00–12:00 on the
      // weekdays of the first two weeks of August 2027, and Wednesday 4 August its usual hours.
      c.calendars.office.holidays = [
        { from: '12-24', to: '01-01' },
        { from: '2027-08-02', to: '2027-08-15', hours: [['10:00', '12:00']] },
        { date: '2027-08-04', hours: [['09:00', '17:00']] },
      ];
    });
    // Thu 23 Dec 2027 15:00, 4h: 2h Thu; closed 24 Dec – 1 Jan, the weekend → Mon 3 Jan 2028 11:00.
    const christmas = await createAt('2027-12-23T15:00');
    expect(await timer(christmas, 'firstResponse')).toMatchObject({ targetMinutes: 240, dueAt: berlin('2028-01-03T11:00') });
    expect(await calculator('2027-12-23T15:00', 'high', 'firstResponse')).toContain('at Mon 3 Jan 2028, 11:00 Europe/Berlin.');
    // Fri 30 Jul 2027 16:00, 4h: 1h Fri; the weekend; Mon 2 Aug 10–12 (2h); Tue 3 Aug 10:00 + 1h → 11:00.
    const summer = await createAt('2027-07-30T16:00');
    expect(await timer(summer, 'firstResponse')).toMatchObject({ dueAt: berlin('2027-08-03T11:00') });
    // Tue 3 Aug 2027 11:00, 4h: 1h Tue; Wed 4 Aug its usual hours, 09:00 + 3h → 12:00.
    expect(await calculator('2027-08-03T11:00', 'high', 'firstResponse')).toContain('at Wed 4 Aug 2027, 12:00 Europe/Berlin.');
    // Fri 13 Aug 2027 11:00, 4h: 1h Fri; Sat 14 and Sun 15 Aug stay closed though in the range; Mon 16 Aug 09:00 + 3h → 12:00.
    expect(await calculator('2027-08-13T11:00', 'high', 'firstResponse')).toContain('at Mon 16 Aug 2027, 12:00 Europe/Berlin.');

    const view = textOf(await (await manager().get('/manage/sla')).text());
    expect(view).toContain('Holidays 12-24 to 01-01 every year, 2027-08-02 to 2027-08-15 (open 10:00–12:00), 2027-08-04 (open 09:00–17:00)');
  });
});
