/**
 * Re-apply a workflow: cases still running on another version of it move to the version new
 * cases use. Publishing (or rolling back) never does this by itself: a running case keeps the
 * version it started with until a manager re-applies explicitly (PRODUCT.md, "Policy changes
 * are predictable"). It is how a case stuck on a version with a dead end is moved on.
 *
 * Per case: its state stays, or `stateMap` names the state it takes in the new version (for a
 * state that version no longer has, or renamed). A state with the same name is the same state:
 * its time in the state and its timers keep counting from when the case entered it; a mapped
 * state is entered at the re-apply. The case is not moved (it is listed as `blocked`, on its
 * version still) when the state it would take does not exist in the new version, is final
 * there, or would change whether the case is open (a resolved case stays resolved): those need
 * a transition, not a re-apply. What the new state says about SLA clocks is applied as on
 * entering it (paused, stopped, resumed; docs/sla.md), and its timers replace the old state's
 * (`at` the time they fall due counted from the entry, or at once when that has passed).
 *
 * `dryRun` shows the same without writing. Confirming with the `version` previewed is refused
 * (CONFLICT) when another version is in force by then.
 */
import { and, asc, count, eq, inArray, isNull, ne } from 'drizzle-orm';
import { auditIn } from '../audit/record-audit.js';
import { SLA_METRICS, type SlaMetric } from '../db/schema/cases.js';
import type { Handle } from '../db/store/index.js';
import { eachCaseInBatches } from './each-case-in-batches.js';
import { DomainError, ValidationError } from '../errors.js';
import { markItemDone } from '../outbox/dialect.js';
import { SYSTEM_ACTOR, type Actor } from '../roles.js';
import type { Services } from '../services.js';
import { applyStateClocks, stateClockEffect, type Clock } from '../sla/case-timers.js';
import { caseRef } from './case-ref.js';
import { CaseContext, timerDue, type CaseRow } from '../workflow/context.js';
import { customerLabel } from '../workflow/customer-visible.js';
import { PREVIOUS_STATE, type StateDefinition, type WorkflowDefinition } from '../workflow/definition.js';
import { durationMs, fromStates, isOpenCategory } from '../workflow/transition.js';

export interface WorkflowReapplyOptions {
  dryRun?: boolean;
  actor?: Actor;
  /** The version the caller previewed: CONFLICT when another is in force by now. */
  version?: number;
  /** A case's state → the state it takes in the version in force. */
  stateMap?: Record<string, string>;
  /** How many cases to list (default 1000); counts are always complete. */
  limit?: number;
  /** Cases per transaction (default 200). */
  batchSize?: number;
}

/** What a state does to an SLA clock (docs/sla.md): lets it run, pauses it, or stops it. */
export type ClockEffect = Clock;

export interface ScheduledTimer {
  transition: string;
  /** When it fires (ISO); the re-apply's time when its time in the state has passed already. */
  at: string;
}

export interface WorkflowReapplyChange {
  caseId: string;
  fromVersion: number;
  state: { from: string; to: string };
  /** Metrics whose clock the new state treats otherwise than the old one. */
  clocks: { metric: SlaMetric; from: ClockEffect; to: ClockEffect }[];
  timers: { cancelled: ScheduledTimer[]; scheduled: ScheduledTimer[] };
}

export interface WorkflowReapplyBlocked {
  caseId: string;
  fromVersion: number;
  state: string;
  reason: string;
}

export interface WorkflowReapplyResult {
  dryRun: boolean;
  workflow: string;
  version: number;
  /** Cases on another version that move (moved unless dryRun). */
  cases: number;
  /** Of those, the ones whose state, clocks or timers change beyond the version number. */
  changedCases: number;
  changes: WorkflowReapplyChange[];
  /** Cases that cannot move as asked, and stay on their version. */
  blockedCases: number;
  blocked: WorkflowReapplyBlocked[];
  /** The states of the blocked cases, with how many each, so a map can be given for them. */
  blockedStates: { state: string; cases: number; reason: string }[];
  truncated: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();

function stateOf(workflow: WorkflowDefinition, name: string): StateDefinition | undefined {
  return Object.hasOwn(workflow.states, name) ? workflow.states[name] : undefined;
}

/** Why a case in `from` (of its own version) cannot take `to` in `target`; null when it can. */
function refusal(target: WorkflowDefinition, version: number, row: CaseRow, to: string, mapped: boolean): string | null {
  const state = stateOf(target, to);
  const named = mapped ? `"${row.status}" is mapped to "${to}", which` : `state "${to}"`;
  if (!state) return `${named} is not in version ${version}: map it to a state of that version`;
  if (state.final) return `${named} is final in version ${version}: a case leaves its state by a transition, not a re-apply`;
  if (isOpenCategory(state.category) !== row.open) {
    return `${named} is ${isOpenCategory(state.category) ? 'open' : 'resolved'} in version ${version} and the case is not: map it to a state of the same kind`;
  }
  return null;
}

/**
 * Why a case taking `to` cannot keep the state it returns to ("@previous"), mapped as its state
 * is; null when it can. Only where the new version returns to it from `to`: a customer's reply
 * to a case waiting on them would fire nothing otherwise, leaving it waiting (its clocks paused)
 * for good. `key` is the state to map.
 */
function previousRefusal(target: WorkflowDefinition, version: number, row: CaseRow, to: string, map: Record<string, string>): { key: string; reason: string } | null {
  const previous = row.previousStatus;
  if (previous === null) return null;
  const returns = Object.values(target.transitions).some((t) => t.to === PREVIOUS_STATE && fromStates(target, t).includes(to));
  if (!returns) return null;
  const mapped = Object.hasOwn(map, previous);
  const back = mapped ? map[previous]! : previous;
  if (stateOf(target, back)) return null;
  return { key: previous, reason: `the state it returns to from "${to}" ("${previous}") is not in version ${version}: map "${previous}" to a state of that version` };
}

interface PendingTimer {
  id: number;
  transition: string;
  at: number;
  /**
   * Started by the state the case is in, on entering it this time. A timer of a state the case
   * has left (or entered again since) would do nothing (fire-workflow-timer.ts): it is cleared
   * without being told as cancelled.
   */
  live: boolean;
}

async function pendingTimers(q: Handle, row: CaseRow): Promise<PendingTimer[]> {
  const o = q.tables.outbox;
  const rows = await q.db
    .select({ id: o.id, payload: o.payload, availableAt: o.availableAt })
    .from(o)
    .where(and(eq(o.caseId, row.id), eq(o.type, 'workflow.timer'), isNull(o.doneAt), isNull(o.failedAt)))
    .orderBy(asc(o.id));
  return rows.map((r) => {
    const payload = r.payload as { transition?: unknown; state?: unknown; enteredAt?: unknown };
    return { id: r.id, transition: String(payload.transition), at: r.availableAt, live: payload.state === row.status && Number(payload.enteredAt) === row.stateEnteredAt };
  });
}

interface Plan {
  to: string;
  enteredAt: number;
  clocks: WorkflowReapplyChange['clocks'];
  cancelled: PendingTimer[];
  /** Timers that would do nothing any more (PendingTimer.live): cleared, not told. */
  stale: PendingTimer[];
  scheduled: { transition: string; at: number }[];
}

function plan(services: Services, row: CaseRow, from: WorkflowDefinition, target: WorkflowDefinition, to: string, pending: PendingTimer[], now: number): Plan {
  const enteredAt = to === row.status ? row.stateEnteredAt : now;
  const before = stateOf(from, row.status);
  const after = stateOf(target, to)!;
  const clocks = SLA_METRICS.map((metric) => ({ metric, from: stateClockEffect(before, metric), to: stateClockEffect(after, metric) })).filter((c) => c.from !== c.to);
  const scheduled = (after.timers ?? []).map((t) => ({ transition: t.transition, at: Math.max(now, timerDue(services, row, { afterMs: durationMs(t.after), businessHours: t.businessHours === true }, enteredAt)) }));
  // In the same state, the same timer at the same time is no change: it is kept as it is.
  const kept = (p: PendingTimer) => p.live && to === row.status && scheduled.some((s) => s.transition === p.transition && s.at === p.at);
  return {
    to,
    enteredAt,
    clocks,
    cancelled: pending.filter((p) => p.live && !kept(p)),
    stale: pending.filter((p) => !p.live),
    scheduled: scheduled.filter((s) => !pending.some((p) => kept(p) && p.transition === s.transition && p.at === s.at)),
  };
}

function checkStateMap(target: WorkflowDefinition, version: number, map: Record<string, string>): void {
  const issues = Object.entries(map)
    .filter(([, to]) => {
      const state = stateOf(target, to);
      return !state || state.final;
    })
    .map(([from, to]) => ({
      path: `stateMap.${from}`,
      message: stateOf(target, to) ? `"${to}" is final in version ${version}: map to a state a case can stay in` : `no state "${to}" in version ${version}`,
    }));
  if (issues.length > 0) throw new ValidationError(issues, 'The state map names states that cases cannot take.');
}

export async function reapplyWorkflow(services: Services, name: string, options: WorkflowReapplyOptions = {}): Promise<WorkflowReapplyResult> {
  const dryRun = options.dryRun ?? false;
  const limit = options.limit ?? 1000;
  const batchSize = options.batchSize ?? 200;
  const actor = options.actor ?? SYSTEM_ACTOR;
  const stateMap = options.stateMap ?? {};
  const { version, definition: target } = services.definitions.workflow(name);
  if (options.version !== undefined && options.version !== version) {
    throw new DomainError('CONFLICT', `v${version} of "${name}" is in force now, not v${options.version}: preview the changes again before re-applying.`, { version });
  }
  checkStateMap(target, version, stateMap);

  const result: WorkflowReapplyResult = { dryRun, workflow: name, version, cases: 0, changedCases: 0, changes: [], blockedCases: 0, blocked: [], blockedStates: [], truncated: false };
  const blockedStates = new Map<string, { cases: number; reason: string }>();
  const ids = await services.store.query(async (q) => (await onOtherVersions(q, name, version)).map((r) => r.id));

  const reapplyOne = async (q: Handle, id: number) => {
    const row = dryRun ? await CaseContext.row(q, id) : (await CaseContext.load(q, services, id, actor)).case;
    if (row.workflow !== name || row.workflowVersion === version) return;
    const from = services.definitions.workflow(name, row.workflowVersion).definition;
    if (stateOf(from, row.status)?.final) return;
    const mapped = Object.hasOwn(stateMap, row.status);
    const to = mapped ? stateMap[row.status]! : row.status;
    const refusedState = refusal(target, version, row, to, mapped);
    // The states to map are named in blockedStates: the case's own, or the one it returns to.
    const refusedPrevious = refusedState ? null : previousRefusal(target, version, row, to, stateMap);
    const refused = refusedState ?? refusedPrevious?.reason ?? null;
    if (refused) {
      const key = refusedPrevious?.key ?? row.status;
      result.blockedCases++;
      const seen = blockedStates.get(key);
      blockedStates.set(key, { cases: (seen?.cases ?? 0) + 1, reason: seen?.reason ?? refused });
      if (result.blocked.length < limit) result.blocked.push({ caseId: caseRef(id), fromVersion: row.workflowVersion, state: row.status, reason: refused });
      else result.truncated = true;
      return;
    }
    const now = services.clock.now();
    const p = plan(services, row, from, target, to, await pendingTimers(q, row), now);
    result.cases++;
    if (to !== row.status || p.clocks.length > 0 || p.cancelled.length > 0 || p.scheduled.length > 0) {
      result.changedCases++;
      if (result.changes.length < limit) {
        result.changes.push({
          caseId: caseRef(id),
          fromVersion: row.workflowVersion,
          state: { from: row.status, to },
          clocks: p.clocks,
          timers: {
            cancelled: p.cancelled.map((t) => ({ transition: t.transition, at: iso(t.at) })),
            scheduled: p.scheduled.map((t) => ({ transition: t.transition, at: iso(t.at) })),
          },
        });
      } else {
        result.truncated = true;
      }
    }
    if (dryRun) return;
    await move(q, services, actor, row, { from, target, version, plan: p, stateMap });
  };

  await eachCaseInBatches(services, ids, { batchSize, readOnly: dryRun }, reapplyOne);
  result.blockedStates = [...blockedStates].map(([state, b]) => ({ state, ...b }));
  if (!dryRun && result.cases + result.blockedCases > 0) {
    const summary = { version, stateMap, cases: result.cases, changedCases: result.changedCases, blockedCases: result.blockedCases };
    await services.store.write((q) => auditIn(q, services.clock, actor, 'definition', `workflow/${name}`, 'reapplied', null, summary));
    services.logger.info('workflow re-applied', { workflow: name, ...summary });
  }
  return result;
}

/** Cases of `name` on another version than `version` and not closed (some may be in a final state of theirs). */
function onOtherVersionsWhere(q: Handle, name: string, version: number) {
  const c = q.tables.cases;
  return and(eq(c.workflow, name), ne(c.workflowVersion, version), isNull(c.closedAt));
}

function onOtherVersions(q: Handle, name: string, version: number) {
  return q.db.select({ id: q.tables.cases.id }).from(q.tables.cases).where(onOtherVersionsWhere(q, name, version)).orderBy(asc(q.tables.cases.id));
}

/**
 * The states a case of the workflow not closed can be in: every state of any version of it that
 * is not of the `closed` category in that version (entering one sets `closed_at`).
 */
function statesNotClosed(services: Services, name: string): string[] {
  const states = new Set<string>();
  for (const row of services.definitions.history('workflow', name)) {
    const body = row.body as Partial<WorkflowDefinition> | null;
    for (const [state, definition] of Object.entries(body?.states ?? {})) if (definition.category !== 'closed') states.add(state);
  }
  return [...states].sort();
}

/**
 * How many running cases are on another version of the workflow than the one in force (the
 * console's hint, on every visit of the workflow's page). Read through `cases_status_idx` by the
 * states a case not closed can be in: the cases table has no index by workflow and version (each
 * costs every intake, docs/performance.md), and without the states SQLite scanned every case ever
 * filed, closed ones included.
 */
export async function casesOnOtherWorkflowVersions(services: Services, name: string): Promise<number> {
  const version = services.definitions.publishedVersion('workflow', name);
  if (version === null) return 0;
  const states = statesNotClosed(services, name);
  if (states.length === 0) return 0;
  const [row] = await services.store.query((q) => q.db.select({ n: count() }).from(q.tables.cases).where(and(inArray(q.tables.cases.status, states), onOtherVersionsWhere(q, name, version))));
  return row?.n ?? 0;
}

/** Moves one loaded (locked) case to `version`: the entry, the state, its clocks and its timers. */
async function move(
  q: Handle,
  services: Services,
  actor: Actor,
  row: CaseRow,
  m: { from: WorkflowDefinition; target: WorkflowDefinition; version: number; plan: Plan; stateMap: Record<string, string> },
): Promise<void> {
  const { plan: p } = m;
  const fromVersion = row.workflowVersion;
  const fromState = row.status;
  row.workflowVersion = m.version;
  if (p.to !== fromState) {
    row.status = p.to;
    row.stateEnteredAt = p.enteredAt;
  }
  // "@previous" names the state before this one: in the new version's words, when mapped.
  if (row.previousStatus !== null && Object.hasOwn(m.stateMap, row.previousStatus)) row.previousStatus = m.stateMap[row.previousStatus]!;
  // A context on the new version: the state's clocks are read from it.
  const ctx = new CaseContext(q, services, row, actor);
  if (customerLabel(m.from, fromState) !== customerLabel(m.target, p.to)) ctx.case.customerUpdatedAt = ctx.now;
  await ctx.record('workflow.reapplied', {
    workflow: row.workflow,
    fromVersion,
    toVersion: m.version,
    ...(p.to !== fromState ? { from: fromState, to: p.to } : {}),
    ...(p.cancelled.length ? { timersCancelled: p.cancelled.map((t) => t.transition) } : {}),
    ...(p.scheduled.length ? { timersScheduled: p.scheduled.map((t) => ({ transition: t.transition, at: t.at })) } : {}),
  });
  if (p.clocks.length > 0) await applyStateClocks(ctx, p.to, m.target.states[p.to]!.category);
  for (const t of [...p.cancelled, ...p.stale]) await markItemDone(q, t.id, ctx.now);
  for (const t of p.scheduled) await ctx.enqueue('workflow.timer', { transition: t.transition, state: p.to, enteredAt: p.enteredAt }, t.at);
  await ctx.save();
}
