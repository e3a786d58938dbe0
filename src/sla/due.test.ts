import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { businessMinutesBetween, compileCalendar, type LocalInterval } from './calendar.js';
import { computeDue } from './due.js';

const ZONE = 'Europe/Berlin';
const at = (local: string) => DateTime.fromISO(local, { zone: ZONE }).toMillis();
const show = (ms: number) =>
  DateTime.fromMillis(ms, { zone: ZONE }).toISO({ suppressMilliseconds: true });

const nineToFive: LocalInterval[] = [['09:00', '17:00']];
/** PRODUCT.md's worked-example calendar: Mon–Fri 09:00–17:00. */
const cal = compileCalendar({
  timezone: ZONE,
  weekly: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
});

describe('computeDue', () => {
  it('pause: 8h, created Mon 10:00, paused Mon 12:00, resumed Tue 14:00 → due Wed 12:00', () => {
    const created = at('2026-06-15T10:00');
    const usedMinutes = businessMinutesBetween(cal, created, at('2026-06-15T12:00'));
    const due = computeDue(cal, {
      startMs: at('2026-06-16T14:00'),
      usedMinutes,
      targetMinutes: 480,
      warnOffsetMinutes: 96, // 20%
    });
    expect(show(due.dueAt)).toBe('2026-06-17T12:00:00+02:00');
    // 480 − 96 − 120 = 264 minutes: 3h on Tuesday, 1h24 on Wednesday.
    expect(show(due.warnAt)).toBe('2026-06-17T10:24:00+02:00');
  });

  it.each([
    ['a new timer created after hours', '2026-06-12T17:30', 0, 120, 24,
      '2026-06-15T10:36:00+02:00', '2026-06-15T11:00:00+02:00'],
    ['a warning already passed fires at the restart', '2026-06-16T14:00', 400, 480, 96,
      '2026-06-16T14:00:00+02:00', '2026-06-16T15:20:00+02:00'],
    ['a used-up target is due at the restart', '2026-06-13T10:00', 500, 480, 96,
      '2026-06-13T10:00:00+02:00', '2026-06-13T10:00:00+02:00'],
    ['a warning offset as long as the target fires at the start', '2026-06-15T10:00', 0, 15, 15,
      '2026-06-15T10:00:00+02:00', '2026-06-15T10:15:00+02:00'],
    ['fractional used minutes', '2026-06-15T10:00', 0.5, 60, 12,
      '2026-06-15T10:47:30+02:00', '2026-06-15T10:59:30+02:00'],
  ] as const)('%s', (_, start, usedMinutes, targetMinutes, warnOffsetMinutes, warnAt, dueAt) => {
    const input = { startMs: at(start), usedMinutes, targetMinutes, warnOffsetMinutes };
    const due = computeDue(cal, input);
    expect({ warnAt: show(due.warnAt), dueAt: show(due.dueAt) }).toEqual({ warnAt, dueAt });
  });

  it.each([
    ['negative used minutes', { usedMinutes: -1 }],
    ['a zero target', { targetMinutes: 0 }],
    ['a NaN warning offset', { warnOffsetMinutes: Number.NaN }],
  ])('rejects %s', (_, override) => {
    const input = { startMs: 0, usedMinutes: 0, targetMinutes: 60, warnOffsetMinutes: 12 };
    Object.assign(input, override);
    expect(() => computeDue(cal, input)).toThrowError(RangeError);
  });

  it('warns no later than it is due, and the due time uses exactly the remaining minutes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }),
        fc.integer({ min: 1, max: 2400 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 1, max: 99 }),
        (startMs, targetMinutes, usedMinutes, percent) => {
          const warnOffsetMinutes = (targetMinutes * percent) / 100;
          const due = computeDue(cal, { startMs, usedMinutes, targetMinutes, warnOffsetMinutes });
          expect(due.warnAt).toBeGreaterThanOrEqual(startMs);
          expect(due.warnAt).toBeLessThanOrEqual(due.dueAt);
          expect(businessMinutesBetween(cal, startMs, due.dueAt)).toBe(
            Math.max(0, targetMinutes - usedMinutes),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
