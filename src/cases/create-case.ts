/**
 * Intake: validate → in one transaction shared with the commands arriving at the same time
 * (group commit, src/db/group-commit.ts): diagnose, evaluate the rulesets the workflow runs on
 * `case.created` (compiled rules, no writes), then store the customer, the case, its timeline,
 * its routing record and whatever the workflow's first steps do (assignment, escalation, SLA
 * timers); the case is inserted once, in its final state. When json-rules-engine must run
 * (it is async), the evaluation comes first and the transaction after it. Nothing
 * half-written survives a failure.
 *
 * `evaluateIntake` and `storeCase` are shared with the import of history (import-case.ts),
 * which stores a case at its original time but decides itself what happens live.
 */
import { z } from 'zod';
import { recordAttachments, type StoredFile } from '../attachments/record.js';
import type { Handle } from '../db/store/index.js';
import { insertOne } from '../db/store/rows.js';
import { CHANNELS, NO_DUE_AT, PRIORITIES, type Channel, type RoutingRecord } from '../db/schema/index.js';
import { DomainError, ValidationError, type FieldIssue } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext, type CaseRow } from '../workflow/context.js';
import { applyFollowUps, recordEvaluations } from './apply-decisions.js';
import { customerTier, recordProfileChangeOn, upsertCustomer, type CustomerRow } from './customers.js';
import type { KnownViewParts } from './case-view.js';
import { captureIntakeView } from './intake-view.js';
import type { Decisions } from '../rules/evaluate.js';
import { evaluateIntake, evaluateIntakeNow, FALLBACK_QUEUE, lookupCrm, type EvaluateIntakeOptions, type Intake } from './evaluate-intake.js';
import { queueById } from './move-case.js';
import { intakeQueries } from './intake/dialect.js';
import { phoneField } from '../text/phone.js';
import { emailField } from '../text/email-address.js';
import { cleanLine, cleanText } from '../text/control-chars.js';

export { evaluateIntake, FALLBACK_QUEUE, type EvaluateIntakeOptions, type Intake } from './evaluate-intake.js';

export const createCaseSchema = z.strictObject({
  customer: z
    .strictObject({
      email: emailField(),
      name: z.string().overwrite(cleanLine).min(1).max(200).optional(),
      tier: customerTier.optional(),
      organization: z.string().overwrite(cleanLine).max(200).optional(),
      /** E.164 after normalising; fills an existing customer's empty phone. */
      phone: phoneField.transform((v) => v ?? undefined).optional(),
    })
    .optional(),
  // Controls and half emoji removed (src/text/control-chars.ts), whatever path the request came by.
  subject: z.string().overwrite(cleanLine).min(1, 'required').max(200),
  description: z.string().overwrite(cleanText).trim().min(1, 'required').max(20_000),
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
  within?: (ctx: CaseContext) => void | Promise<void>;
  /**
   * Runs inside the intake transaction once the case is inserted, in its final state: for rows
   * that only refer to the case (an Idempotency-Key). Unlike `within`, the case is not stored
   * early and then updated (fewer statements and WAL pages); a failure there stores nothing.
   */
  whenStored?: (ctx: CaseContext) => void | Promise<void>;
  /** Files of the request, already in the attachment store (`storeFiles`): recorded with its `case.created` entry. */
  attachments?: readonly StoredFile[];
  /**
   * Receives, inside the intake transaction once the case is saved, what its unit of work holds
   * of the case's view (customer, assignee, SLA timers, CRM record): the API answers with the
   * case without reading it back. Not called when the case was stored early (`within`).
   */
  view?: (parts: KnownViewParts) => void;
  /** A routing hint (a mailbox's default queue): the queue unless a rule picks one; rules see it as `case.queue`; inactive → `general`. */
  defaultQueue?: string;
  /** Where the case came from, for rules: added to the `case.created` event fact (e.g. `{ mailbox: "Sales" }`). */
  eventData?: Record<string, string>;
  /** Kept on the `case.created` entry only (a left message's typed address: chat-identity.ts `leftMessageIdentity`). */
  created?: Record<string, unknown>;
  /**
   * A channel that answers the request itself (mail), asked inside the intake's transaction
   * before the rules' follow-ups: `true` — its acknowledgement (`case-received`, from the
   * channel) goes out and carries a known solution the rules offer (no second mail); `false` —
   * no automatic mail to the customer at all (the sender asked for none: list mail, an
   * auto-responder, an address acknowledged enough this hour): an offer is still recorded (the
   * portal shows it), the rules' notifications to the customer are left out.
   */
  acknowledge?: (ctx: CaseContext) => Promise<boolean>;
}

/** The rules' decisions with the channel's acknowledgement in them, or without any mail to the customer. */
function withAcknowledgement(d: Decisions, acknowledge: boolean, source: string): Decisions {
  const others = d.notify.filter((n) => n.to !== 'customer' || (acknowledge && n.template !== 'case-received'));
  return { ...d, notify: acknowledge ? [...others, { to: 'customer', template: 'case-received', rule: source }] : others };
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

export interface StoreCaseOptions {
  /** A queue chosen by the caller (imports), instead of the one the rules picked. */
  queue?: string;
  /** Tags added to the ones the rules set. */
  tags?: readonly string[];
  externalId?: string;
  importedAt?: number;
  /** Extra data for the `case.created` entry and its followers (e.g. `imported: true`). */
  mark?: Record<string, unknown>;
  /** Extra data for the `case.created` entry only. */
  created?: Record<string, unknown>;
  /**
   * Intake: the case is inserted by `save()`, once, in its final state (`CaseContext.create`);
   * otherwise (imports) it is inserted now and updated by `save()`.
   */
  insertAtSave?: boolean;
  /** The intake was evaluated in this same transaction: the customer it found is current. */
  sameTransaction?: boolean;
}

/** The id the next case gets (never reused); inside the intake's transaction. */
function nextCaseId(q: Handle): Promise<number> {
  return intakeQueries(q).nextCaseId(q);
}

/**
 * Inside a transaction: stores the customer and the case as of `intake.at`, with its
 * `case.created`, `case.diagnosed`, rule and `case.routed` entries. Nothing reacts yet: the
 * caller dispatches `case.created` and enters the initial state (live intake) or not (history).
 */
export async function storeCase(
  q: Handle,
  services: Services,
  intake: Intake,
  actor: Actor,
  options: StoreCaseOptions = {},
): Promise<{ ctx: CaseContext; createdData: Record<string, unknown>; customer: CustomerRow }> {
  const { at, input, existingCustomer, customerInput, channel, defaultQueue, event, diagnosis, workflow, sla, priority, customer, diagnosisFact, inBusinessHours, localTimeZone, evaluations, decisions } = intake;
  const mark = options.mark ?? {};
  const upserted =
    existingCustomer && !customerInput
      ? { row: existingCustomer, filled: {} }
      : await upsertCustomer(q, customerInput!, at, options.sameTransaction ? (existingCustomer ?? null) : undefined);
  const storedCustomer = upserted.row;
  const wanted = options.queue ?? decisions.queue ?? defaultQueue;
  const routedQueue = await queueById(q, wanted ?? FALLBACK_QUEUE);
  const queue = routedQueue?.active ? routedQueue : await queueById(q, FALLBACK_QUEUE);
  if (!queue) throw new DomainError('QUEUE_NOT_FOUND', `The fallback queue "${FALLBACK_QUEUE}" does not exist.`);
  const policy = decisions.slaPolicy && sla.config.policy(decisions.slaPolicy) ? decisions.slaPolicy : null;
  const tags = options.tags ? [...new Set([...decisions.tags, ...options.tags])] : decisions.tags;

  const values = {
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
    mergedIntoId: null,
    // Numbered when the row is inserted (src/db/change-seq.ts, migration 0039).
    changeSeq: 0,
  };
  let ctx: CaseContext;
  if (options.insertAtSave) {
    // Every column as the database would default it; save() inserts the row as it is then.
    const row: CaseRow = {
      id: await nextCaseId(q),
      previousStatus: null,
      open: true,
      assigneeId: null,
      waitingSince: null,
      routing: null,
      slaDueAt: NO_DUE_AT,
      solution: null,
      reopenCount: 0,
      escalationCount: 0,
      version: 1,
      customerUpdatedAt: null,
      firstResponseAt: null,
      resolvedAt: null,
      closedAt: null,
      ...values,
    };
    ctx = CaseContext.create(q, services, row, actor, at);
  } else {
    ctx = new CaseContext(q, services, await insertOne(q, q.tables.cases, values), actor, at);
  }
  const row = ctx.case;
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
      localTimeZone,
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
    ...options.created,
  };
  await ctx.record('case.created', createdData);
  if (Object.keys(upserted.filled).length > 0) {
    // Intake only fills empty profile fields, and says so on the case and in the audit trail.
    await recordProfileChangeOn(q, storedCustomer.id, upserted.filled, { actor, at, via: 'intake', caseId: row.id });
    await ctx.record('customer.updated', { customerId: storedCustomer.id, source: 'intake', changes: upserted.filled });
  }
  if (diagnosis.suggestions.length > 0) {
    await ctx.record('case.diagnosed', { matched: diagnosis.matched, problemId: diagnosis.problemId, suggestions: row.suggestions, ...mark });
  }
  // The first (routing) evaluation is told by case.routed below, unless it failed.
  await recordEvaluations(ctx, evaluations.filter((e, i) => i > 0 || e.error !== null), 'case.created');
  if (wanted && queue.id !== wanted) {
    await ctx.record('rules.failed', { event: 'case.created', error: `queue "${wanted}" does not exist or is inactive; routed to ${queue.id}` });
  }
  await ctx.record('case.routed', {
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
  return { ctx, createdData, customer: storedCustomer };
}

export async function createCase(services: Services, input: CreateCaseInput, actor: Actor, options: CreateCaseOptions = {}): Promise<CaseRow> {
  assertCustomerInput(input, actor, options);
  // The CRM (CRM_LOOKUP_URL) is asked first: its answer is the `customer.crm` fact.
  const crm = await lookupCrm(services, input, options);
  const evaluateOptions: EvaluateIntakeOptions = crm === undefined ? options : { ...options, crm };
  const at = services.clock.now();
  if (services.rulesEngine === 'compiled') {
    // Compiled rules decide without awaiting anything but the database: read, decide and write in one (shared) transaction.
    const row = await services.store.write(async (q) => {
      const intake = await evaluateIntakeNow(q, services, input, at, evaluateOptions);
      return intake === null ? null : intakeCase(q, services, intake, actor, options, true);
    });
    if (row !== null) return row;
  }
  // json-rules-engine runs (RULES_ENGINE=reference, or a ruleset compiled rules do not cover): decide first, then write.
  const intake = await evaluateIntake(services, input, at, evaluateOptions);
  return services.store.write((q) => intakeCase(q, services, intake, actor, options, false));
}

/** Inside the transaction: stores the case and lets the workflow take it from there. */
async function intakeCase(q: Handle, services: Services, intake: Intake, actor: Actor, options: CreateCaseOptions, sameTransaction: boolean): Promise<CaseRow> {
  const { ctx, createdData, customer } = await storeCase(q, services, intake, actor, { insertAtSave: true, sameTransaction, ...(options.created ? { created: options.created } : {}) });
  const { whenStored } = options;
  if (whenStored) await ctx.whenStored(() => whenStored(ctx));
  const files = options.attachments;
  if (files?.length) {
    // Intake by the system (a mail from a new customer) files the customer's own files, with
    // the `case.created` entry (it has its id once the case is inserted).
    const by = actor.type === 'system' ? { type: 'customer' as const, id: ctx.case.customerId } : { type: actor.type, id: actor.id };
    await ctx.whenStored(async () => {
      await recordAttachments(q, { caseId: ctx.case.id, eventId: (await ctx.storedEntryId('case.created'))!, by, at: ctx.now }, files);
    });
  }
  // Already on the timeline; subscribers (SLA clocks) and the workflow react now.
  await ctx.dispatch('case.created', createdData);
  // Escalation before the initial state's entry actions, so the case is assigned where it ends up.
  const acknowledge = options.acknowledge ? await options.acknowledge(ctx) : null;
  const decisions = acknowledge === null ? intake.decisions : withAcknowledgement(intake.decisions, acknowledge, options.channel ?? 'api');
  await applyFollowUps(ctx, decisions, 'case.created', {}, { mailCustomer: acknowledge !== false });
  if (ctx.case.status === intake.workflow.definition.initial) await ctx.enterInitialState();
  if (options.within) {
    // What a channel records with the case refers to it: the case is stored first.
    await ctx.store();
    await options.within(ctx);
    await ctx.save();
    return ctx.case;
  }
  // The answer's view as committed, from what the unit of work holds (no read back): asked for by the API only.
  const { view } = options;
  const capture = view ? await captureIntakeView(ctx, customer, sameTransaction ? intake.storedCrm : undefined) : null;
  await ctx.save();
  if (view && capture) {
    const parts = await capture();
    if (parts) view(parts);
  }
  return ctx.case;
}
