/**
 * A case's SLA timers inside its unit of work: start, fulfil, pause, resume and re-target
 * them as case events happen, record `sla.*` entries on the timeline and keep
 * `cases.sla_due_at` (the inbox sort key) equal to the earliest due time of the timers whose
 * clocks run. Called by the SLA subscribers and by re-apply; everything here runs inside the
 * case's transaction. Where the rows live (a new case's are kept with its unit of work):
 * timer-rows.ts.
 */
import { eq } from 'drizzle-orm';
import type { SlaMetric } from '../db/schema/index.js';
import { SYSTEM_ACTOR } from '../roles.js';
import type { StateCategory, StateDefinition } from '../workflow/definition.js';
import type { CaseContext } from '../workflow/context.js';
import { calendarKey } from './calendar.js';
import { isPastDue } from './due.js';
import { caseHistory, metricClock, type CaseHistory } from './clock-history.js';
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
  type TimerTarget,
} from './timer.js';


/** Every metric a case can have a timer for. */
const METRICS: readonly SlaMetric[] = ['firstResponse', 'nextResponse', 'resolution'];
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

/**
 * The channel whose targets a timer the case starts (or is re-targeted to) now takes: a chat
 * case's chat targets (seconds, docs/sla.md) only while its chat is live. Once every chat of
 * the case has ended, the conversation goes on by mail (a reply an hour later, agents'
 * replies mailed), and the policy's own targets apply: a 2-minute `nextResponse` on a mail
 * would breach before anyone could read it. A chat case without a session is being created
 * by its chat's first line (the session is tied to it later in that transaction).
 */
export async function targetChannel(ctx: CaseContext): Promise<string> {
  if (ctx.case.channel !== 'chat') return ctx.case.channel;
  const sessions = ctx.q.tables.chatSessions;
  const states = await ctx.q.db.select({ state: sessions.state }).from(sessions).where(eq(sessions.caseId, ctx.case.id));
  return states.length > 0 && !states.some((s) => s.state === 'open') ? 'chat-ended' : 'chat';
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

/** What fulfilled a timer: a public staff reply, a call in which staff spoke with the customer (`reason` describes it), or a workflow state (its label). */
export type Fulfilment = { by: 'reply' } | { by: 'call' | 'state'; reason: string };

function fulfilledData(ctx: CaseContext, before: TimerRow, after: TimerRow, how: Fulfilment): Record<string, unknown> {
  return {
    metric: after.metric,
    policy: after.policy,
    queue: ctx.case.queueId,
    ...how,
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
  const channel = await targetChannel(ctx);
  for (const metric of metrics) {
    if (existing.has(metric) || waitsForState(ctx, metric)) continue;
    const target = findTarget(config, version, policy, ctx.case.priority, metric, channel);
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
  if (t.state !== 'running' || t.breachedAt !== null || t.dueAt === null || !isPastDue(t.dueAt, ctx.now) || !ctx.stored) return t;
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

/**
 * `staff.replied` (public): fulfils firstResponse and nextResponse. A call in which staff spoke
 * with the customer (`call.logged` that answers) takes the same path, the entry naming the call (`how`).
 */
export async function fulfilByReply(ctx: CaseContext, how: Fulfilment = { by: 'reply' }): Promise<void> {
  let changed = false;
  for (const loaded of await loadTimers(ctx)) {
    if (!ANSWERED_BY_REPLY.has(loaded.metric)) continue;
    if (isUnfulfilled(loaded)) {
      const t = await breachIfOverdue(ctx, loaded, how.by);
      const done = fulfilTimer(t, timerCalendar(ctx.services, t), ctx.now, null);
      await saveTimer(ctx, done);
      await record(ctx, 'sla.fulfilled', fulfilledData(ctx, t, done, how));
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
  const target = findTarget(config, version, effectivePolicy(config, ctx.case.slaPolicy), ctx.case.priority, 'nextResponse', await targetChannel(ctx));
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
        await record(ctx, 'sla.fulfilled', fulfilledData(ctx, t, done, { by: 'state', reason: clocks.label }));
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

/**
 * A timer created because its metric now has a target (none before): as if it had run from the
 * metric's own start (`from`), with the business minutes it would have used (`usedMinutes`).
 * `row` is a new cycle of an existing row when it has an id (nextResponse answered before).
 */
export interface CreatedTimer {
  before: null;
  after: NewTimerRow | TimerRow;
  changed: true;
  from: number;
  usedMinutes: number;
}

export type PlannedTimer = (RetargetChange & { changed: boolean }) | CreatedTimer;

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
  if (isCounting(before)) return !sameInstant(before.dueAt, after.dueAt) || warningMoves(before, after, ctx.now);
  return timerCalendarKey(ctx, before) !== timerCalendarKey(ctx, after);
}

/**
 * Whether a running clock's warning changes: not when it keeps the warning it was given (same
 * due time), nor when both warning times have passed (due at once either way: a resumed
 * clock's passed warning time reads as its resume).
 */
function warningMoves(before: TimerRow, after: TimerRow, now: number): boolean {
  if (before.warnedAt !== null && after.warnedAt !== null) return false;
  if (before.warnAt !== null && after.warnAt !== null && before.warnAt <= now && after.warnAt <= now) return false;
  return !sameInstant(before.warnAt, after.warnAt);
}

/**
 * Where a metric's clock starts, if it is owed now (null: met, or not started): firstResponse
 * and resolution at the case's creation (or when it entered a state that starts them), unless
 * answered or resolved; nextResponse at the oldest customer message still unanswered.
 */
function metricStart(ctx: CaseContext, history: CaseHistory, metric: SlaMetric, existing: TimerRow | undefined): number | null {
  if (metric === 'nextResponse') {
    // Answered before: a new cycle only for a message after that answer.
    const since = history.unansweredSince;
    return since !== null && (existing?.fulfilledAt ?? -Infinity) <= since ? since : null;
  }
  if (existing) return null;
  if (metric === 'firstResponse' && ctx.case.firstResponseAt !== null) return null;
  if (metric === 'resolution' && !ctx.case.open) return null;
  const startedByState = Object.values(ctx.workflow.states).some((s) => s.sla?.start?.includes(metric));
  return startedByState ? history.enteredStarting(metric) : ctx.case.createdAt;
}

/** Whether a metric without a timer measuring it may be owed (cheap checks before `metricStart` reads the timeline). */
function owedMaybe(ctx: CaseContext, metric: SlaMetric, existing: TimerRow | undefined): boolean {
  if (stateClocks(ctx, ctx.case.status).clock(metric) === 'stop') return false;
  if (metric === 'nextResponse') return ctx.case.firstResponseAt !== null;
  return existing === undefined && (metric === 'resolution' ? ctx.case.open : ctx.case.firstResponseAt === null);
}

/**
 * A timer for a metric that has a target now and had none, started as if it had run from the
 * metric's start: the business minutes used since then, on the target's calendar, less the
 * stretches the case spent in states that paused or stopped the metric; running or paused as
 * the current state says, and due when the target ran out if it already has (see timer.ts).
 */
function lateTimer(ctx: CaseContext, history: CaseHistory, metric: SlaMetric, target: TimerTarget, from: number, existing: TimerRow | undefined): CreatedTimer | null {
  const current = stateClocks(ctx, ctx.case.status);
  const clock = current.clock(metric);
  if (clock === 'stop') return null; // the current state stops it: met (resolved), nothing to measure
  const runs = (state: string) => stateClockEffect(ctx.workflow.states[state], metric) === 'run';
  const used = metricClock(history, runs, from, target.calendar);
  const base = { ...startTimer(ctx.case.id, metric, target, from, current.label), usedMinutes: used.usedMinutes, pausedAt: ctx.now, updatedAt: ctx.now };
  let row: NewTimerRow = clock === 'run' ? resumeTimer(base, target.calendar, ctx.now) : base;
  if (clock === 'run' && used.usedMinutes >= target.targetMinutes) {
    // Used up already: due when the target ran out, so the next sweep records the breach overdue from then.
    row = { ...row, dueAt: Math.min(used.instantAt(target.targetMinutes) ?? ctx.now, ctx.now) };
  }
  const after = existing ? { ...row, id: existing.id } : row;
  return { before: null, after, changed: true, from, usedMinutes: used.usedMinutes };
}

/**
 * What measuring the case by (`version`, policy, priority) does to its timers, without writing.
 * Every retargetable timer is listed; `changed` tells whether it moves (see `movesTimer`). A
 * metric that has a target now and no timer measuring it gets one (`before` null; see
 * `lateTimer`), unless it is met already. The case's timeline is read only when needed.
 */
export async function planRetarget(ctx: CaseContext, sla: { version: number; config: SlaConfig }, timers: readonly TimerRow[]): Promise<PlannedTimer[]> {
  const policy = effectivePolicy(sla.config, ctx.case.slaPolicy);
  const channel = await targetChannel(ctx);
  const target = (metric: SlaMetric) => findTarget(sla.config, sla.version, policy, ctx.case.priority, metric, channel);
  let history: CaseHistory | null = null;
  const readHistory = async () => (history ??= await caseHistory(ctx));
  const plan: PlannedTimer[] = [];
  for (const before of timers.filter(retargetable)) {
    const t = target(before.metric);
    if (!t) {
      plan.push({ before, after: null, changed: true });
      continue;
    }
    const oldCal = timerCalendar(ctx.services, before);
    // Used up before the stretch running now: when the new target ran out is on the timeline.
    const ranOutEarlier =
      isCounting(before) && before.breachedAt === null && before.usedMinutes >= t.targetMinutes
        ? metricClock(await readHistory(), (s) => stateClockEffect(ctx.workflow.states[s], before.metric) === 'run', before.startedAt, oldCal).instantAt(t.targetMinutes)
        : null;
    const after = retargetTimer(before, oldCal, t, ctx.now, ranOutEarlier);
    plan.push({ before, after, changed: movesTimer(ctx, before, after) });
  }
  for (const metric of METRICS) {
    const existing = timers.find((t) => t.metric === metric);
    if (existing && retargetable(existing)) continue;
    const t = target(metric);
    // Met, or stopped by the current state, without reading the timeline.
    if (!t || !owedMaybe(ctx, metric, existing)) continue;
    const from = metricStart(ctx, await readHistory(), metric, existing);
    const created = from === null ? null : lateTimer(ctx, await readHistory(), metric, t, from, existing);
    if (created) plan.push(created);
  }
  return plan;
}

/** Writes a plan from `planRetarget`, recording `sla.retargeted` / `sla.cancelled` / `sla.started` for real changes. */
export async function applyRetarget(ctx: CaseContext, plan: readonly PlannedTimer[], reason: string): Promise<void> {
  for (const change of plan) {
    if (change.before === null) {
      const { after } = change;
      if ('id' in after) await saveTimer(ctx, after);
      else await insertTimer(ctx, after);
      await record(ctx, 'sla.started', {
        ...startedData(after),
        startedAt: change.from,
        usedMinutes: roundMinutes(change.usedMinutes),
        startReason: `${reason}: the ${after.metric} target now applies`,
      });
      continue;
    }
    const { before, after, changed } = change;
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
  const plan = (await planRetarget(ctx, caseSlaConfig(ctx), await loadTimers(ctx))).filter((p) => p.changed);
  if (plan.length > 0) await applyRetarget(ctx, plan, reason);
}
