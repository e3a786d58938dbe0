/**
 * `new Date(ms).toISOString()` without the Date: the same text, built from the time's parts,
 * with the `YYYY-MM-DDT` of up to eight days kept, one per day number modulo 8 (an answer
 * mixes today's times with SLA due times days ahead: one kept day missed at every switch).
 * V8's `toISOString` is a C++ builtin entered through the runtime, ~0.4 µs a call; a case's
 * answer formats a dozen times (the case's and every SLA timer's), 1.1 % of an intake's main
 * thread at c=50 (docs/performance.md, twelfth session). Times outside 1970–9999 (never a
 * Casebook timestamp) go to Date.
 */
const DAY_MS = 86_400_000;
/** 10000-01-01T00:00:00.000Z: from here on the year has more than four digits. */
const YEAR_10000_MS = 253_402_300_800_000;

const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => (n < 10 ? `0${n}` : `${n}`));

/** Day number → its `YYYY-MM-DDT`, in the slot `day % 8`. */
const keptDays = new Float64Array(8).fill(Number.NaN);
const keptPrefixes: string[] = new Array<string>(8).fill('');

export function isoTime(ms: number): string {
  // Date truncates a fraction of a millisecond (TimeClip); for times after 1970 that is floor.
  if (!(ms >= 0 && ms < YEAR_10000_MS)) return new Date(ms).toISOString();
  const whole = Math.floor(ms);
  const day = Math.floor(whole / DAY_MS);
  const slot = day & 7;
  if (keptDays[slot] !== day) {
    keptPrefixes[slot] = new Date(day * DAY_MS).toISOString().slice(0, 11);
    keptDays[slot] = day;
  }
  let rest = whole - day * DAY_MS;
  const millis = rest % 1000;
  rest = (rest - millis) / 1000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  const hours = (rest - minutes) / 60;
  return `${keptPrefixes[slot]}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}
