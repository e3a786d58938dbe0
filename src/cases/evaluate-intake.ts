/**
 * What intake decides before it writes: the customer, the diagnosis and the `case.created`
 * rulesets' evaluations, as of the intake's time. `evaluateIntakeNow` does it synchronously
 * (compiled rules), so that intake can read and decide inside the transaction that stores the
 * case; `evaluateIntake` awaits json-rules-engine when it must run. Shared with the import of
 * history (import-case.ts).
 */
import type { Channel, Priority } from '../db/schema/index.js';
import { diagnoseOn, type Diagnosis } from '../diagnosis/search-problems.js';
import { DomainError, ValidationError } from '../errors.js';
import { calendarZone, localTimeFact, withinBusinessHours, type CaseLike, type FactInputs } from '../rules/build-facts.js';
import { mergeDecisions, type Decisions, type Evaluation } from '../rules/evaluate.js';
import { routeQueuesOf, runTriggers, runTriggersNow, tiersMissing, withTiers } from '../rules/run-triggers.js';
import { activeQueueTiersIn } from '../definitions/version-rows.js';
import type { Services } from '../services.js';
import { sqliteOf, type Handle } from '../db/store/index.js';
import { byId } from '../db/store/rows.js';
import type { CreateCaseInput, CreateCaseOptions } from './create-case.js';
import { customerFactOf, type CustomerRow } from './customers.js';
import { intakeQueries } from './intake/dialect.js';
import type { CustomerFact } from '../rules/facts.js';
import type { CrmFact } from '../crm/records.js';

export const FALLBACK_QUEUE = 'general';

/** What intake decided before writing anything: diagnosis, rule evaluations, the facts used. */
export interface Intake {
  at: number;
  input: CreateCaseInput;
  existingCustomer: CustomerRow | undefined;
  customerInput: CreateCaseInput['customer'];
  channel: Channel;
  /** The intake path's routing hint (CreateCaseOptions.defaultQueue). */
  defaultQueue: string | null;
  /** The `case.created` event fact rules saw. */
  event: { type: 'case.created' } & Record<string, string>;
  diagnosis: Diagnosis;
  workflow: ReturnType<Services['definitions']['workflow']>;
  sla: ReturnType<Services['definitions']['sla']>;
  priority: Priority;
  customer: CustomerFact;
  diagnosisFact: { matched: boolean; problemId: number | null };
  inBusinessHours: boolean;
  /** The zone of the `localTime` fact (the default policy's calendar), kept with the routing record for dry-runs. */
  localTimeZone: string;
  evaluations: Evaluation[];
  decisions: Decisions;
  /**
   * The customer's CRM record as read from `crm_records` with the facts (the CRM was not
   * asked); undefined when the CRM answered. The intake's answer reuses it in the same transaction.
   */
  storedCrm: CrmFact | null | undefined;
}

export interface EvaluateIntakeOptions extends CreateCaseOptions {
  /** Only the first `case.created` ruleset (routing): imports of history do not run escalation rules. */
  routingOnly?: boolean;
  /** The CRM's answer about the customer, looked up before (`lookupCrm`); undefined: none asked. */
  crm?: CrmFact | null;
}

type Facts = Omit<Intake, 'evaluations' | 'decisions'> & { rulesets: string[]; inputs: FactInputs };

/**
 * The tier rules see a new case at before any routes it: its queue's, the intake path's default
 * queue (a mailbox's, a chat site's) when it is active, else the fallback queue's, as storeCase
 * files it (1 without either).
 */
function unroutedTier(defaultQueue: string | null, tierOf: (id: string) => number | null | undefined): number {
  return (defaultQueue !== null ? tierOf(defaultQueue) : null) ?? tierOf(FALLBACK_QUEUE) ?? 1;
}

/**
 * Where reads are awaited (PostgreSQL): the tiers of every queue the intake may need one of, in
 * one read — the default and fallback queues, and those the `route` events of every ruleset
 * but the last name (a later ruleset sees the routed queue's tier: run-triggers.ts). null: not
 * an active queue. A ruleset that does not load adds none; its evaluation reports it.
 */
async function intakeQueueTiers(q: Handle, services: Services, defaultQueue: string | null, rulesets: readonly string[]): Promise<Map<string, number | null>> {
  const wanted = new Set([FALLBACK_QUEUE, ...(defaultQueue !== null ? [defaultQueue] : [])]);
  for (const name of rulesets.slice(0, -1)) {
    let routed: readonly string[] = [];
    try {
      routed = routeQueuesOf(services.definitions.ruleset(name).definition);
    } catch {
      // evaluated (and reported) with the others
    }
    for (const id of routed) wanted.add(id);
  }
  const active = await activeQueueTiersIn(q, [...wanted]);
  return new Map([...wanted].map((id) => [id, active.get(id) ?? null]));
}

/**
 * Everything but the evaluations: reads only, through `q` (the customer's through the intake's
 * dialect pair, intake/; the diagnosis through src/diagnosis's: on SQLite its in-memory index).
 */
async function intakeFacts(q: Handle, services: Services, input: CreateCaseInput, at: number, options: EvaluateIntakeOptions): Promise<Facts> {
  const { definitions } = services;
  if (options.customerId === undefined && !input.customer) throw new ValidationError([{ path: 'customer', message: 'required' }], 'The customer is required.');
  const key = options.customerId !== undefined ? { id: options.customerId } : { email: input.customer!.email };
  // The customer, their open cases and CRM record: on SQLite one synchronous call (intake/sqlite.ts).
  const reads = await intakeQueries(q).intakeCustomer(q, key, options.crm);
  const existingCustomer = reads.existing;
  if (options.customerId !== undefined && !existingCustomer) throw new DomainError('FORBIDDEN', 'Unknown customer.');
  const customerInput = options.customerId === undefined ? input.customer : undefined;

  const diagnosis = await diagnoseOn(q, input.subject, input.description);
  const workflow = definitions.workflow(services.defaultWorkflow);
  const sla = definitions.sla();
  const priority: Priority = input.priority ?? 'normal';
  const channel: Channel = input.channel ?? options.channel ?? 'api';
  const defaultQueue = options.defaultQueue ?? null;
  const event = { ...(options.eventData ?? {}), type: 'case.created' as const };

  const triggers = workflow.definition.triggers?.['case.created'] ?? [];
  const rulesets = options.routingOnly ? triggers.slice(0, 1) : triggers;
  // SQLite reads a tier at once on the intake's connection; elsewhere they are read up front.
  const queueTierNow = intakeQueries(q).queueTierNow(q);
  const queueTiers = queueTierNow ? undefined : await intakeQueueTiers(q, services, defaultQueue, rulesets);
  const draft: CaseLike = {
    id: 0,
    subject: input.subject,
    description: input.description,
    channel,
    priority,
    tags: [],
    skills: [],
    status: workflow.definition.initial,
    tier: unroutedTier(defaultQueue, queueTierNow ?? ((id) => queueTiers!.get(id))),
    queueId: defaultQueue ?? FALLBACK_QUEUE,
    assigneeId: null,
    reopenCount: 0,
    escalationCount: 0,
    createdAt: at,
    slaPolicy: null,
    slaConfigVersion: sla.version,
    diagnosisMatched: diagnosis.matched,
    suggestions: diagnosis.suggestions,
  };
  const customer = customerFactOf(existingCustomer ?? null, customerInput, reads.openCases, reads.crm);
  const diagnosisFact = { matched: diagnosis.matched, problemId: diagnosis.problemId };
  const inBusinessHours = withinBusinessHours(services, null, sla.version, at);
  const localTimeZone = calendarZone(services, null, sla.version);
  return {
    at,
    input,
    existingCustomer,
    customerInput,
    channel,
    defaultQueue,
    event,
    diagnosis,
    workflow,
    sla,
    priority,
    customer,
    diagnosisFact,
    inBusinessHours,
    localTimeZone,
    storedCrm: options.crm === undefined ? reads.crm : undefined,
    rulesets,
    inputs: {
      case: draft,
      customer,
      diagnosis: diagnosisFact,
      event,
      now: at,
      withinBusinessHours: inBusinessHours,
      localTime: localTimeFact(at, localTimeZone),
      // A routed queue's tier, for the rulesets after it: read as they run on SQLite, known up
      // front elsewhere; either way with no second evaluation (tiersMissing).
      ...(rulesets.length > 1 ? (queueTierNow ? { queueTierNow } : { queueTiers: queueTiers! }) : {}),
    },
  };
}

function decided(facts: Facts, evaluations: Evaluation[]): Intake {
  const { rulesets: _rulesets, inputs: _inputs, ...rest } = facts;
  // The new properties first: a spread followed by properties the source lacks makes a new
  // hidden class on every call once optimized (docs/performance.md, "New hidden classes").
  return { evaluations, decisions: mergeDecisions(evaluations.filter((e) => e.error === null)), ...rest };
}

/**
 * CRM enrichment (CRM_LOOKUP_URL): what the CRM says about the intake's customer, at most its
 * 300 ms timeout, never an error (the last stored record when it cannot be asked); undefined
 * without a CRM or an address. Asked before the intake's transaction (it awaits the network).
 */
export async function lookupCrm(services: Services, input: CreateCaseInput, options: CreateCaseOptions): Promise<CrmFact | null | undefined> {
  if (!services.crm) return undefined;
  const { customerId } = options;
  const email = customerId !== undefined ? (await services.store.query((q) => byId(q, q.tables.customers, customerId)))?.email : input.customer?.email;
  if (email === undefined) return undefined;
  return (await services.crm.lookup(services.store, email)).value;
}

/** Diagnoses the case and evaluates the `case.created` rulesets as of `at`; no writes (but the CRM's record). */
export async function evaluateIntake(services: Services, input: CreateCaseInput, at: number, options: EvaluateIntakeOptions = {}): Promise<Intake> {
  const crm = options.crm !== undefined ? options.crm : await lookupCrm(services, input, options);
  const facts = await services.store.query((q) => intakeFacts(q, services, input, at, crm === undefined ? options : { ...options, crm }));
  return decided(facts, await runTriggers(services, facts.rulesets, facts.inputs));
}

/**
 * `evaluateIntake` inside the intake's transaction (`q`), the rules compiled (they decide
 * without awaiting anything), or null when json-rules-engine must run (then use `evaluateIntake`).
 */
export async function evaluateIntakeNow(q: Handle, services: Services, input: CreateCaseInput, at: number, options: EvaluateIntakeOptions = {}): Promise<Intake | null> {
  const facts = await intakeFacts(q, services, input, at, options);
  let evaluations = runTriggersNow(services, facts.rulesets, facts.inputs);
  // A case routed before the last ruleset: the ones after it see the queue's tier (run-triggers.ts).
  for (let round = 0; evaluations !== null && round < facts.rulesets.length; round++) {
    const missing = tiersMissing(evaluations, facts.inputs);
    if (missing.length === 0) break;
    facts.inputs = await withTiers(q, facts.inputs, missing);
    evaluations = runTriggersNow(services, facts.rulesets, facts.inputs);
  }
  return evaluations === null ? null : decided(facts, evaluations);
}
