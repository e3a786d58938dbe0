import { describe, expect, it } from 'vitest';
import { isoTime } from './iso-time.js';

describe('isoTime', () => {
  it('writes what toISOString writes, for random times from 1970 to 9999 and around day boundaries', () => {
    const times: number[] = [0, 1, 999, 1000, 59_999, 3_599_999, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */, 253_402_300_799_999];
    for (let i = 0; i < 20_000; i++) times.push(Math.floor(Math.random() * 253_402_300_800_000));
    for (let i = 0; i < 2_000; i++) {
      const day = Math.floor(Math.random() * 3_000_000) * 86_400_000;
      times.push(day, day - 1, day + 1, day + 86_399_999);
    }
    // Days taken in turns, eight apart (the same slot) and next to each other: each kept day must be the right one.
    const today = 1_764_979_200_000;
    for (let i = 0; i < 50; i++) for (const d of [0, 8, 1, 16, 7, 9, -8, 3]) times.push(today + d * 86_400_000 + i * 3_600_123);
    for (const ms of times) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('truncates fractions as Date does, and leaves what is not a four-digit year after 1970 to Date', () => {
    for (const ms of [1.5, 86_399_999.999, 1_764_979_200_123.75, -1, -86_400_001, 253_402_300_800_000, 8.64e15]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
