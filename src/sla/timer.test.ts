import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addBusinessMinutes, businessMinutesBetween, compileCalendar } from './calendar.js';
import {
  fulfilTimer,
  isCounting,
  isStoppedByState,
  isUnfulfilled,
  pauseTimer,
  resumeTimer,
  retargetTimer,
  startTimer,
  type TimerTarget,
} from './timer.js';

const office = compileCalendar({
  timezone: 'Europe/Berlin',
  weekly: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '13:00'], ['14:00', '17:00']] },
  holidays: ['2026-12-25'],
});
const always = compileCalendar({ timezone: 'UTC', weekly: '24x7' });

const target = (minutes: number, warn = minutes * 0.2, calendar = office, name = 'office'): TimerTarget => ({
  policy: 'standard',
  policyVersion: 1,
  calendarName: name,
  calendar,
  targetMinutes: minutes,
  warnOffsetMinutes: warn,
});

const at = (iso: string) => Date.parse(iso);
const MON_10 = at('2026-03-02T09:00:00Z'); // 10:00 in Berlin

describe('a timer’s life', () => {
  it('starts running with due and warning times on the calendar', () => {
    const t = startTimer(7, 'resolution', target(480), MON_10);
    expect(t).toMatchObject({ caseId: 7, state: 'running', usedMinutes: 0, startedAt: MON_10, segmentStartedAt: MON_10, pauseReason: null });
    expect(t.dueAt).toBe(at('2026-03-03T09:00:00Z')); // Tue 10:00
    expect(t.warnAt).toBe(at('2026-03-02T15:24:00Z')); // 6h24 of office time: Mon 16:24
  });

  it('starts paused when the current state holds the metric', () => {
    const t = startTimer(7, 'nextResponse', target(240), MON_10, 'Resolved');
    expect(t).toMatchObject({ state: 'paused', pauseReason: 'Resolved', dueAt: null, warnAt: null, segmentStartedAt: null });
    expect(resumeTimer(t, office, MON_10).dueAt).toBe(at('2026-03-02T13:00:00Z'));
  });

  it('keeps the business minutes used across a pause (the worked example)', () => {
    const started = startTimer(7, 'resolution', target(480), MON_10);
    const paused = pauseTimer(started, office, at('2026-03-02T11:00:00Z'), 'Pending customer');
    expect(paused).toMatchObject({ state: 'paused', usedMinutes: 120, dueAt: null, warnAt: null, pauseReason: 'Pending customer' });
    const resumed = resumeTimer(paused, office, at('2026-03-03T13:00:00Z')); // Tue 14:00
    expect(resumed).toMatchObject({ state: 'running', usedMinutes: 120, pauseReason: null, pausedAt: null });
    expect(resumed.dueAt).toBe(at('2026-03-04T11:00:00Z')); // Wed 12:00
  });

  it('stays breached through a pause, keeps the due time it breached at and never warns again', () => {
    const t = { ...startTimer(7, 'firstResponse', target(60), MON_10), breachedAt: MON_10 + 3_600_000, state: 'breached' as const, warnAt: null };
    expect(t.dueAt).toBe(MON_10 + 3_600_000);
    const paused = pauseTimer(t, office, MON_10 + 2 * 3_600_000, 'Pending customer');
    expect(paused).toMatchObject({ state: 'paused', breachedAt: t.breachedAt, dueAt: MON_10 + 3_600_000, warnAt: null });
    const resumed = resumeTimer(paused, office, MON_10 + 3 * 3_600_000);
    expect(resumed).toMatchObject({ state: 'breached', usedMinutes: 120, warnAt: null, dueAt: MON_10 + 3_600_000 });
    expect(fulfilTimer(resumed, office, MON_10 + 4 * 3_600_000, null)).toMatchObject({ state: 'fulfilled', usedMinutes: 180, dueAt: MON_10 + 3_600_000 });
  });

  it('tells a fulfilment by reply from a stop by a workflow state', () => {
    const t = startTimer(7, 'resolution', target(480), MON_10);
    const byReply = fulfilTimer(t, office, MON_10 + 60_000, null);
    const byState = fulfilTimer(t, office, MON_10 + 60_000, 'Resolved');
    expect([isStoppedByState(byReply), isStoppedByState(byState)]).toEqual([false, true]);
    expect(byState).toMatchObject({ state: 'fulfilled', fulfilledAt: MON_10 + 60_000, usedMinutes: 1, dueAt: null, warnAt: null });
    expect([isUnfulfilled(byState), isCounting(byState)]).toEqual([false, false]);
    // A reopen resumes it with the minute used; fulfilledAt stays as the first fulfilment.
    expect(resumeTimer(byState, office, MON_10 + 120_000)).toMatchObject({ state: 'running', usedMinutes: 1, fulfilledAt: MON_10 + 60_000, pauseReason: null });
  });

  it('re-targets with the minutes used on the old calendar, the rest on the new one', () => {
    const t = startTimer(7, 'resolution', target(2400), MON_10);
    const now = at('2026-03-02T15:00:00Z'); // Mon 16:00: 6h used
    const moved = retargetTimer(t, office, target(480, 15, always, 'always'), now);
    expect(moved).toMatchObject({ calendar: 'always', targetMinutes: 480, usedMinutes: 360, segmentStartedAt: now, state: 'running' });
    expect(moved.dueAt).toBe(now + 120 * 60_000);
    expect(moved.warnAt).toBe(now + 105 * 60_000);
    const paused = pauseTimer(t, office, now, 'Pending customer');
    expect(retargetTimer(paused, office, target(480), now + 3_600_000)).toMatchObject({ state: 'paused', usedMinutes: 360, dueAt: null, targetMinutes: 480 });
  });

  it('warns once per due time: a warned clock given another due time warns again, before it or at once', () => {
    const MON_16_30 = at('2026-03-02T15:30:00Z');
    // 60 min target, warned at 50 min used (Mon 10:50), still due Mon 11:00.
    const warned = { ...startTimer(7, 'firstResponse', target(60, 12), MON_10), warnedAt: MON_10 + 50 * 60_000 };
    expect(warned.dueAt).toBe(MON_10 + 60 * 60_000);
    // Lowered to a 2h target at 55 min: due 12:00, warns again at 11:36 (96 of 120 min).
    const later = retargetTimer(warned, office, target(120, 24), MON_10 + 55 * 60_000);
    expect(later).toMatchObject({ warnedAt: null, dueAt: MON_10 + 120 * 60_000, warnAt: MON_10 + 96 * 60_000 });
    // Raised from a not-yet-warned 2h target at 55 min to 60 min with 12 min warning: past its warning point, it warns at once.
    const fresh = startTimer(7, 'firstResponse', target(120, 24), MON_10);
    expect(retargetTimer(fresh, office, target(60, 12), MON_10 + 55 * 60_000)).toMatchObject({ warnedAt: null, warnAt: MON_10 + 55 * 60_000, dueAt: MON_10 + 60 * 60_000 });
    // The same due time (the policy re-applied unchanged) keeps the warning: never twice for one due time
    // (its warning time, passed, reads as now: the clock shows in its warning stretch).
    expect(retargetTimer(warned, office, target(60, 12), MON_10 + 55 * 60_000)).toMatchObject({ warnedAt: warned.warnedAt, warnAt: MON_10 + 55 * 60_000 });
    // Paused at 55 min, resumed Mon 16:30: due at 16:35 now, not 11:00 — it warns again, at once (5 min left < 12).
    const paused = pauseTimer(warned, office, MON_10 + 55 * 60_000, 'Pending customer');
    expect(paused.warnedAt).toBe(warned.warnedAt);
    expect(resumeTimer(paused, office, MON_16_30)).toMatchObject({ warnedAt: null, warnAt: MON_16_30, dueAt: MON_16_30 + 5 * 60_000 });
    // Paused and resumed out of hours (Mon 18:00 → Tue 08:00): still due at the same time, still warned.
    const late = { ...startTimer(7, 'resolution', target(480, 96), MON_10), warnedAt: at('2026-03-02T15:24:00Z') };
    const night = pauseTimer(late, office, at('2026-03-02T17:00:00Z'), 'Pending customer');
    expect(resumeTimer(night, office, at('2026-03-03T07:00:00Z'))).toMatchObject({ warnedAt: late.warnedAt, warnAt: at('2026-03-03T07:00:00Z'), dueAt: late.dueAt });
    // Re-targeted while paused: the warning was about the old target; it warns again once it runs.
    const lowered = retargetTimer(paused, office, target(120, 24), MON_10 + 60 * 60_000);
    expect(lowered).toMatchObject({ state: 'paused', warnedAt: null });
    // 65 min left from Mon 16:30: 30 today, 35 on Tuesday → Tue 09:35, warning at 09:11 (24 min before).
    expect(resumeTimer(lowered, office, MON_16_30)).toMatchObject({ warnedAt: null, warnAt: at('2026-03-03T08:11:00Z'), dueAt: at('2026-03-03T08:35:00Z') });
    // A breached clock never warns again.
    const breached = { ...warned, state: 'breached' as const, breachedAt: MON_10 + 61 * 60_000, warnAt: null };
    expect(retargetTimer(breached, office, target(120, 24), MON_10 + 70 * 60_000)).toMatchObject({ state: 'breached', warnedAt: warned.warnedAt, warnAt: null });
  });

  it('is due when a new target ran out, in the past, when it is already used up', () => {
    const t = startTimer(7, 'resolution', target(2400), MON_10);
    const now = at('2026-03-03T15:00:00Z'); // Tue 16:00 Berlin: Mon 10:00–17:00 (420) + Tue 09:00–16:00 (420) = 840 used
    // 480 ran out at Mon 17:00 (420) + Tue 09:00 + 60 = Tue 10:00 Berlin (09:00Z); the warning's time is now (passed).
    expect(retargetTimer(t, office, target(480), now)).toMatchObject({ dueAt: at('2026-03-03T09:00:00Z'), warnAt: now, usedMinutes: 840 });
    // Used up before the stretch running now: the caller says when (rebuilt from the timeline).
    const resumed = { ...t, usedMinutes: 600, segmentStartedAt: now - 3_600_000 };
    expect(retargetTimer(resumed, office, target(480), now, at('2026-03-02T17:00:00Z')).dueAt).toBe(at('2026-03-02T17:00:00Z'));
  });
});

describe('properties', () => {
  const instant = fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2027-06-30T00:00:00Z') });

  it('minutes used = business minutes of the running stretches, whatever the pauses; due = the rest added at the last resume', () => {
    fc.assert(
      fc.property(instant, fc.array(fc.integer({ min: 1, max: 5 * 24 * 60 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 30, max: 4000 }), (start, gaps, minutes) => {
        // Alternating run / pause stretches of `gaps` minutes (wall clock), ending resumed.
        let t = startTimer(1, 'resolution', target(minutes), start);
        let now = start;
        let running = 0;
        gaps.forEach((gap, i) => {
          const next = now + gap * 60_000;
          if (i % 2 === 0) {
            running += businessMinutesBetween(office, now, next);
            t = pauseTimer(t, office, next, 'Pending customer');
          } else {
            t = resumeTimer(t, office, next);
          }
          now = next;
        });
        if (t.state === 'paused') t = resumeTimer(t, office, now);
        expect(t.usedMinutes).toBeCloseTo(running, 6);
        const left = minutes - running;
        expect(t.dueAt).toBe(left > 0 ? addBusinessMinutes(office, now, left) : now);
      }),
      { numRuns: 200 },
    );
  });
});
