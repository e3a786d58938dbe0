/** Looks up SLA targets and calendars in a pinned version of the SLA config. */
import type { SlaMetric } from '../db/schema/index.js';
import type { Services } from '../services.js';
import type { BusinessCalendar } from './calendar.js';
import { isPriority, type SlaConfig } from './config.js';
import type { TimerRow, TimerTarget } from './timer.js';

/** The policy a case is measured by in `config`: its own if that version has it, else the default. */
export function effectivePolicy(config: SlaConfig, policy: string | null): string {
  return policy !== null && config.policy(policy) ? policy : config.defaultPolicy;
}

/** The target for one metric (a chat case's chat target first), or null when the policy sets none at this priority. */
export function findTarget(
  config: SlaConfig,
  version: number,
  policyName: string,
  priority: string,
  metric: SlaMetric,
  channel?: string,
): TimerTarget | null {
  const policy = config.policy(policyName);
  if (!policy || !isPriority(priority)) return null;
  const target = policy.target(priority, metric, channel);
  if (!target) return null;
  return {
    policy: policyName,
    policyVersion: version,
    calendarName: policy.calendarName,
    calendar: target.calendar,
    targetMinutes: target.minutes,
    warnOffsetMinutes: target.warnOffsetMinutes,
  };
}

/** The calendar a stored timer counts on (the one of its policy version). */
export function timerCalendar(services: Services, t: Pick<TimerRow, 'policyVersion' | 'calendar'>): BusinessCalendar {
  const { config } = services.definitions.sla(t.policyVersion);
  const calendar = config.calendar(t.calendar);
  if (!calendar) throw new Error(`SLA config version ${t.policyVersion} has no calendar "${t.calendar}"`);
  return calendar;
}
