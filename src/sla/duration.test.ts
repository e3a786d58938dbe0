import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  describeValue,
  formatDuration,
  MAX_DURATION_MINUTES,
  parseDuration,
  parseWarnBefore,
  warnOffsetMinutes,
} from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['90m', 90],
    ['2h', 120],
    ['1h30m', 90],
    ['1h0m', 60],
    ['0h45m', 45],
    ['16h', 960],
    ['2000h', MAX_DURATION_MINUTES],
  ])('%s is %i business minutes', (text, minutes) => {
    expect(parseDuration(text)).toEqual({ ok: true, value: minutes });
  });

  it.each([
    ['1x', '"1x" is not a duration (use 90m or 2h)'],
    ['', '"" is not a duration (use 90m or 2h)'],
    ['1.5h', '"1.5h" is not a duration (use 90m or 2h)'],
    ['30m1h', '"30m1h" is not a duration (use 90m or 2h)'],
    ['1h 30m', '"1h 30m" is not a duration (use 90m or 2h)'],
    ['2H', '"2H" is not a duration (use 90m or 2h)'],
    ['-5m', '"-5m" is not a duration (use 90m or 2h)'],
    ['1d', '"1d" is not a duration (use 90m or 2h)'],
    ['0m', '"0m" must be longer than zero'],
    ['0h0m', '"0h0m" must be longer than zero'],
    ['1h90m', '"1h90m": minutes after hours must be below 60 (write 2h30m)'],
    ['2001h', '"2001h" is too long (at most 2000h)'],
  ])('rejects %j', (text, message) => {
    expect(parseDuration(text)).toEqual({ ok: false, message });
  });

  it.each([
    [90, '90 is not a duration (use 90m or 2h)'],
    [null, 'null is not a duration (use 90m or 2h)'],
    [undefined, 'undefined is not a duration (use 90m or 2h)'],
    [['1h'], 'a list is not a duration (use 90m or 2h)'],
    [{ h: 1 }, 'an object is not a duration (use 90m or 2h)'],
  ])('rejects the non-string %j', (value, message) => {
    expect(parseDuration(value)).toEqual({ ok: false, message });
  });

  it('round-trips every formatted duration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_DURATION_MINUTES }), (minutes) => {
        expect(parseDuration(formatDuration(minutes))).toEqual({ ok: true, value: minutes });
      }),
      { numRuns: 300 },
    );
  });

  it('never throws', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        parseDuration(value);
        parseWarnBefore(value);
        describeValue(value);
      }),
      { numRuns: 300 },
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [45, '45m'],
    [60, '1h'],
    [90, '1h30m'],
    [2400, '40h'],
  ])('%i minutes is %s', (minutes, text) => {
    expect(formatDuration(minutes)).toBe(text);
  });
});

describe('parseWarnBefore', () => {
  it.each([
    ['20%', { kind: 'percent', percent: 20 }],
    ['12.5%', { kind: 'percent', percent: 12.5 }],
    ['99%', { kind: 'percent', percent: 99 }],
    ['15m', { kind: 'duration', minutes: 15 }],
    ['1h', { kind: 'duration', minutes: 60 }],
  ])('%s', (text, value) => {
    expect(parseWarnBefore(text)).toEqual({ ok: true, value });
  });

  it.each([
    ['0%', '"0%" is not a valid percentage (use a number between 0 and 100, e.g. "20%")'],
    ['100%', '"100%" is not a valid percentage (use a number between 0 and 100, e.g. "20%")'],
    ['150%', '"150%" is not a valid percentage (use a number between 0 and 100, e.g. "20%")'],
    ['-5%', '"-5%" is not a valid percentage (use a number between 0 and 100, e.g. "20%")'],
    ['%', '"%" is not a valid percentage (use a number between 0 and 100, e.g. "20%")'],
    ['20 %', '"20 %" is not a valid percentage (use a number between 0 and 100, e.g. "20%")'],
    ['soon', '"soon" is neither a percentage nor a duration (use "20%", 90m or 2h)'],
    [20, '20 is neither a percentage nor a duration (use "20%", 90m or 2h)'],
  ])('rejects %j', (text, message) => {
    expect(parseWarnBefore(text)).toEqual({ ok: false, message });
  });
});

describe('warnOffsetMinutes', () => {
  it.each([
    [60, { kind: 'percent', percent: 20 } as const, 12],
    [480, { kind: 'percent', percent: 20 } as const, 96],
    [50, { kind: 'percent', percent: 15 } as const, 7.5],
    [30, { kind: 'duration', minutes: 15 } as const, 15],
    [10, { kind: 'duration', minutes: 15 } as const, 10],
    [15, { kind: 'duration', minutes: 15 } as const, 15],
  ])('target %i, %j → warn %s minutes before due', (target, warnBefore, offset) => {
    expect(warnOffsetMinutes(target, warnBefore)).toBe(offset);
  });

  it('is always within [0, target]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_DURATION_MINUTES }),
        fc.oneof(
          fc.double({ min: 0.01, max: 99.99, noNaN: true }).map((percent) => ({ kind: 'percent' as const, percent })),
          fc.integer({ min: 1, max: MAX_DURATION_MINUTES }).map((minutes) => ({ kind: 'duration' as const, minutes })),
        ),
        (target, warnBefore) => {
          const offset = warnOffsetMinutes(target, warnBefore);
          expect(offset).toBeGreaterThan(0);
          expect(offset).toBeLessThanOrEqual(target);
        },
      ),
      { numRuns: 300 },
    );
  });
});
