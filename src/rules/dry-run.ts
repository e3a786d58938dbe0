/**
 * Dry-run: replay a draft ruleset over past cases and report every case whose intake
 * outcome (queue, priority, tier, SLA policy, tags) would change, before → after, with
 * totals and the rules responsible.
 *
 * Each selected case's intake is replayed twice (`dry-run-replay.ts`), with the rules compiled
 * to plain functions (`compile.ts`, proven equal to json-rules-engine) unless
 * `RULES_ENGINE=reference` or a construct they do not support: once with the published rulesets
 * ("before") and once with the draft in place of its published version ("after"). The
 * facts are those the case was routed with: its subject, description, channel and
 * requested priority, and the customer, diagnosis and business-hours facts stored in its
 * routing record. Replaying both sides in the same run means only the draft explains a
 * difference, not other rule changes since the case arrived.
 *
 * The rulesets replayed are those the workflow runs on `case.created`, in order; a ruleset
 * that does not run at intake is replayed after them, so its escalations show too.
 */
import { asc, eq } from 'drizzle-orm';
import { RefusedRulesetError } from '../definitions/registry.js';
import type { RoutingRecord } from '../db/schema/cases.js';
import { caseRef } from '../cases/case-ref.js';
import type { Services } from '../services.js';
import { enabledRules, type RulesetDefinition } from './definition.js';
import { compiledOnly, fromDefinition, inForce, replay, type Chain, type Evaluator, type ReplayContext } from './dry-run-replay.js';
import type { CaseFact } from './facts.js';
import { caseReader, type CaseRowLite } from './dry-run-cases/index.js';
import { localTimeFact } from './build-facts.js';
import type { ExampleRun } from './examples.js';

import type { Outcome } from './dry-run-replay.js';

export type { Outcome };

export type DryRunSelection =
  | { kind: 'last'; count: number }
  | { kind: 'range'; from: number; to: number }
  | { kind: 'queue'; queue: string; count: number };

export const OUTCOME_FIELDS = ['queue', 'priority', 'tier', 'slaPolicy', 'tags'] as const;
export type OutcomeField = (typeof OUTCOME_FIELDS)[number];

export interface DryRunChange {
  caseId: string;
  subject: string;
  createdAt: number;
  before: Outcome;
  after: Outcome;
  fields: OutcomeField[];
  /** Rules that fired on one side only (or with a different event): what made the difference. */
  rules: string[];
}

export interface DryRunResult {
  ruleset: string;
  baseVersion: number;
  selection: DryRunSelection;
  total: number;
  changed: number;
  byField: Record<OutcomeField, number>;
  /** Rule → number of changed cases it is responsible for. */
  byRule: Record<string, number>;
  changes: DryRunChange[];
  /** True when more cases changed than `changes` lists. */
  truncated: boolean;
  timings: { loadMs: number; evaluateMs: number; totalMs: number };
  /** The draft's examples, run (set by the console's dry-run job). */
  examples?: ExampleRun;
}

export interface DryRunOptions {
  ruleset: string;
  draft: RulesetDefinition;
  selection: DryRunSelection;
  /** Most changed cases to list (all are counted). Default 1000. */
  maxChanges?: number;
  onProgress?: (done: number, total: number) => void;
  /** Cases per slice between yields to the event loop. Default 5000. */
  chunkSize?: number;
}

/** The facts a case was routed with at intake, rebuilt from its row and routing record. */
export function intakeFacts(
  row: Pick<CaseRowLite, 'id' | 'subject' | 'description' | 'channel' | 'requested_priority' | 'created_at' | 'routing'>,
  initialState: string,
  zone: string,
): Record<string, unknown> & { case: CaseFact } {
  const routing = row.routing ? (JSON.parse(row.routing) as RoutingRecord) : null;
  return {
    case: {
      id: caseRef(row.id),
      subject: row.subject,
      description: row.description,
      channel: row.channel,
      priority: row.requested_priority,
      tags: [],
      skills: [],
      status: initialState,
      tier: 1,
      // The intake path's routing hint (a mailbox's default queue), as rules saw it.
      queue: routing?.input.defaultQueue ?? 'general',
      assigned: false,
      reopenCount: 0,
      escalationCount: 0,
      createdAt: row.created_at,
    },
    customer: routing?.input.customer ?? {},
    diagnosis: routing?.input.diagnosis ?? { matched: false, problemId: null },
    event: { ...(routing?.input.event ?? {}), type: 'case.created' },
    now: row.created_at,
    withinBusinessHours: routing?.input.withinBusinessHours ?? true,
    // The case's creation time, not now: what intake saw (in the default calendar's zone, as intake).
    localTime: localTimeFact(row.created_at, zone),
  };
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The rulesets intake runs, before and after a draft, and what the replay needs to know. */
export interface ReplaySetup {
  baseVersion: number;
  before: Chain;
  after: Chain;
  context: ReplayContext;
  initialState: string;
  /** The default SLA policy's calendar zone: `localTime` of a replayed case is its creation time there. */
  zone: string;
}

/**
 * Intake's chain of rulesets (those the default workflow runs on `case.created`, then
 * `ruleset` if it does not run at intake) compiled twice: with the published versions
 * ("before") and with `draft` in place of `ruleset`'s ("after"). Rules switched off
 * (`"enabled": false`) do not run, on either side. `as-intake`: each ruleset evaluated as
 * intake evaluates it (RULES_ENGINE, run-ruleset.ts; `replay` may then answer with a
 * promise); `now`: compiled, always, so `replay` answers at once (examples, on every save).
 */
/** Active queues and their tiers (escalations pick a queue by tier). */
export function queueTiers(services: Services): Promise<Map<string, number>> {
  return services.store.query(async (q) => {
    const t = q.tables.queues;
    const rows = await q.db.select({ id: t.id, tier: t.tier }).from(t).where(eq(t.active, true)).orderBy(asc(t.id));
    return new Map(rows.map((row) => [row.id, row.tier]));
  });
}

/** `tiers`: the active queues' tiers (`queueTiers`), read before. */
export function replaySetup(services: Services, ruleset: string, draft: RulesetDefinition, tiers: Map<string, number>, evaluation: 'as-intake' | 'now' = 'as-intake'): ReplaySetup {
  const { definitions } = services;
  const baseVersion = definitions.publishedVersion('ruleset', ruleset) ?? 0;
  const workflow = definitions.workflow(services.defaultWorkflow).definition;
  const names = [...(workflow.triggers?.['case.created'] ?? [])];
  if (!names.includes(ruleset)) names.push(ruleset);
  const engine = services.rulesEngine;
  const evaluator = (definition: RulesetDefinition, version: number): Evaluator =>
    evaluation === 'now' ? compiledOnly(enabledRules(definition), version) : fromDefinition(enabledRules(definition), version, engine);
  const published = (name: string) => {
    if (name === ruleset && baseVersion === 0) return evaluator({ ruleset: name, rules: [] }, 0);
    try {
      const r = definitions.ruleset(name);
      return evaluation === 'now' ? evaluator(r.definition, r.version) : inForce(r, engine);
    } catch (error) {
      // A refused version is not run: cases get no decisions from it, and neither does the replay.
      if (error instanceof RefusedRulesetError) return evaluator({ ruleset: name, rules: [] }, error.refused.version);
      throw error;
    }
  };
  const before: Chain = { rulesets: names.map(published) };
  const after: Chain = { rulesets: names.map((n) => (n === ruleset ? evaluator(draft, baseVersion + 1) : published(n))) };

  const sla = definitions.sla().config;
  const zone = sla.policy(sla.defaultPolicy)!.calendar.timezone;
  return { baseVersion, before, after, context: { tiers, defaultPolicy: sla.defaultPolicy, policies: new Set(sla.policyNames) }, initialState: workflow.initial, zone };
}

export async function dryRun(services: Services, options: DryRunOptions): Promise<DryRunResult> {
  const started = performance.now();
  const { baseVersion, before, after, context, initialState, zone } = replaySetup(services, options.ruleset, options.draft, await queueTiers(services));

  const chunk = options.chunkSize ?? 5000;
  const reader = await caseReader(services.store, options.selection, chunk);
  let loadMs = 0;

  const result: DryRunResult = {
    ruleset: options.ruleset,
    baseVersion,
    selection: options.selection,
    total: reader.total,
    changed: 0,
    byField: { queue: 0, priority: 0, tier: 0, slaPolicy: 0, tags: 0 },
    byRule: {},
    changes: [],
    truncated: false,
    timings: { loadMs: 0, evaluateMs: 0, totalMs: 0 },
  };
  const maxChanges = options.maxChanges ?? 1000;
  let evaluateMs = 0;
  let done = 0;

  for (;;) {
    const loadStarted = performance.now();
    const rows = await reader.next();
    loadMs += performance.now() - loadStarted;
    if (rows.length === 0) break;
    const sliceStarted = performance.now();
    for (const row of rows) {
      const facts = intakeFacts(row, initialState, zone);
      const replayedBefore = replay(before, facts, context);
      const b = replayedBefore instanceof Promise ? await replayedBefore : replayedBefore;
      const replayedAfter = replay(after, facts, context);
      const a = replayedAfter instanceof Promise ? await replayedAfter : replayedAfter;
      const fields = OUTCOME_FIELDS.filter((f) => !sameValue(a.outcome[f], b.outcome[f]));
      if (fields.length === 0) continue;
      result.changed++;
      for (const f of fields) result.byField[f]++;
      const rules = responsibleRules(b.fired, a.fired);
      for (const r of rules) result.byRule[r] = (result.byRule[r] ?? 0) + 1;
      if (result.changes.length < maxChanges) {
        result.changes.push({ caseId: caseRef(row.id), subject: row.subject, createdAt: row.created_at, before: b.outcome, after: a.outcome, fields, rules });
      } else {
        result.truncated = true;
      }
    }
    evaluateMs += performance.now() - sliceStarted;
    done += rows.length;
    options.onProgress?.(done, reader.total);
    if (done < reader.total) await yieldToLoop();
  }
  result.timings = { loadMs, evaluateMs, totalMs: performance.now() - started };
  return result;
}

function sameValue(a: unknown, b: unknown): boolean {
  return Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => x === b[i]) : a === b;
}

function responsibleRules(before: Map<string, string>, after: Map<string, string>): string[] {
  const out = new Set<string>();
  for (const [rule, event] of after) if (before.get(rule) !== event) out.add(rule);
  for (const [rule, event] of before) if (after.get(rule) !== event) out.add(rule);
  return [...out].sort();
}
