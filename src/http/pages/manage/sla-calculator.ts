/**
 * The SLA calculator of the manager console: "a case created at … with priority … under
 * policy … is due at …", computed with the same code the timers use (the compiled SLA
 * config's targets and calendars, `computeDue` from src/sla/due.ts). The creation time is
 * read in the policy calendar's own time zone, as a manager would say it; a time the clocks
 * repeat is its first occurrence, as calendars read a repeated wall time (src/sla/calendar.ts).
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import { isMetric, isPriority, METRICS, PRIORITIES, type Metric, type Priority, type SlaConfig } from '../../../sla/config.js';
import { computeDue } from '../../../sla/due.js';
import { formatDuration } from '../../../sla/duration.js';
import type { FormErrors, FormValues } from '../../../../views/components.js';

export interface CalcInput {
  created: string;
  policy: string;
  priority: Priority;
  metric: Metric;
}

export interface CalcAnswer {
  input: CalcInput;
  calendar: string;
  timezone: string;
  createdAt: number;
  /**
   * Set when the local time asked for is not one instant of the zone: it does not exist (the
   * clocks skip it going forward; the calculator uses the time as far past the change, as the
   * zone's rules read it: 02:30 → 03:30), or it happens twice (the clocks go back; `used` is the
   * offset of the first occurrence, the one used, `other` the later one's).
   */
  localTime?: { asked: string; kind: 'skipped' | 'repeated'; used: string; other: string };
  /** null: the policy sets no target for this priority and metric (no timer). */
  target: { minutes: number; text: string; warnOffsetMinutes: number; dueAt: number; warnAt: number } | null;
}

const LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

const calcSchema = z.object({
  created: z.string().regex(LOCAL, 'give a date and time, e.g. 2026-03-06T16:30'),
  policy: z.string().min(1, 'choose a policy'),
  priority: z.string().refine(isPriority, `one of ${PRIORITIES.join(', ')}`),
  metric: z.string().refine(isMetric, `one of ${METRICS.join(', ')}`),
});

export type CalcOutcome = { ok: true; answer: CalcAnswer } | { ok: false; errors: FormErrors };

/** Due and warning times for a case created at a local time of the policy's calendar. */
export function calculateDue(config: SlaConfig, values: FormValues): CalcOutcome {
  const parsed = calcSchema.safeParse(values);
  if (!parsed.success) {
    const errors: FormErrors = {};
    for (const issue of parsed.error.issues) errors[String(issue.path[0] ?? '(form)')] ??= issue.message;
    return { ok: false, errors };
  }
  const input = parsed.data as CalcInput;
  const policy = config.policy(input.policy);
  if (!policy) return { ok: false, errors: { policy: `unknown policy "${input.policy}"` } };
  const read = DateTime.fromISO(input.created, { zone: policy.calendar.timezone });
  if (!read.isValid) return { ok: false, errors: { created: `not a valid time: ${read.invalidExplanation ?? input.created}` } };
  const created = firstOccurrence(read);
  const createdAt = created.toMillis();
  const target = policy.target(input.priority, input.metric);
  const localTime = unusualLocalTime(input.created, created);
  const base = { input, calendar: policy.calendarName, timezone: policy.calendar.timezone, createdAt, ...(localTime ? { localTime } : {}) };
  if (!target) return { ok: true, answer: { ...base, target: null } };
  const due = computeDue(target.calendar, { startMs: createdAt, usedMinutes: 0, targetMinutes: target.minutes, warnOffsetMinutes: target.warnOffsetMinutes });
  return {
    ok: true,
    answer: { ...base, target: { minutes: target.minutes, text: formatDuration(target.minutes), warnOffsetMinutes: target.warnOffsetMinutes, dueAt: due.dueAt, warnAt: due.warnAt } },
  };
}

/**
 * A repeated local time's first instant (the earlier offset), as calendar.ts reads one. Luxon
 * picks between the two by the zone's offset *today*, so the answer changed with the season
 * the calculator was asked in (in winter the later one in Berlin, in summer the earlier).
 */
function firstOccurrence(read: DateTime): DateTime {
  return read.getPossibleOffsets().reduce((first, t) => (t.toMillis() < first.toMillis() ? t : first), read);
}

/**
 * Whether `asked` (a local "yyyy-MM-ddTHH:mm") names exactly one instant of `read`'s zone: null,
 * or what is unusual about it. Luxon reads a time in a gap as that far past the change (02:30 →
 * 03:30 where 02:00 becomes 03:00); of a repeated time `read` is the first (firstOccurrence).
 */
function unusualLocalTime(asked: string, read: DateTime): CalcAnswer['localTime'] | null {
  if (read.toFormat("yyyy-LL-dd'T'HH:mm") !== asked) {
    // Skipped: `other` is the offset before the change (a few hours earlier, before any gap).
    return { asked, kind: 'skipped', used: read.toFormat('ZZ'), other: read.minus({ hours: 6 }).toFormat('ZZ') };
  }
  const offsets = read.getPossibleOffsets();
  const other = offsets.find((o) => o.offset !== read.offset);
  return other ? { asked, kind: 'repeated', used: read.toFormat('ZZ'), other: other.toFormat('ZZ') } : null;
}

/** "Mon 9 Mar 2026, 10:30" in `zone`. */
export function formatInZone(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat('ccc d LLL yyyy, HH:mm');
}

/** "+01:00" offset of `zone` at `ms`. */
export function offsetInZone(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat('ZZ');
}

/** The local value for a datetime-local input: "2026-03-06T16:30". */
export function localInputValue(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat("yyyy-LL-dd'T'HH:mm");
}
