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
export type LocalInterval = [string, string];
export type WeeklyHours = '24x7' | Partial<Record<Weekday, LocalInterval[]>>;

export interface CalendarDefinition {
  /** IANA zone, e.g. "Europe/Berlin". */
  timezone: string;
  weekly: WeeklyHours;
  /** Local dates "YYYY-MM-DD" in the calendar's zone without any hours. */
  holidays?: string[];
}

const DAY_MS = 86_400_000;
const CLOCK = /^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ZONE_HINT = '(an IANA zone such as "Europe/Berlin")';
const WEEKLY_HINT = 'use "24x7" or an object such as { "mon": [["09:00","17:00"]] }';

/**
 * Business minutes in one week of a valid calendar definition (10,080 for "24x7"), before
 * holidays: what a policy's targets are checked against (config.ts).
 */
export function weeklyBusinessMinutes(def: CalendarDefinition): number {
  if (def.weekly === '24x7') return 7 * 1440;
  let minutes = 0;
  for (const day of WEEKDAYS) {
    for (const [from, to] of def.weekly[day] ?? []) minutes += (parseClock(to) ?? 0) - (parseClock(from) ?? 0);
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
  if (!Object.hasOwn(def, 'weekly')) {
    out.push(problem([...at, 'weekly'], `weekly is required: ${WEEKLY_HINT}`));
  } else {
    out.push(...weeklyProblems(def.weekly, [...at, 'weekly']));
  }
  if (Object.hasOwn(def, 'holidays')) {
    out.push(...holidayProblems(def.holidays, [...at, 'holidays']));
  }
  return out;
}

function holidayProblems(holidays: unknown, at: PathSegment[]): DefinitionProblem[] {
  if (!Array.isArray(holidays)) {
    return [problem(at, 'holidays must be a list of "YYYY-MM-DD" dates')];
  }
  return holidays.flatMap((date: unknown, i) =>
    parseLocalDate(date) === null
      ? [problem([...at, i], `${describeValue(date)} is not a date (use YYYY-MM-DD)`)]
      : [],
  );
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
      openIntervals += dayProblems(intervals, [...at, key], out, key as Weekday);
    }
  }
  if (out.length === 0 && openIntervals === 0) {
    out.push(problem(at, 'the calendar has no open hours on any weekday'));
  }
  return out;
}

/**
 * Why an interval that ends before it starts is refused, and what to write instead: an interval
 * belongs to one local day, so a night shift is two (the end of this day, the start of the next)
 * and midnight as an end is "24:00".
 */
function endBeforeStart(from: string, to: string, end: number, weekday: Weekday): string {
  const message = `ends at ${to}, which is not after its start ${from}`;
  if (end === 0) return `${message}: the end of the day is "24:00"`;
  if (end === parseClock(from)) return message;
  const next = WEEKDAYS[(WEEKDAYS.indexOf(weekday) + 1) % WEEKDAYS.length]!;
  return `${message}: hours past midnight belong to the next day, write ["${from}","24:00"] here and ["00:00","${to}"] on ${next}`;
}

/** Checks one weekday's intervals into `out`; returns how many of them are valid. */
function dayProblems(intervals: unknown[], at: PathSegment[], out: DefinitionProblem[], weekday: Weekday): number {
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
    if (end <= start) {
      out.push(problem([...at, index], endBeforeStart(String(from), String(to), end, weekday)));
    } else {
      valid.push({ start, end, text: `${from}–${to}`, index });
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
 * duplicate holidays dropped). The name a config gives the calendar is not part of it.
 */
export function calendarKey(def: CalendarDefinition): string {
  const weekly = WEEKDAYS.map((weekday) => {
    const intervals = def.weekly === '24x7' ? [['00:00', '24:00']] : def.weekly[weekday] ?? [];
    return intervals.map(([start, end]) => [parseClock(start), parseClock(end)]).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  });
  const holidays = [...new Set((def.holidays ?? []).map((date) => parseLocalDate(date)))].sort((a, b) => a! - b!);
  return JSON.stringify({ timezone: def.timezone, weekly, holidays });
}
