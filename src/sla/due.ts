/**
 * When a running SLA timer is due, and when it warns.
 *
 * A timer has a target (business minutes), a warning offset (business minutes before the due
 * time, from the policy's `warnBefore`) and the business minutes it has already used in earlier
 * running spans (before a pause). When it (re)starts at instant S:
 *   dueAt  = addBusinessMinutes(S, target − used)
 *   warnAt = addBusinessMinutes(S, target − warnOffset − used)
 * A moment already reached is S itself: a warning whose time has passed fires at once, and a
 * timer that has used up its target is due at once (it breaches on the next sweep after S).
 *
 * The due instant itself is on time: a target "within 2h" is met by an answer at 2h exactly,
 * and a timer breaches only once the clock is past its due time (`isPastDue`; the SQL of the
 * sweep and of /metrics says `due_at < now` for the same rule). A warning is due at its warning
 * time (`warn_at <= now`).
 * Because adding zero returns S, S may be in closed hours in those cases; otherwise both
 * instants are open instants or exactly the end of an open interval.
 */
import { addBusinessMinutes, type BusinessCalendar } from './calendar.js';

export interface DueInput {
  /** The instant the timer (re)starts running, epoch ms. */
  startMs: number;
  /** Business minutes already used before this start (0 for a new timer). */
  usedMinutes: number;
  targetMinutes: number;
  warnOffsetMinutes: number;
}

export interface DueTimes {
  dueAt: number;
  warnAt: number;
}

/** Whether a timer due at `dueAt` has breached by `now`: strictly after the due time (the due instant is on time). */
export function isPastDue(dueAt: number, now: number): boolean {
  return now > dueAt;
}

export function computeDue(cal: BusinessCalendar, input: DueInput): DueTimes {
  const { startMs, usedMinutes, targetMinutes, warnOffsetMinutes } = input;
  if (!(Number.isFinite(usedMinutes) && usedMinutes >= 0)) {
    throw new RangeError(`usedMinutes must be a finite number ≥ 0, got ${usedMinutes}`);
  }
  if (!(Number.isFinite(targetMinutes) && targetMinutes > 0)) {
    throw new RangeError(`targetMinutes must be a finite number > 0, got ${targetMinutes}`);
  }
  if (!(Number.isFinite(warnOffsetMinutes) && warnOffsetMinutes >= 0)) {
    throw new RangeError(
      `warnOffsetMinutes must be a finite number ≥ 0, got ${warnOffsetMinutes}`,
    );
  }
  const untilDue = targetMinutes - usedMinutes;
  const untilWarn = targetMinutes - warnOffsetMinutes - usedMinutes;
  return {
    dueAt: untilDue > 0 ? addBusinessMinutes(cal, startMs, untilDue) : startMs,
    warnAt: untilWarn > 0 ? addBusinessMinutes(cal, startMs, untilWarn) : startMs,
  };
}
