/**
 * A case's SLA timers inside its unit of work: start, fulfil, pause, resume and re-target
 * them as case events happen, record `sla.*` entries on the timeline and keep
 * `cases.sla_due_at` (the inbox sort key) equal to the earliest due time of the timers whose
 * clocks run. Called by the SLA subscribers and by re-apply; everything here runs inside the
 * case's transaction. Where the rows live (a new case's are kept with its unit of work):
 * timer-rows.ts.
 */
import type { SlaMetric } from '../db/schema/index.js';
import { SYSTEM_ACTOR } from '../roles.js';
import type { StateCategory, StateDefinition } from '../workflow/definition.js';
import type { CaseContext } from '../workflow/context.js';
import { calendarKey } from './calendar.js';
import type { SlaConfig } from './config.js';
import { recordSlaEvents } from './sweep.js';
import { effectivePolicy, findTarget, timerCalendar } from './targets.js';
import { deleteTimer, insertTimer, loadTimers, refreshSlaDueAt, saveTimer } from './timer-rows.js';
import {
  fulfilTimer,
  isCounting,
  isStoppedByState,
  isUnfulfilled,
  pauseTimer,
  restartTimer,
  resumeTimer,
  retargetTimer,
  roundMinutes,
  startTimer,
  type NewTimerRow,
  type TimerRow,
} from './timer.js';


/** Metrics started when a case is created (nextResponse starts with customer messages). */
const AT_CREATION: readonly SlaMetric[] = ['firstResponse', 'resolution'];
/** Metrics a public staff reply fulfils. */
const ANSWERED_BY_REPLY: ReadonlySet<string> = new Set<SlaMetric>(['firstResponse', 'nextResponse']);

function record(ctx: CaseContext, type: string, data: Record<string, unknown>): Promise<unknown> {
  return ctx.record(type, data, SYSTEM_ACTOR);
}

/** The SLA config version the case is pinned to. */
export function caseSlaConfig(ctx: CaseContext): { version: number; config: SlaConfig } {
  return ctx.services.definitions.sla(ctx.case.slaConfigVersion ?? undefined);
}

export type Clock = 'run' | 'pause' | 'stop';

interface StateClocks {
  label: string;
  clock(metric: string): Clock;
}

/**
 * What a workflow state (of `category`, by default its own) does to a metric's clock: stop
 * (complete), pause, or let it run. Also what a workflow re-apply compares between versions.
 */
export function stateClockEffect(state: StateDefinition | undefined, metric: SlaMetric, category: StateCategory | undefined = state?.category): Clock {
  if (state?.sla?.stop?.includes(metric)) return 'stop';
  // A closed case never breaches: every clock still running stands still.
  if (category === 'closed' || state?.sla?.pause?.includes(metric)) return 'pause';
  return 'run';
}

/** What a workflow state does to each metric, and its label (the reason recorded). */
function stateClocks(ctx: CaseContext, stateName: string, category?: StateCategory): StateClocks {
  const state = ctx.workflow.states[stateName];
  return {
    label: state?.label ?? stateName,
    clock: (metric) => stateClockEffect(state, metric as SlaMetric, category ?? state?.category),
  };
}

function startedData(row: NewTimerRow): Record<string, unknown> {
  return {
    metric: row.metric,
    policy: row.policy,
    policyVersion: row.policyVersion,
    targetMinutes: row.targetMinutes,
    dueAt: row.dueAt,
    ...(row.pauseReason !== null ? { paused: true, reason: row.pauseReason } : {}),
  };
}

function fulfilledData(ctx: CaseContext, before: TimerRow, after: TimerRow, stopReason: string | null): Record<string, unknown> {
  return {
    metric: after.metric,
    policy: after.policy,
    queue: ctx.case.queueId,
    by: stopReason === null ? 'reply' : 'state',
    ...(stopReason !== null ? { reason: stopReason } : {}),
    breached: after.breachedAt !== null,
    // The first time this clock is fulfilled; a reopened timer fulfilled again is not `first`.
    first: before.fulfilledAt === null,
    usedMinutes: roundMinutes(after.usedMinutes),
    targetMinutes: after.targetMinutes,
  };
}

/**
 * Whether a metric waits for a state that starts it (`sla.start`): some state of the workflow
 * names it, and the case's current state does not.
 */
function waitsForState(ctx: CaseContext, metric: SlaMetric): boolean {
  const starts = (state: { sla?: { start?: readonly SlaMetric[] | undefined } | undefined } | undefined) => state?.sla?.start?.includes(metric) === true;
  return !starts(ctx.workflow.states[ctx.case.status]) && Object.values(ctx.workflow.states).some(starts);
}

/**
 * `case.created`: firstResponse and resolution for the case's policy and priority (`metrics`
 * narrows that, e.g. an imported case whose first response is already history), except those
 * a later state of the workflow starts (`sla.start`; the initial state's start with the case).
 */
export async function startCaseTimers(ctx: CaseContext, metrics: readonly SlaMetric[] = AT_CREATION): Promise<void> {
  const { version, config } = caseSlaConfig(ctx);
  const policy = effectivePolicy(config, ctx.case.slaPolicy);
  const clocks = stateClocks(ctx, ctx.case.status);
  const existing = new Set((await loadTimers(ctx)).map((t) => t.metric));
  for (const metric of metrics) {
    if (existing.has(metric) || waitsForState(ctx, metric)) continue;
    const target = findTarget(config, version, policy, ctx.case.priority, metric, ctx.case.channel);
    if (!target) continue;
    const clock = clocks.clock(metric);
    const row = startTimer(ctx.case.id, metric, target, ctx.now, clock === 'run' ? null : clocks.label);
    await insertTimer(ctx, row);
    await record(ctx, 'sla.started', startedData(row));
  }
  await refreshSlaDueAt(ctx);
}

/**
 * `case.transitioned`: the entered state's `sla.start` starts those clocks for the case's policy
 * and priority, unless the case has one already (a state entered again starts nothing) or, for
 * firstResponse, a public reply already answered the case.
 */
export async function startStateClocks(ctx: CaseContext, to: string): Promise<void> {
  const metrics = ctx.workflow.states[to]?.sla?.start?.filter((m) => m !== 'firstResponse' || ctx.case.firstResponseAt === null);
  if (metrics?.length) await startCaseTimers(ctx, metrics);
}

/**
 * A clock that is stopped or paused after its due time has breached, whether or not a sweep
 * has seen it yet (the sweep runs once a minute by default, or less often): the breach is
 * recorded first, with the sweep's conditional mark and timeline entry (sweep.ts,
 * `recordSlaEvents`), so a late answer counts as late however soon after the due time it came,
 * and is recorded once even when a sweep runs at the same moment. The workflow does not react
 * to it (no escalation rules, no `on` transitions): those are for clocks still running late,
 * and this one is being answered, stopped or paused by the command at hand — reacting after it
 * would undo the command (a case put to wait on the customer, then escalated out of waiting).
 * The entry says which (`stoppedBy`: "reply", or the state's label). Returns the timer as it
 * now stands.
 */
async function breachIfOverdue(ctx: CaseContext, t: TimerRow, stoppedBy: string): Promise<TimerRow> {
  if (t.state !== 'running' || t.breachedAt !== null || t.dueAt === null || ctx.now < t.dueAt || !ctx.stored) return t;
  const row = {
    id: t.id,
    case_id: ctx.case.id,
    metric: t.metric,
    policy: t.policy,
    due_at: t.dueAt,
    queue_id: ctx.case.queueId,
    priority: ctx.case.priority,
    workflow: ctx.case.workflow,
    workflow_version: ctx.case.workflowVersion,
    breach_due: 1 as const,
  };
  const won = await recordSlaEvents(ctx.services, ctx.q, 'sla.breached', [row], ctx.now, { react: false, data: { stoppedBy } });
  if (won.has(t.id)) return { ...t, state: 'breached', breachedAt: ctx.now, warnAt: null, updatedAt: ctx.now };
  // Recorded by a sweep at the same moment: take the timer as it left it.
  return (await loadTimers(ctx)).find((r) => r.id === t.id) ?? t;
}

/** `staff.replied` (public): fulfils firstResponse and nextResponse. */
export async function fulfilByReply(ctx: CaseContext): Promise<void> {
  let changed = false;
  for (const loaded of await loadTimers(ctx)) {
    if (!ANSWERED_BY_REPLY.has(loaded.metric)) continue;
    if (isUnfulfilled(loaded)) {
      const t = await breachIfOverdue(ctx, loaded, 'reply');
      const done = fulfilTimer(t, timerCalendar(ctx.services, t), ctx.now, null);
      await saveTimer(ctx, done);
      await record(ctx, 'sla.fulfilled', fulfilledData(ctx, t, done, null));
      changed = true;
    } else if (isStoppedByState(loaded)) {
      // Stopped by a state, now answered too: a reopen must not resume it.
      await saveTimer(ctx, { ...loaded, pauseReason: null, updatedAt: ctx.now });
    }
  }
  if (changed) await refreshSlaDueAt(ctx);
}

/**
 * `customer.replied`: starts nextResponse, unless a first response is still owed (that clock
 * covers the message) or an earlier message is still unanswered (the oldest one counts) — also
 * when a state stopped its clock unanswered (a resolved case): a reopen resumes that clock with
 * the minutes it had used, whether staff reopen the case or this message does.
 */
export async function startNextResponse(ctx: CaseContext): Promise<void> {
  if (ctx.case.firstResponseAt === null) return;
  const timers = await loadTimers(ctx);
  const current = timers.find((t) => t.metric === 'nextResponse');
  if (current && (isUnfulfilled(current) || isStoppedByState(current))) return;
  const { version, config } = caseSlaConfig(ctx);
  const target = findTarget(config, version, effectivePolicy(config, ctx.case.slaPolicy), ctx.case.priority, 'nextResponse', ctx.case.channel);
  if (!target) return;
  const clocks = stateClocks(ctx, ctx.case.status);
  const pausedBy = clocks.clock('nextResponse') === 'run' ? null : clocks.label;
  const row = current ? restartTimer(current, target, ctx.now, pausedBy) : startTimer(ctx.case.id, 'nextResponse', target, ctx.now, pausedBy);
  if (current) await saveTimer(ctx, row as TimerRow);
  else await insertTimer(ctx, row);
  await record(ctx, 'sla.started', startedData(row));
  await refreshSlaDueAt(ctx);
}

/**
 * `case.transitioned`: the entered state's `sla.stop` fulfils (stops) its metrics, `sla.pause`
 * pauses them (a closed state pauses every clock), and metrics the new state no longer pauses
 * or stops resume, e.g. a reopen resumes resolution.
 */
export async function applyStateClocks(ctx: CaseContext, to: string, category?: StateCategory): Promise<void> {
  const clocks = stateClocks(ctx, to, category);
  let changed = false;
  for (const loaded of await loadTimers(ctx)) {
    const want = clocks.clock(loaded.metric);
    const t = want === 'run' ? loaded : await breachIfOverdue(ctx, loaded, clocks.label);
    const cal = () => timerCalendar(ctx.services, t);
    if (isCounting(t) || t.state === 'paused') {
      if (want === 'stop') {
        const done = fulfilTimer(t, cal(), ctx.now, clocks.label);
        await saveTimer(ctx, done);
        await record(ctx, 'sla.fulfilled', fulfilledData(ctx, t, done, clocks.label));
        changed = true;
      } else if (want === 'pause' && isCounting(t)) {
        const paused = pauseTimer(t, cal(), ctx.now, clocks.label);
        await saveTimer(ctx, paused);
        await record(ctx, 'sla.paused', { metric: t.metric, reason: clocks.label, usedMinutes: roundMinutes(paused.usedMinutes) });
        changed = true;
      } else if (want === 'pause' && t.pauseReason !== clocks.label) {
        await saveTimer(ctx, { ...t, pauseReason: clocks.label, updatedAt: ctx.now });
      } else if (want === 'run' && t.state === 'paused') {
        const running = resumeTimer(t, cal(), ctx.now);
        await saveTimer(ctx, running);
        await record(ctx, 'sla.resumed', { metric: t.metric, dueAt: running.dueAt, usedMinutes: roundMinutes(running.usedMinutes) });
        changed = true;
      }
    } else if (isStoppedByState(t) && want === 'run') {
      const running = resumeTimer(t, cal(), ctx.now);
      await saveTimer(ctx, running);
      await record(ctx, 'sla.resumed', { metric: t.metric, dueAt: running.dueAt, usedMinutes: roundMinutes(running.usedMinutes) });
      changed = true;
    }
  }
  if (changed) await refreshSlaDueAt(ctx);
}

/** A timer moved to another target, or cancelled (`after` null: no target any more). */
export interface RetargetChange {
  before: TimerRow;
  after: TimerRow | null;
}

/** Timers whose target can still matter: unfulfilled, or stopped by a state (may resume). */
function retargetable(t: TimerRow): boolean {
  return isUnfulfilled(t) || isStoppedByState(t);
}

/** Due and warning instants closer than this are the same (float rounding of used minutes). */
const SAME_INSTANT_MS = 1000;

function sameInstant(a: number | null, b: number | null): boolean {
  return a === null || b === null ? a === b : Math.abs(a - b) < SAME_INSTANT_MS;
}

/** The content of the calendar a timer counts on, in the SLA config version it names. */
function timerCalendarKey(ctx: CaseContext, t: Pick<TimerRow, 'policyVersion' | 'calendar'>): string | null {
  const def = ctx.services.definitions.sla(t.policyVersion).config.definition.calendars[t.calendar];
  return def === undefined ? null : calendarKey(def);
}

/**
 * Whether measuring a timer by `after` changes what it computes, not merely the version it
 * names: another policy, target or warning offset; for a running clock another due or warning
 * instant; for a clock standing still (paused, or stopped by a state until a reopen) another
 * calendar content, which it will count on when it resumes. A calendar renamed without
 * changes, or a holiday after the due time, moves nothing.
 */
function movesTimer(ctx: CaseContext, before: TimerRow, after: TimerRow): boolean {
  if (before.policy !== after.policy || before.targetMinutes !== after.targetMinutes || before.warnOffsetMinutes !== after.warnOffsetMinutes) {
    return true;
  }
  if (isCounting(before)) return !sameInstant(before.dueAt, after.dueAt) || !sameInstant(before.warnAt, after.warnAt);
  return timerCalendarKey(ctx, before) !== timerCalendarKey(ctx, after);
}

/**
 * What measuring the case by (`version`, policy, priority) does to its timers, without writing.
 * Every retargetable timer is listed; `changed` tells whether it moves (see `movesTimer`).
 */
export function planRetarget(
  ctx: CaseContext,
  sla: { version: number; config: SlaConfig },
  timers: readonly TimerRow[],
): (RetargetChange & { changed: boolean })[] {
  const policy = effectivePolicy(sla.config, ctx.case.slaPolicy);
  return timers.filter(retargetable).map((before) => {
    const target = findTarget(sla.config, sla.version, policy, ctx.case.priority, before.metric, ctx.case.channel);
    if (!target) return { before, after: null, changed: true };
    const after = retargetTimer(before, timerCalendar(ctx.services, before), target, ctx.now);
    return { before, after, changed: movesTimer(ctx, before, after) };
  });
}

/** Writes a plan from `planRetarget`, recording `sla.retargeted` / `sla.cancelled` for real changes. */
export async function applyRetarget(ctx: CaseContext, plan: readonly (RetargetChange & { changed: boolean })[], reason: string): Promise<void> {
  for (const { before, after, changed } of plan) {
    if (after === null) {
      await deleteTimer(ctx, before);
      await record(ctx, 'sla.cancelled', { metric: before.metric, policy: before.policy, reason: `${reason}: no ${before.metric} target for ${ctx.case.priority} priority` });
      continue;
    }
    await saveTimer(ctx, after);
    if (changed) {
      await record(ctx, 'sla.retargeted', {
        metric: after.metric,
        policy: after.policy,
        policyVersion: after.policyVersion,
        fromTargetMinutes: before.targetMinutes,
        targetMinutes: after.targetMinutes,
        fromDueAt: before.dueAt,
        dueAt: after.dueAt,
        reason,
      });
    }
  }
  await refreshSlaDueAt(ctx);
}

/** `case.updated` with a new priority or policy: re-targets in the case's pinned SLA version. */
export async function retargetCaseTimers(ctx: CaseContext, reason: string): Promise<void> {
  const plan = planRetarget(ctx, caseSlaConfig(ctx), await loadTimers(ctx)).filter((p) => p.changed);
  if (plan.length > 0) await applyRetarget(ctx, plan, reason);
}
