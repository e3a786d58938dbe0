/**
 * Whether a workflow's business-hours state timers (`"businessHours": true`) can fall due on
 * the calendars of an SLA config. A timer needing more business time than a policy's calendar
 * has in three years (MAX_SCAN_DAYS, counted from the calendar's weekly hours, holidays aside)
 * never fires for a case on that policy (timerDue, docs/workflows.md "State timers"): a warning
 * when the workflow is saved, with the timer's JSON path, so the manager hears it then.
 */
import { problem, type DefinitionProblem } from '../definitions/problems.js';
import type { WorkflowDefinition } from '../workflow/definition.js';
import { durationMs } from '../workflow/transition.js';
import { MAX_SCAN_DAYS, MINUTE_MS } from './calendar.js';
import { weeklyBusinessMinutes } from './calendar-definition.js';
import type { SlaConfigJson } from './config.js';

export function businessTimerWarnings(workflow: WorkflowDefinition, sla: SlaConfigJson): DefinitionProblem[] {
  const out: DefinitionProblem[] = [];
  for (const [stateName, state] of Object.entries(workflow.states)) {
    state.timers?.forEach((timer, i) => {
      if (timer.businessHours !== true) return;
      const minutes = durationMs(timer.after) / MINUTE_MS;
      const short = Object.entries(sla.policies)
        .map(([policy, { calendar }]) => ({ policy, calendar, perYear: Math.round((weeklyBusinessMinutes(sla.calendars[calendar]!) * 52) / 60) }))
        .filter(({ perYear }) => (perYear * 60 * MAX_SCAN_DAYS) / 366 < minutes);
      if (short.length === 0) return;
      const names = short.map(({ policy, calendar, perYear }) => `"${calendar}" (policy "${policy}", about ${perYear}h a year)`).join(', ');
      out.push(
        problem(
          ['states', stateName, 'timers', i, 'after'],
          `"${timer.after}" is ${Math.round(minutes / 60)} business hours, more than three years of calendar ${names}: a case on it never reaches this timer`,
          'warning',
        ),
      );
    });
  }
  return out;
}
