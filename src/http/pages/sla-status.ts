/**
 * How an SLA timer looks on a page, read generically from `sla_timers` (whatever engine
 * fills it): breached once past due (or marked breached; the due instant is on time), warning once past its warning time,
 * ok before that; paused timers show why; fulfilled ones are done.
 */
import { NO_DUE_AT, type slaTimers } from '../../db/schema/index.js';
import { isPastDue } from '../../sla/due.js';

export type TimerRow = typeof slaTimers.$inferSelect;
export type SlaLevel = 'breached' | 'warning' | 'ok' | 'paused' | 'done';

export interface SlaStatus {
  metric: string;
  level: SlaLevel;
  dueAt: number | null;
  /** Minutes until due (not yet due) or past due (negative), when there is a due time. */
  minutesLeft: number | null;
  pauseReason: string | null;
  /** Short text: "1h 20m left", "overdue 35m", "paused: pending", "met". */
  label: string;
}

const METRIC_LABELS: Record<string, string> = {
  firstResponse: 'First response',
  nextResponse: 'Next response',
  resolution: 'Resolution',
};

export function metricLabel(metric: string): string {
  return METRIC_LABELS[metric] ?? metric;
}

/** "45m", "2h 05m", "3d 4h". */
export function formatMinutes(total: number): string {
  const minutes = Math.max(0, Math.round(total));
  if (minutes < 60) return `${minutes}m`;
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
  const days = Math.floor(minutes / (24 * 60));
  return `${days}d ${Math.floor((minutes % (24 * 60)) / 60)}h`;
}

function minutesUntil(dueAt: number | null, now: number): number | null {
  return dueAt === null ? null : Math.floor((dueAt - now) / 60_000);
}

function labelFor(level: SlaLevel, minutesLeft: number | null, pauseReason: string | null): string {
  switch (level) {
    case 'done':
      return 'met';
    case 'paused':
      return pauseReason ? `paused: ${pauseReason}` : 'paused';
    case 'breached':
      return minutesLeft === null || minutesLeft > 0 ? 'breached' : `overdue ${formatMinutes(-minutesLeft)}`;
    default:
      return minutesLeft === null ? 'running' : `${formatMinutes(minutesLeft)} left`;
  }
}

export function timerStatus(t: TimerRow, now: number): SlaStatus {
  let level: SlaLevel;
  if (t.state === 'fulfilled') level = t.breachedAt !== null ? 'breached' : 'done';
  else if (t.breachedAt !== null || t.state === 'breached' || (t.dueAt !== null && isPastDue(t.dueAt, now))) level = 'breached';
  else if (t.state === 'paused') level = 'paused';
  else if (t.warnAt !== null && now >= t.warnAt) level = 'warning';
  else level = 'ok';
  const live = t.state !== 'fulfilled' && t.state !== 'paused';
  const minutesLeft = live ? minutesUntil(t.dueAt, now) : null;
  const label = t.state === 'fulfilled' ? (level === 'breached' ? 'met late' : 'met') : labelFor(level, minutesLeft, t.pauseReason);
  return { metric: t.metric, level, dueAt: t.dueAt, minutesLeft, pauseReason: t.pauseReason, label };
}

const SEVERITY: Record<SlaLevel, number> = { breached: 0, warning: 1, ok: 2, paused: 3, done: 4 };

/**
 * The one status an inbox row shows: the most urgent open timer (breached before warning
 * before ok before paused, then the earliest due). Without timer rows, the case's
 * `sla_due_at` alone decides between ok and breached. Null when no clock applies.
 */
export function caseSlaStatus(timers: readonly TimerRow[], slaDueAt: number, now: number): SlaStatus | null {
  const open = timers.filter((t) => t.state !== 'fulfilled').map((t) => timerStatus(t, now));
  open.sort((a, b) => SEVERITY[a.level] - SEVERITY[b.level] || (a.dueAt ?? Infinity) - (b.dueAt ?? Infinity));
  if (open[0]) return open[0];
  if (slaDueAt === NO_DUE_AT) return null;
  const minutesLeft = minutesUntil(slaDueAt, now);
  const level: SlaLevel = isPastDue(slaDueAt, now) ? 'breached' : 'ok';
  return { metric: 'sla', level, dueAt: slaDueAt, minutesLeft, pauseReason: null, label: labelFor(level, minutesLeft, null) };
}
