/**
 * Re-apply the SLA config: open cases pinned to an older SLA config version move to the
 * version in force now, and their timers are measured against its targets (minutes already
 * used are kept). Publishing a new SLA config never does this by itself: running cases keep
 * the version they started with until a manager re-applies explicitly. `dryRun` shows what
 * would change without writing.
 */
import { auditIn } from '../audit/record-audit.js';
import { SLA_CONFIG_NAME } from '../definitions/registry.js';
import type { Handle } from '../db/store/index.js';
import { eachCaseInBatches } from '../cases/each-case-in-batches.js';
import { all, get } from '../db/store/rows.js';
import { SYSTEM_ACTOR, type Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext } from '../workflow/context.js';
import { applyRetarget, planRetarget, type PlannedTimer } from './case-timers.js';
import { loadTimers } from './timer-rows.js';
import { roundMinutes, type TimerRow } from './timer.js';
import { effectivePolicy } from './targets.js';

export interface ReapplyOptions {
  dryRun?: boolean;
  actor?: Actor;
  /** How many changed cases to list (default 1000); counts are always complete. */
  limit?: number;
  /** Cases per transaction (default 200). */
  batchSize?: number;
}

export interface TimerTargetView {
  policy: string;
  policyVersion: number;
  targetMinutes: number;
  dueAt: string | null;
}

export interface ReapplyTimerChange {
  metric: string;
  /** The timer's state now; for a timer that would be created, the state it would start in. */
  state: string;
  /** null: the metric has no timer and gets one (its target now applies); see `startedAt`, `usedMinutes`. */
  from: TimerTargetView | null;
  /** null: the new version sets no target for this metric; the timer is cancelled. */
  to: TimerTargetView | null;
  /** A created timer (`from` null): where its clock starts (the metric's own start) and the business minutes used since. */
  startedAt?: string;
  usedMinutes?: number;
}

export interface ReapplyCaseChange {
  caseId: string;
  fromVersion: number | null;
  policy: { from: string | null; to: string };
  timers: ReapplyTimerChange[];
}

export interface ReapplyResult {
  dryRun: boolean;
  version: number;
  /** Open cases on another SLA config version (moved to `version` unless dryRun). */
  cases: number;
  /** Cases whose policy or timers change beyond the version number. */
  changedCases: number;
  changedTimers: number;
  changes: ReapplyCaseChange[];
  truncated: boolean;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const view = (t: Pick<TimerRow, 'policy' | 'policyVersion' | 'targetMinutes' | 'dueAt'>): TimerTargetView => ({
  policy: t.policy,
  policyVersion: t.policyVersion,
  targetMinutes: t.targetMinutes,
  dueAt: iso(t.dueAt),
});

function timerChange(c: PlannedTimer): ReapplyTimerChange {
  if (c.before === null) {
    return { metric: c.after.metric, state: c.after.state, from: null, to: view(c.after), startedAt: iso(c.from)!, usedMinutes: roundMinutes(c.usedMinutes) };
  }
  return { metric: c.before.metric, state: c.before.state, from: view(c.before), to: c.after && view(c.after) };
}

export async function reapplySlaPolicy(services: Services, options: ReapplyOptions = {}): Promise<ReapplyResult> {
  const dryRun = options.dryRun ?? false;
  const limit = options.limit ?? 1000;
  const batchSize = options.batchSize ?? 200;
  const actor = options.actor ?? SYSTEM_ACTOR;
  const sla = services.definitions.sla();
  const result: ReapplyResult = { dryRun, version: sla.version, cases: 0, changedCases: 0, changedTimers: 0, changes: [], truncated: false };
  const ids = (
    await services.store.query((q) =>
      all<{ id: number }>(q, 'SELECT id FROM cases WHERE open = TRUE AND (sla_config_version IS NULL OR sla_config_version <> ?) ORDER BY id', [sla.version]),
    )
  ).map((r) => r.id);

  const reapplyOne = async (q: Handle, id: number) => {
    const ctx = await CaseContext.load(q, services, id, actor);
    if (!ctx.case.open || ctx.case.slaConfigVersion === sla.version) return;
    result.cases++;
    const plan = await planRetarget(ctx, sla, await loadTimers(ctx));
    const fromVersion = ctx.case.slaConfigVersion;
    const fromPolicy = ctx.case.slaPolicy;
    const toPolicy = effectivePolicy(sla.config, fromPolicy);
    const changed = plan.filter((p) => p.changed);
    if (changed.length > 0 || toPolicy !== fromPolicy) {
      result.changedCases++;
      result.changedTimers += changed.length;
      if (result.changes.length < limit) {
        result.changes.push({
          caseId: ctx.ref,
          fromVersion,
          policy: { from: fromPolicy, to: toPolicy },
          timers: changed.map((c) => timerChange(c)),
        });
      } else {
        result.truncated = true;
      }
    }
    if (dryRun) return;
    ctx.case.slaConfigVersion = sla.version;
    ctx.case.slaPolicy = toPolicy;
    await ctx.record('case.updated', {
      changes: { slaConfigVersion: [fromVersion, sla.version], ...(toPolicy !== fromPolicy ? { slaPolicy: [fromPolicy, toPolicy] } : {}) },
      by: 'reapply',
    });
    await applyRetarget(ctx, plan, `SLA config version ${fromVersion ?? '?'} → ${sla.version} re-applied`);
    await ctx.save();
  };

  await eachCaseInBatches(services, ids, { batchSize, readOnly: dryRun }, reapplyOne);
  if (!dryRun && result.cases > 0) {
    const summary = { version: sla.version, cases: result.cases, changedCases: result.changedCases, changedTimers: result.changedTimers };
    await services.store.write((q) => auditIn(q, services.clock, actor, 'definition', `sla/${SLA_CONFIG_NAME}`, 'reapplied', null, summary));
    services.logger.info('SLA config re-applied', summary);
  }
  return result;
}

/** Open cases pinned to an SLA config version other than the one in force. */
export async function casesOnOtherSlaVersions(services: Services): Promise<number> {
  const version = services.definitions.sla().version;
  const row = await services.store.query((q) =>
    get<{ n: number }>(q, 'SELECT count(*) AS n FROM cases WHERE open = TRUE AND (sla_config_version IS NULL OR sla_config_version <> ?)', [version]),
  );
  return row?.n ?? 0;
}
