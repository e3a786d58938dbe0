/**
 * Business calendars: when the support team is open, and business-time arithmetic over them.
 * Pure: no clock, no I/O. Instants are epoch milliseconds (numbers).
 *
 * A definition gives an IANA time zone, weekly hours (`"24x7"` or per weekday a list of local
 * `["HH:MM","HH:MM"]` intervals, `"24:00"` allowed as an end) and holidays (local dates
 * "YYYY-MM-DD", or "MM-DD" every year, with no hours at all, or `{ date, hours }` with those
 * hours instead of the weekday's, or `{ from, to, hours? }` ranges of them, whose hours apply
 * on the days the week opens: calendar-definition.ts `holidayHours`). Everything is computed
 * in the calendar's zone with luxon, never with a fixed offset.
 *
 * Semantics (all pinned down by calendar.test.ts):
 * - A shift past midnight (["22:00","06:00"]) belongs to the day it starts: that day's hours
 *   (its weekday's, or a holiday's instead) decide all of it, the part after midnight too; a
 *   holiday the next day does not cut it. Where it meets the next day's own hours, they merge
 *   (counted once). Its length is what the wall clock says: 7h across a spring-forward night.
 * - Open intervals are half-open, [start, end): 09:00 is open, 17:00 is closed.
 * - A local wall time becomes an instant like this. If it exists once, that instant. If it
 *   exists twice (the repeated hour when clocks go back), the EARLIER instant; luxon's own
 *   choice there depends on the current date, so we resolve it ourselves. If it does not exist
 *   (the hour skipped when clocks go forward), the instant the clocks jump, i.e. the first
 *   instant that does exist after it; luxon would move it forward by the gap instead (02:30 →
 *   03:30), which can put 02:30 after 03:10 and make an interval end before it starts. Our
 *   mapping never goes backwards, so a day's intervals stay ordered and disjoint, and each
 *   interval has its real length: 09:00–17:00 is 8 hours on every day, while 00:00–24:00 is
 *   23h or 25h on a change day and 01:00–04:00 is 2h or 4h (Berlin, New York).
 * - `addBusinessMinutes(t, m)` is the EARLIEST instant x ≥ t with m business minutes in [t, x).
 *   So adding 0 returns t itself even in closed hours (the clock has not started to run; the
 *   caller decides whether to move it), and adding m > 0 returns an open instant or exactly
 *   the end of an open interval (a due time of exactly 17:00), never one strictly inside closed
 *   hours. This rule makes add(add(t, a), b) === add(t, a + b).
 * - Minutes may be fractional; amounts are rounded to whole milliseconds (less than 0.5 ms
 *   counts as zero), so with integer instants the arithmetic is exact integer arithmetic.
 * - Loops are bounded: adding, or looking for the next opening, gives up with
 *   CALENDAR_EXHAUSTED after scanning MAX_SCAN_DAYS (three years) of the calendar.
 *
 * Speed: a compiled calendar caches each local day's open intervals as epoch ms (a bounded
 * first-in-first-out Map keyed by day number, plus the last day looked up), so the hot functions
 * do no time-zone work once a day is cached; a calendar open around the clock without holidays
 * takes a shortcut (business time is real time).
 */
import { IANAZone } from 'luxon';
import { formatProblems, type DefinitionProblem } from '../definitions/problems.js';
import {
  calendarDefinitionProblems,
  holidayHours,
  intervalMinutes,
  monthDayOf,
  weekdayOf,
  WEEKDAYS,
  type HolidayHours,
  type CalendarDefinition,
  type LocalInterval,
} from './calendar-definition.js';

export {
  calendarDefinitionProblems,
  calendarKey,
  parseClock,
  parseLocalDate,
  parseMonthDay,
  WEEKDAYS,
  type CalendarDefinition,
  type Holiday,
  type HolidayRange,
  type LocalInterval,
  type PartialHoliday,
  type Weekday,
  type WeeklyHours,
} from './calendar-definition.js';

/** One local day: its instant range and open intervals, flat [s0, e0, s1, e1, …], sorted. */
export interface BusinessDay {
  readonly start: number;
  readonly end: number;
  readonly open: readonly number[];
}

export interface BusinessCalendar {
  readonly timezone: string;
  /** Open every minute of every day: business time equals real time. */
  readonly alwaysOpen: boolean;
  /** The local day with this number (days since 1970-01-01 in the calendar's zone). */
  day(index: number): BusinessDay;
  /** The number of the local day whose [start, end) contains the instant. */
  dayIndexOf(ms: number): number;
}

export type BusinessCalendarErrorCode = 'INVALID_CALENDAR' | 'CALENDAR_EXHAUSTED';

export class BusinessCalendarError extends Error {
  override readonly name = 'BusinessCalendarError';
  constructor(
    readonly code: BusinessCalendarErrorCode,
    message: string,
    readonly problems: readonly DefinitionProblem[] = [],
  ) {
    super(message);
  }
}

export const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
export const MAX_SCAN_DAYS = 3 * 366;
const DAY_CACHE_SIZE = 1024;

/** Compiles a definition once; throws INVALID_CALENDAR with every problem if it is invalid. */
export function compileCalendar(def: CalendarDefinition): BusinessCalendar {
  const problems = calendarDefinitionProblems(def).filter((p) => p.severity !== 'warning');
  if (problems.length > 0) {
    throw new BusinessCalendarError(
      'INVALID_CALENDAR',
      `invalid calendar:\n${formatProblems('calendar', problems)}`,
      problems,
    );
  }
  const weekly = WEEKDAYS.map((weekday) => {
    const intervals: LocalInterval[] = def.weekly === '24x7' ? [['00:00', '24:00']] : def.weekly[weekday] ?? [];
    return intervalMinutes(intervals);
  });
  const holidays = holidayHours(def);
  const own = ({ hours, onOpenWeekdays }: HolidayHours): HolidayDay => ({ hours: hours === null ? [] : intervalMinutes(hours), onOpenWeekdays });
  const dated = new Map([...holidays.dated].map(([day, hours]) => [day, own(hours)]));
  const yearly = new Map([...holidays.yearly].map(([monthDay, hours]) => [monthDay, own(hours)]));
  return new CompiledCalendar(def.timezone, weekly, dated, yearly);
}

/** A day's own intervals in minutes after its local midnight; an end past 1440 runs into the next day. */
type Hours = readonly (readonly [number, number])[];

/** A holiday's hours (HolidayHours compiled): on a day its weekday keeps closed, a yearly range's give none. */
interface HolidayDay {
  hours: Hours;
  onOpenWeekdays: boolean;
}

class CompiledCalendar implements BusinessCalendar {
  readonly alwaysOpen: boolean;
  private readonly zone: IANAZone;
  private readonly days = new Map<number, BusinessDay>();
  private readonly guessOffsetMs: number;
  private lastIndex = Number.NaN;
  private lastDay: BusinessDay = { start: 0, end: 0, open: [] };

  constructor(
    readonly timezone: string,
    private readonly weekly: readonly Hours[],
    /** Holidays by day number, and yearly ones by month × 100 + day: their hours ([] closed). */
    private readonly dated: ReadonlyMap<number, HolidayDay>,
    private readonly yearly: ReadonlyMap<number, HolidayDay>,
  ) {
    this.zone = IANAZone.create(timezone);
    this.guessOffsetMs = this.zone.offset(0) * MINUTE_MS;
    this.alwaysOpen =
      dated.size === 0 && yearly.size === 0 && weekly.every((_, w) => coversWholeDay(localMinutes(weekly[w]!, weekly[(w + 6) % 7]!)));
  }

  day(index: number): BusinessDay {
    let day = this.days.get(index);
    if (day === undefined) {
      day = this.build(index);
      if (this.days.size >= DAY_CACHE_SIZE) this.days.delete(this.days.keys().next().value!);
      this.days.set(index, day);
    }
    return day;
  }

  dayIndexOf(ms: number): number {
    if (ms >= this.lastDay.start && ms < this.lastDay.end) return this.lastIndex;
    let index = Math.floor((ms + this.guessOffsetMs) / DAY_MS);
    let day = this.day(index);
    while (ms < day.start) day = this.day(--index);
    while (ms >= day.end) day = this.day(++index);
    this.lastIndex = index;
    this.lastDay = day;
    return index;
  }

  /**
   * The hours a day starts (its shifts, even the part after midnight): a dated holiday's, else
   * a yearly one's, else its weekday's.
   */
  private own(index: number): Hours {
    const weekly = this.weekly[weekdayOf(index)]!;
    const holiday = this.dated.get(index) ?? (this.yearly.size > 0 ? this.yearly.get(monthDayOf(index)) : undefined);
    if (holiday === undefined) return weekly;
    return holiday.onOpenWeekdays && weekly.length === 0 ? [] : holiday.hours;
  }

  private build(index: number): BusinessDay {
    const start = this.instant(index, 0);
    const end = this.instant(index, 1440);
    const open: number[] = [];
    const minutes = localMinutes(this.own(index), this.own(index - 1));
    if (minutes.length > 0) {
      // Most days have one offset from midnight to midnight: then a wall time is one subtraction.
      const midnight = index * DAY_MS;
      const offsetMs = midnight - start;
      const uniform =
        midnight + DAY_MS - end === offsetMs && this.zone.offset(end - 1) * MINUTE_MS === offsetMs;
      const at = (minute: number) =>
        uniform ? midnight + minute * MINUTE_MS - offsetMs : this.instant(index, minute);
      for (const [from, to] of minutes) {
        const s = from === 0 ? start : at(from);
        const e = to === 1440 ? end : at(to);
        if (e > s) open.push(s, e); // empty when wholly inside a skipped hour
      }
    }
    return { start, end, open };
  }

  /** The instant of a local wall time (see the top comment for repeated and skipped times). */
  private instant(dayIndex: number, minuteOfDay: number): number {
    const wall = dayIndex * DAY_MS + minuteOfDay * MINUTE_MS;
    const before = this.zone.offset(wall - DAY_MS);
    const after = this.zone.offset(wall + DAY_MS);
    let best = Number.POSITIVE_INFINITY;
    for (const offset of before === after ? [before] : [before, after]) {
      const candidate = wall - offset * MINUTE_MS;
      if (this.zone.offset(candidate) === offset) best = Math.min(best, candidate);
    }
    if (best !== Number.POSITIVE_INFINITY) return best;
    // Skipped wall time: find the instant the offset changes (the clocks jump), to the ms.
    let lo = wall - Math.max(before, after) * MINUTE_MS;
    let hi = wall - Math.min(before, after) * MINUTE_MS;
    const offsetBefore = this.zone.offset(lo);
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.zone.offset(mid) === offsetBefore) lo = mid;
      else hi = mid;
    }
    return hi;
  }
}

/**
 * A local day's open minutes, [from, to] within 0–1440, sorted and merged: the part after
 * midnight of the shifts the day before started, and the day's own hours up to midnight.
 */
function localMinutes(own: Hours, before: Hours): [number, number][] {
  const parts: [number, number][] = [];
  for (const [, to] of before) if (to > 1440) parts.push([0, to - 1440]); // ["22:00","00:00"] has none
  for (const [from, to] of own) parts.push([from, Math.min(to, 1440)]);
  parts.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [from, to] of parts) {
    const last = merged[merged.length - 1];
    if (last !== undefined && from <= last[1]) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

function coversWholeDay(intervals: Hours): boolean {
  let covered = 0;
  for (const [start, end] of intervals) {
    if (start > covered) return false;
    covered = Math.max(covered, end);
  }
  return covered >= 1440;
}

function assertInstant(name: string, value: number): void {
  if (!Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite epoch-ms instant, got ${value}`);
  }
}

function exhausted(what: string, fromMs: number): BusinessCalendarError {
  return new BusinessCalendarError(
    'CALENDAR_EXHAUSTED',
    `${what} within ${MAX_SCAN_DAYS} days after ${new Date(fromMs).toISOString()}: ` +
      'the calendar has (almost) no open hours',
  );
}

/** The earliest instant ≥ startMs with `minutes` business minutes in [startMs, result). */
export function addBusinessMinutes(
  cal: BusinessCalendar,
  startMs: number,
  minutes: number,
): number {
  assertInstant('startMs', startMs);
  if (!(Number.isFinite(minutes) && minutes >= 0)) {
    throw new RangeError(`minutes must be a finite number ≥ 0, got ${minutes}`);
  }
  let remaining = Math.round(minutes * MINUTE_MS);
  if (remaining === 0) return startMs;
  if (cal.alwaysOpen) return startMs + remaining;
  let cursor = startMs;
  const first = cal.dayIndexOf(startMs);
  for (let index = first; index <= first + MAX_SCAN_DAYS; index++) {
    const open = cal.day(index).open;
    for (let i = 0; i < open.length; i += 2) {
      const end = open[i + 1]!;
      if (end <= cursor) continue;
      const from = Math.max(open[i]!, cursor);
      if (end - from >= remaining) return from + remaining;
      remaining -= end - from;
      cursor = end;
    }
  }
  throw exhausted(`cannot find ${minutes} business minutes`, startMs);
}

/** Business minutes (fractional) in [fromMs, toMs); 0 when toMs ≤ fromMs. */
export function businessMinutesBetween(
  cal: BusinessCalendar,
  fromMs: number,
  toMs: number,
): number {
  assertInstant('fromMs', fromMs);
  assertInstant('toMs', toMs);
  if (toMs <= fromMs) return 0;
  if (cal.alwaysOpen) return (toMs - fromMs) / MINUTE_MS;
  let total = 0;
  for (let index = cal.dayIndexOf(fromMs); ; index++) {
    const day = cal.day(index);
    if (day.start >= toMs) break;
    const open = day.open;
    for (let i = 0; i < open.length; i += 2) {
      const overlap = Math.min(open[i + 1]!, toMs) - Math.max(open[i]!, fromMs);
      if (overlap > 0) total += overlap;
    }
  }
  return total / MINUTE_MS;
}

export function isWithinBusinessHours(cal: BusinessCalendar, atMs: number): boolean {
  assertInstant('atMs', atMs);
  if (cal.alwaysOpen) return true;
  const open = cal.day(cal.dayIndexOf(atMs)).open;
  for (let i = 0; i < open.length; i += 2) {
    if (atMs >= open[i]! && atMs < open[i + 1]!) return true;
  }
  return false;
}

/** `atMs` itself when open, otherwise the start of the next open interval. */
export function nextBusinessOpening(cal: BusinessCalendar, atMs: number): number {
  assertInstant('atMs', atMs);
  if (cal.alwaysOpen) return atMs;
  const first = cal.dayIndexOf(atMs);
  for (let index = first; index <= first + MAX_SCAN_DAYS; index++) {
    const open = cal.day(index).open;
    for (let i = 0; i < open.length; i += 2) {
      if (open[i + 1]! > atMs) return Math.max(open[i]!, atMs);
    }
  }
  throw exhausted('no business hours', atMs);
}
