import { describe, expect, it } from 'vitest';
import { nextWait, RETRY_AFTER_MAX_MS, retryAfterMs } from './retry-after.js';

const NOW = Date.parse('2026-10-21T07:00:00Z');

describe('retryAfterMs', () => {
  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Wed, 21 Oct 2026 07:28:00 GMT', 28 * 60_000],
    ['Wednesday, 21-Oct-26 07:28:00 GMT', 28 * 60_000],
    ['Wed Oct 21 07:28:00 2026', 28 * 60_000],
    ['Wed, 21 Oct 2026 06:00:00 GMT', 0],
    ['soon', null],
    ['-5', null],
    ['1.5', null],
    ['2026-10-21T07:28:00Z', null],
    ['', null],
    [null, null],
  ])('%j → %j', (value, expected) => {
    expect(retryAfterMs(value, NOW)).toBe(expected);
  });
});

describe('nextWait', () => {
  it.each([
    [5_000, 429, '120', 120_000],
    [5_000, 503, '120', 120_000],
    [300_000, 429, '1', 300_000],
    [5_000, 429, '99999999', RETRY_AFTER_MAX_MS],
    [36_000_000, 429, '99999999', 36_000_000],
    [5_000, 500, '120', 5_000],
    [5_000, null, '120', 5_000],
    [5_000, 429, 'soon', 5_000],
    [5_000, 429, null, 5_000],
  ])('schedule %d, status %j, Retry-After %j → %d', (scheduled, status, value, expected) => {
    expect(nextWait(scheduled, status, value, NOW)).toBe(expected);
  });
});
