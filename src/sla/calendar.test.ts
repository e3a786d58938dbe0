import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DateTime, Settings } from 'luxon';
import {
  addBusinessMinutes,
  BusinessCalendarError,
  businessMinutesBetween,
  calendarDefinitionProblems,
  calendarKey,
  compileCalendar,
  isWithinBusinessHours,
  nextBusinessOpening,
  WEEKDAYS,
  type BusinessCalendar,
  type CalendarDefinition,
  type Holiday,
  type HolidayRange,
  type LocalInterval,
  type Weekday,
  type WeeklyHours,
} from './calendar.js';

const BERLIN = 'Europe/Berlin';
const NEW_YORK = 'America/New_York';
const HOUR = 3_600_000;

/** A local wall time in a zone (never an ambiguous one here) → epoch ms. */
function at(local: string, zone = BERLIN): number {
  const dt = DateTime.fromISO(local, { zone });
  if (!dt.isValid) throw new Error(`bad test instant ${local}`);
  return dt.toMillis();
}

/** Epoch ms → local ISO time with its offset, so expectations show the offset too. */
function show(ms: number, zone = BERLIN): string {
  return DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true })!;
}

function sameHours(
  days: readonly Weekday[],
  ...intervals: LocalInterval[]
): Partial<Record<Weekday, LocalInterval[]>> {
  return Object.fromEntries(days.map((day) => [day, intervals]));
}

const MON_FRI: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];

/** The calendar of PRODUCT.md's worked examples: Mon–Fri 09:00–17:00. */
const nineToFive = (holidays: string[] = [], timezone = BERLIN) =>
  compileCalendar({ timezone, weekly: sameHours(MON_FRI, ['09:00', '17:00']), holidays });

/** The `office` calendar of rules/sla.json: a lunch break on Fridays. */
const office = compileCalendar({
  timezone: BERLIN,
  weekly: {
    ...sameHours(['mon', 'tue', 'wed', 'thu'], ['09:00', '17:00']),
    fri: [['09:00', '13:00'], ['14:00', '17:00']],
  },
  holidays: ['2026-12-24', '2026-12-25', '2026-12-26', '2026-12-31', '2027-01-01'],
});

describe('worked examples of PRODUCT.md (Mon–Fri 09:00–17:00)', () => {
  const cal = nineToFive();

  it.each([
    ['created Friday 17:30, 2h → Monday 11:00', '2026-06-12T17:30', 120, '2026-06-15T11:00:00+02:00'],
    ['created Friday 16:30, 2h → 30m Friday + 1h30 Monday', '2026-06-12T16:30', 120, '2026-06-15T10:30:00+02:00'],
    ['created Saturday, 2h → Monday 11:00', '2026-06-13T10:00', 120, '2026-06-15T11:00:00+02:00'],
    ['40h from Monday 09:00 → Friday 17:00', '2026-06-15T09:00', 2400, '2026-06-19T17:00:00+02:00'],
  ])('%s', (_, start, minutes, due) => {
    expect(show(addBusinessMinutes(cal, at(start), minutes))).toBe(due);
  });

  it('a holiday counts as a day with no hours', () => {
    const withHoliday = nineToFive(['2026-06-15']);
    expect(show(addBusinessMinutes(withHoliday, at('2026-06-12T16:30'), 120))).toBe(
      '2026-06-16T10:30:00+02:00',
    );
    expect(businessMinutesBetween(withHoliday, at('2026-06-15T00:00'), at('2026-06-16T00:00'))).toBe(0);
    expect(isWithinBusinessHours(withHoliday, at('2026-06-15T10:00'))).toBe(false);
    const opening = nextBusinessOpening(withHoliday, at('2026-06-15T10:00'));
    expect(show(opening)).toBe('2026-06-16T09:00:00+02:00');
  });

  it('pause: 8h target, Mon 10:00 → paused Mon 12:00 (2h used) → resumed Tue 14:00 → due Wed 12:00', () => {
    const used = businessMinutesBetween(cal, at('2026-06-15T10:00'), at('2026-06-15T12:00'));
    expect(used).toBe(120);
    expect(show(addBusinessMinutes(cal, at('2026-06-16T14:00'), 480 - used))).toBe(
      '2026-06-17T12:00:00+02:00',
    );
  });
});

describe('edges, on the office calendar (Friday 09–13 + 14–17, holidays)', () => {
  it.each([
    ['starting in the lunch gap', '2026-06-12T13:30', 60, '2026-06-12T15:00:00+02:00'],
    ['ending exactly at 13:00 stays at 13:00', '2026-06-12T12:00', 60, '2026-06-12T13:00:00+02:00'],
    ['spanning the lunch gap', '2026-06-12T12:30', 60, '2026-06-12T14:30:00+02:00'],
    ['starting inside closed hours (evening)', '2026-06-09T20:00', 30, '2026-06-10T09:30:00+02:00'],
    ['starting on a weekend', '2026-06-13T10:00', 30, '2026-06-15T09:30:00+02:00'],
    ['starting on a holiday (Dec 24–27 closed)', '2026-12-24T10:00', 60, '2026-12-28T10:00:00+01:00'],
    ['starting exactly at opening', '2026-06-15T09:00', 60, '2026-06-15T10:00:00+02:00'],
    ['starting exactly at closing', '2026-06-15T17:00', 60, '2026-06-16T10:00:00+02:00'],
    ['due exactly at closing stays at 17:00', '2026-06-15T16:00', 60, '2026-06-15T17:00:00+02:00'],
    ['adding 0 in closed hours returns the instant itself', '2026-06-13T10:00', 0, '2026-06-13T10:00:00+02:00'],
    ['adding 0 at closing returns closing', '2026-06-15T17:00', 0, '2026-06-15T17:00:00+02:00'],
    ['fractional minutes from a fractional clock', '2026-06-15T10:00:30', 1.25, '2026-06-15T10:01:45+02:00'],
    ['a fraction of a minute across the weekend', '2026-06-12T16:59:30', 1, '2026-06-15T09:00:30+02:00'],
    ['less than half a millisecond counts as zero', '2026-06-13T10:00', 1e-6, '2026-06-13T10:00:00+02:00'],
  ])('add: %s', (_, start, minutes, expected) => {
    expect(show(addBusinessMinutes(office, at(start), minutes))).toBe(expected);
  });

  it.each([
    ['Friday 12:59:59.999', '2026-06-12T12:59:59.999', true],
    ['Friday 13:00 (lunch)', '2026-06-12T13:00', false],
    ['Friday 13:59', '2026-06-12T13:59', false],
    ['Friday 14:00', '2026-06-12T14:00', true],
    ['Monday 09:00 (opening is open)', '2026-06-15T09:00', true],
    ['Monday 08:59:59.999', '2026-06-15T08:59:59.999', false],
    ['Monday 17:00 (closing is closed)', '2026-06-15T17:00', false],
    ['Saturday noon', '2026-06-13T12:00', false],
    ['a holiday at 10:00', '2026-12-24T10:00', false],
  ])('isWithinBusinessHours: %s → %s', (_, instant, open) => {
    expect(isWithinBusinessHours(office, at(instant))).toBe(open);
  });

  it.each([
    ['open: the instant itself', '2026-06-12T10:00', '2026-06-12T10:00:00+02:00'],
    ['lunch: 14:00', '2026-06-12T13:00', '2026-06-12T14:00:00+02:00'],
    ['Friday closing: Monday 09:00', '2026-06-12T17:00', '2026-06-15T09:00:00+02:00'],
    ['before holidays: after them', '2026-12-23T18:00', '2026-12-28T09:00:00+01:00'],
  ])('nextBusinessOpening: %s', (_, instant, expected) => {
    expect(show(nextBusinessOpening(office, at(instant)))).toBe(expected);
  });

  it.each([
    ['around lunch', '2026-06-12T12:00', '2026-06-12T15:00', 120],
    ['over a weekend', '2026-06-12T16:00', '2026-06-15T10:00', 120],
    ['over the Christmas holidays', '2026-12-23T16:00', '2026-12-28T10:00', 120],
    ['a whole week', '2026-06-15T00:00', '2026-06-22T00:00', 39 * 60],
    ['fractional', '2026-06-15T09:00', '2026-06-15T09:00:30', 0.5],
    ['to before from', '2026-06-15T12:00', '2026-06-15T10:00', 0],
    ['to equal to from', '2026-06-15T12:00', '2026-06-15T12:00', 0],
  ])('businessMinutesBetween: %s', (_, from, to, minutes) => {
    expect(businessMinutesBetween(office, at(from), at(to))).toBe(minutes);
  });
});

describe('daylight saving time', () => {
  const everyDay = (timezone: string, ...intervals: LocalInterval[]) =>
    compileCalendar({ timezone, weekly: sameHours(WEEKDAYS, ...intervals) });
  // Change days (all Sundays in 2026): Berlin Mar 29 02:00→03:00 and Oct 25 03:00→02:00;
  // New York Mar 8 02:00→03:00 and Nov 1 02:00→01:00.
  const changeDays = [
    [BERLIN, 'spring forward', '2026-03-29', 23],
    [BERLIN, 'fall back', '2026-10-25', 25],
    [NEW_YORK, 'spring forward', '2026-03-08', 23],
    [NEW_YORK, 'fall back', '2026-11-01', 25],
  ] as const;
  const nextDay = (date: string) => DateTime.fromISO(date).plus({ days: 1 }).toISODate()!;

  it.each(changeDays)('%s %s (%s): 09:00–17:00 is still 8 real hours', (zone, _, date) => {
    const cal = everyDay(zone, ['09:00', '17:00']);
    const due = addBusinessMinutes(cal, at(`${date}T09:00`, zone), 480);
    expect(show(due, zone)).toBe(show(at(`${date}T17:00`, zone), zone));
    expect(due - at(`${date}T09:00`, zone)).toBe(8 * HOUR);
    const wholeDay = [at(`${date}T00:00`, zone), at(`${nextDay(date)}T00:00`, zone)] as const;
    expect(businessMinutesBetween(cal, ...wholeDay)).toBe(480);
  });

  it.each(changeDays)('%s %s (%s): the whole day has %ih', (zone, _, date, hours) => {
    const midnight = at(`${date}T00:00`, zone);
    const nextMidnight = at(`${nextDay(date)}T00:00`, zone);
    const calendars: CalendarDefinition[] = [
      { timezone: zone, weekly: '24x7' },
      { timezone: zone, weekly: sameHours(WEEKDAYS, ['00:00', '24:00']) },
      // A holiday elsewhere turns the real-time shortcut off and uses the per-day intervals.
      { timezone: zone, weekly: '24x7', holidays: ['2020-01-01'] },
    ];
    for (const def of calendars) {
      const cal = compileCalendar(def);
      expect(cal.alwaysOpen).toBe(def.holidays === undefined);
      expect(businessMinutesBetween(cal, midnight, nextMidnight)).toBe(hours * 60);
      expect(addBusinessMinutes(cal, midnight, hours * 60)).toBe(nextMidnight);
      // 24 business hours from midnight end at 01:00 the next day, or at 23:00 the same day.
      expect(addBusinessMinutes(cal, midnight, 24 * 60) - midnight).toBe(24 * HOUR);
    }
    const cal = everyDay(zone, ['00:00', '24:00']);
    const dayLong = DateTime.fromMillis(addBusinessMinutes(cal, midnight, 24 * 60), { zone });
    expect(dayLong.toFormat('yyyy-MM-dd HH:mm')).toBe(
      hours === 23 ? `${nextDay(date)} 01:00` : `${date} 23:00`,
    );
  });

  it.each(changeDays)('%s %s (%s): 01:00–04:00 has its real length', (zone, _, date, hours) => {
    const cal = everyDay(zone, ['01:00', '04:00']);
    const minutes = businessMinutesBetween(cal, at(`${date}T00:00`, zone), at(`${date}T12:00`, zone));
    expect(minutes).toBe(hours === 23 ? 120 : 240);
  });

  it('a fixed UTC offset would be an hour off across the change (Berlin, spring)', () => {
    const cal = nineToFive();
    const due = addBusinessMinutes(cal, at('2026-03-27T16:00'), 120); // Friday, +01:00
    expect(show(due)).toBe('2026-03-30T10:00:00+02:00');
    const withFridaysOffset = Date.parse('2026-03-30T10:00:00+01:00');
    expect(withFridaysOffset - due).toBe(HOUR);
  });

  it('a fixed UTC offset would be an hour off across the change (New York, fall)', () => {
    const cal = nineToFive([], NEW_YORK);
    const due = addBusinessMinutes(cal, at('2026-10-30T16:00', NEW_YORK), 120); // Friday, −04:00
    expect(show(due, NEW_YORK)).toBe('2026-11-02T10:00:00-05:00');
    const withFridaysOffset = Date.parse('2026-11-02T10:00:00-04:00');
    expect(due - withFridaysOffset).toBe(HOUR);
  });

  it('a skipped local time opens when the clocks jump, not where luxon would move it', () => {
    // Berlin, 2026-03-29: 02:00–03:00 does not exist. Luxon moves 02:30 forward to 03:30.
    const wall = { year: 2026, month: 3, day: 29, hour: 2, minute: 30 };
    expect(DateTime.fromObject(wall, { zone: BERLIN }).toISO()).toBe('2026-03-29T03:30:00.000+02:00');
    // We open 02:30–05:00 at 03:00 (the jump, 01:00Z): the interval keeps every wall time in it.
    const cal = everyDay(BERLIN, ['02:30', '05:00']);
    const dayStart = at('2026-03-29T00:00');
    expect(show(nextBusinessOpening(cal, dayStart))).toBe('2026-03-29T03:00:00+02:00');
    expect(businessMinutesBetween(cal, dayStart, at('2026-03-29T12:00'))).toBe(120);
    // An interval wholly inside the skipped hour has no time at all that day.
    const skipped = everyDay(BERLIN, ['02:15', '02:45']);
    expect(businessMinutesBetween(skipped, dayStart, at('2026-03-30T00:00'))).toBe(0);
    expect(businessMinutesBetween(skipped, at('2026-03-30T00:00'), at('2026-03-31T00:00'))).toBe(30);
  });

  describe('a repeated local time', () => {
    const now = Settings.now;
    afterEach(() => {
      Settings.now = now;
    });

    it('is its earlier occurrence, whatever the current date (luxon alone depends on it)', () => {
      // Berlin, 2026-10-25: 02:00–03:00 happens twice, first at +02:00, then at +01:00.
      const wall = { year: 2026, month: 10, day: 25, hour: 2, minute: 30 };
      const results = [Date.UTC(2026, 0, 15), Date.UTC(2026, 6, 15)].map((today) => {
        Settings.now = () => today;
        const cal = everyDay(BERLIN, ['02:30', '05:00']);
        const opening = nextBusinessOpening(cal, at('2026-10-25T00:00'));
        return {
          opening: new Date(opening).toISOString(),
          minutes: businessMinutesBetween(cal, opening, opening + 12 * HOUR),
          luxon: DateTime.fromObject(wall, { zone: BERLIN }).offset,
        };
      });
      expect(results.map((r) => r.opening)).toEqual([
        '2026-10-25T00:30:00.000Z',
        '2026-10-25T00:30:00.000Z',
      ]);
      // 02:30 (+02:00) → 05:00 (+01:00) is 3h30 of real time.
      expect(results.map((r) => r.minutes)).toEqual([210, 210]);
      expect(results.map((r) => r.luxon)).toEqual([60, 120]);
    });
  });

  it('a day that does not exist has no hours (Pacific/Apia skipped 2011-12-30)', () => {
    const cal = everyDay('Pacific/Apia', ['09:00', '17:00']);
    const from = at('2011-12-29T00:00', 'Pacific/Apia');
    const to = at('2011-12-31T00:00', 'Pacific/Apia');
    expect(to - from).toBe(24 * HOUR);
    expect(businessMinutesBetween(cal, from, to)).toBe(480);
    expect(show(addBusinessMinutes(cal, at('2011-12-29T16:00', 'Pacific/Apia'), 120), 'Pacific/Apia')).toBe(
      '2011-12-31T10:00:00+14:00',
    );
  });
});

describe('night shifts, yearly holidays and holidays with their own hours', () => {
  // 2026-06-15 is a Monday (CEST, +02:00, no clock change near it).
  const nightMonday = (holidays: CalendarDefinition['holidays'] = []) =>
    compileCalendar({ timezone: BERLIN, weekly: { mon: [['22:00', '06:00']] }, holidays });

  it('a 2h target created Mon 23:30 on a Mon 22:00–06:00 shift: 30 min Monday + 1h30 Tuesday → Tue 01:30', () => {
    // Mon 23:30 → 24:00 = 30 min; 120 − 30 = 90 min after Tue 00:00 → Tue 01:30.
    expect(show(addBusinessMinutes(nightMonday(), at('2026-06-15T23:30'), 120))).toBe('2026-06-16T01:30:00+02:00');
    expect(isWithinBusinessHours(nightMonday(), at('2026-06-16T05:59'))).toBe(true);
    expect(isWithinBusinessHours(nightMonday(), at('2026-06-16T06:00'))).toBe(false);
    // Monday's own morning is the end of Sunday's (no) shift: closed.
    expect(isWithinBusinessHours(nightMonday(), at('2026-06-15T01:00'))).toBe(false);
    // The whole shift is 8h: Mon 22:00 → Tue 06:00.
    expect(businessMinutesBetween(nightMonday(), at('2026-06-15T00:00'), at('2026-06-17T00:00'))).toBe(480);
  });

  it('the shift belongs to the day it starts: a holiday that day removes all of it, one the next day none of it', () => {
    // Tuesday a holiday: the shift still runs to Tue 06:00 → due Tue 01:30 as without it.
    expect(show(addBusinessMinutes(nightMonday(['2026-06-16']), at('2026-06-15T23:30'), 120))).toBe('2026-06-16T01:30:00+02:00');
    // Monday a holiday: no shift that night (nor its morning part); the next is Mon 22 Jun
    // 22:00 → 24:00 = 2h → due at its midnight, Tue 23 Jun 00:00.
    const mondayOff = nightMonday(['2026-06-15']);
    expect(isWithinBusinessHours(mondayOff, at('2026-06-16T01:00'))).toBe(false);
    expect(show(addBusinessMinutes(mondayOff, at('2026-06-15T23:30'), 120))).toBe('2026-06-23T00:00:00+02:00');
    // A holiday with its own hours that Monday replaces the shift, its part after midnight too:
    // 23:00–01:00, so from 23:30: 30 min Mon + 60 min Tue = 90 min by Tue 01:00; the last 30 min
    // in the next Monday's shift → Mon 22 Jun 22:30.
    const shorter = nightMonday([{ date: '2026-06-15', hours: [['23:00', '01:00']] }]);
    expect(isWithinBusinessHours(shorter, at('2026-06-16T01:30'))).toBe(false);
    expect(show(addBusinessMinutes(shorter, at('2026-06-15T23:30'), 120))).toBe('2026-06-22T22:30:00+02:00');
  });

  it('a shift past midnight and the next day’s own hours that overlap count once', () => {
    // Mon 22:00–06:00 and Tue 05:00–09:00: Tuesday is open 00:00–09:00 (9h), not 10h.
    const cal = compileCalendar({ timezone: BERLIN, weekly: { mon: [['22:00', '06:00']], tue: [['05:00', '09:00']] } });
    expect(businessMinutesBetween(cal, at('2026-06-15T00:00'), at('2026-06-17T00:00'))).toBe((2 + 9) * 60);
    // From Tue 04:00, 4h: 04:00 → 08:00 without a gap.
    expect(show(addBusinessMinutes(cal, at('2026-06-16T04:00'), 240))).toBe('2026-06-16T08:00:00+02:00');
    // A Sunday shift runs into Monday (the week wraps): Sun 23:00 → Mon 07:00 = 8h.
    const sunday = compileCalendar({ timezone: BERLIN, weekly: { sun: [['23:00', '07:00']] } });
    expect(businessMinutesBetween(sunday, at('2026-06-14T00:00'), at('2026-06-16T00:00'))).toBe(480);
    // "18:00" to "00:00" is to midnight, as ["18:00","24:00"].
    const toMidnight = compileCalendar({ timezone: BERLIN, weekly: { fri: [['18:00', '00:00']] } });
    expect(businessMinutesBetween(toMidnight, at('2026-06-12T00:00'), at('2026-06-14T00:00'))).toBe(360);
  });

  it('a night shift across Berlin’s clock changes is as long as the wall clock says', () => {
    const saturdayNight = compileCalendar({ timezone: BERLIN, weekly: { sat: [['22:00', '06:00']] } });
    // Spring forward, Sun 29 Mar 2026 02:00 → 03:00: Sat 22:00–24:00 CET (2h) + Sun 00:00–06:00
    // with 02:00–03:00 missing (5h) = 7h. From Sat 22:00 (21:00Z), 7h → Sun 06:00 CEST (04:00Z);
    // an 8h target has 1h left, in the next shift: Sat 4 Apr 22:00 + 1h → 23:00 CEST.
    expect(businessMinutesBetween(saturdayNight, at('2026-03-28T00:00'), at('2026-03-30T00:00'))).toBe(420);
    expect(new Date(addBusinessMinutes(saturdayNight, at('2026-03-28T22:00'), 420)).toISOString()).toBe('2026-03-29T04:00:00.000Z');
    expect(show(addBusinessMinutes(saturdayNight, at('2026-03-28T22:00'), 480))).toBe('2026-04-04T23:00:00+02:00');
    // Fall back, Sun 25 Oct 2026 03:00 → 02:00: 2h (CEST) + 7h (02:00–03:00 twice) = 9h.
    // From Sat 22:00 CEST (20:00Z), 9h → Sun 06:00 CET (05:00Z).
    expect(businessMinutesBetween(saturdayNight, at('2026-10-24T00:00'), at('2026-10-26T00:00'))).toBe(540);
    expect(new Date(addBusinessMinutes(saturdayNight, at('2026-10-24T22:00'), 540)).toISOString()).toBe('2026-10-25T05:00:00.000Z');
  });

  describe('yearly holidays ("MM-DD")', () => {
    const everyDayNineToFive = (holidays: CalendarDefinition['holidays']) =>
      compileCalendar({ timezone: BERLIN, weekly: sameHours(WEEKDAYS, ['09:00', '17:00']), holidays });

    it('"12-25" is closed every year: 2027 (a Saturday) and 2028 (a Monday)', () => {
      const cal = everyDayNineToFive(['12-25']);
      // Fri 24 Dec 2027 16:00 + 2h: 1h on the 24th, the 25th closed, 1h on Sun 26th → 10:00.
      expect(show(addBusinessMinutes(cal, at('2027-12-24T16:00'), 120))).toBe('2027-12-26T10:00:00+01:00');
      // Sun 24 Dec 2028 16:00 + 2h: 1h on the 24th, Mon 25th closed → Tue 26th 10:00.
      expect(show(addBusinessMinutes(cal, at('2028-12-24T16:00'), 120))).toBe('2028-12-26T10:00:00+01:00');
      expect(businessMinutesBetween(cal, at('2028-12-25T00:00'), at('2028-12-26T00:00'))).toBe(0);
      expect(businessMinutesBetween(cal, at('2028-12-24T00:00'), at('2028-12-25T00:00'))).toBe(480);
    });

    it('"02-29" is a holiday in leap years only', () => {
      const cal = everyDayNineToFive(['02-29']);
      // 28 Feb – 1 Mar 2028 (leap year): 8h + 0h + 8h; 2027 has no 29th: 8h + 8h.
      expect(businessMinutesBetween(cal, at('2028-02-28T00:00'), at('2028-03-02T00:00'))).toBe(16 * 60);
      expect(businessMinutesBetween(cal, at('2027-02-28T00:00'), at('2027-03-02T00:00'))).toBe(16 * 60);
      expect(show(addBusinessMinutes(cal, at('2028-02-28T16:00'), 120))).toBe('2028-03-01T10:00:00+01:00');
    });

    it('a dated entry wins over a yearly one for its day', () => {
      const cal = everyDayNineToFive([{ date: '12-24', hours: [['09:00', '12:00']] }, '2027-12-24']);
      expect(businessMinutesBetween(cal, at('2026-12-24T00:00'), at('2026-12-25T00:00'))).toBe(180);
      expect(businessMinutesBetween(cal, at('2027-12-24T00:00'), at('2027-12-25T00:00'))).toBe(0);
    });
  });

  describe('ranges of holidays ({ from, to })', () => {
    const nineToFiveWith = (holidays: CalendarDefinition['holidays']) =>
      compileCalendar({ timezone: BERLIN, weekly: sameHours(MON_FRI, ['09:00', '17:00']), holidays });

    it('closes every day from the first to the last, both included', () => {
      const cal = nineToFiveWith([{ from: '2026-12-24', to: '2027-01-01' }]);
      // Wed 23 Dec 16:00 + 2h: 1h on the 23rd, closed Thu 24 Dec – Fri 1 Jan, the weekend → Mon 4 Jan 10:00.
      expect(show(addBusinessMinutes(cal, at('2026-12-23T16:00'), 120))).toBe('2027-01-04T10:00:00+01:00');
      expect(businessMinutesBetween(cal, at('2026-12-21T00:00'), at('2027-01-09T00:00'))).toBe(3 * 480 + 5 * 480);
      expect(show(nextBusinessOpening(cal, at('2026-12-24T08:00')))).toBe('2027-01-04T09:00:00+01:00');
    });

    it('a yearly range runs over New Year when it ends before it starts, every year', () => {
      const cal = nineToFiveWith([{ from: '12-24', to: '01-01' }]);
      for (const year of [2026, 2027, 2030]) {
        expect(businessMinutesBetween(cal, at(`${year}-12-24T00:00`), at(`${year + 1}-01-02T00:00`))).toBe(0);
        expect(isWithinBusinessHours(cal, at(`${year}-12-23T12:00`))).toBe(DateTime.fromISO(`${year}-12-23`).weekday <= 5);
      }
      // Fri 2 Jan 2026 is open: the range ended with 1 January.
      expect(isWithinBusinessHours(cal, at('2026-01-02T12:00'))).toBe(true);
    });

    it('gives the days its week opens its hours (the weekend stays closed); a single day inside wins over the range', () => {
      const cal = nineToFiveWith([
        { from: '2026-08-03', to: '2026-08-16', hours: [['10:00', '12:00']] },
        { date: '2026-08-05', hours: [] },
        { date: '2026-08-06', hours: [['09:00', '17:00']] },
        { date: '2026-08-15', hours: [['09:00', '11:00']] },
      ]);
      // Mon 3 – Sun 16 Aug: 8 weekdays of 2h, Wed 5th closed, Thu 6th 8h; Sat 8th, Sun 9th and
      // Sun 16th closed as every weekend; Sat 15th open 2h by its own entry.
      expect(businessMinutesBetween(cal, at('2026-08-03T00:00'), at('2026-08-17T00:00'))).toBe(8 * 120 + 480 + 120);
      expect(isWithinBusinessHours(cal, at('2026-08-04T13:00'))).toBe(false);
      expect(isWithinBusinessHours(cal, at('2026-08-06T13:00'))).toBe(true);
      expect(isWithinBusinessHours(cal, at('2026-08-08T11:00'))).toBe(false);
      // The same every year: a yearly range's hours keep the weekend closed whatever year it is.
      const yearly = nineToFiveWith([{ from: '12-27', to: '01-02', hours: [['10:00', '14:00']] }]);
      // 27 Dec 2027 – 2 Jan 2028: Mon 27 – Fri 31 Dec, 4h each; Sat 1 and Sun 2 Jan closed.
      expect(businessMinutesBetween(yearly, at('2027-12-27T00:00'), at('2028-01-03T00:00'))).toBe(5 * 240);
      // 27 Dec 2026 – 2 Jan 2027: Mon 28 Dec – Fri 1 Jan, 4h each; Sun 27 Dec and Sat 2 Jan closed.
      expect(businessMinutesBetween(yearly, at('2026-12-27T00:00'), at('2027-01-03T00:00'))).toBe(5 * 240);
    });

    it('a yearly range over February covers the 29th in leap years', () => {
      const everyDay = compileCalendar({ timezone: BERLIN, weekly: sameHours(WEEKDAYS, ['09:00', '17:00']), holidays: [{ from: '02-28', to: '03-01' }] });
      expect(businessMinutesBetween(everyDay, at('2028-02-27T00:00'), at('2028-03-03T00:00'))).toBe(2 * 480);
      expect(businessMinutesBetween(everyDay, at('2027-02-27T00:00'), at('2027-03-03T00:00'))).toBe(2 * 480);
    });

    it('counts in calendarKey as its days listed one by one', () => {
      const weekly = sameHours(MON_FRI, ['09:00', '17:00']);
      const key = (holidays: CalendarDefinition['holidays']) => calendarKey({ timezone: BERLIN, weekly, holidays });
      expect(key([{ from: '2026-12-24', to: '2026-12-26' }])).toBe(key(['2026-12-26', '2026-12-24', '2026-12-25']));
      expect(key([{ from: '12-31', to: '01-01' }])).toBe(key(['01-01', '12-31']));
      // A yearly range's hours leave the weekend closed, a yearly day's do not: not the same.
      expect(key([{ from: '12-31', to: '01-01', hours: [['09:00', '12:00']] }])).not.toBe(
        key([{ date: '01-01', hours: [['09:00', '12:00']] }, { date: '12-31', hours: [['09:00', '12:00']] }]),
      );
      // A dated range's hours are resolved day by day: the weekend (Sat 2, Sun 3 Jan 2027) closed.
      expect(key([{ from: '2026-12-31', to: '2027-01-03', hours: [['09:00', '12:00']] }])).toBe(
        key([{ date: '2026-12-31', hours: [['09:00', '12:00']] }, { date: '2027-01-01', hours: [['09:00', '12:00']] }, '2027-01-02', '2027-01-03']),
      );
      expect(key([{ from: '2026-12-24', to: '2026-12-26' }])).not.toBe(key([{ from: '2026-12-24', to: '2026-12-27' }]));
      // A single day inside a range counts with its own hours.
      expect(key([{ from: '2026-12-24', to: '2026-12-26' }, { date: '2026-12-24', hours: [['09:00', '12:00']] }])).toBe(
        key([{ date: '2026-12-24', hours: [['09:00', '12:00']] }, '2026-12-25', '2026-12-26']),
      );
    });
  });

  it('a 4h target created Thu 24 Dec 2026 10:00 with that day open 09:00–12:00 only', () => {
    const cal = compileCalendar({
      timezone: BERLIN,
      weekly: sameHours(MON_FRI, ['09:00', '17:00']),
      holidays: [{ date: '2026-12-24', hours: [['09:00', '12:00']] }, '2026-12-25', '12-26'],
    });
    // 10:00 → 12:00 = 2h on the 24th; Fri 25th a holiday, then the weekend (Sat 26th a yearly
    // holiday anyway); Mon 28 Dec 09:00 + the other 2h → 11:00 (CET).
    expect(show(addBusinessMinutes(cal, at('2026-12-24T10:00'), 240))).toBe('2026-12-28T11:00:00+01:00');
    expect(isWithinBusinessHours(cal, at('2026-12-24T12:00'))).toBe(false);
    expect(show(nextBusinessOpening(cal, at('2026-12-24T12:00')))).toBe('2026-12-28T09:00:00+01:00');
    // "hours": [] is closed, as the plain date.
    const closed = compileCalendar({ timezone: BERLIN, weekly: sameHours(MON_FRI, ['09:00', '17:00']), holidays: [{ date: '2026-12-24', hours: [] }] });
    expect(businessMinutesBetween(closed, at('2026-12-24T00:00'), at('2026-12-25T00:00'))).toBe(0);
  });

  it('calendarKey tells apart what counts differently, and keeps the key of the forms there were', () => {
    const weekly = sameHours(MON_FRI, ['09:00', '17:00']);
    const key = (holidays: CalendarDefinition['holidays']) => calendarKey({ timezone: BERLIN, weekly, holidays });
    expect(key(['2026-12-25'])).toBe(key([{ date: '2026-12-25', hours: [] }, '2026-12-25']));
    expect(key(['2026-12-25'])).not.toBe(key(['12-25']));
    expect(key([{ date: '2026-12-24', hours: [['09:00', '12:00']] }])).not.toBe(key([{ date: '2026-12-24', hours: [['09:00', '13:00']] }]));
    expect(key(['2026-12-25'])).toBe(JSON.stringify({
      timezone: BERLIN,
      weekly: WEEKDAYS.map((d) => (MON_FRI.includes(d) ? [[540, 1020]] : [])),
      holidays: [Date.UTC(2026, 11, 25) / DAY],
    }));
  });
});

describe('guards', () => {
  it('rejects a calendar without any open hours, listing the problem', () => {
    const def: CalendarDefinition = { timezone: BERLIN, weekly: { mon: [], tue: [] } };
    expect(() => compileCalendar(def)).toThrowError(BusinessCalendarError);
    expect(calendarDefinitionProblems(def, ['calendars', 'shut'])).toEqual([
      {
        path: '$.calendars.shut.weekly',
        message: 'the calendar has no open hours on any weekday',
        severity: 'error',
      },
    ]);
  });

  it('rejects an invalid definition with every problem', () => {
    const def = {
      timezone: 'Mars/Olympus',
      weekly: { mon: [['17:00', '17:00']] },
      holidays: ['2026-13-01'],
    };
    try {
      compileCalendar(def as CalendarDefinition);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(BusinessCalendarError);
      const e = error as BusinessCalendarError;
      expect(e.code).toBe('INVALID_CALENDAR');
      expect(e.problems.map((p) => p.path)).toEqual(['$.timezone', '$.weekly.mon[0]', '$.holidays[0]']);
    }
  });

  it('gives up after three years without enough open time (every Monday a holiday)', () => {
    const mondays = Array.from({ length: 4 * 53 }, (_, i) =>
      DateTime.fromISO('2026-01-05').plus({ weeks: i }).toISODate()!,
    );
    const weekly: WeeklyHours = { mon: [['09:00', '10:00']] };
    const cal = compileCalendar({ timezone: BERLIN, weekly, holidays: mondays });
    const start = at('2026-01-01T00:00');
    expect(() => addBusinessMinutes(cal, start, 1)).toThrowError(
      /cannot find 1 business minutes within 1098 days/,
    );
    expect(() => nextBusinessOpening(cal, start)).toThrowError(
      expect.objectContaining({ code: 'CALENDAR_EXHAUSTED' }),
    );
    expect(businessMinutesBetween(cal, start, at('2029-01-01T00:00'))).toBe(0);
    expect(addBusinessMinutes(cal, start, 0)).toBe(start);
  });

  it.each([
    ['negative minutes', () => addBusinessMinutes(office, 0, -1)],
    ['NaN minutes', () => addBusinessMinutes(office, 0, Number.NaN)],
    ['infinite minutes', () => addBusinessMinutes(office, 0, Number.POSITIVE_INFINITY)],
    ['NaN start', () => addBusinessMinutes(office, Number.NaN, 1)],
    ['NaN instant', () => isWithinBusinessHours(office, Number.NaN)],
    ['infinite end', () => businessMinutesBetween(office, 0, Number.POSITIVE_INFINITY)],
  ])('rejects %s', (_, call) => {
    expect(call).toThrowError(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random calendars.

const ZONES = [
  BERLIN, NEW_YORK, 'Europe/London', 'Australia/Sydney', 'Australia/Lord_Howe', 'Asia/Kolkata',
  'America/Sao_Paulo', 'Pacific/Chatham', 'America/St_Johns', 'UTC',
];
/** Zones whose clock changes happen at whole hours, so that an hour-aligned interval agrees
 * with a plain wall-clock reading even around the change (see the oracle property). */
const HOUR_ALIGNED_ZONES = [BERLIN, NEW_YORK, 'Europe/London', 'Australia/Sydney', 'Asia/Tokyo', 'UTC'];
const FROM = Date.UTC(2026, 0, 1);
const TO = Date.UTC(2028, 0, 1);
const DAY = 24 * HOUR;
// Clock changes of the zones above in 2026–2027, to aim instants at them.
const CHANGES = [
  '2026-03-08T07:00Z', '2026-03-29T01:00Z', '2026-04-05T16:00Z', '2026-10-04T16:00Z',
  '2026-10-25T01:00Z', '2026-11-01T06:00Z', '2027-03-14T07:00Z', '2027-03-28T01:00Z',
  '2027-10-31T01:00Z', '2027-11-07T06:00Z',
].map(Date.parse);

const clock = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/**
 * 0–3 disjoint intervals on a grid of `step` minutes; ends may be 24:00; sometimes a shift past
 * midnight after them (["22:00","06:00"]: an end before its start).
 */
const dayHours = (step: number) =>
  fc
    .tuple(
      fc.uniqueArray(fc.integer({ min: 0, max: 1440 / step }), { maxLength: 6 }),
      fc.option(fc.tuple(fc.integer({ min: 1, max: 1440 / step - 1 }), fc.integer({ min: 0, max: 1440 / step - 1 }))),
    )
    .map(([cuts, night]) => {
      const sorted = cuts.sort((a, b) => a - b).map((c) => c * step);
      const intervals: LocalInterval[] = [];
      for (let i = 0; i + 1 < sorted.length; i += 2) {
        intervals.push([clock(sorted[i]!), clock(sorted[i + 1]!)]);
      }
      const lastEnd = intervals.length === 0 ? 0 : toMinute(intervals[intervals.length - 1]![1]);
      if (night !== null) {
        const [from, to] = [night[0] * step, (night[1] * step) % (night[0] * step)];
        if (from >= lastEnd) intervals.push([clock(from), clock(to)]);
      }
      return intervals;
    });

/** Minutes of one interval, a shift past midnight whole. */
const length = ([s, e]: readonly string[]) => (toMinute(e!) > toMinute(s!) ? toMinute(e!) - toMinute(s!) : 1440 - toMinute(s!) + toMinute(e!));
const openMinutes = (weekly: WeeklyHours) =>
  weekly === '24x7' ? 7 * 1440 : Object.values(weekly).flat().reduce((sum, interval) => sum + length(interval), 0);
const toMinute = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));

const perWeekday = (hours: fc.Arbitrary<LocalInterval[]>) =>
  Object.fromEntries(WEEKDAYS.map((d) => [d, hours])) as Record<Weekday, typeof hours>;

/**
 * Holidays: closed dates, yearly "MM-DD" dates, and either with hours of their own, each day
 * once; and ranges of up to three weeks ({ from, to }, dated or yearly, across New Year too),
 * closed or with hours, none meeting an earlier range of its kind (the validator refuses two
 * ranges giving a day different hours), singles inside them allowed (they win).
 */
const holidaysArb = (step: number) =>
  fc
    .tuple(
      fc.array(
        fc.tuple(
          fc.integer({ min: FROM / DAY - 30, max: TO / DAY + 30 }),
          fc.boolean(),
          fc.option(dayHours(step), { freq: 3 }),
        ),
        { maxLength: 40 },
      ),
      fc.array(
        fc.tuple(
          fc.integer({ min: FROM / DAY - 30, max: TO / DAY + 30 }),
          fc.integer({ min: 1, max: 21 }),
          fc.boolean(),
          fc.option(dayHours(step), { freq: 3 }),
        ),
        { maxLength: 4 },
      ),
    )
    .map(([days, ranges]) => {
      const iso = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);
      const byDate = new Map<string, Holiday>();
      for (const [day, yearly, hours] of days) {
        const date = yearly ? iso(day).slice(5) : iso(day);
        byDate.set(date, hours === null ? date : { date, hours });
      }
      const taken = new Set<string>();
      const kept: Holiday[] = [];
      for (const [start, count, yearly, hours] of ranges) {
        const covered = Array.from({ length: count }, (_, i) => (yearly ? 'y' + iso(start + i).slice(5) : iso(start + i)));
        if (covered.some((d) => taken.has(d))) continue;
        covered.forEach((d) => taken.add(d));
        const [from, to] = [iso(start), iso(start + count - 1)].map((d) => (yearly ? d.slice(5) : d));
        kept.push(hours === null ? { from: from!, to: to! } : { from: from!, to: to!, hours });
      }
      return [...byDate.values(), ...kept];
    });

const calendarDef = (zones: string[], step: number) =>
  fc
    .record({
      timezone: fc.constantFrom(...zones),
      weekly: fc.oneof(
        { weight: 1, arbitrary: fc.constant('24x7' as const) },
        { weight: 6, arbitrary: fc.record(perWeekday(dayHours(step))) },
      ),
      holidays: holidaysArb(step),
    })
    .filter((def) => openMinutes(def.weekly) >= 15 * 60) as fc.Arbitrary<CalendarDefinition>;

const instant = fc.oneof(
  fc.integer({ min: FROM, max: TO }),
  fc.tuple(fc.constantFrom(...CHANGES), fc.integer({ min: -2 * DAY, max: 2 * DAY })).map(([c, d]) => c + d),
);
/** Minutes as whole milliseconds / 60000, so that exact comparisons are fair. */
const minutesArb = fc.oneof(
  fc.integer({ min: 0, max: 3000 }),
  fc.integer({ min: 0, max: 3000 * 60_000 }).map((ms) => ms / 60_000),
);

const RUNS = { numRuns: 250 };
const compiled = calendarDef(ZONES, 5).map((def) => ({ def, cal: compileCalendar(def) }));

describe('properties over random calendars', () => {
  it('adding more than zero never ends strictly inside closed hours', () => {
    fc.assert(
      fc.property(compiled, instant, minutesArb.filter((m) => m > 0), ({ cal }, t, m) => {
        const due = addBusinessMinutes(cal, t, m);
        expect(due).toBeGreaterThan(t);
        // Open, or exactly the end of an open interval.
        expect(isWithinBusinessHours(cal, due) || isWithinBusinessHours(cal, due - 1)).toBe(true);
      }),
      RUNS,
    );
  });

  it('add(add(t, a), b) === add(t, a + b)', () => {
    fc.assert(
      fc.property(compiled, instant, minutesArb, minutesArb, ({ cal }, t, a, b) => {
        const stepwise = addBusinessMinutes(cal, addBusinessMinutes(cal, t, a), b);
        expect(stepwise).toBe(addBusinessMinutes(cal, t, a + b));
      }),
      RUNS,
    );
  });

  it('is monotonic in minutes and in start', () => {
    fc.assert(
      fc.property(compiled, instant, instant, minutesArb, minutesArb, ({ cal }, t1, t2, a, b) => {
        const [early, late] = t1 <= t2 ? [t1, t2] : [t2, t1];
        const [less, more] = a <= b ? [a, b] : [b, a];
        const add = (start: number, m: number) => addBusinessMinutes(cal, start, m);
        expect(add(early, less)).toBeLessThanOrEqual(add(early, more));
        expect(add(early, a)).toBeLessThanOrEqual(add(late, a));
      }),
      RUNS,
    );
  });

  it('businessMinutesBetween(t, add(t, m)) === m, and nothing lies before the result', () => {
    fc.assert(
      fc.property(compiled, instant, minutesArb, ({ cal }, t, m) => {
        const due = addBusinessMinutes(cal, t, m);
        expect(businessMinutesBetween(cal, t, due)).toBe(m);
        if (due > t) expect(businessMinutesBetween(cal, t, due - 1)).toBeLessThan(m);
      }),
      RUNS,
    );
  });

  it('nextBusinessOpening is open and has no business time before it', () => {
    fc.assert(
      fc.property(compiled, instant, ({ cal }, t) => {
        const opening = nextBusinessOpening(cal, t);
        expect(opening).toBeGreaterThanOrEqual(t);
        expect(isWithinBusinessHours(cal, opening)).toBe(true);
        expect(businessMinutesBetween(cal, t, opening)).toBe(0);
        expect(isWithinBusinessHours(cal, t)).toBe(opening === t);
      }),
      RUNS,
    );
  });

  it('business minutes are the open minutes, counted one by one', () => {
    const aligned = instant.map((t) => t - (t % 60_000));
    fc.assert(
      fc.property(compiled, aligned, fc.integer({ min: 0, max: 2 * 1440 }), ({ cal }, t, span) => {
        let open = 0;
        for (let k = 0; k < span; k++) if (isWithinBusinessHours(cal, t + k * 60_000)) open++;
        expect(businessMinutesBetween(cal, t, t + span * 60_000)).toBe(open);
      }),
      { numRuns: 100 },
    );
  });

  /**
   * The wall-clock oracle: the hours a local date starts — a dated day's own holiday entry, else a dated range's,
   * else a yearly day's, else a yearly range's (over New Year when it ends before it
   * starts), else its weekday's.
   */
  const own = (def: CalendarDefinition, local: DateTime): readonly LocalInterval[] => {
    const iso = local.toISODate()!;
    const monthDay = iso.slice(5);
    const weekday = WEEKDAYS[local.weekday - 1]!;
    const weekly = def.weekly === '24x7' ? [['00:00', '24:00'] as LocalInterval] : def.weekly[weekday] ?? [];
    // A range's hours on a day its weekday keeps closed: still closed.
    const entries = (def.holidays ?? []).map((h) =>
      typeof h === 'string'
        ? { from: h, to: h, hours: [], range: false }
        : 'date' in h
          ? { from: h.date, to: h.date, hours: h.hours, range: false }
          : { ...h, hours: weekly.length === 0 ? [] : h.hours ?? [], range: true },
    );
    const covers = ({ from, to }: { from: string; to: string }) =>
      from.length === 10 ? from <= iso && iso <= to : from <= to ? from <= monthDay && monthDay <= to : monthDay >= from || monthDay <= to;
    const holiday = [true, false]
      .flatMap((dated) => [false, true].map((range) => entries.find((h) => (h.from.length === 10) === dated && h.range === range && covers(h))))
      .find((h) => h !== undefined);
    if (holiday !== undefined) return holiday.hours;
    return weekly;
  };
  const wallClock = (def: CalendarDefinition, t: number): boolean => {
    const local = DateTime.fromMillis(t, { zone: def.timezone });
    const minute = local.hour * 60 + local.minute;
    const today = own(def, local).some(([s, e]) => toMinute(s) <= minute && (minute < toMinute(e) || toMinute(e) <= toMinute(s)));
    // The part after midnight of yesterday's shifts (yesterday by the calendar date).
    const yesterday = own(def, local.startOf('day').minus({ days: 1 }).set({ hour: 12 }));
    return today || yesterday.some(([s, e]) => toMinute(e) < toMinute(s) && minute < toMinute(e));
  };

  it('agrees with a wall-clock reading in the zone (hour-aligned hours)', () => {
    fc.assert(
      fc.property(calendarDef(HOUR_ALIGNED_ZONES, 60), instant, (def, t) => {
        expect(isWithinBusinessHours(compileCalendar(def), t)).toBe(wallClock(def, t));
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with the wall-clock reading on and around the days of ranges of holidays', () => {
    const ranges = (def: CalendarDefinition) => (def.holidays ?? []).filter((h): h is HolidayRange => typeof h !== 'string' && 'from' in h);
    const withRanges = calendarDef(HOUR_ALIGNED_ZONES, 60).filter((def) => ranges(def).length > 0);
    fc.assert(
      fc.property(
        withRanges.chain((def) =>
          fc.tuple(fc.constant(def), fc.constantFrom(...ranges(def)), fc.integer({ min: -1, max: 22 }), fc.integer({ min: 0, max: 1439 }), fc.constantFrom(2026, 2027)),
        ),
        ([def, range, day, minute, year]) => {
          const first = DateTime.fromISO(range.from.length === 10 ? range.from : `${year}-${range.from}`, { zone: def.timezone });
          const t = first.plus({ days: day }).plus({ minutes: minute }).toMillis();
          expect(isWithinBusinessHours(compileCalendar(def), t)).toBe(wallClock(def, t));
        },
      ),
      { numRuns: 500 },
    );
  });
});
