/**
 * SLA durations and warning offsets, as written in `rules/sla.json`.
 *
 * A duration is business time in whole minutes: `90m`, `2h`, `1h30m` (hours first, then minutes
 * below 60; no spaces, no decimals, no other units). It must be greater than zero and at most
 * MAX_DURATION_MINUTES (2000h, about a year of office hours: a larger target is a typo, and
 * business-time arithmetic gives up after scanning three years of a calendar).
 *
 * `warnBefore` is either a percentage of the target (`"20%"`, `"12.5%"`, 0 < p < 100) or a
 * duration (`"15m"`). It is turned into an offset in business minutes *before* the due time;
 * a duration longer than the target is capped at the target (the warning is due at the start).
 * Percentages may give fractional minutes (15% of 50m = 7.5m); the arithmetic works in
 * milliseconds, so that is fine.
 */

export const MAX_DURATION_MINUTES = 2000 * 60;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

export type WarnBefore =
  | { kind: 'percent'; percent: number }
  | { kind: 'duration'; minutes: number };

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?$/;
const PERCENT = /^(\d+(?:\.\d+)?)%$/;
const HINT = '(use 90m or 2h)';

/** A short, never-throwing rendering of a config value for problem messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) {
    return String(value);
  }
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Parses `90m`, `2h` or `1h30m` to whole business minutes. */
export function parseDuration(text: unknown): ParseResult<number> {
  if (typeof text !== 'string') {
    return { ok: false, message: `${describeValue(text)} is not a duration ${HINT}` };
  }
  const match = DURATION.exec(text);
  if (text === '' || match === null) {
    return { ok: false, message: `${describeValue(text)} is not a duration ${HINT}` };
  }
  const hours = match[1] === undefined ? 0 : Number(match[1]);
  const minutes = match[2] === undefined ? 0 : Number(match[2]);
  if (match[1] !== undefined && match[2] !== undefined && minutes >= 60) {
    return {
      ok: false,
      message: `${describeValue(text)}: minutes after hours must be below 60 (write ${formatDuration(hours * 60 + minutes)})`,
    };
  }
  const total = hours * 60 + minutes;
  if (total <= 0) return { ok: false, message: `${describeValue(text)} must be longer than zero` };
  if (total > MAX_DURATION_MINUTES) {
    return {
      ok: false,
      message: `${describeValue(text)} is too long (at most ${formatDuration(MAX_DURATION_MINUTES)})`,
    };
  }
  return { ok: true, value: total };
}

const CHAT_DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const CHAT_HINT = '(use 45s, 1m30s or 2m)';

/**
 * A chat target's duration, to the second: `45s`, `1m30s`, `2m`, `1h` (hours, then minutes
 * below 60, then seconds below 60). Returned in minutes, fractional below a minute (45s → 0.75):
 * timers store minutes as REAL and compute due times in milliseconds.
 */
export function parseChatDuration(text: unknown): ParseResult<number> {
  const match = typeof text === 'string' && text !== '' ? CHAT_DURATION.exec(text) : null;
  if (match === null) return { ok: false, message: `${describeValue(text)} is not a chat duration ${CHAT_HINT}` };
  const [hours, minutes, seconds] = [match[1], match[2], match[3]].map((v) => (v === undefined ? 0 : Number(v))) as [number, number, number];
  if ((match[1] !== undefined && match[2] !== undefined && minutes >= 60) || ((match[1] !== undefined || match[2] !== undefined) && match[3] !== undefined && seconds >= 60)) {
    return { ok: false, message: `${describeValue(text)}: minutes after hours and seconds after minutes must be below 60` };
  }
  const total = hours * 60 + minutes + seconds / 60;
  if (total <= 0) return { ok: false, message: `${describeValue(text)} must be longer than zero` };
  if (total > MAX_DURATION_MINUTES) return { ok: false, message: `${describeValue(text)} is too long (at most ${formatDuration(MAX_DURATION_MINUTES)})` };
  return { ok: true, value: total };
}

/** Formats minutes (fractional: seconds) as a chat target is written: 0.75 → `45s`, 1.5 → `1m30s`. */
export function formatChatDuration(minutes: number): string {
  const totalSeconds = Math.round(minutes * 60);
  const whole = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds - whole * 60;
  if (seconds === 0) return formatDuration(whole);
  return whole === 0 ? `${seconds}s` : `${formatDuration(whole)}${seconds}s`;
}

/** `warnBefore` of chat targets: a percentage or a chat duration. */
export function parseChatWarnBefore(text: unknown): ParseResult<WarnBefore> {
  if (typeof text === 'string' && text.endsWith('%')) return parseWarnBefore(text);
  const duration = parseChatDuration(text);
  if (!duration.ok) return { ok: false, message: `${describeValue(text)} is neither a percentage nor a chat duration (use "20%", 15s or 1m)` };
  return { ok: true, value: { kind: 'duration', minutes: duration.value } };
}

/** Formats whole minutes the way the config writes them: 90 → `1h30m`, 120 → `2h`. */
export function formatDuration(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes - hours * 60;
  if (hours === 0) return `${rest}m`;
  return rest === 0 ? `${hours}h` : `${hours}h${rest}m`;
}

/** Parses a `warnBefore` value: `"20%"` or a duration. */
export function parseWarnBefore(text: unknown): ParseResult<WarnBefore> {
  if (typeof text === 'string' && text.endsWith('%')) {
    const match = PERCENT.exec(text);
    const percent = match?.[1] === undefined ? Number.NaN : Number(match[1]);
    if (!(percent > 0 && percent < 100)) {
      return {
        ok: false,
        message: `${describeValue(text)} is not a valid percentage (use a number between 0 and 100, e.g. "20%")`,
      };
    }
    return { ok: true, value: { kind: 'percent', percent } };
  }
  const duration = parseDuration(text);
  if (!duration.ok) {
    return {
      ok: false,
      message: `${describeValue(text)} is neither a percentage nor a duration (use "20%", 90m or 2h)`,
    };
  }
  return { ok: true, value: { kind: 'duration', minutes: duration.value } };
}

/**
 * How many business minutes before the due time the warning fires, for a target of
 * `targetMinutes`. Never more than the target itself.
 */
export function warnOffsetMinutes(targetMinutes: number, warnBefore: WarnBefore): number {
  const offset =
    warnBefore.kind === 'percent'
      ? (targetMinutes * warnBefore.percent) / 100
      : warnBefore.minutes;
  return Math.min(offset, targetMinutes);
}
