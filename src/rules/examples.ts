/**
 * Rules tested like code: a ruleset's examples (example-format.ts) are replayed through
 * intake exactly as a dry-run replays a past case (`replaySetup` and `replay`, the rules
 * compiled by compile.ts, proven equal to json-rules-engine): the rulesets the workflow runs
 * on `case.created`, with this ruleset's version under test in place of the published one.
 * An example passes when every outcome it names is what the replay decided.
 */
import { caseRef } from '../cases/case-ref.js';
import type { Priority, RoutingRecord } from '../db/schema/cases.js';
import { DomainError } from '../errors.js';
import type { Services } from '../services.js';
import { isWithinBusinessHours } from '../sla/calendar.js';
import type { RuleCondition, RulesetDefinition } from './definition.js';
import { intakeFacts, queueTiers, replaySetup, type Outcome } from './dry-run.js';
import { replayNow } from './dry-run-replay.js';
import { parsePlainPath } from './path.js';
import { EXPECTATION_FIELDS, type ExampleCase, type Expectation, type ExpectationField, type RuleExample } from './example-format.js';

export interface ExampleResult {
  index: number;
  name: string;
  passed: boolean;
  /** One line per outcome that differs: `queue: expected billing, got general`. */
  differences: string[];
  /** What intake decided for the example's case (null when the rules could not run). */
  outcome: Outcome | null;
}

export interface ExampleRun {
  results: ExampleResult[];
  passed: number;
  failed: number;
}

const NO_CASES = { results: [], passed: 0, failed: 0 } satisfies ExampleRun;

const ACTUAL: Record<ExpectationField, (o: Outcome) => unknown> = {
  queue: (o) => o.queue,
  priority: (o) => o.priority,
  tags: (o) => o.tags,
  skills: (o) => o.skills,
  policy: (o) => o.slaPolicy,
  escalated: (o) => o.escalated,
};

function shown(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.join(', ');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** What differs between an outcome and an expectation, one line per field named. */
export function differences(expect: Expectation, outcome: Outcome): string[] {
  const out: string[] = [];
  for (const field of EXPECTATION_FIELDS) {
    const expected = expect[field];
    if (expected === undefined) continue;
    const actual = ACTUAL[field](outcome);
    const same = Array.isArray(expected) ? sameSet(expected, actual as string[]) : expected === actual;
    if (!same) out.push(`${field}: expected ${shown(Array.isArray(expected) ? [...expected].sort() : expected)}, got ${shown(actual)}`);
  }
  return out;
}

/** The facts of an example's case, built the way a dry-run rebuilds a past case's intake. */
function exampleFacts(services: Services, example: ExampleCase, initialState: string, zone: string, tiers: ReadonlyMap<string, number>) {
  const at = example.createdAt ? Date.parse(example.createdAt) : services.clock.now();
  let inHours = example.withinBusinessHours;
  if (inHours === undefined && example.createdAt) {
    const { config } = services.definitions.sla();
    inHours = isWithinBusinessHours(config.policy(config.defaultPolicy)!.calendar, at);
  }
  const c = example.customer ?? {};
  const routing = {
    input: {
      customer: {
        email: c.email ?? 'customer@example.com',
        name: c.name ?? 'Example customer',
        tier: c.tier ?? 'standard',
        organization: c.organization ?? null,
        openCases: c.openCases ?? 0,
        crm: c.crm ? { plan: c.crm.plan ?? null, mrr: c.crm.mrr ?? null, accountOwner: c.crm.accountOwner ?? null, churned: c.crm.churned ?? false } : null,
      },
      diagnosis: { matched: example.knownProblem ?? false, problemId: example.problemId ?? null },
      withinBusinessHours: inHours ?? true,
      ...(example.defaultQueue ? { defaultQueue: example.defaultQueue } : {}),
      ...(example.event ? { event: example.event } : {}),
    },
  };
  return intakeFacts(
    { id: 0, subject: example.subject, description: example.description, channel: example.channel ?? 'web', requested_priority: example.priority ?? 'normal', created_at: at, routing: JSON.stringify(routing) },
    initialState,
    zone,
    tiers,
  );
}

/**
 * Runs the examples of `body` (a version of the ruleset `name`, valid or not yet) with the
 * other rulesets as published. Never throws for a bad rule: an example the rules cannot
 * decide fails with the reason.
 */
export async function runExamples(services: Services, name: string, body: RulesetDefinition): Promise<ExampleRun> {
  const examples = Array.isArray(body.examples) ? body.examples : [];
  if (examples.length === 0) return NO_CASES;
  const tiers = await queueTiers(services);
  let setup: ReturnType<typeof replaySetup> | null = null;
  let failure: string | null = null;
  try {
    setup = replaySetup(services, name, { ...body, rules: Array.isArray(body.rules) ? body.rules : [] }, tiers, 'now');
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  const results = examples.map((example, index): ExampleResult => {
    const label = typeof example?.name === 'string' ? example.name : `examples[${index}]`;
    if (!setup) return { index, name: label, passed: false, differences: [`the rules cannot run: ${failure}`], outcome: null };
    try {
      const { outcome } = replayNow(setup.after, exampleFacts(services, example.case, setup.initialState, setup.zone, setup.context.tiers), setup.context);
      const diff = differences(example.expect, outcome);
      return { index, name: label, passed: diff.length === 0, differences: diff, outcome };
    } catch (error) {
      return { index, name: label, passed: false, differences: [`cannot run: ${error instanceof Error ? error.message : String(error)}`], outcome: null };
    }
  });
  const passed = results.filter((r) => r.passed).length;
  return { results, passed, failed: results.length - passed };
}

/** `fact.field` keys the conditions of a ruleset read (`customer.email`). */
function factKeys(conditions: RuleCondition | undefined, out: Set<string>): Set<string> {
  if (!conditions || typeof conditions !== 'object') return out;
  for (const list of [conditions.all, conditions.any]) if (Array.isArray(list)) list.forEach((c) => factKeys(c, out));
  if (conditions.not) factKeys(conditions.not, out);
  if (typeof conditions.fact === 'string') {
    const parsed = conditions.path ? parsePlainPath(conditions.path) : null;
    out.add(parsed?.ok ? [conditions.fact, parsed.keys[0]].join('.') : conditions.fact);
  }
  return out;
}

/**
 * An example kept from a past case ("keep this as an example"): its intake facts as they
 * were recorded, and what happened to it at intake as the expectation. The customer's name
 * and address are kept only when a published rule reads them (examples end up in git).
 */
export async function exampleFromCase(services: Services, row: { id: number; subject: string; description: string; channel: string; requestedPriority: Priority; createdAt: number; slaPolicy: string | null; routing: RoutingRecord | null }): Promise<RuleExample> {
  const routing = row.routing;
  if (!routing) throw new DomainError('CONFLICT', `${caseRef(row.id)} was not routed by rules, so there is nothing to keep as an example.`);
  const read = new Set<string>();
  for (const name of services.definitions.names('ruleset')) {
    for (const rule of services.definitions.publishedRules(name)) factKeys(rule.conditions, read);
    for (const shared of services.definitions.publishedSharedConditions(name)) factKeys(shared, read);
  }
  const input = routing.input.customer as { email?: string; name?: string; tier?: string; organization?: string | null; openCases?: number; crm?: NonNullable<ExampleCase['customer']>['crm'] };
  const customer: NonNullable<ExampleCase['customer']> = {};
  if (read.has('customer.email') && input.email) customer.email = input.email;
  if (read.has('customer.name') && input.name) customer.name = input.name;
  if (input.tier) customer.tier = input.tier;
  if (input.organization) customer.organization = input.organization;
  if (typeof input.openCases === 'number' && input.openCases > 0) customer.openCases = input.openCases;
  // Another system's data about the customer: kept only when a published rule reads it, as the name and address.
  if (read.has('customer.crm') && input.crm) customer.crm = { ...input.crm };
  const diagnosis = routing.input.diagnosis as { matched?: boolean; problemId?: number | null };
  const o = routing.outcome;
  let queue = o.queue;
  if (o.escalate) {
    const tier = o.escalate.tier;
    const target = o.escalate.queue || [...(await queueTiers(services))].find(([, t]) => t === tier)?.[0];
    if (target) queue = target;
  }
  const subject = row.subject.length > 120 ? `${row.subject.slice(0, 119)}…` : row.subject;
  return {
    name: `${caseRef(row.id)}: ${subject}`,
    case: {
      subject: row.subject.slice(0, 200),
      description: row.description.slice(0, 20_000),
      channel: row.channel as ExampleCase['channel'],
      priority: row.requestedPriority,
      ...(Object.keys(customer).length > 0 ? { customer } : {}),
      knownProblem: diagnosis.matched === true,
      ...(diagnosis.matched && typeof diagnosis.problemId === 'number' ? { problemId: diagnosis.problemId } : {}),
      createdAt: new Date(row.createdAt).toISOString(),
      withinBusinessHours: routing.input.withinBusinessHours,
      // Where it came in: the routing hint and the event's data, as rules saw them.
      ...(routing.input.defaultQueue ? { defaultQueue: routing.input.defaultQueue } : {}),
      ...(routing.input.event && Object.keys(routing.input.event).some((k) => k !== 'type') ? { event: Object.fromEntries(Object.entries(routing.input.event).filter(([k]) => k !== 'type')) } : {}),
    },
    expect: {
      queue,
      priority: o.priority,
      tags: [...o.tags].sort(),
      skills: [...o.skills].sort(),
      ...(o.slaPolicy ?? row.slaPolicy ? { policy: (o.slaPolicy ?? row.slaPolicy)! } : {}),
      escalated: o.escalate !== null,
    },
    fromCase: caseRef(row.id),
  };
}
