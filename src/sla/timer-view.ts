/** How an SLA timer is shown: metric, policy, state, due time and time left or overdue. */
import type { slaTimers } from '../db/schema/index.js';
import type { Services } from '../services.js';

export type TimerRow = typeof slaTimers.$inferSelect;

export interface TimerView {
  metric: string;
  policy: string;
  policyVersion: number;
  state: string;
  dueAt: string | null;
  /** Wall-clock minutes until due (running timers not yet due). */
  minutesLeft: number | null;
  /** Wall-clock minutes past due (breached timers still running). */
  overdueMinutes: number | null;
  targetMinutes: number;
  usedMinutes: number;
  pauseReason: string | null;
  warnedAt: string | null;
  breachedAt: string | null;
  fulfilledAt: string | null;
}

const toIso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function timerView(_services: Services, t: TimerRow, now: number): TimerView {
  const due = t.dueAt;
  return {
    metric: t.metric,
    policy: t.policy,
    policyVersion: t.policyVersion,
    state: t.state,
    dueAt: toIso(due),
    minutesLeft: due !== null && due > now ? Math.round((due - now) / 60_000) : null,
    overdueMinutes: due !== null && due <= now ? Math.round((now - due) / 60_000) : null,
    targetMinutes: t.targetMinutes,
    usedMinutes: t.usedMinutes,
    pauseReason: t.pauseReason,
    warnedAt: toIso(t.warnedAt),
    breachedAt: toIso(t.breachedAt),
    fulfilledAt: toIso(t.fulfilledAt),
  };
}
