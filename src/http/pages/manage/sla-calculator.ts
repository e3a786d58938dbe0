/**
 * The SLA calculator of the manager console: "a case created at … with priority … under
 * policy … is due at …", computed with the same code the timers use (the compiled SLA
 * config's targets and calendars, `computeDue` from src/sla/due.ts). The creation time is
 * read in the policy calendar's own time zone, as a manager would say it.
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
  const created = DateTime.fromISO(input.created, { zone: policy.calendar.timezone });
  if (!created.isValid) return { ok: false, errors: { created: `not a valid time: ${created.invalidExplanation ?? input.created}` } };
  const createdAt = created.toMillis();
  const target = policy.target(input.priority, input.metric);
  const base = { input, calendar: policy.calendarName, timezone: policy.calendar.timezone, createdAt };
  if (!target) return { ok: true, answer: { ...base, target: null } };
  const due = computeDue(target.calendar, { startMs: createdAt, usedMinutes: 0, targetMinutes: target.minutes, warnOffsetMinutes: target.warnOffsetMinutes });
  return {
    ok: true,
    answer: { ...base, target: { minutes: target.minutes, text: formatDuration(target.minutes), warnOffsetMinutes: target.warnOffsetMinutes, dueAt: due.dueAt, warnAt: due.warnAt } },
  };
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
