/** How an SLA timer is shown: metric, policy, state, due time and time left or overdue. */
import type { slaTimers } from '../db/schema/index.js';
import type { Services } from '../services.js';
import { isoTime } from '../text/iso-time.js';
import { isPastDue } from './due.js';
import { timerCalendar } from './targets.js';
import { isCounting, isStoppedByState, roundMinutes, usedMinutesAt } from './timer.js';

export type TimerRow = typeof slaTimers.$inferSelect;

export interface TimerView {
  metric: string;
  policy: string;
  policyVersion: number;
  state: string;
  /** When this clock (cycle) started. */
  startedAt: string;
  dueAt: string | null;
  /** When the warning falls due (counting timers). */
  warnAt: string | null;
  /** For display: breached, warning (past the warning time), ok, paused or fulfilled. */
  level: 'ok' | 'warning' | 'breached' | 'paused' | 'fulfilled';
  /** Wall-clock minutes until due (running timers not yet due). */
  minutesLeft: number | null;
  /** Wall-clock minutes past due (counting timers past their due time). */
  overdueMinutes: number | null;
  /** Business minutes left of the target (negative: overdue), for unfulfilled timers. */
  businessMinutesLeft: number | null;
  targetMinutes: number;
  /** Business minutes used so far, including the stretch running now. */
  usedMinutes: number;
  /** Why a paused timer stands still: the label of the workflow state. */
  pauseReason: string | null;
  /** For a fulfilled timer a workflow state stopped (e.g. Resolved): that state's label. */
  stopReason: string | null;
  warnedAt: string | null;
  breachedAt: string | null;
  fulfilledAt: string | null;
}

const toIso = (ms: number | null) => (ms === null ? null : isoTime(ms));

export function timerLevel(t: TimerRow, now: number): TimerView['level'] {
  if (t.state === 'fulfilled') return 'fulfilled';
  if (t.state === 'paused') return 'paused';
  if (t.breachedAt !== null || (t.dueAt !== null && isPastDue(t.dueAt, now))) return 'breached';
  if (t.warnAt !== null && now >= t.warnAt) return 'warning';
  return 'ok';
}

export function timerView(services: Services, t: TimerRow, now: number): TimerView {
  const due = t.dueAt;
  const counting = isCounting(t);
  const used = counting ? usedMinutesAt(t, timerCalendar(services, t), now) : t.usedMinutes;
  return {
    metric: t.metric,
    policy: t.policy,
    policyVersion: t.policyVersion,
    state: t.state,
    startedAt: toIso(t.startedAt)!,
    dueAt: toIso(due),
    warnAt: counting ? toIso(t.warnAt) : null,
    level: timerLevel(t, now),
    minutesLeft: counting && due !== null && !isPastDue(due, now) ? Math.ceil((due - now) / 60_000) : null,
    overdueMinutes: counting && due !== null && isPastDue(due, now) ? Math.floor((now - due) / 60_000) : null,
    businessMinutesLeft: t.state === 'fulfilled' ? null : roundMinutes(t.targetMinutes - used),
    targetMinutes: t.targetMinutes,
    usedMinutes: roundMinutes(used),
    pauseReason: t.state === 'paused' ? t.pauseReason : null,
    stopReason: isStoppedByState(t) ? t.pauseReason : null,
    warnedAt: toIso(t.warnedAt),
    breachedAt: toIso(t.breachedAt),
    fulfilledAt: t.state === 'fulfilled' ? toIso(t.fulfilledAt) : null,
  };
}
