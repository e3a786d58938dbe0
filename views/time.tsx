/**
 * Every time shown on a page goes through here: rendered in the viewer's time zone with the
 * zone named ("1 Dec 2026, 14:05 CET"), inside `<time datetime="…">` (the instant in ISO
 * form for machines), and — where it helps (SLA due times, last activity) — relative to now
 * ("in 3h 12m", "5m ago"). The zone and "now" (the injected clock) come from the request:
 * `sendHtml` provides them around every page and fragment (src/http/pages/render.ts).
 */
import { createContext, useContext } from 'hono/jsx';
import { DEFAULT_TIME_ZONE, zoneAbbreviation } from '../src/text/time-zones.js';

export interface TimeSettings {
  /** IANA zone of the viewer. */
  zone: string;
  /** The request's "now" (services.clock); null: no relative times. */
  now: number | null;
}

export const TimeSettingsContext = createContext<TimeSettings>({ zone: DEFAULT_TIME_ZONE, now: null });

const formats = new Map<string, Intl.DateTimeFormat>();

function format(zone: string, withDate: boolean, withYear: boolean): Intl.DateTimeFormat {
  const key = `${zone} ${withDate} ${withYear}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      ...(withDate ? { day: 'numeric', month: 'short', ...(withYear ? { year: 'numeric' } : {}) } : {}),
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(key, f);
  }
  return f;
}

/** "1 Dec 2026, 14:05 CET" in `zone` (default UTC). */
export function formatTime(ms: number, zone: string = DEFAULT_TIME_ZONE): string {
  return `${format(zone, true, true).format(ms)} ${zoneAbbreviation(zone, ms)}`;
}

/** Shorter when the day is obvious: "14:05 CET" on the same day as `now`, "2 Dec, 14:05 CET" within its year. */
export function formatTimeShort(ms: number, zone: string, now: number | null): string {
  if (now === null) return formatTime(ms, zone);
  const day = (t: number) => format(zone, true, true).formatToParts(t).filter((p) => p.type === 'day' || p.type === 'month' || p.type === 'year').map((p) => p.value).join(' ');
  const year = (t: number) => format(zone, true, true).formatToParts(t).find((p) => p.type === 'year')?.value;
  const text = day(ms) === day(now) ? format(zone, false, false).format(ms) : year(ms) === year(now) ? format(zone, true, false).format(ms) : format(zone, true, true).format(ms);
  return `${text} ${zoneAbbreviation(zone, ms)}`;
}

/** "in 3h 12m", "5m ago", "just now", "in 2d 4h". */
export function formatRelative(ms: number, now: number): string {
  const diff = ms - now;
  const minutes = Math.round(Math.abs(diff) / 60_000);
  if (minutes < 1) return 'just now';
  let span: string;
  if (minutes < 60) span = `${minutes}m`;
  else if (minutes < 24 * 60) span = `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
  else span = `${Math.floor(minutes / (24 * 60))}d ${Math.floor((minutes % (24 * 60)) / 60)}h`;
  return diff > 0 ? `in ${span}` : `${span} ago`;
}

export interface TimeProps {
  at: number | string | null | undefined;
  /** Add how far from now it is ("in 3h 12m", "5m ago"). */
  relative?: boolean;
  /** "14:05 CET" for today, "2 Dec, 14:05 CET" this year (tables, badges). */
  short?: boolean;
}

/** An instant for people: `<time datetime="2026-12-01T13:05:00.000Z">1 Dec 2026, 14:05 CET</time> (in 3h 12m)`. */
export function Time({ at, relative, short }: TimeProps) {
  const { zone, now } = useContext(TimeSettingsContext);
  if (at === null || at === undefined) return <span>—</span>;
  const ms = typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) return <span>—</span>;
  const text = short ? formatTimeShort(ms, zone, now) : formatTime(ms, zone);
  const time = <time datetime={new Date(ms).toISOString()}>{text}</time>;
  if (!relative || now === null) return time;
  // One item wherever it sits (a flex row keeps the two together).
  return (
    <span class="when">
      {time}
      <span class="time-relative">{` (${formatRelative(ms, now)})`}</span>
    </span>
  );
}
