/**
 * The calculator's reading of a local creation time the clocks repeat: the first of its two
 * instants, whatever the date it is asked on (luxon alone picks by today's offset, so the answer
 * changed with the season), in both hemispheres.
 */
import { describe, expect, it } from 'vitest';
import { compileSlaConfig } from '../../../sla/config.js';
import { calculateDue } from './sla-calculator.js';

const office = { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']] };
const config = compileSlaConfig({
  calendars: {
    berlin: { timezone: 'Europe/Berlin', weekly: '24x7', holidays: ['2000-01-01'] },
    auckland: { timezone: 'Pacific/Auckland', weekly: office },
  },
  policies: {
    berlin: { calendar: 'berlin', warnBefore: '20%', targets: { high: { firstResponse: '2h' } } },
    auckland: { calendar: 'auckland', warnBefore: '20%', targets: { high: { firstResponse: '2h' } } },
  },
  default: 'berlin',
});

function answer(policy: string, created: string) {
  const outcome = calculateDue(config, { created, policy, priority: 'high', metric: 'firstResponse' });
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
  return outcome.answer;
}

describe('a local creation time the clocks repeat', () => {
  it('is read as its first occurrence, at the offset before the clocks go back (Berlin, October)', () => {
    // 25 Oct 2026: 03:00 CEST becomes 02:00 CET; 02:30 is 00:30 UTC, then 01:30 UTC.
    const a = answer('berlin', '2026-10-25T02:30');
    expect(new Date(a.createdAt).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(a.localTime).toEqual({ asked: '2026-10-25T02:30', kind: 'repeated', used: '+02:00', other: '+01:00' });
    // Open around the clock (a holiday long ago keeps it a calendar): 2h later, the 25-hour day counted as it is.
    expect(new Date(a.target!.dueAt).toISOString()).toBe('2026-10-25T02:30:00.000Z');
  });

  it('is read as its first occurrence in the southern hemisphere too (Auckland, April)', () => {
    // 5 Apr 2026: 03:00 NZDT becomes 02:00 NZST; 02:30 is 13:30 UTC (4 Apr), then 14:30 UTC.
    const a = answer('auckland', '2026-04-05T02:30');
    expect(new Date(a.createdAt).toISOString()).toBe('2026-04-04T13:30:00.000Z');
    expect(a.localTime).toEqual({ asked: '2026-04-05T02:30', kind: 'repeated', used: '+13:00', other: '+12:00' });
    // A Sunday: due Monday 6 Apr 11:00 NZST (23:00 UTC on the 5th).
    expect(new Date(a.target!.dueAt).toISOString()).toBe('2026-04-05T23:00:00.000Z');
  });

  it('leaves an ordinary time alone and still reads a skipped one past the change', () => {
    expect(answer('berlin', '2026-10-25T04:30').localTime).toBeUndefined();
    const skipped = answer('berlin', '2026-03-29T02:30');
    expect(skipped.localTime).toMatchObject({ kind: 'skipped', used: '+02:00', other: '+01:00' });
    expect(new Date(skipped.createdAt).toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });
});
