/**
 * Intake: validate → diagnose → evaluate the rulesets the workflow runs on `case.created`
 * (async, no writes) → one synchronous transaction that stores the customer, the case, its
 * timeline, its routing record and whatever the workflow's first steps do (assignment,
 * escalation, SLA timers). Nothing half-written survives a failure.
 *
 * `evaluateIntake` and `storeCase` are shared with the import of history (import-case.ts),
 * which stores a case at its original time but decides itself what happens live.
 */
import { z } from 'zod';
import { recordAttachments, type StoredFile } from '../attachments/record.js';
import { transaction } from '../db/client.js';
import { insertRow, rowById } from '../db/fast.js';
import { cases, CHANNELS, customers, PRIORITIES, type Channel, type Priority, type RoutingRecord } from '../db/schema/index.js';
import { diagnose } from '../diagnosis/search-problems.js';
import { DomainError, ValidationError, type FieldIssue } from '../errors.js';
import type { Evaluation, Decisions } from '../rules/evaluate.js';
import { withinBusinessHours, type CaseLike } from '../rules/build-facts.js';
import { mergeDecisions } from '../rules/evaluate.js';
import { runTriggers } from '../rules/run-triggers.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext, type CaseRow } from '../workflow/context.js';
import { applyFollowUps, recordEvaluations } from './apply-decisions.js';
import { customerFact, customerTier, findCustomerByEmail, recordProfileChange, upsertCustomer, type CustomerRow } from './customers.js';
import { queueById } from './move-case.js';
import { phoneField } from '../text/phone.js';

export const FALLBACK_QUEUE = 'general';

export const createCaseSchema = z.strictObject({
  customer: z
    .strictObject({
      email: z.email().max(254),
      name: z.string().trim().min(1).max(200).optional(),
      tier: customerTier.optional(),
      organization: z.string().trim().max(200).optional(),
      /** E.164 after normalising; fills an existing customer's empty phone. */
      phone: phoneField.transform((v) => v ?? undefined).optional(),
    })
    .optional(),
  subject: z.string().trim().min(1, 'required').max(200),
  description: z.string().trim().min(1, 'required').max(20_000),
  channel: z.enum(CHANNELS).optional(),
  priority: z.enum(PRIORITIES).optional(),
});
export type CreateCaseInput = z.infer<typeof createCaseSchema>;

export interface CreateCaseOptions {
  /** The customer the case is for when a customer submits it themselves. */
  customerId?: number;
  /**
   * How the case came in, decided by the intake path (portal `web`, API `api`, mail
   * `email`), never by a customer. Staff may name another channel in the input (a phone
   * call they log). Default `api`.
   */
  channel?: Channel;
  /**
   * Runs inside the intake transaction once the case is stored and has reacted, just before
   * it is saved: a channel records what it received with the case (exactly once), and a
   * failure there stores nothing.
   */
  within?: (ctx: CaseContext) => void;
  /** Files of the request, already in the attachment store (`storeFiles`): recorded with its `case.created` entry. */
  attachments?: readonly StoredFile[];
  /** A routing hint (a mailbox's default queue): the queue unless a rule picks one; rules see it as `case.queue`; inactive → `general`. */
  defaultQueue?: string;
  /** Where the case came from, for rules: added to the `case.created` event fact (e.g. `{ mailbox: "Sales" }`). */
  eventData?: Record<string, string>;
}

/** Fields only staff may set at intake: customers never choose their priority or channel, nor file for someone else. */
function assertCustomerInput(input: CreateCaseInput, actor: Actor, options: CreateCaseOptions): void {
  if (actor.type !== 'customer') return;
  if (options.customerId !== actor.id) throw new DomainError('FORBIDDEN', 'Customers file requests for themselves only.');
  const issues: FieldIssue[] = [];
  if (input.customer !== undefined) issues.push({ path: 'customer', message: 'you file requests for yourself; leave this out' });
  if (input.priority !== undefined) issues.push({ path: 'priority', message: 'set by support, not by customers' });
  if (input.channel !== undefined) issues.push({ path: 'channel', message: 'follows how the request came in; customers do not choose it' });
  if (issues.length > 0) throw new ValidationError(issues, `Customers may not set ${issues.map((i) => i.path).join(', ')}.`);
}

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
  diagnosis: ReturnType<typeof diagnose>;
  workflow: ReturnType<Services['definitions']['workflow']>;
  sla: ReturnType<Services['definitions']['sla']>;
  priority: Priority;
  customer: ReturnType<typeof customerFact>;
  diagnosisFact: { matched: boolean; problemId: number | null };
  inBusinessHours: boolean;
  evaluations: Evaluation[];
  decisions: Decisions;
}

export interface EvaluateIntakeOptions extends CreateCaseOptions {
  /** Only the first `case.created` ruleset (routing): imports of history do not run escalation rules. */
  routingOnly?: boolean;
}

/** Diagnoses the case and evaluates the `case.created` rulesets as of `at`; no writes. */
export async function evaluateIntake(services: Services, input: CreateCaseInput, at: number, options: EvaluateIntakeOptions = {}): Promise<Intake> {
  const { db, definitions } = services;
  let existingCustomer: CustomerRow | undefined;
  if (options.customerId !== undefined) {
    existingCustomer = rowById(db, customers, options.customerId);
    if (!existingCustomer) throw new DomainError('FORBIDDEN', 'Unknown customer.');
  } else {
    if (!input.customer) throw new ValidationError([{ path: 'customer', message: 'required' }], 'The customer is required.');
    existingCustomer = findCustomerByEmail(db, input.customer.email);
  }
  const customerInput = options.customerId === undefined ? input.customer : undefined;

  const diagnosis = diagnose(db, input.subject, input.description);
  const workflow = definitions.workflow(services.defaultWorkflow);
  const sla = definitions.sla();
  const priority: Priority = input.priority ?? 'normal';
  const channel: Channel = input.channel ?? options.channel ?? 'api';
  const defaultQueue = options.defaultQueue ?? null;
  const event = { ...(options.eventData ?? {}), type: 'case.created' as const };

  const draft: CaseLike = {
    id: 0,
    subject: input.subject,
    description: input.description,
    channel,
    priority,
    tags: [],
    skills: [],
    status: workflow.definition.initial,
    tier: 1,
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
  const customer = customerFact(db, existingCustomer ?? null, customerInput);
  // CRM enrichment (CRM_LOOKUP_URL): at most its 300 ms timeout, never an error; skipped when unset.
  if (services.crm) customer.crm = (await services.crm.lookup(db, customer.email)).value;
  const diagnosisFact = { matched: diagnosis.matched, problemId: diagnosis.problemId };
  const inBusinessHours = withinBusinessHours(services, null, sla.version, at);

  const triggers = workflow.definition.triggers?.['case.created'] ?? [];
  const evaluations = await runTriggers(services, options.routingOnly ? triggers.slice(0, 1) : triggers, {
    case: draft,
    customer,
    diagnosis: diagnosisFact,
    event,
    now: at,
    withinBusinessHours: inBusinessHours,
  });
  const decisions = mergeDecisions(evaluations.filter((e) => e.error === null));
  return { at, input, existingCustomer, customerInput, channel, defaultQueue, event, diagnosis, workflow, sla, priority, customer, diagnosisFact, inBusinessHours, evaluations, decisions };
}

export interface StoreCaseOptions {
  /** A queue chosen by the caller (imports), instead of the one the rules picked. */
  queue?: string;
  /** Tags added to the ones the rules set. */
  tags?: readonly string[];
  externalId?: string;
  importedAt?: number;
  /** Extra data for the `case.created` entry and its followers (e.g. `imported: true`). */
  mark?: Record<string, unknown>;
}

/**
 * Inside a transaction: stores the customer and the case as of `intake.at`, with its
 * `case.created`, `case.diagnosed`, rule and `case.routed` entries. Nothing reacts yet: the
 * caller dispatches `case.created` and enters the initial state (live intake) or not (history).
 */
export function storeCase(services: Services, intake: Intake, actor: Actor, options: StoreCaseOptions = {}): { ctx: CaseContext; createdData: Record<string, unknown>; createdEventId: number } {
  const { db } = services;
  const { at, input, existingCustomer, customerInput, channel, defaultQueue, event, diagnosis, workflow, sla, priority, customer, diagnosisFact, inBusinessHours, evaluations, decisions } = intake;
  const mark = options.mark ?? {};
  const upserted = existingCustomer && !customerInput ? { row: existingCustomer, filled: {} } : upsertCustomer(db, customerInput!, at);
  const storedCustomer = upserted.row;
  const wanted = options.queue ?? decisions.queue ?? defaultQueue;
  const routedQueue = queueById(db, wanted ?? FALLBACK_QUEUE);
  const queue = routedQueue?.active ? routedQueue : queueById(db, FALLBACK_QUEUE);
  if (!queue) throw new DomainError('QUEUE_NOT_FOUND', `The fallback queue "${FALLBACK_QUEUE}" does not exist.`);
  const policy = decisions.slaPolicy && sla.config.policy(decisions.slaPolicy) ? decisions.slaPolicy : null;
  const tags = options.tags ? [...new Set([...decisions.tags, ...options.tags])] : decisions.tags;

  const row = insertRow(db, cases, {
    customerId: storedCustomer.id,
    subject: input.subject,
    description: input.description,
    channel,
    requestedPriority: priority,
    priority: decisions.priority ?? priority,
    status: workflow.definition.initial,
    stateEnteredAt: at,
    tier: queue.tier,
    queueId: queue.id,
    tags,
    skills: decisions.skills,
    workflow: workflow.definition.workflow,
    workflowVersion: workflow.version,
    slaPolicy: policy ?? sla.config.defaultPolicy,
    slaConfigVersion: sla.version,
    suggestions: diagnosis.suggestions.map(({ problemId, title, score }) => ({ problemId, title, score })),
    diagnosisMatched: diagnosis.matched,
    createdAt: at,
    updatedAt: at,
    externalId: options.externalId ?? null,
    importedAt: options.importedAt ?? null,
  });

  const ctx = new CaseContext(services, row, actor, at);
  ctx.skipTriggers.add('case.created');
  const routingEvaluation = evaluations[0];
  const routing: RoutingRecord = {
    ruleset: routingEvaluation?.ruleset ?? '',
    version: routingEvaluation?.version ?? 0,
    event: 'case.created',
    fired: routingEvaluation?.fired ?? [],
    outcome: {
      queue: queue.id,
      priority: row.priority,
      tags: row.tags,
      skills: row.skills,
      slaPolicy: policy,
      escalate: decisions.escalate
        ? { tier: decisions.escalate.tier, queue: decisions.escalate.queue ?? '', reason: decisions.escalate.reason ?? '' }
        : null,
    },
    input: {
      customer: { ...customer },
      diagnosis: diagnosisFact,
      withinBusinessHours: inBusinessHours,
      ...(defaultQueue !== null ? { defaultQueue } : {}),
      ...(Object.keys(event).length > 1 ? { event } : {}),
    },
    ...(routingEvaluation?.error ? { error: routingEvaluation.error } : {}),
  };
  ctx.case.routing = routing;

  const createdData = {
    subject: row.subject,
    channel: row.channel,
    requestedPriority: priority,
    workflow: row.workflow,
    workflowVersion: row.workflowVersion,
    ...(options.externalId !== undefined ? { externalId: options.externalId } : {}),
    ...mark,
  };
  const createdEventId = ctx.record('case.created', createdData);
  if (Object.keys(upserted.filled).length > 0) {
    // Intake only fills empty profile fields, and says so on the case and in the audit trail.
    recordProfileChange(db, storedCustomer.id, upserted.filled, { actor, at, via: 'intake', caseId: row.id });
    ctx.record('customer.updated', { customerId: storedCustomer.id, source: 'intake', changes: upserted.filled });
  }
  if (diagnosis.suggestions.length > 0) {
    ctx.record('case.diagnosed', { matched: diagnosis.matched, problemId: diagnosis.problemId, suggestions: row.suggestions, ...mark });
  }
  // The first (routing) evaluation is told by case.routed below, unless it failed.
  recordEvaluations(ctx, evaluations.filter((e, i) => i > 0 || e.error !== null), 'case.created');
  if (wanted && queue.id !== wanted) {
    ctx.record('rules.failed', { event: 'case.created', error: `queue "${wanted}" does not exist or is inactive; routed to ${queue.id}` });
  }
  ctx.record('case.routed', {
    queue: queue.id,
    priority: row.priority,
    tags: row.tags,
    skills: row.skills,
    slaPolicy: row.slaPolicy,
    ruleset: routing.ruleset,
    version: routing.version,
    fired: routing.fired,
    ...(options.queue !== undefined ? { chosen: true } : {}),
    ...(options.queue === undefined && !decisions.queue && defaultQueue !== null ? { defaultQueue } : {}),
    ...(routing.error ? { error: routing.error, fallback: true } : {}),
    ...mark,
  });
  return { ctx, createdData, createdEventId };
}

export async function createCase(services: Services, input: CreateCaseInput, actor: Actor, options: CreateCaseOptions = {}): Promise<CaseRow> {
  assertCustomerInput(input, actor, options);
  const intake = await evaluateIntake(services, input, services.clock.now(), options);
  return transaction(services.db, () => {
    const { ctx, createdData, createdEventId } = storeCase(services, intake, actor);
    if (options.attachments?.length) {
      // Intake by the system (a mail from a new customer) files the customer's own files.
      const by = actor.type === 'system' ? { type: 'customer' as const, id: ctx.case.customerId } : { type: actor.type, id: actor.id };
      recordAttachments(services.db, { caseId: ctx.case.id, eventId: createdEventId, by, at: ctx.now }, options.attachments);
    }
    // Already on the timeline; subscribers (SLA clocks) and the workflow react now.
    ctx.dispatch('case.created', createdData);
    // Escalation before the initial state's entry actions, so the case is assigned where it ends up.
    applyFollowUps(ctx, intake.decisions, 'case.created');
    if (ctx.case.status === intake.workflow.definition.initial) ctx.enterInitialState();
    options.within?.(ctx);
    ctx.save();
    return ctx.case;
  });
}
