/**
 * One SLA timer's life, as pure functions: (timer, calendar, now) → timer. No I/O, no clock.
 *
 * States (column `state`):
 * - running   the clock counts business minutes; `segment_started_at` is where the current
 *             stretch began and `due_at` / `warn_at` are precomputed (the sweep's index).
 * - breached  past its due time and still unanswered: the clock keeps counting (overdue),
 *             `due_at` stays for display, `warn_at` is cleared. A breach is never undone.
 * - paused    the workflow state pauses the metric (or the case is closed): minutes used so
 *             far are in `used_minutes`, `due_at` and `warn_at` are null, `pause_reason` is the
 *             state's label. A breach stays recorded in `breached_at`.
 * - fulfilled a public staff reply answered it (`pause_reason` null), or a workflow state
 *             stopped it (`pause_reason` = that state's label: "stopped by state"). Only a
 *             timer stopped by a state resumes, when the case leaves for a state that no longer
 *             stops it (a reopen); a timer a reply fulfilled stays fulfilled.
 *
 * `warn_at` is non-null only while the clock runs (running or breached), `due_at` only while it
 * runs or once it has breached: a breached clock keeps the due time it breached at when it is
 * paused or stopped, so it shows when it fell due and, when it runs again still past its target,
 * is overdue from then on (not from the resume). The partial index `sla_timers_next_idx`
 * (`slaNextAtSql`) holds only timers with a warning or breach pending, so never a breached one;
 * `cases.sla_due_at` counts only running clocks (timer-rows.ts).
 */
import type { slaTimers, SlaMetric } from '../db/schema/index.js';
import { addBusinessMinutes, businessMinutesBetween, type BusinessCalendar } from './calendar.js';
import { computeDue } from './due.js';

export type TimerRow = typeof slaTimers.$inferSelect;
export type NewTimerRow = Omit<TimerRow, 'id'>;

/** What a timer is measured against: a policy's target for one metric at one priority. */
export interface TimerTarget {
  policy: string;
  policyVersion: number;
  calendarName: string;
  calendar: BusinessCalendar;
  targetMinutes: number;
  warnOffsetMinutes: number;
}

type Timer = NewTimerRow | TimerRow;

/** Running or breached: the clock counts. */
export function isCounting(t: Pick<Timer, 'state'>): boolean {
  return t.state === 'running' || t.state === 'breached';
}

/** Not answered yet: counting or paused. */
export function isUnfulfilled(t: Pick<Timer, 'state'>): boolean {
  return isCounting(t) || t.state === 'paused';
}

/** Fulfilled because a workflow state stopped it (it resumes when the case leaves that state). */
export function isStoppedByState(t: Pick<Timer, 'state' | 'pauseReason'>): boolean {
  return t.state === 'fulfilled' && t.pauseReason !== null;
}

/** Business minutes used up to `now`, including the stretch running now. */
export function usedMinutesAt<T extends Timer>(t: T, cal: BusinessCalendar, now: number): number {
  if (!isCounting(t) || t.segmentStartedAt === null) return t.usedMinutes;
  return t.usedMinutes + businessMinutesBetween(cal, t.segmentStartedAt, now);
}

/** Due instants closer than this are the same (float rounding of used minutes). */
const SAME_DUE_MS = 1000;

/**
 * Due and warning instants for a clock (re)starting at `now` with `usedMinutes` spent.
 *
 * A warning is given once per due time, and never after the breach: a clock warned about the
 * due time `warnedFor` (the one it had when it was warned, null when unknown or none) keeps its
 * warning only while it is still due then. Given another due time — a later target (priority
 * lowered, policy changed, re-applied), an earlier one, or a pause that pushed it out — the
 * warning is armed again (`warned_at` cleared): it warns at its warning time before the new due
 * time, or at once when that has passed (`computeDue`: a moment already reached is `now`), once.
 */
function runFrom<T extends Timer>(t: T, cal: BusinessCalendar, now: number, usedMinutes: number, warnedFor: number | null = null): T {
  const { dueAt, warnAt } = computeDue(cal, {
    startMs: now,
    usedMinutes,
    targetMinutes: t.targetMinutes,
    warnOffsetMinutes: t.warnOffsetMinutes,
  });
  // Breached and still past its target: it stays due at the time it breached.
  const breachedDue = t.breachedAt !== null && t.dueAt !== null && usedMinutes >= t.targetMinutes ? t.dueAt : null;
  const stillWarned = t.warnedAt !== null && warnedFor !== null && Math.abs(dueAt - warnedFor) < SAME_DUE_MS;
  const warnedAt = t.breachedAt !== null || stillWarned ? t.warnedAt : null;
  return {
    ...t,
    state: t.breachedAt !== null ? 'breached' : 'running',
    usedMinutes,
    segmentStartedAt: now,
    dueAt: breachedDue ?? dueAt,
    // Kept while warned too: the clock shows as in its warning stretch (the sweep skips a warned clock's warning).
    warnAt: t.breachedAt !== null ? null : warnAt,
    warnedAt,
    pausedAt: null,
    pauseReason: null,
    updatedAt: now,
  };
}

/**
 * The due time a clock standing still (paused, or stopped by a state) had when it stopped, on
 * `cal`: what its warning, if it had one, was about. Null when it never ran a due time.
 */
function dueWhenStopped(t: Timer, cal: BusinessCalendar): number | null {
  const stoppedAt = t.pausedAt ?? t.fulfilledAt;
  if (t.warnedAt === null || stoppedAt === null) return null;
  return computeDue(cal, { startMs: stoppedAt, usedMinutes: t.usedMinutes, targetMinutes: t.targetMinutes, warnOffsetMinutes: t.warnOffsetMinutes }).dueAt;
}

/** A new timer, running from `now` (or paused at once when the current state pauses it). */
export function startTimer(caseId: number, metric: SlaMetric, target: TimerTarget, now: number, pausedBy: string | null = null): NewTimerRow {
  const fresh: NewTimerRow = {
    caseId,
    metric,
    state: 'paused',
    policy: target.policy,
    policyVersion: target.policyVersion,
    calendar: target.calendarName,
    targetMinutes: target.targetMinutes,
    warnOffsetMinutes: target.warnOffsetMinutes,
    usedMinutes: 0,
    startedAt: now,
    segmentStartedAt: null,
    dueAt: null,
    warnAt: null,
    warnedAt: null,
    breachedAt: null,
    fulfilledAt: null,
    pausedAt: now,
    pauseReason: pausedBy,
    updatedAt: now,
  };
  return pausedBy === null ? runFrom(fresh, target.calendar, now, 0) : fresh;
}

/** A new cycle of an existing timer row (nextResponse after an answered message). */
export function restartTimer(t: TimerRow, target: TimerTarget, now: number, pausedBy: string | null = null): TimerRow {
  return { ...startTimer(t.caseId, t.metric, target, now, pausedBy), id: t.id };
}

export function pauseTimer<T extends Timer>(t: T, cal: BusinessCalendar, now: number, reason: string): T {
  return {
    ...t,
    state: 'paused',
    usedMinutes: usedMinutesAt(t, cal, now),
    segmentStartedAt: null,
    dueAt: t.breachedAt !== null ? t.dueAt : null,
    warnAt: null,
    pausedAt: now,
    pauseReason: reason,
    updatedAt: now,
  };
}

/**
 * Paused or stopped by a state → counting again with the minutes already used. A warned clock
 * that stood still in business hours is due later than it was when warned: it warns again.
 */
export function resumeTimer<T extends Timer>(t: T, cal: BusinessCalendar, now: number): T {
  return runFrom(t, cal, now, t.usedMinutes, dueWhenStopped(t, cal));
}

/** Answered by a reply (`stopReason` null) or stopped by a workflow state (its label). */
export function fulfilTimer<T extends Timer>(t: T, cal: BusinessCalendar, now: number, stopReason: string | null): T {
  return {
    ...t,
    state: 'fulfilled',
    usedMinutes: usedMinutesAt(t, cal, now),
    segmentStartedAt: null,
    dueAt: t.breachedAt !== null ? t.dueAt : null,
    warnAt: null,
    fulfilledAt: now,
    pausedAt: null,
    pauseReason: stopReason,
    updatedAt: now,
  };
}

/**
 * Measures an unfulfilled timer against another target (priority or policy changed, or an
 * explicit re-apply): minutes used so far are kept (counted on the old calendar), the rest
 * runs on the new target's calendar. A warning or breach already recorded stays recorded; a
 * breached clock that is past the new target too keeps its due time; a running clock the new
 * target leaves no minutes falls due when that target ran out (`ranOutEarlier`: the instant,
 * when that was before the stretch running now).
 */
export function retargetTimer<T extends Timer>(t: T, oldCal: BusinessCalendar, target: TimerTarget, now: number, ranOutEarlier: number | null = null): T {
  const used = usedMinutesAt(t, oldCal, now);
  const moved: T = {
    ...t,
    policy: target.policy,
    policyVersion: target.policyVersion,
    calendar: target.calendarName,
    targetMinutes: target.targetMinutes,
    warnOffsetMinutes: target.warnOffsetMinutes,
    usedMinutes: used,
    updatedAt: now,
  };
  if (!isCounting(t)) {
    // Standing still: a warning was about the old target; another one warns again once it runs.
    const sameTarget = t.targetMinutes === target.targetMinutes && t.warnOffsetMinutes === target.warnOffsetMinutes && t.calendar === target.calendarName;
    return sameTarget || t.breachedAt !== null ? moved : { ...moved, warnedAt: null };
  }
  const running = runFrom(moved, target.calendar, now, used, t.dueAt);
  if (used < target.targetMinutes) return running;
  // Breached and past the new target too: it keeps the due time it breached at (for display).
  if (t.breachedAt !== null) return t.dueAt !== null ? { ...running, dueAt: t.dueAt } : running;
  // Not breached, and the new target is used up: due when it ran out (in the past, so the next
  // sweep records the breach, overdue from then) — in the stretch running now, on the old
  // calendar, or before it (`ranOutEarlier`, rebuilt from the timeline by the caller).
  const inThisStretch = t.usedMinutes < target.targetMinutes && t.segmentStartedAt !== null;
  const ranOut = inThisStretch ? addBusinessMinutes(oldCal, t.segmentStartedAt!, target.targetMinutes - t.usedMinutes) : (ranOutEarlier ?? t.segmentStartedAt ?? now);
  return { ...running, dueAt: Math.min(ranOut, now) };
}

/** Rounds business minutes for timeline entries and views. */
export function roundMinutes(minutes: number): number {
  return Math.round(minutes * 100) / 100;
}
