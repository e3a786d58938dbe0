import { describe, expect, it } from 'vitest';
import { NO_DUE_AT } from '../../db/schema/index.js';
import { caseSlaStatus, formatMinutes, timerStatus, type TimerRow } from './sla-status.js';

const NOW = Date.UTC(2026, 2, 2, 12, 0);
const MIN = 60_000;

function timer(over: Partial<TimerRow>): TimerRow {
  return {
    id: 1,
    caseId: 1,
    metric: 'resolution',
    state: 'running',
    policy: 'standard',
    policyVersion: 1,
    calendar: 'office',
    targetMinutes: 480,
    warnOffsetMinutes: 96,
    usedMinutes: 0,
    startedAt: NOW - 60 * MIN,
    segmentStartedAt: NOW - 60 * MIN,
    dueAt: NOW + 120 * MIN,
    warnAt: NOW + 30 * MIN,
    warnedAt: null,
    breachedAt: null,
    fulfilledAt: null,
    pausedAt: null,
    pauseReason: null,
    updatedAt: NOW,
    ...over,
  };
}

describe('timerStatus', () => {
  it.each([
    ['before the warning time', {}, 'ok', '2h 00m left'],
    ['at the warning time', { warnAt: NOW }, 'warning', '2h 00m left'],
    ['at the due time (on time still)', { dueAt: NOW, warnAt: NOW - 10 * MIN }, 'warning', '0m left'],
    ['a millisecond past due', { dueAt: NOW - 1, warnAt: NOW - 10 * MIN }, 'breached', 'overdue 1m'],
    ['past due', { dueAt: NOW - 35 * MIN }, 'breached', 'overdue 35m'],
    ['marked breached', { state: 'breached' as const, breachedAt: NOW - MIN, dueAt: NOW + 10 * MIN }, 'breached', 'breached'],
    ['paused', { state: 'paused' as const, dueAt: null, warnAt: null, pauseReason: 'Pending customer' }, 'paused', 'paused: Pending customer'],
    ['fulfilled in time', { state: 'fulfilled' as const, fulfilledAt: NOW - MIN }, 'done', 'met'],
    ['fulfilled late', { state: 'fulfilled' as const, breachedAt: NOW - 2 * MIN, fulfilledAt: NOW - MIN }, 'breached', 'met late'],
  ])('%s', (_name, over, level, label) => {
    const status = timerStatus(timer(over), NOW);
    expect(status.level).toBe(level);
    expect(status.label).toBe(label);
  });
});

describe('caseSlaStatus', () => {
  it('shows the most urgent open clock', () => {
    const ok = timer({ id: 1, metric: 'resolution' });
    const warning = timer({ id: 2, metric: 'firstResponse', warnAt: NOW - MIN, dueAt: NOW + 200 * MIN });
    const done = timer({ id: 3, metric: 'nextResponse', state: 'fulfilled', dueAt: NOW - 500 * MIN });
    expect(caseSlaStatus([ok, warning, done], NOW + 1, NOW)?.metric).toBe('firstResponse');
    expect(caseSlaStatus([ok, done], NOW + 1, NOW)?.level).toBe('ok');
  });

  it('falls back to the case due time, and to nothing', () => {
    expect(caseSlaStatus([], NOW - 5 * MIN, NOW)).toMatchObject({ level: 'breached', label: 'overdue 5m' });
    expect(caseSlaStatus([], NOW + 90 * MIN, NOW)).toMatchObject({ level: 'ok', label: '1h 30m left' });
    expect(caseSlaStatus([], NO_DUE_AT, NOW)).toBeNull();
  });
});

describe('formatMinutes', () => {
  it.each([
    [0, '0m'],
    [45, '45m'],
    [65, '1h 05m'],
    [24 * 60 + 61, '1d 1h'],
  ])('%d → %s', (minutes, text) => expect(formatMinutes(minutes)).toBe(text));
});
