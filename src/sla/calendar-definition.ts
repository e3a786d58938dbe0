/**
 * What a business calendar definition is (time zone, weekly hours, holidays) and how one is
 * checked: every problem with its JSON path, never a throw. The arithmetic over a compiled
 * calendar lives in calendar.ts.
 */
import { IANAZone } from 'luxon';
import { normalizeTimeZone } from '../text/time-zones.js';
import { problem, type DefinitionProblem, type PathSegment } from '../definitions/problems.js';
import { describeValue } from './duration.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
/**
 * Local ["HH:MM","HH:MM"]. An end before the start (["22:00","06:00"]) is a shift past
 * midnight: it belongs to the day it starts on and runs into the next day until the end.
 */
export type LocalInterval = [string, string];
export type WeeklyHours = '24x7' | Partial<Record<Weekday, LocalInterval[]>>;

/** A day with other hours than its weekday's: `hours: []` is closed, like a plain date. */
export interface PartialHoliday {
  /** "YYYY-MM-DD", or "MM-DD" for that date every year. */
  date: string;
  hours: LocalInterval[];
}

/**
 * The days from `from` to `to`, both included (a company's closure between the years, a
 * works holiday): closed, or each open `hours`. Both "YYYY-MM-DD" (at most
 * MAX_HOLIDAY_RANGE_DAYS days), or both "MM-DD" for those days every year, where a `to`
 * before the `from` runs over New Year ("12-24" to "01-01").
 */
export interface HolidayRange {
  from: string;
  to: string;
  /** Each day's hours; omitted or [] closed. */
  hours?: LocalInterval[];
}

/** A closed day ("YYYY-MM-DD", or "MM-DD" every year), a day with its own hours, or a range of days. */
export type Holiday = string | PartialHoliday | HolidayRange;

/** The longest dated range of holidays: a year, so that a mistyped year does not close a calendar for decades. */
export const MAX_HOLIDAY_RANGE_DAYS = 366;

export interface CalendarDefinition {
  /** IANA zone, e.g. "Europe/Berlin". */
  timezone: string;
  weekly: WeeklyHours;
  /**
   * Local dates in the calendar's zone: "YYYY-MM-DD" (that day) or "MM-DD" (that date every
   * year; "02-29" only in leap years) without any hours, { date, hours } with those hours
   * instead of the weekday's, or { from, to, hours? } for each day of a range. A dated entry
   * wins over a yearly one for the same day, and a single day over a range of its kind.
   */
  holidays?: Holiday[];
}

const DAY_MS = 86_400_000;
const CLOCK = /^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_DAY = /^(\d{2})-(\d{2})$/;

/** "HH:MM" → minutes after local midnight (0–1440), or null. */
export function parseClock(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const match = CLOCK.exec(text);
  if (match === null) return null;
  return match[1] === undefined ? 1440 : Number(match[1]) * 60 + Number(match[2]);
}

/** "YYYY-MM-DD" → day number (days since 1970-01-01), or null if it is not a real date. */
export function parseLocalDate(text: unknown): number | null {
  const match = typeof text === 'string' ? DATE.exec(text) : null;
  if (match === null) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1) return null;
  if (date.getUTCDate() !== day) return null;
  return date.getTime() / DAY_MS;
}

/** "MM-DD" → month × 100 + day (1225 for "12-25"), or null; "02-29" is valid (leap years). */
export function parseMonthDay(text: unknown): number | null {
  const match = typeof text === 'string' ? MONTH_DAY.exec(text) : null;
  if (match === null) return null;
  const [month, day] = [Number(match[1]), Number(match[2])];
  // 2000 was a leap year: every month-day that ever exists exists in it.
  const date = new Date(Date.UTC(2000, month - 1, day));
  if (month < 1 || day < 1 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return month * 100 + day;
}

/** The month × 100 + day of a day number (as parseMonthDay gives for its "MM-DD"). */
export function monthDayOf(dayIndex: number): number {
  const date = new Date(dayIndex * DAY_MS);
  return (date.getUTCMonth() + 1) * 100 + date.getUTCDate();
}

/**
 * Intervals as minutes after the day's local midnight, sorted by start: a shift past midnight
 * ends after 1440 (["22:00","06:00"] → [1320, 1800]). For a valid definition only.
 */
export function intervalMinutes(intervals: readonly LocalInterval[]): [number, number][] {
  return intervals
    .map(([from, to]): [number, number] => {
      const start = parseClock(from)!;
      const end = parseClock(to)!;
      return [start, end <= start ? end + 1440 : end];
    })
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** The days a valid holiday entry names, and what they are. */
export interface HolidayDays {
  /** Month × 100 + day every year ("MM-DD"), else day numbers (days since 1970-01-01). */
  yearly: boolean;
  /** A { from, to } range: a single day of its kind (yearly or dated) wins over it. */
  range: boolean;
  days: number[];
  /** null: closed. */
  hours: LocalInterval[] | null;
}

/** A valid holiday entry's days (a range's each, in order) and hours. */
export function holidayDays(entry: Holiday): HolidayDays {
  if (typeof entry === 'string') return { ...daysFromTo(entry, entry), range: false, hours: null };
  const hours = entry.hours === undefined || entry.hours.length === 0 ? null : entry.hours;
  if ('date' in entry) return { ...daysFromTo(entry.date, entry.date), range: false, hours };
  return { ...daysFromTo(entry.from, entry.to), range: true, hours };
}

/** The first and last day of 2000, a leap year: every month-day that ever exists is in it. */
const FIRST_OF_2000 = Date.UTC(2000, 0, 1) / DAY_MS;
const LAST_OF_2000 = Date.UTC(2000, 11, 31) / DAY_MS;

function dayRange(first: number, last: number): number[] {
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
}

/**
 * The days from one date to another, both included, for a valid pair of the same kind: day
 * numbers, or month-days, walked in 2000 and across its New Year when `to` is before `from`.
 */
function daysFromTo(from: string, to: string): { yearly: boolean; days: number[] } {
  const first = parseLocalDate(from);
  if (first !== null) return { yearly: false, days: dayRange(first, parseLocalDate(to)!) };
  const start = parseLocalDate(`2000-${from}`)!;
  const end = parseLocalDate(`2000-${to}`)!;
  const days = end >= start ? dayRange(start, end) : [...dayRange(start, LAST_OF_2000), ...dayRange(FIRST_OF_2000, end)];
  return { yearly: true, days: days.map(monthDayOf) };
}

/** A holiday day's hours as calendar.ts counts them. */
export interface HolidayHours {
  /** null: closed. */
  hours: LocalInterval[] | null;
  /**
   * A yearly range's hours, whose days fall on other weekdays each year: they apply on a day
   * its weekday opens, and a day its weekday keeps closed stays closed. (A dated range's days
   * are resolved so when they are listed: their weekday is known.)
   */
  onOpenWeekdays: boolean;
}

/** The weekday of a day number, 0 = Monday (1970-01-01 was a Thursday). */
export function weekdayOf(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/** Whether the weekly hours open on the day number's weekday (a range's hours apply only then). */
function weekOpensOn(weekly: WeeklyHours, day: number): boolean {
  return weekly === '24x7' || (weekly[WEEKDAYS[weekdayOf(day)]!]?.length ?? 0) > 0;
}

/**
 * Each holiday day's hours as a valid definition gives them, dated days by day number and
 * yearly ones by month × 100 + day: a single day's own entry wins over a range that covers it
 * (calendar.ts then takes a dated day before a yearly one). A range's hours are the hours of
 * the days of it that the weekly hours open: the days the week keeps closed (a weekend) stay
 * closed; a single day's hours are its hours whatever its weekday.
 */
export function holidayHours(def: Pick<CalendarDefinition, 'weekly' | 'holidays'>): {
  dated: Map<number, HolidayHours>;
  yearly: Map<number, HolidayHours>;
} {
  const dated = new Map<number, HolidayHours>();
  const yearly = new Map<number, HolidayHours>();
  const entries = (def.holidays ?? []).map(holidayDays);
  // Ranges first, so that single days overwrite them.
  for (const { yearly: isYearly, range, days, hours } of [...entries.filter((e) => e.range), ...entries.filter((e) => !e.range)]) {
    for (const day of days) {
      if (isYearly) yearly.set(day, { hours, onOpenWeekdays: range && hours !== null });
      else dated.set(day, { hours: range && !weekOpensOn(def.weekly, day) ? null : hours, onOpenWeekdays: false });
    }
  }
  return { dated, yearly };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ZONE_HINT = '(an IANA zone such as "Europe/Berlin")';
const WEEKLY_HINT = 'use "24x7" or an object such as { "mon": [["09:00","17:00"]] }';

/**
 * Business minutes in one week of a valid calendar definition (10,080 for "24x7"), before
 * holidays: what a policy's targets are checked against (config.ts). A shift past midnight
 * counts whole, and time where it meets the next day's own hours counts once.
 */
export function weeklyBusinessMinutes(def: CalendarDefinition): number {
  if (def.weekly === '24x7') return 7 * 1440;
  const week = 7 * 1440;
  const spans: [number, number][] = [];
  WEEKDAYS.forEach((day, d) => {
    for (const [start, end] of intervalMinutes(def.weekly === '24x7' ? [] : def.weekly[day] ?? [])) {
      const [s, e] = [d * 1440 + start, d * 1440 + end];
      if (e <= week) spans.push([s, e]);
      else spans.push([s, week], [0, e - week]); // Sunday night into Monday
    }
  });
  spans.sort((x, y) => x[0] - y[0]);
  let minutes = 0;
  let reached = 0;
  for (const [s, e] of spans) {
    if (e > reached) minutes += e - Math.max(s, reached);
    reached = Math.max(reached, e);
  }
  return minutes;
}

/** Every problem of a calendar definition, with JSON paths under `at`. Never throws. */
export function calendarDefinitionProblems(
  def: unknown,
  at: readonly PathSegment[] = [],
): DefinitionProblem[] {
  if (!isRecord(def)) {
    return [problem(at, 'a calendar must be an object with "timezone" and "weekly"')];
  }
  const out: DefinitionProblem[] = [];
  for (const key of Object.keys(def)) {
    if (key !== 'timezone' && key !== 'weekly' && key !== 'holidays') {
      out.push(problem([...at, key], `unknown key "${key}" (expected timezone, weekly, holidays)`));
    }
  }
  const zone = def.timezone;
  if (!Object.hasOwn(def, 'timezone')) {
    out.push(problem([...at, 'timezone'], `timezone is required ${ZONE_HINT}`));
  } else if (typeof zone !== 'string' || !IANAZone.isValidZone(zone)) {
    const message = `${describeValue(zone)} is not a time zone ${ZONE_HINT}`;
    out.push(problem([...at, 'timezone'], message));
  } else {
    // Zone names are matched in any case, and shown as written (reports, mails, the calculator).
    const canonical = normalizeTimeZone(zone);
    if (canonical !== null && canonical !== zone) out.push(problem([...at, 'timezone'], `"${zone}" works, but is written "${canonical}"; it is shown as written`, 'warning'));
  }
  let weekly: WeeklyHours | null = null;
  if (!Object.hasOwn(def, 'weekly')) {
    out.push(problem([...at, 'weekly'], `weekly is required: ${WEEKLY_HINT}`));
  } else {
    const problems = weeklyProblems(def.weekly, [...at, 'weekly']);
    out.push(...problems);
    if (problems.every((p) => p.severity === 'warning')) weekly = def.weekly as WeeklyHours;
  }
  if (Object.hasOwn(def, 'holidays')) {
    out.push(...holidayProblems(def.holidays, [...at, 'holidays'], weekly));
  }
  return out;
}

const HOLIDAY_HINT =
  'a holiday is a date "YYYY-MM-DD", "MM-DD" for every year, or { "date": "2026-12-24", "hours": [["09:00","12:00"]] } for a day with its own hours, or { "from": "2026-12-24", "to": "2027-01-01" } for a range of days';

function holidayDateProblem(date: unknown): string | null {
  if (parseLocalDate(date) !== null || parseMonthDay(date) !== null) return null;
  return `${describeValue(date)} is not a date (use YYYY-MM-DD, or MM-DD for the same date every year)`;
}

/** A day of HolidayDays as the definition writes it: "2026-12-24", or "12-24" for a yearly one. */
function dayText(yearly: boolean, day: number): string {
  if (!yearly) return new Date(day * DAY_MS).toISOString().slice(0, 10);
  return `${String(Math.floor(day / 100)).padStart(2, '0')}-${String(day % 100).padStart(2, '0')}`;
}

/**
 * Checks a holiday's `hours` into `out` (required for a single day, optional for a range);
 * returns them as a comparable string ("closed" for none), or null when they are not valid.
 */
function holidayHoursProblems(entry: Record<string, unknown>, at: PathSegment[], required: boolean, out: DefinitionProblem[]): string | null {
  if (!Object.hasOwn(entry, 'hours')) {
    if (!required) return 'closed';
    out.push(problem([...at, 'hours'], 'hours is required: the day\'s intervals such as [["09:00","12:00"]], or [] for closed'));
    return null;
  }
  if (!Array.isArray(entry.hours)) {
    out.push(problem([...at, 'hours'], 'must be a list of intervals such as [["09:00","12:00"]], or [] for closed'));
    return null;
  }
  const before = out.length;
  dayProblems(entry.hours, [...at, 'hours'], out);
  if (out.length > before) return null;
  return entry.hours.length === 0 ? 'closed' : JSON.stringify(intervalMinutes(entry.hours as LocalInterval[]));
}

/** The problems of a { from, to, hours? } range into `out`; whether it is valid. */
function holidayRangeProblems(entry: Record<string, unknown>, at: PathSegment[], out: DefinitionProblem[]): boolean {
  const before = out.length;
  if (Object.hasOwn(entry, 'date')) {
    out.push(problem([...at, 'date'], 'a holiday is one day ("date") or a range ("from" and "to"), not both'));
  }
  for (const key of Object.keys(entry)) {
    if (key !== 'from' && key !== 'to' && key !== 'hours' && key !== 'date') out.push(problem([...at, key], `unknown key "${key}" (expected from, to, hours)`));
  }
  for (const end of ['from', 'to'] as const) {
    if (!Object.hasOwn(entry, end)) {
      out.push(problem([...at, end], `${end} is required: a range runs from one date to another, both included ("YYYY-MM-DD", or "MM-DD" every year)`));
    } else {
      const message = holidayDateProblem(entry[end]);
      if (message !== null) out.push(problem([...at, end], message));
    }
  }
  if (out.length > before) return false;
  const [from, to] = [entry.from as string, entry.to as string];
  const [first, last] = [parseLocalDate(from), parseLocalDate(to)];
  if ((first === null) !== (last === null)) {
    out.push(problem([...at, 'to'], `"${from}" to "${to}": give both ends as YYYY-MM-DD, or both as MM-DD for every year`));
  } else if (first !== null && last! < first) {
    out.push(problem([...at, 'to'], `"${to}" is before "${from}": a range runs from its first day to its last`));
  } else if (first !== null && last! - first + 1 > MAX_HOLIDAY_RANGE_DAYS) {
    out.push(problem([...at, 'to'], `"${from}" to "${to}" is ${last! - first + 1} days: a range is at most ${MAX_HOLIDAY_RANGE_DAYS} (give a longer closure as several)`));
  } else if (first === null && daysFromTo(from, to).days.length >= 366) {
    out.push(problem([...at, 'to'], `"${from}" to "${to}" is every day of the year: the calendar would never be open`));
  }
  return out.length === before;
}

/**
 * `weekly`: the calendar's weekly hours when they are valid, else null. The days of a dated
 * range that the week keeps closed stay closed whatever the range says (holidayHours), so two
 * dated ranges that meet only there do not conflict.
 */
function holidayProblems(holidays: unknown, at: PathSegment[], weekly: WeeklyHours | null): DefinitionProblem[] {
  if (!Array.isArray(holidays)) {
    return [problem(at, `holidays must be a list: ${HOLIDAY_HINT}`)];
  }
  const out: DefinitionProblem[] = [];
  /**
   * Each day given so far, by the kind of entry (a yearly or dated, single day or range): which
   * entry gave it, with its hours as a comparable string. Entries of one kind may not give a
   * day other hours; a single day may override a range, a dated day a yearly one.
   */
  const seen = new Map<string, Map<number, { index: number; hours: string }>>();
  holidays.forEach((entry: unknown, i) => {
    let hours: string | null = 'closed';
    if (typeof entry === 'string') {
      const message = holidayDateProblem(entry);
      if (message !== null) {
        out.push(problem([...at, i], message));
        return;
      }
    } else if (isRecord(entry) && (Object.hasOwn(entry, 'from') || Object.hasOwn(entry, 'to'))) {
      const valid = holidayRangeProblems(entry, [...at, i], out);
      hours = holidayHoursProblems(entry, [...at, i], false, out);
      if (!valid) return;
    } else if (isRecord(entry)) {
      for (const key of Object.keys(entry)) {
        if (key !== 'date' && key !== 'hours') out.push(problem([...at, i, key], `unknown key "${key}" (expected date, hours; or from, to, hours for a range)`));
      }
      let dateValid = false;
      if (!Object.hasOwn(entry, 'date')) {
        out.push(problem([...at, i, 'date'], 'date is required ("YYYY-MM-DD", or "MM-DD" for every year)'));
      } else {
        const message = holidayDateProblem(entry.date);
        if (message !== null) out.push(problem([...at, i, 'date'], message));
        else dateValid = true;
      }
      hours = holidayHoursProblems(entry, [...at, i], true, out);
      if (!dateValid) return;
    } else {
      out.push(problem([...at, i], `${describeValue(entry)} is not a holiday: ${HOLIDAY_HINT}`));
      return;
    }
    // Invalid hours leave the days unchecked: their problem is reported already.
    if (hours === null) return;
    const { yearly, range, days } = holidayDays(entry as Holiday);
    const kind = `${yearly ? 'yearly' : 'dated'} ${range ? 'range' : 'day'}`;
    const given = seen.get(kind) ?? new Map<number, { index: number; hours: string }>();
    seen.set(kind, given);
    /** The earlier entries this one meets, each once: alike or not, and on which day first. */
    const met = new Map<number, { alike: boolean; day: number }>();
    for (const day of days) {
      if (range && !yearly && weekly !== null && !weekOpensOn(weekly, day)) continue;
      const earlier = given.get(day);
      if (earlier === undefined) given.set(day, { index: i, hours });
      else if (!met.has(earlier.index)) met.set(earlier.index, { alike: earlier.hours === hours, day });
    }
    for (const [index, { alike, day }] of met) {
      const text = dayText(yearly, day);
      if (!range) {
        if (alike) out.push(problem([...at, i], `"${text}" is already holidays[${index}]; the same day once is enough`, 'warning'));
        else out.push(problem([...at, i], `"${text}" is already holidays[${index}] with other hours: give each day once, with the hours it has`));
      } else if (alike) {
        out.push(problem([...at, i], `from "${text}" this range repeats days of holidays[${index}] alike; each day once is enough`, 'warning'));
      } else {
        out.push(problem([...at, i], `from "${text}" this range overlaps holidays[${index}] with other hours: two ranges may not give a day different hours (a single day's own entry may)`));
      }
    }
  });
  return out;
}

function weeklyProblems(weekly: unknown, at: PathSegment[]): DefinitionProblem[] {
  if (weekly === '24x7') return [];
  if (!isRecord(weekly)) {
    return [problem(at, `${describeValue(weekly)} is not valid: ${WEEKLY_HINT}`)];
  }
  const out: DefinitionProblem[] = [];
  let openIntervals = 0;
  for (const [key, intervals] of Object.entries(weekly)) {
    if (!(WEEKDAYS as readonly string[]).includes(key)) {
      out.push(problem([...at, key], `unknown weekday "${key}" (use ${WEEKDAYS.join(', ')})`));
    } else if (!Array.isArray(intervals)) {
      out.push(problem([...at, key], 'must be a list of intervals such as [["09:00","17:00"]]'));
    } else {
      openIntervals += dayProblems(intervals, [...at, key], out);
    }
  }
  if (out.length === 0 && openIntervals === 0) {
    out.push(problem(at, 'the calendar has no open hours on any weekday'));
  }
  return out;
}

/** Why an interval that ends where it starts is refused, and what to write instead. */
function noLength(from: string, start: number): string {
  const message = `starts and ends at ${from}: an interval needs a length`;
  if (start === 0) return `${message} (a whole day is ["00:00","24:00"])`;
  return `${message} (to midnight is ["${from}","24:00"]; a shift past midnight ends at an earlier time, e.g. ["22:00","06:00"])`;
}

/**
 * Checks one day's intervals into `out` (a weekday's, or a holiday's hours); returns how many
 * of them are valid. An end before the start is a shift into the next day; two intervals of
 * the same day may not overlap (a shift's part after midnight belongs to the next day, where
 * it may meet that day's own hours: they are merged).
 */
function dayProblems(intervals: unknown[], at: PathSegment[], out: DefinitionProblem[]): number {
  const valid: { start: number; end: number; text: string; index: number }[] = [];
  intervals.forEach((interval: unknown, index) => {
    if (!Array.isArray(interval) || interval.length !== 2) {
      out.push(problem([...at, index], 'an interval must be a pair ["HH:MM","HH:MM"]'));
      return;
    }
    const [from, to] = interval as unknown[];
    const start = parseClock(from);
    const end = parseClock(to);
    if (start === null || start === 1440) {
      const message = `${describeValue(from)} is not a start time (use HH:MM, 00:00–23:59)`;
      out.push(problem([...at, index, 0], message));
    }
    if (end === null) {
      const message = `${describeValue(to)} is not an end time (use HH:MM, 00:00–24:00)`;
      out.push(problem([...at, index, 1], message));
    }
    if (start === null || start === 1440 || end === null) return;
    if (end === start) {
      out.push(problem([...at, index], noLength(String(from), start)));
    } else {
      // A shift past midnight is open to the end of this day; its part after midnight is the next day's.
      valid.push({ start, end: end < start ? 1440 : end, text: `${from}–${to}`, index });
    }
  });
  valid.sort((a, b) => a.start - b.start);
  let widest = valid[0];
  for (const current of valid.slice(1)) {
    if (current.start < widest!.end) {
      out.push(problem([...at, current.index], `${current.text} overlaps ${widest!.text}`));
    }
    if (current.end > widest!.end) widest = current;
  }
  return valid.length;
}

/**
 * A calendar's content as one comparable string: two definitions with the same key count the
 * same business minutes (`"24x7"` is written out per day, intervals and holidays are sorted,
 * duplicate holidays dropped, ranges written out day by day; a shift past midnight ends after
 * 1440). The name a config gives the calendar is not part of it. Closed dated holidays keep
 * the form they always had (day numbers); yearly dates and holidays with hours are listed
 * apart, only when there are any.
 */
export function calendarKey(def: CalendarDefinition): string {
  const weekly = WEEKDAYS.map((weekday) => {
    const intervals: LocalInterval[] = def.weekly === '24x7' ? [['00:00', '24:00']] : def.weekly[weekday] ?? [];
    return intervalMinutes(intervals);
  });
  const closed = new Set<number>();
  const special = new Set<string>();
  const { dated, yearly } = holidayHours(def);
  for (const [day, { hours }] of dated) {
    if (hours === null) closed.add(day);
    else special.add(JSON.stringify([day, intervalMinutes(hours)]));
  }
  for (const [monthDay, { hours, onOpenWeekdays }] of yearly) {
    const counted = [dayText(true, monthDay), hours === null ? null : intervalMinutes(hours), ...(onOpenWeekdays ? ['on open weekdays'] : [])];
    special.add(JSON.stringify(counted));
  }
  const holidays = [...closed].sort((a, b) => a - b);
  const others = [...special].sort();
  return JSON.stringify({ timezone: def.timezone, weekly, holidays, ...(others.length > 0 ? { others } : {}) });
}
