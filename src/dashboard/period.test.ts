/**
 * The dashboard's days in zones whose daylight-saving change is not the usual 02:00 one hour:
 * Santiago skips midnight (00:00 → 01:00 on Sunday 6 September 2026), Lord Howe Island moves
 * 30 minutes (02:00 → 02:30 on Sunday 4 October 2026). Expected instants worked out by hand
 * from the offsets (Santiago −04:00 → −03:00; Lord Howe +10:30 → +11:00).
 */
import { describe, expect, it } from 'vitest';
import { bucketsOf, periodOf } from './period.js';

const iso = (ms: number) => new Date(ms).toISOString();
const days = (zone: string, from: string, to: string) =>
  bucketsOf({ ...periodOf(from, to, zone), zone }).buckets.map((b) => [b.label, iso(b.start), iso(b.end)]);

describe('local days across daylight-saving changes', () => {
  it('Santiago: the day whose midnight is skipped starts when the clocks jump; the next one at its midnight', () => {
    expect(days('America/Santiago', '2026-09-05', '2026-09-07')).toEqual([
      ['2026-09-05', '2026-09-05T04:00:00.000Z', '2026-09-06T04:00:00.000Z'],
      ['2026-09-06', '2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z'], // 01:00 −03 to midnight: 23 hours
      ['2026-09-07', '2026-09-07T03:00:00.000Z', '2026-09-08T03:00:00.000Z'],
    ]);
    // A period that ends on that day ends at its midnight, not an hour later.
    expect(iso(periodOf('2026-09-01', '2026-09-06', 'America/Santiago').to)).toBe('2026-09-07T03:00:00.000Z');
    // Weeks from that day: each starts at a Sunday midnight.
    const weeks = bucketsOf({ ...periodOf('2026-09-06', '2026-10-17', 'America/Santiago'), zone: 'America/Santiago' }).buckets;
    expect(weeks.slice(0, 3).map((b) => iso(b.start))).toEqual(['2026-09-06T04:00:00.000Z', '2026-09-13T03:00:00.000Z', '2026-09-20T03:00:00.000Z']);
  });

  it('Santiago in April (the clocks go back at midnight): a 25-hour Saturday', () => {
    expect(days('America/Santiago', '2026-04-04', '2026-04-05')).toEqual([
      ['2026-04-04', '2026-04-04T03:00:00.000Z', '2026-04-05T04:00:00.000Z'],
      ['2026-04-05', '2026-04-05T04:00:00.000Z', '2026-04-06T04:00:00.000Z'],
    ]);
  });

  it('Lord Howe Island: a 23½-hour Sunday', () => {
    expect(days('Australia/Lord_Howe', '2026-10-03', '2026-10-05')).toEqual([
      ['2026-10-03', '2026-10-02T13:30:00.000Z', '2026-10-03T13:30:00.000Z'],
      ['2026-10-04', '2026-10-03T13:30:00.000Z', '2026-10-04T13:00:00.000Z'],
      ['2026-10-05', '2026-10-04T13:00:00.000Z', '2026-10-05T13:00:00.000Z'],
    ]);
  });
});
