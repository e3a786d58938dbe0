/**
 * Dry-run: replay a draft ruleset over past cases and report every case whose outcome (queue,
 * priority, tier, SLA policy, tags, required skills) would change — at intake, or on a later event the ruleset
 * runs on — before → after, with totals and the rules responsible.
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
 * The rulesets replayed at intake are those the workflow runs on `case.created`, in order; a
 * ruleset that does not run at intake is replayed after them, so its escalations show too.
 *
 * Then every later event of the case that its workflow (the version it runs) runs the ruleset
 * on — an SLA warning or breach, a reopen, a customer reply… — is replayed the same way, both
 * sides on the facts it was handled with, rebuilt from the case's timeline
 * (`dry-run-events.ts`): the case as it was then, the event's data, its time; the customer and
 * diagnosis as intake saw them. Each event's outcome is the case then with the decisions
 * applied. Events are replayed as they happened: what a different decision would have changed
 * after it (another queue, other SLA timers, events that would or would not have followed) is
 * not simulated. Events that cannot be replayed are counted by reason (`notReplayed`).
 */
import { asc, eq } from 'drizzle-orm';
import { RefusedRulesetError } from '../definitions/registry.js';
import { activeQueueTiersIn } from '../definitions/version-rows.js';
import { DomainError } from '../errors.js';
import type { RoutingRecord } from '../db/schema/cases.js';
import { caseRef } from '../cases/case-ref.js';
import type { Services } from '../services.js';
import { enabledRules, type RulesetDefinition } from './definition.js';
import { compiledOnly, fromDefinition, inForce, replay, replayEvent, type Chain, type Evaluator, type Replay, type ReplayContext } from './dry-run-replay.js';
import type { CaseFact } from './facts.js';
import { caseEvents, caseReader, type CaseRowLite, type EventRowLite } from './dry-run-cases/index.js';
import { CASE_ENTRY_TYPES, EVALUATION_ENTRY_TYPES, initialCaseFact, laterEvents, runsOnEntering, type LaterEvent, type NotReplayedReason } from './dry-run-events.js';
import { calendarZone, localTimeFact, withinBusinessHours } from './build-facts.js';
import { STATE_ENTERED } from '../workflow/definition.js';
import type { ExampleRun } from './examples.js';

import type { Outcome } from './dry-run-replay.js';

export type { Outcome };
export { NOT_REPLAYED, type NotReplayedReason } from './dry-run-events.js';

export type DryRunSelection =
  | { kind: 'last'; count: number }
  | { kind: 'range'; from: number; to: number }
  | { kind: 'queue'; queue: string; count: number };

export const OUTCOME_FIELDS = ['queue', 'priority', 'tier', 'slaPolicy', 'tags', 'skills'] as const;
export type OutcomeField = (typeof OUTCOME_FIELDS)[number];

/** One moment of a case that would end differently: its intake, or a later event replayed. */
export interface DryRunMoment {
  /** `case.created` (intake), or the event: `sla.breached`, `case.reopened`, … */
  event: string;
  at: number;
  /** An SLA event's metric (`firstResponse`, `resolution`, `nextResponse`). */
  metric?: string;
  /** A `state.entered` moment's state: a runRuleset action of that state (or of the transition into it) ran the ruleset. */
  state?: string;
  before: Outcome;
  after: Outcome;
  fields: OutcomeField[];
  /** Rules that fired on one side only (or with a different event): what made the difference. */
  rules: string[];
}

export interface DryRunChange {
  caseId: string;
  subject: string;
  createdAt: number;
  /** The first moment that differs (intake when it does), as `moments[0]`. */
  before: Outcome;
  after: Outcome;
  /** Every outcome that differs at one moment or another. */
  fields: OutcomeField[];
  /** Every rule responsible at one moment or another. */
  rules: string[];
  /** Each moment that differs, in time order. */
  moments: DryRunMoment[];
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
  /** Later events replayed (SLA warnings and breaches, reopens…: those the ruleset runs on after intake). */
  eventsReplayed: number;
  /** Later events the ruleset runs on that could not be replayed, by reason (`NOT_REPLAYED` words it). */
  notReplayed: Partial<Record<NotReplayedReason, number>>;
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

/**
 * The facts a case was routed with at intake, rebuilt from its row and routing record; `zone`:
 * the zone of its `localTime` when the record does not keep it (written before it did).
 */
export function intakeFacts(
  row: Pick<CaseRowLite, 'id' | 'subject' | 'description' | 'channel' | 'requested_priority' | 'created_at' | 'routing'>,
  initialState: string,
  zone: string,
  tiers: ReadonlyMap<string, number>,
): Record<string, unknown> & { case: CaseFact } {
  const routing = row.routing ? (JSON.parse(row.routing) as RoutingRecord) : null;
  const queue = routing?.input.defaultQueue ?? 'general';
  return {
    // The intake path's routing hint (a mailbox's default queue) at its tier (the queues' tiers
    // now), as rules saw it; and no case reference yet: intake's rules run before the case is
    // stored (build-facts.ts `caseFact`: "").
    case: { ...initialCaseFact(row, initialState, queue, routing?.input.defaultQueue ? (tiers.get(queue) ?? 1) : 1), id: '' },
    customer: routing?.input.customer ?? {},
    diagnosis: routing?.input.diagnosis ?? { matched: false, problemId: null },
    event: { ...(routing?.input.event ?? {}), type: 'case.created' },
    now: row.created_at,
    withinBusinessHours: routing?.input.withinBusinessHours ?? true,
    // The case's creation time, not now: what intake saw (in the zone intake used: its SLA version's default calendar).
    localTime: localTimeFact(row.created_at, routing?.input.localTimeZone ?? zone),
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
  /** Whether intake runs the ruleset (the default workflow names it on `case.created`); examples replay it after intake's either way. */
  atIntake: boolean;
  /** An import of history runs only the first `case.created` ruleset (routing): its chains when it is the ruleset, else null (not replayed). */
  imported: { before: Chain; after: Chain } | null;
  /** The chain of rulesets `names` (a workflow's for an event), with the published versions and with the draft: each ruleset compiled once. */
  chains(names: readonly string[]): { before: Chain; after: Chain };
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
  return services.store.query((q) => activeQueueTiersIn(q));
}

/** `tiers`: the active queues' tiers (`queueTiers`), read before. */
export function replaySetup(services: Services, ruleset: string, draft: RulesetDefinition, tiers: Map<string, number>, evaluation: 'as-intake' | 'now' = 'as-intake'): ReplaySetup {
  const { definitions } = services;
  const baseVersion = definitions.publishedVersion('ruleset', ruleset) ?? 0;
  const workflow = definitions.workflow(services.defaultWorkflow).definition;
  const names = [...(workflow.triggers?.['case.created'] ?? [])];
  const atIntake = names.includes(ruleset);
  if (!atIntake) names.push(ruleset);
  const engine = services.rulesEngine;
  const evaluator = (definition: RulesetDefinition, version: number): Evaluator =>
    evaluation === 'now' ? compiledOnly(enabledRules(definition), version) : fromDefinition(enabledRules(definition), version, engine);
  const inForceNow = new Map<string, Evaluator>();
  const published = (name: string): Evaluator => {
    let found = inForceNow.get(name);
    if (found) return found;
    if (name === ruleset && baseVersion === 0) found = evaluator({ ruleset: name, rules: [] }, 0);
    else {
      try {
        const r = definitions.ruleset(name);
        found = evaluation === 'now' ? evaluator(r.definition, r.version) : inForce(r, engine);
      } catch (error) {
        // A refused version is not run: cases get no decisions from it, and neither does the replay;
        // nor from a ruleset an older workflow version names that is not there (rules.failed at run time).
        if (error instanceof RefusedRulesetError) found = evaluator({ ruleset: name, rules: [] }, error.refused.version);
        else if (error instanceof DomainError && error.code === 'RULESET_NOT_FOUND') found = evaluator({ ruleset: name, rules: [] }, 0);
        else throw error;
      }
    }
    inForceNow.set(name, found);
    return found;
  };
  let drafted: Evaluator | null = null;
  const chains = (list: readonly string[]) => ({
    before: { rulesets: list.map(published) },
    after: { rulesets: list.map((n) => (n === ruleset ? (drafted ??= evaluator(draft, baseVersion + 1)) : published(n))) },
  });
  const { before, after } = chains(names);

  const sla = definitions.sla().config;
  const zone = sla.policy(sla.defaultPolicy)!.calendar.timezone;
  return { baseVersion, before, after, context: { tiers, defaultPolicy: sla.defaultPolicy, policies: new Set(sla.policyNames) }, initialState: workflow.initial, zone, atIntake, imported: names[0] === ruleset ? chains([ruleset]) : null, chains };
}

/**
 * What replaying the later events of past cases needs: per workflow version, the event types it
 * runs `ruleset` on (not `case.created`) and their chains of rulesets, before and after; null
 * when no stored workflow version runs `ruleset` after intake (no timeline is read then).
 */
function laterEventsSetup(services: Services, ruleset: string, setup: ReplaySetup) {
  const { definitions } = services;
  const runsOn = (name: string, version: number) => {
    const workflow = definitions.workflow(name, version).definition;
    const triggers = workflow.triggers ?? {};
    const types = Object.keys(triggers).filter((type) => type !== 'case.created' && triggers[type]!.includes(ruleset));
    return runsOnEntering(workflow, ruleset) ? [...types, STATE_ENTERED] : types;
  };
  const types = new Set<string>();
  for (const name of definitions.names('workflow')) {
    for (const row of definitions.history('workflow', name)) for (const type of runsOn(name, row.version)) types.add(type);
  }
  if (types.size === 0) return null;
  const byWorkflow = new Map<string, { triggered: Set<string>; initialState: string; chains: Map<string, { before: Chain; after: Chain }> }>();
  return {
    /**
     * The timeline entries to read: the case's changes, the rules' evaluations, the events
     * (`customer.thanked` is told by a `customer.replied` entry with `thanks`: dry-run-events.ts).
     */
    entryTypes: [...new Set<string>([...CASE_ENTRY_TYPES, ...EVALUATION_ENTRY_TYPES, ...types, ...(types.has('customer.thanked') ? ['customer.replied'] : [])])],
    workflow(name: string, version: number) {
      const key = `${name}@${version}`;
      let found = byWorkflow.get(key);
      if (!found) {
        const workflow = definitions.workflow(name, version).definition;
        const triggered = new Set(runsOn(name, version));
        // A state's runRuleset runs that one ruleset; an event runs the workflow's chain for it.
        found = { triggered, initialState: workflow.initial, chains: new Map([...triggered].map((type) => [type, setup.chains(type === STATE_ENTERED ? [ruleset] : workflow.triggers![type]!)])) };
        byWorkflow.set(key, found);
      }
      return found;
    },
  };
}

/** The facts a later event was handled with: rebuilt from the timeline (`event`), the customer and diagnosis as intake saw them. */
function eventFacts(services: Services, event: LaterEvent, intake: Record<string, unknown>): Record<string, unknown> & { case: CaseFact } {
  const slaVersion = event.slaVersion !== null && slaVersionKnown(services, event.slaVersion) ? event.slaVersion : null;
  return {
    case: event.case,
    customer: intake.customer,
    diagnosis: intake.diagnosis,
    event: event.event,
    ...(event.sla ? { sla: event.sla } : {}),
    now: event.at,
    // On the SLA version the case ran on then (as handle-case-event.ts evaluated it), not one published since.
    withinBusinessHours: withinBusinessHours(services, event.slaPolicy, slaVersion, event.at),
    localTime: localTimeFact(event.at, calendarZone(services, event.slaPolicy, slaVersion)),
  };
}

/** Whether the SLA configuration has this version (stored and valid): else the dry-run takes the one in force. */
function slaVersionKnown(services: Services, version: number): boolean {
  try {
    services.definitions.sla(version);
    return true;
  } catch {
    return false;
  }
}

function momentOf(event: string, at: number, b: Replay, a: Replay): DryRunMoment | null {
  const fields = OUTCOME_FIELDS.filter((f) => !sameValue(a.outcome[f], b.outcome[f]));
  return fields.length === 0 ? null : { event, at, before: b.outcome, after: a.outcome, fields, rules: responsibleRules(b.fired, a.fired) };
}

/** Both sides replayed, one after the other (awaited only when json-rules-engine runs); the moment when they differ, else null. */
function compared(event: string, at: number, before: () => Replay | Promise<Replay>, after: () => Replay | Promise<Replay>): DryRunMoment | null | Promise<DryRunMoment | null> {
  const b = before();
  if (b instanceof Promise) return b.then(async (done) => momentOf(event, at, done, await after()));
  const a = after();
  return a instanceof Promise ? a.then((done) => momentOf(event, at, b, done)) : momentOf(event, at, b, a);
}

/** The case's timeline entries (`entryTypes`), read with a page of cases: by case id. */
async function entriesOf(services: Services, rows: readonly CaseRowLite[], entryTypes: readonly string[]): Promise<Map<number, EventRowLite[]>> {
  const byCase = new Map<number, EventRowLite[]>();
  for (const entry of await caseEvents(services.store, rows.map((r) => r.id), entryTypes)) {
    const list = byCase.get(entry.case_id);
    if (list) list.push(entry);
    else byCase.set(entry.case_id, [entry]);
  }
  return byCase;
}

export async function dryRun(services: Services, options: DryRunOptions): Promise<DryRunResult> {
  const started = performance.now();
  const setup = replaySetup(services, options.ruleset, options.draft, await queueTiers(services));
  const { baseVersion, before, after, context, initialState, zone } = setup;
  const later = laterEventsSetup(services, options.ruleset, setup);
  // A routing record without its zone: the default calendar's in the case's SLA version (exact unless it was re-applied since), else today's.
  const zones = new Map<number, string>();
  const zoneOf = (version: number | null): string => {
    if (version === null) return zone;
    let found = zones.get(version);
    if (found === undefined) {
      found = slaVersionKnown(services, version) ? calendarZone(services, null, version) : zone;
      zones.set(version, found);
    }
    return found;
  };

  const chunk = options.chunkSize ?? 5000;
  const reader = await caseReader(services.store, options.selection, chunk);
  let loadMs = 0;

  const result: DryRunResult = {
    ruleset: options.ruleset,
    baseVersion,
    selection: options.selection,
    total: reader.total,
    changed: 0,
    byField: { queue: 0, priority: 0, tier: 0, slaPolicy: 0, tags: 0, skills: 0 },
    byRule: {},
    changes: [],
    truncated: false,
    eventsReplayed: 0,
    notReplayed: {},
    timings: { loadMs: 0, evaluateMs: 0, totalMs: 0 },
  };
  const maxChanges = options.maxChanges ?? 1000;
  let evaluateMs = 0;
  let done = 0;

  for (;;) {
    const loadStarted = performance.now();
    const rows = await reader.next();
    const entries = later && rows.length > 0 ? await entriesOf(services, rows, later.entryTypes) : null;
    loadMs += performance.now() - loadStarted;
    if (rows.length === 0) break;
    const sliceStarted = performance.now();
    for (const row of rows) {
      const facts = intakeFacts(row, initialState, zoneOf(row.sla_config_version), context.tiers);
      const moments: DryRunMoment[] = [];
      // A ruleset intake does not run changes nothing at intake: only on the later events it runs
      // on. An imported case was routed by the first ruleset alone (import-case.ts), and by no
      // other: its intake is not replayed for those (counted as not replayed, like its events).
      const imported = row.imported_at !== null;
      if (imported && setup.atIntake && !setup.imported) result.notReplayed.imported = (result.notReplayed.imported ?? 0) + 1;
      const intakeChain = imported ? setup.imported : setup.atIntake ? { before, after } : null;
      const comparedAtIntake = intakeChain ? compared('case.created', row.created_at, () => replay(intakeChain.before, facts, context), () => replay(intakeChain.after, facts, context)) : null;
      const atIntake = comparedAtIntake instanceof Promise ? await comparedAtIntake : comparedAtIntake;
      if (atIntake) moments.push(atIntake);
      if (later && entries) {
        const workflow = later.workflow(row.workflow, row.workflow_version);
        const events = workflow.triggered.size === 0 ? null : laterEvents(row, entries.get(row.id) ?? [], { triggered: workflow.triggered, initialState: workflow.initialState, tiers: context.tiers, ruleset: options.ruleset });
        for (const [reason, n] of Object.entries(events?.notReplayed ?? {}) as [NotReplayedReason, number][]) result.notReplayed[reason] = (result.notReplayed[reason] ?? 0) + n;
        for (const event of events?.events ?? []) {
          result.eventsReplayed++;
          const chain = workflow.chains.get(event.type)!;
          const eventFactsNow = eventFacts(services, event, facts);
          const moment = await compared(event.type, event.at, () => replayEvent(chain.before, eventFactsNow, context, event.slaPolicy), () => replayEvent(chain.after, eventFactsNow, context, event.slaPolicy));
          if (moment) moments.push(event.sla ? { ...moment, metric: event.sla.metric } : event.type === STATE_ENTERED ? { ...moment, state: String(event.event.state) } : moment);
        }
      }
      if (moments.length === 0) continue;
      result.changed++;
      const fields = OUTCOME_FIELDS.filter((f) => moments.some((m) => m.fields.includes(f)));
      for (const f of fields) result.byField[f]++;
      const rules = [...new Set(moments.flatMap((m) => m.rules))].sort();
      for (const r of rules) result.byRule[r] = (result.byRule[r] ?? 0) + 1;
      if (result.changes.length < maxChanges) {
        const first = moments[0]!;
        result.changes.push({ caseId: caseRef(row.id), subject: row.subject, createdAt: row.created_at, before: first.before, after: first.after, fields, rules, moments });
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
