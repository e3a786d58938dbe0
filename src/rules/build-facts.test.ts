import { describe, expect, it } from 'vitest';
import { localTimeFact } from './build-facts.js';

describe('localTimeFact: the wall clock in the calendar zone', () => {
  it.each([
    // 2026-03-02 is a Monday; 08:30 UTC is 09:30 in Berlin (CET), 03:30 in New York (EST).
    ['2026-03-02T08:30:00Z', 'Europe/Berlin', { hour: 9, minute: 30, weekday: 1, date: '2026-03-02' }],
    ['2026-03-02T08:30:00Z', 'America/New_York', { hour: 3, minute: 30, weekday: 1, date: '2026-03-02' }],
    // Past midnight in the zone: the next day's date and weekday.
    ['2026-03-08T23:30:00Z', 'Europe/Berlin', { hour: 0, minute: 30, weekday: 1, date: '2026-03-09' }],
    // Summer time (CEST, +2) after the last Sunday of March.
    ['2026-03-30T08:30:00Z', 'Europe/Berlin', { hour: 10, minute: 30, weekday: 1, date: '2026-03-30' }],
    ['2026-03-01T12:00:00Z', 'UTC', { hour: 12, minute: 0, weekday: 7, date: '2026-03-01' }],
  ])('%s in %s', (iso, zone, expected) => {
    expect(localTimeFact(Date.parse(iso), zone)).toEqual({ ...expected, zone });
  });
});

describe('localTimeFact shared within a minute', () => {
  it('answers each instant by its own minute, zone by zone, across a DST change', () => {
    const berlin = (iso: string) => localTimeFact(Date.parse(iso), 'Europe/Berlin');
    expect(berlin('2026-03-29T00:59:30Z')).toMatchObject({ hour: 1, minute: 59 }); // CET
    expect(berlin('2026-03-29T00:59:59Z')).toMatchObject({ hour: 1, minute: 59 });
    expect(berlin('2026-03-29T01:00:00Z')).toMatchObject({ hour: 3, minute: 0 }); // CEST from 01:00 UTC
    expect(localTimeFact(Date.parse('2026-03-29T01:00:10Z'), 'America/New_York')).toMatchObject({ hour: 21, minute: 0, date: '2026-03-28', zone: 'America/New_York' });
    expect(berlin('2026-03-29T01:00:20Z')).toMatchObject({ hour: 3, minute: 0, zone: 'Europe/Berlin' });
    expect(Object.isFrozen(berlin('2026-03-29T01:00:30Z'))).toBe(true);
  });
});
