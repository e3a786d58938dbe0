import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketsOf, periodOf } from './period.js';
import { nearestRank, percent, summarize } from './stats.js';

describe('nearest-rank percentiles', () => {
  it.each([
    { values: [7], p: 50, expected: 7 },
    { values: [7], p: 90, expected: 7 },
    { values: [1, 2], p: 50, expected: 1 },
    { values: [1, 2, 3, 4], p: 50, expected: 2 },
    { values: [1, 2, 3, 4], p: 90, expected: 4 },
    { values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], p: 90, expected: 9 },
    { values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], p: 90, expected: 10 },
    { values: [15, 20, 35, 40, 50], p: 30, expected: 20 },
    { values: [15, 20, 35, 40, 50], p: 100, expected: 50 },
  ])('p$p of $values is $expected', ({ values, p, expected }) => {
    expect(nearestRank(values, p)).toBe(expected);
  });

  it('is null without values and refuses percentiles outside (0, 100]', () => {
    expect(nearestRank([], 50)).toBeNull();
    expect(() => nearestRank([1], 0)).toThrow(RangeError);
    expect(() => nearestRank([1], 101)).toThrow(RangeError);
  });

  it('is a value of the list with at least p% of the values at or below it and fewer strictly below', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 100 }), (values, p) => {
        const sorted = [...values].sort((a, b) => a - b);
        const r = nearestRank(sorted, p)!;
        const k = Math.ceil((p / 100) * values.length);
        expect(values).toContain(r);
        expect(values.filter((v) => v <= r).length).toBeGreaterThanOrEqual(k);
        expect(values.filter((v) => v < r).length).toBeLessThan(k);
      }),
    );
  });

  it('summarize gives count, total, mean, median and p90 of unsorted values', () => {
    expect(summarize([30, 1320, 180, 90])).toEqual({ count: 4, total: 1620, mean: 405, median: 90, p90: 1320 });
    expect(summarize([])).toEqual({ count: 0, total: 0, mean: null, median: null, p90: null });
    expect(percent(2, 3)).toBe(66.7);
    expect(percent(0, 0)).toBeNull();
  });
});

describe('periods and buckets', () => {
  it('dates in a zone become [first midnight, midnight after the last day)', () => {
    expect(periodOf('2026-03-29', '2026-03-29', 'Europe/Berlin')).toEqual({ from: Date.parse('2026-03-28T23:00:00Z'), to: Date.parse('2026-03-29T22:00:00Z') });
    expect(periodOf('2026-01-01', '2026-01-31', 'UTC')).toEqual({ from: Date.parse('2026-01-01T00:00:00Z'), to: Date.parse('2026-02-01T00:00:00Z') });
  });

  it('days up to 31 days, weeks from the first day beyond (the last week may be shorter)', () => {
    const month = bucketsOf({ ...periodOf('2026-01-01', '2026-01-31', 'UTC'), zone: 'UTC' });
    expect(month.unit).toBe('day');
    expect(month.buckets).toHaveLength(31);
    const longer = bucketsOf({ ...periodOf('2026-01-01', '2026-02-01', 'UTC'), zone: 'UTC' });
    expect(longer.unit).toBe('week');
    expect(longer.buckets.map((b) => [b.label, (b.end - b.start) / 86_400_000])).toEqual([
      ['2026-01-01', 7],
      ['2026-01-08', 7],
      ['2026-01-15', 7],
      ['2026-01-22', 7],
      ['2026-01-29', 4],
    ]);
  });
});
