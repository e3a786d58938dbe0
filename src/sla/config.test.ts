import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { hasErrors } from '../definitions/problems.js';
import { isWithinBusinessHours } from './calendar.js';
import {
  compileSlaConfig,
  METRICS,
  PRIORITIES,
  SlaConfigError,
  validateSlaConfig,
  type Metric,
  type Priority,
} from './config.js';
import { computeDue } from './due.js';

const SHIPPED: unknown = JSON.parse(
  readFileSync(new URL('../../rules/sla.json', import.meta.url), 'utf8'),
);
const shipped = () => structuredClone(SHIPPED) as Record<string, any>;

/** The example of PRODUCT.md, verbatim. */
const PRODUCT_EXAMPLE = {
  calendars: {
    office: {
      timezone: 'Europe/Berlin',
      weekly: {
        mon: [['09:00', '17:00']], tue: [['09:00', '17:00']],
        wed: [['09:00', '17:00']], thu: [['09:00', '17:00']],
        fri: [['09:00', '13:00'], ['14:00', '17:00']],
      },
      holidays: ['2026-12-25', '2026-12-26'],
    },
    always: { timezone: 'UTC', weekly: '24x7' },
  },
  policies: {
    standard: {
      calendar: 'office',
      warnBefore: '20%',
      targets: {
        urgent: { firstResponse: '1h', resolution: '8h' },
        high: { firstResponse: '2h', resolution: '16h' },
        normal: { firstResponse: '8h', resolution: '40h' },
        low: { firstResponse: '16h' },
      },
    },
  },
  default: 'standard',
};

const berlin = (local: string) => DateTime.fromISO(local, { zone: 'Europe/Berlin' }).toMillis();

describe('the shipped rules/sla.json', () => {
  it('validates without any problem', () => {
    expect(validateSlaConfig(SHIPPED)).toEqual([]);
  });

  const config = compileSlaConfig(SHIPPED);

  it('names its policies and calendars', () => {
    expect(config.defaultPolicy).toBe('standard');
    expect(config.policyNames).toEqual(['standard', 'premium']);
    expect(config.calendarNames).toEqual(['office', 'always']);
    expect(config.policy('standard')?.description).toMatch(/Office hours/);
    expect(config.policy('premium')?.calendarName).toBe('always');
  });

  it.each([
    ['standard', 'urgent', 'firstResponse', 60, 12],
    ['standard', 'urgent', 'nextResponse', 60, 12],
    ['standard', 'high', 'resolution', 16 * 60, 192],
    ['standard', 'normal', 'nextResponse', 4 * 60, 48],
    ['standard', 'low', 'resolution', 80 * 60, 960],
    ['premium', 'urgent', 'firstResponse', 30, 15],
    ['premium', 'high', 'resolution', 8 * 60, 15],
    ['premium', 'low', 'resolution', 48 * 60, 15],
  ] as const)('%s %s %s: %i minutes, warns %i before', (policy, priority, metric, minutes, warn) => {
    const target = config.target(policy, priority, metric);
    expect(target).toMatchObject({ minutes, warnOffsetMinutes: warn });
    expect(target?.calendar).toBe(config.calendar(config.policy(policy)!.calendarName));
  });

  it('sets a target for every priority and metric of both policies', () => {
    for (const policy of config.policyNames) {
      for (const priority of PRIORITIES) {
        for (const metric of METRICS) {
          expect(config.target(policy, priority, metric)).not.toBeNull();
        }
      }
    }
  });

  it('closes the office on its holidays and over the Friday lunch break', () => {
    const office = config.calendar('office')!;
    expect(isWithinBusinessHours(office, berlin('2027-03-26T10:00'))).toBe(false); // Good Friday
    expect(isWithinBusinessHours(office, berlin('2027-03-25T10:00'))).toBe(true);
    expect(isWithinBusinessHours(office, berlin('2026-06-12T13:30'))).toBe(false);
    const always = config.calendar('always')!;
    expect(isWithinBusinessHours(always, berlin('2026-12-25T03:00'))).toBe(true);
  });

  it('gives a high first response from Dec 23 16:00 a due time after Christmas', () => {
    const target = config.target('standard', 'high', 'firstResponse')!;
    const due = computeDue(target.calendar, {
      startMs: berlin('2026-12-23T16:00'),
      usedMinutes: 0,
      targetMinutes: target.minutes,
      warnOffsetMinutes: target.warnOffsetMinutes,
    });
    const show = (ms: number) => DateTime.fromMillis(ms, { zone: 'Europe/Berlin' }).toISO();
    expect(show(due.dueAt)).toBe('2026-12-28T10:00:00.000+01:00');
    expect(show(due.warnAt)).toBe('2026-12-28T09:36:00.000+01:00');
  });
});

describe('the example of PRODUCT.md', () => {
  it('validates, and low priority has no resolution target', () => {
    expect(validateSlaConfig(PRODUCT_EXAMPLE)).toEqual([]);
    const config = compileSlaConfig(PRODUCT_EXAMPLE);
    expect(config.target('standard', 'low', 'resolution')).toBeNull();
    expect(config.target('standard', 'low', 'nextResponse')).toBeNull();
    expect(config.target('standard', 'low', 'firstResponse')?.minutes).toBe(16 * 60);
  });
});

describe('lookups of names that are not there', () => {
  const config = compileSlaConfig(SHIPPED);

  it.each(['nope', 'constructor', '__proto__', 'toString'])('policy %j is unknown', (name) => {
    expect(config.policy(name)).toBeUndefined();
    expect(config.calendar(name)).toBeUndefined();
    expect(() => config.target(name, 'urgent', 'resolution')).toThrowError(
      expect.objectContaining({ code: 'UNKNOWN_SLA_POLICY' }),
    );
  });

  it('rejects a priority or metric outside the lists', () => {
    expect(() => config.target('standard', 'critical' as Priority, 'resolution')).toThrowError(
      expect.objectContaining({ code: 'UNKNOWN_SLA_TARGET' }),
    );
    expect(() => config.target('standard', 'urgent', 'constructor' as Metric)).toThrowError(
      expect.objectContaining({ code: 'UNKNOWN_SLA_TARGET' }),
    );
  });
});

type Mutation = (config: Record<string, any>) => unknown;

describe('validateSlaConfig reports every problem with its JSON path', () => {
  const cases: [string, Mutation, [path: string, message: string | RegExp][]][] = [
    ['a bad duration', (c) => { c.policies.standard.targets.urgent.firstResponse = '1x'; },
      [['$.policies.standard.targets.urgent.firstResponse',
        '"1x" is not a duration (use 90m or 2h)']]],
    ['a duration that is a number', (c) => { c.policies.premium.targets.low.resolution = 90; },
      [['$.policies.premium.targets.low.resolution', '90 is not a duration (use 90m or 2h)']]],
    ['an unknown calendar', (c) => { c.policies.standard.calendar = 'ofice'; },
      [['$.policies.standard.calendar', 'unknown calendar "ofice" (calendars: office, always)']]],
    ['a calendar named like an Object method',
      (c) => { c.policies.standard.calendar = 'toString'; },
      [['$.policies.standard.calendar', /unknown calendar "toString"/]]],
    ['a missing calendar', (c) => { delete c.policies.standard.calendar; },
      [['$.policies.standard.calendar', 'calendar is required']]],
    ['an invalid zone', (c) => { c.calendars.office.timezone = 'Europe/Berlinn'; },
      [['$.calendars.office.timezone', /"Europe\/Berlinn" is not a time zone/]]],
    ['a fixed offset instead of a zone', (c) => { c.calendars.office.timezone = '+01:00'; },
      [['$.calendars.office.timezone', /"\+01:00" is not a time zone/]]],
    ['a bad time', (c) => { c.calendars.office.weekly.mon = [['09:00', '25:00']]; },
      [['$.calendars.office.weekly.mon[0][1]', /"25:00" is not an end time/]]],
    ['24:00 as a start', (c) => { c.calendars.office.weekly.mon = [['24:00', '24:00']]; },
      [['$.calendars.office.weekly.mon[0][0]', /"24:00" is not a start time/]]],
    ['a time without leading zero', (c) => { c.calendars.office.weekly.tue = [['9:00', '17:00']]; },
      [['$.calendars.office.weekly.tue[0][0]', /"9:00" is not a start time/]]],
    ['an empty interval', (c) => { c.calendars.office.weekly.wed = [['09:00', '09:00']]; },
      [['$.calendars.office.weekly.wed[0]',
        'starts and ends at 09:00: an interval needs a length (to midnight is ["09:00","24:00"]; ' +
        'a shift past midnight ends at an earlier time, e.g. ["22:00","06:00"])']]],
    ['a night shift of no length', (c) => { c.calendars.office.weekly.sun = [['22:00', '22:00']]; },
      [['$.calendars.office.weekly.sun[0]', /^starts and ends at 22:00: an interval needs a length/]]],
    ['midnight to midnight', (c) => { c.calendars.office.weekly.sat = [['00:00', '00:00']]; },
      [['$.calendars.office.weekly.sat[0]', 'starts and ends at 00:00: an interval needs a length (a whole day is ["00:00","24:00"])']]],
    ['a night shift overlapping the same evening', (c) => { c.calendars.office.weekly.thu = [['09:00', '17:00'], ['16:00', '02:00']]; },
      [['$.calendars.office.weekly.thu[1]', '16:00–02:00 overlaps 09:00–17:00']]],
    ['overlapping intervals',
      (c) => { c.calendars.office.weekly.fri = [['09:00', '13:00'], ['12:00', '17:00']]; },
      [['$.calendars.office.weekly.fri[1]', '12:00–17:00 overlaps 09:00–13:00']]],
    ['an interval inside another one, listed out of order',
      (c) => {
        c.calendars.office.weekly.fri = [['14:00', '15:00'], ['09:00', '17:00'], ['10:00', '11:00']];
      },
      [['$.calendars.office.weekly.fri[0]', '14:00–15:00 overlaps 09:00–17:00'],
        ['$.calendars.office.weekly.fri[2]', '10:00–11:00 overlaps 09:00–17:00']]],
    ['an interval that is not a pair', (c) => { c.calendars.office.weekly.thu = [['09:00']]; },
      [['$.calendars.office.weekly.thu[0]', /must be a pair/]]],
    ['a bad holiday', (c) => { c.calendars.office.holidays[2] = '2026-02-30'; },
      [['$.calendars.office.holidays[2]', '"2026-02-30" is not a date (use YYYY-MM-DD, or MM-DD for the same date every year)']]],
    ['a yearly holiday in month 13', (c) => { c.calendars.office.holidays = ['2026-12-25', '2026-12-26', '13-01']; },
      [['$.calendars.office.holidays[2]', '"13-01" is not a date (use YYYY-MM-DD, or MM-DD for the same date every year)']]],
    ['a yearly 30 February', (c) => { c.calendars.office.holidays = ['2026-12-25', '2026-12-26', { date: '02-30', hours: [] }]; },
      [['$.calendars.office.holidays[2].date', /^"02-30" is not a date/]]],
    ['a yearly holiday without its zero', (c) => { c.calendars.office.holidays = ['2026-12-25', '2026-12-26', '1-6']; },
      [['$.calendars.office.holidays[2]', /^"1-6" is not a date/]]],
    ['a partial-day holiday with a bad interval',
      (c) => { c.calendars.office.holidays = ['2026-12-25', '2026-12-26', { date: '2026-12-24', hours: [['09:00', '12:00'], ['11:00', '25:00'], ['10:00', '10:00']] }]; },
      [['$.calendars.office.holidays[2].hours[1][1]', /^"25:00" is not an end time/],
        ['$.calendars.office.holidays[2].hours[2]', /^starts and ends at 10:00/]]],
    ['overlapping hours of a partial-day holiday',
      (c) => { c.calendars.office.holidays = ['2026-12-25', '2026-12-26', { date: '12-24', hours: [['09:00', '12:00'], ['11:00', '13:00']] }]; },
      [['$.calendars.office.holidays[2].hours[1]', '11:00–13:00 overlaps 09:00–12:00']]],
    ['a partial-day holiday without hours', (c) => { c.calendars.office.holidays = ['2026-12-25', '2026-12-26', { date: '2026-12-24' }]; },
      [['$.calendars.office.holidays[2].hours', /^hours is required/]]],
    ['a partial-day holiday without a date', (c) => { c.calendars.office.holidays = ['2026-12-25', '2026-12-26', { hours: [] }]; },
      [['$.calendars.office.holidays[2].date', /^date is required/]]],
    ['a partial-day holiday with an unknown key',
      (c) => { c.calendars.office.holidays = ['2026-12-25', '2026-12-26', { date: '2026-12-24', hours: [], open: false }]; },
      [['$.calendars.office.holidays[2].open', 'unknown key "open" (expected date, hours; or from, to, hours for a range)']]],
    ['a holiday that is a number', (c) => { c.calendars.office.holidays = ['2026-12-25', '2026-12-26', 20261224]; },
      [['$.calendars.office.holidays[2]', /^20261224 is not a holiday: a holiday is a date "YYYY-MM-DD", "MM-DD" for every year, or \{/]]],
    ['one day twice, with other hours',
      (c) => { c.calendars.office.holidays = ['2026-12-25', '2026-12-26', { date: '2026-12-25', hours: [['09:00', '12:00']] }]; },
      [['$.calendars.office.holidays[2]', '"2026-12-25" is already holidays[0] with other hours: give each day once, with the hours it has']]],
    ['one yearly day twice, with other hours',
      (c) => { c.calendars.office.holidays = ['2026-12-25', '2026-12-26', { date: '12-24', hours: [['09:00', '12:00']] }, { date: '12-24', hours: [['09:00', '13:00']] }]; },
      [['$.calendars.office.holidays[3]', '"12-24" is already holidays[2] with other hours: give each day once, with the hours it has']]],
    ['a range without its end', (c) => { c.calendars.office.holidays = [{ from: '2026-12-24' }]; },
      [['$.calendars.office.holidays[0].to', /^to is required: a range runs from one date to another, both included/]]],
    ['a range with a bad date and bad hours', (c) => { c.calendars.office.holidays = [{ from: '2026-12-32', to: '2027-01-01', hours: [['09:00', '09:00']] }]; },
      [['$.calendars.office.holidays[0].from', /^"2026-12-32" is not a date/],
        ['$.calendars.office.holidays[0].hours[0]', /^starts and ends at 09:00/]]],
    ['a range that ends before it starts', (c) => { c.calendars.office.holidays = [{ from: '2027-01-01', to: '2026-12-24' }]; },
      [['$.calendars.office.holidays[0].to', '"2026-12-24" is before "2027-01-01": a range runs from its first day to its last']]],
    ['a range of a dated and a yearly end', (c) => { c.calendars.office.holidays = [{ from: '2026-12-24', to: '01-01' }]; },
      [['$.calendars.office.holidays[0].to', '"2026-12-24" to "01-01": give both ends as YYYY-MM-DD, or both as MM-DD for every year']]],
    ['a range longer than a year (a mistyped year)', (c) => { c.calendars.office.holidays = [{ from: '2026-12-24', to: '2036-01-01' }]; },
      [['$.calendars.office.holidays[0].to', '"2026-12-24" to "2036-01-01" is 3296 days: a range is at most 366 (give a longer closure as several)']]],
    ['a yearly range over every day', (c) => { c.calendars.office.holidays = [{ from: '01-01', to: '12-31' }]; },
      [['$.calendars.office.holidays[0].to', '"01-01" to "12-31" is every day of the year: the calendar would never be open']]],
    ['a day and a range at once', (c) => { c.calendars.office.holidays = [{ date: '2026-12-24', from: '2026-12-24', to: '2026-12-31', hours: [] }]; },
      [['$.calendars.office.holidays[0].date', 'a holiday is one day ("date") or a range ("from" and "to"), not both']]],
    ['a range with an unknown key', (c) => { c.calendars.office.holidays = [{ from: '12-24', to: '12-31', closed: true }]; },
      [['$.calendars.office.holidays[0].closed', 'unknown key "closed" (expected from, to, hours)']]],
    ['two ranges giving a day other hours',
      (c) => { c.calendars.office.holidays = [{ from: '12-20', to: '12-31' }, { from: '12-28', to: '01-03', hours: [['10:00', '12:00']] }]; },
      [['$.calendars.office.holidays[1]', 'from "12-28" this range overlaps holidays[0] with other hours: two ranges may not give a day different hours (a single day\'s own entry may)']]],
    ['holidays that are not a list', (c) => { c.calendars.office.holidays = '2026-12-25'; },
      [['$.calendars.office.holidays', /must be a list/]]],
    ['an unknown weekday', (c) => { c.calendars.office.weekly.monday = [['09:00', '17:00']]; },
      [['$.calendars.office.weekly.monday', /unknown weekday "monday"/]]],
    ['weekly "24/7"', (c) => { c.calendars.always.weekly = '24/7'; },
      [['$.calendars.always.weekly', /"24\/7" is not valid: use "24x7"/]]],
    ['no open hours at all', (c) => { c.calendars.office.weekly = { sat: [], sun: [] }; },
      [['$.calendars.office.weekly', 'the calendar has no open hours on any weekday']]],
    ['a calendar that is not an object', (c) => { c.calendars.office = 'Berlin'; },
      [['$.calendars.office', /must be an object/]]],
    ['an unknown key in a calendar', (c) => { c.calendars.office.hours = {}; },
      [['$.calendars.office.hours', /unknown key "hours"/]]],
    ['a default naming a missing policy', (c) => { c.default = 'gold'; },
      [['$.default', 'unknown policy "gold" (policies: standard, premium)']]],
    ['a default named like an Object method', (c) => { c.default = 'constructor'; },
      [['$.default', /unknown policy "constructor"/]]],
    ['an unknown priority',
      (c) => { c.policies.standard.targets.critical = { firstResponse: '1h' }; },
      [['$.policies.standard.targets.critical',
        'unknown priority "critical" (expected urgent, high, normal, low)']]],
    ['an unknown metric', (c) => { c.policies.standard.targets.urgent.firstReply = '1h'; },
      [['$.policies.standard.targets.urgent.firstReply', /unknown metric "firstReply"/]]],
    ['a bad warnBefore', (c) => { c.policies.standard.warnBefore = '120%'; },
      [['$.policies.standard.warnBefore', /"120%" is not a valid percentage/]]],
    ['a missing warnBefore', (c) => { delete c.policies.premium.warnBefore; },
      [['$.policies.premium.warnBefore', 'warnBefore is required ("20%" or a duration)']]],
    ['a description that is not text', (c) => { c.policies.standard.description = 42; },
      [['$.policies.standard.description', 'description must be a string']]],
    ['an unknown key in a policy', (c) => { c.policies.standard.sla = '1h'; },
      [['$.policies.standard.sla', /unknown key "sla"/]]],
    ['an unknown top-level key', (c) => { c.version = 2; },
      [['$.version', /unknown key "version"/]]],
    ['policies as a list', (c) => { c.policies = []; },
      [['$.policies', 'policies must be an object of named policies'],
        ['$.default', 'unknown policy "standard" (policies: none)']]],
    ['a policy that is not an object', (c) => { c.policies.premium = null; },
      [['$.policies.premium', /a policy must be an object/]]],
    ['a missing default', (c) => { delete c.default; }, [['$.default', 'default is required']]],
    ['null', () => null, [['$', /must be an object/]]],
    ['a list', () => [], [['$', /must be an object/]]],
    ['a number', () => 42, [['$', /must be an object/]]],
    ['three problems in different places at once', (c) => {
      c.calendars.office.timezone = 'Nowhere';
      c.policies.standard.targets.high.resolution = '16 hours';
      c.default = 'missing';
    }, [
      ['$.calendars.office.timezone', /not a time zone/],
      ['$.policies.standard.targets.high.resolution', /not a duration/],
      ['$.default', /unknown policy/],
    ]],
  ];

  it.each(cases)('%s', (_, mutate, expected) => {
    const config = shipped();
    const replacement = mutate(config);
    const input = replacement === undefined ? config : replacement;
    const problems = validateSlaConfig(input);
    expect(problems).toHaveLength(expected.length);
    for (const [path, message] of expected) {
      const text = typeof message === 'string' ? message : expect.stringMatching(message);
      expect(problems).toContainEqual({ path, message: text, severity: 'error' });
    }
    expect(() => compileSlaConfig(input)).toThrowError(SlaConfigError);
  });

  it('warns (without failing) when a duration warnBefore is not shorter than a target', () => {
    const config = shipped();
    config.policies.premium.warnBefore = '30m';
    expect(validateSlaConfig(config)).toEqual([
      {
        path: '$.policies.premium.warnBefore',
        message:
          '"30m" is not shorter than the 30m target at targets.urgent.firstResponse: ' +
          'that warning fires as soon as the timer starts',
        severity: 'warning',
      },
    ]);
    const target = compileSlaConfig(config).target('premium', 'urgent', 'firstResponse');
    expect(target?.warnOffsetMinutes).toBe(30);
  });

  it('takes night shifts, yearly holidays and holidays with their own hours; a day listed twice alike only warns', () => {
    const config = shipped();
    config.calendars.office.weekly.sat = [['22:00', '06:00']];
    config.calendars.office.weekly.sun = [['00:00', '08:00'], ['20:00', '00:00']];
    config.calendars.office.holidays = [
      '2026-12-25', '12-26', '02-29', { date: '2026-12-24', hours: [['09:00', '12:00']] }, { date: '12-31', hours: [] },
      { date: '01-01', hours: [['22:00', '02:00']] }, '2026-12-25',
    ];
    expect(validateSlaConfig(config)).toEqual([
      { path: '$.calendars.office.holidays[6]', message: '"2026-12-25" is already holidays[0]; the same day once is enough', severity: 'warning' },
    ]);
    const office = compileSlaConfig(config).calendar('office')!;
    expect(isWithinBusinessHours(office, berlin('2026-06-14T05:00'))).toBe(true); // Sunday morning: Saturday's shift and Sunday's own hours
    expect(isWithinBusinessHours(office, berlin('2026-06-15T07:00'))).toBe(false); // Monday 07:00: Sunday's shift ended at midnight
  });

  it('takes ranges of holidays (dated, yearly over New Year, with hours); a single day inside one wins; ranges repeating days alike only warn', () => {
    const config = shipped();
    config.calendars.office.holidays = [
      { from: '2026-12-24', to: '2027-01-01' },
      { date: '2026-12-30', hours: [['09:00', '12:00']] },
      { from: '12-27', to: '01-02', hours: [['10:00', '14:00']] },
      { from: '08-03', to: '08-14' },
      { from: '08-10', to: '08-21' },
    ];
    expect(validateSlaConfig(config)).toEqual([
      { path: '$.calendars.office.holidays[4]', message: 'from "08-10" this range repeats days of holidays[3] alike; each day once is enough', severity: 'warning' },
    ]);
    const office = compileSlaConfig(config).calendar('office')!;
    const open = (local: string) => isWithinBusinessHours(office, berlin(local));
    expect(open('2026-12-28T10:00')).toBe(false); // the dated range wins over the yearly one
    expect(open('2026-12-30T10:00')).toBe(true); // its single day with hours wins over it
    expect(open('2027-01-04T10:00')).toBe(true); // Monday after both ranges
    expect(open('2027-12-28T10:00')).toBe(true); // the yearly range, 10–14
    expect(open('2027-12-28T15:00')).toBe(false);
    expect(open('2028-01-03T10:00')).toBe(true); // Monday after the yearly range
    expect(open('2027-08-18T10:00')).toBe(false); // the second summer range
  });

  it('takes two dated ranges with other hours that meet only on days the week keeps closed; refuses them meeting on an open day, or every year', () => {
    const config = shipped();
    // Mon 2 – Sun 8 August 2027 closed, Sat 7 – Fri 13 August open 10–12: they share a weekend
    // the office's week keeps closed whatever a range says, so no day gets two different hours.
    config.calendars.office.holidays = [
      { from: '2027-08-02', to: '2027-08-08' },
      { from: '2027-08-07', to: '2027-08-13', hours: [['10:00', '12:00']] },
    ];
    expect(validateSlaConfig(config)).toEqual([]);
    const office = compileSlaConfig(config).calendar('office')!;
    const open = (local: string) => isWithinBusinessHours(office, berlin(local));
    expect(open('2027-08-05T10:00')).toBe(false); // Thursday in the first range
    expect(open('2027-08-07T10:00')).toBe(false); // the Saturday both give
    expect(open('2027-08-09T10:00')).toBe(true); // Monday in the second, 10–12
    expect(open('2027-08-09T13:00')).toBe(false);
    expect(open('2027-08-16T13:00')).toBe(true); // the week after

    // From Friday 6 August they meet on a day the office opens.
    config.calendars.office.holidays[1] = { from: '2027-08-06', to: '2027-08-13', hours: [['10:00', '12:00']] };
    expect(validateSlaConfig(config)).toEqual([
      { path: '$.calendars.office.holidays[1]', message: 'from "2027-08-06" this range overlaps holidays[0] with other hours: two ranges may not give a day different hours (a single day\'s own entry may)', severity: 'error' },
    ]);
    // A calendar open every day has no such weekend.
    config.calendars.always.holidays = [
      { from: '2027-08-02', to: '2027-08-08' },
      { from: '2027-08-07', to: '2027-08-13', hours: [['10:00', '12:00']] },
    ];
    config.calendars.office.holidays = [];
    expect(validateSlaConfig(config).map((p) => p.path)).toEqual(['$.calendars.always.holidays[1]']);
    // Yearly ranges fall on other weekdays in other years: their overlap is refused on any day.
    config.calendars.always.holidays = [];
    config.calendars.office.holidays = [{ from: '08-02', to: '08-08' }, { from: '08-07', to: '08-13', hours: [['10:00', '12:00']] }];
    expect(validateSlaConfig(config).map((p) => p.path)).toEqual(['$.calendars.office.holidays[1]']);
  });

  it('counts a week of night shifts once where a shift meets the next day’s hours (targets a year can reach)', () => {
    const config = shipped();
    // Sat 22:00–Sun 06:00 and Sun 00:00–08:00: 2h + 8h = 10h a week, not 16h → 520h in 52 weeks.
    config.calendars.nights = { timezone: 'Europe/Berlin', weekly: { sat: [['22:00', '06:00']], sun: [['00:00', '08:00']] } };
    config.policies.standard.calendar = 'nights';
    config.policies.standard.targets.normal.resolution = '521h';
    expect(validateSlaConfig(config)).toEqual([
      expect.objectContaining({ path: '$.policies.standard.targets.normal.resolution', message: '"521h" is more business time than a year of calendar "nights" (10h a week, 520h in 52 weeks)' }),
    ]);
  });

  it('warns (without failing) about a time zone written in another case than its name', () => {
    const config = shipped();
    config.calendars.office.timezone = 'europe/berlin';
    expect(validateSlaConfig(config)).toEqual([
      { path: '$.calendars.office.timezone', message: '"europe/berlin" works, but is written "Europe/Berlin"; it is shown as written', severity: 'warning' },
    ]);
    expect(compileSlaConfig(config).policy('standard')).toBeDefined();
  });

  it('takes IANA’s current zone names as written, and names them when an older one is written', () => {
    // The runtime's ICU resolves Asia/Kolkata to its older name Asia/Calcutta (and Asia/Kathmandu to Asia/Katmandu).
    const config = shipped();
    config.calendars.office.timezone = 'Asia/Kolkata';
    config.calendars.always.timezone = 'Asia/Kathmandu';
    expect(validateSlaConfig(config)).toEqual([]);
    config.calendars.office.timezone = 'Asia/Calcutta';
    config.calendars.always.timezone = 'europe/kiev';
    expect(validateSlaConfig(config)).toEqual([
      { path: '$.calendars.office.timezone', message: '"Asia/Calcutta" works, but is written "Asia/Kolkata"; it is shown as written', severity: 'warning' },
      { path: '$.calendars.always.timezone', message: '"europe/kiev" works, but is written "Europe/Kyiv"; it is shown as written', severity: 'warning' },
    ]);
  });

  it('refuses a target its calendar cannot reach, but still compiles a stored version with one', () => {
    const config = shipped();
    // A weekend desk: 8 business hours a week, 416 in a year.
    config.calendars.weekend = { timezone: 'Europe/Berlin', weekly: { sat: [['10:00', '14:00']], sun: [['10:00', '14:00']] } };
    config.policies.standard.calendar = 'weekend';
    config.policies.standard.targets.normal.resolution = '400h';
    expect(hasErrors(validateSlaConfig(config))).toBe(false);
    config.policies.standard.targets.normal.resolution = '1300h';
    expect(validateSlaConfig(config)).toEqual([
      {
        path: '$.policies.standard.targets.normal.resolution',
        message: '"1300h" is more business time than a year of calendar "weekend" (8h a week, 416h in 52 weeks)',
        severity: 'error',
      },
    ]);
    // Stored before the check: it compiles, and only that target has no due time.
    expect(compileSlaConfig(config).target('standard', 'normal', 'resolution')?.minutes).toBe(1300 * 60);
  });

  it('puts every problem into the error thrown by compileSlaConfig', () => {
    const config = shipped();
    config.default = 'gold';
    config.calendars.always.timezone = 'Mars/Olympus';
    try {
      compileSlaConfig(config);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SlaConfigError);
      const e = error as SlaConfigError;
      expect(e.code).toBe('INVALID_SLA_CONFIG');
      const paths = e.problems.map((p) => p.path).sort();
      expect(paths).toEqual(['$.calendars.always.timezone', '$.default']);
      expect(e.message).toContain('error at $.default: unknown policy "gold"');
    }
  });
});

describe('validateSlaConfig on arbitrary input', () => {
  /** Every path into the shipped config, to replace one node by anything. */
  const paths: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        walk(child, [...path, Array.isArray(value) ? Number(key) : key]);
      }
    }
  };
  walk(SHIPPED, []);

  const replaced = fc.tuple(fc.constantFrom(...paths), fc.anything()).map(([path, value]) => {
    if (path.length === 0) return value;
    const config = shipped();
    let node = config;
    for (const key of path.slice(0, -1)) node = node[key];
    node[path.at(-1)!] = value;
    return config;
  });

  it('never throws, and only compiles what validates', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.jsonValue(), replaced, replaced), (input) => {
        const problems = validateSlaConfig(input);
        for (const p of problems) expect(p.path.startsWith('$')).toBe(true);
        if (hasErrors(problems)) {
          expect(() => compileSlaConfig(input)).toThrowError(SlaConfigError);
        } else {
          expect(compileSlaConfig(input).policyNames.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });
});
