/**
 * Import of a case from another help desk (or of history): the case is stored with its
 * original times — created, routed, messages, resolution, closing, rating — every timeline
 * entry marked `imported: true`, and one `case.imported` entry at the moment of the import.
 *
 * Nothing live happens for the past: no escalation rules, no notifications, no SLA clocks
 * counting from the original creation. A case imported as resolved or closed is history
 * only (no assignment, no SLA timers). A case imported still open becomes live work at the
 * import: it enters the workflow's initial state now, is assigned like a new case and its
 * SLA clocks start now. docs/import.md describes the format and these rules.
 */
import { z } from 'zod';
import type { Handle } from '../db/store/index.js';
import { byId, get, run } from '../db/store/rows.js';
import { DomainError, ValidationError, type FieldIssue } from '../errors.js';
import { isManagerRole, type Actor } from '../roles.js';
import type { Services } from '../services.js';
import { startCaseTimers, startNextResponse } from '../sla/case-timers.js';
import type { StateCategory, WorkflowDefinition } from '../workflow/definition.js';
import { CaseContext, timerDue, type CaseRow } from '../workflow/context.js';
import { durationMs, fromStates } from '../workflow/transition.js';
import { createCaseSchema, evaluateIntake, storeCase, type CreateCaseInput } from './create-case.js';
import { queueById } from './move-case.js';

const instant = z.iso.datetime({ offset: true });

/**
 * The earliest time an import may give (createdAt, and so every later one): before any help
 * desk a case could come from. Without a bound a case "created" in year 1 made every dashboard
 * that counted it work out business minutes day by day over 2,000 years (about a minute with
 * the server doing nothing else).
 */
export const EARLIEST_IMPORTED_TIME = Date.UTC(1990, 0, 1);

export const importedMessageSchema = z.strictObject({
  from: z.enum(['customer', 'staff']),
  body: z.string().trim().min(1, 'required').max(20_000),
  at: instant,
  /** Staff messages only: false for an internal note. */
  public: z.boolean().default(true),
  /** Staff messages only: who wrote it in the old help desk. */
  author: z.string().trim().min(1).max(200).optional(),
});

/** The fields only an import may set (on top of the intake fields). */
export const importFieldsSchema = z.strictObject({
  externalId: z.string().trim().min(1, 'required').max(200).optional(),
  createdAt: instant.optional(),
  status: z.string().trim().min(1).max(100).optional(),
  resolvedAt: instant.optional(),
  closedAt: instant.optional(),
  solution: z.string().trim().min(1).max(20_000).optional(),
  queue: z.string().trim().min(1).max(100).optional(),
  tags: z.array(z.string().trim().min(1).max(60)).max(50).optional(),
  messages: z.array(importedMessageSchema).max(1_000).optional(),
  rating: z
    .strictObject({
      satisfied: z.boolean(),
      comment: z.string().trim().max(2_000).default(''),
      at: instant.optional(),
    })
    .optional(),
});

export const importCaseSchema = createCaseSchema.extend(importFieldsSchema.shape);
export type ImportCaseInput = z.infer<typeof importCaseSchema>;
export const IMPORT_FIELDS = Object.keys(importFieldsSchema.shape) as (keyof ImportCaseInput)[];

/** True when the body uses any import-only field (managers and admins only). */
export function isImport(input: Record<string, unknown>): boolean {
  return IMPORT_FIELDS.some((k) => input[k] !== undefined);
}

export function assertMayImport(actor: Actor): void {
  if (!isManagerRole(actor.role)) {
    throw new DomainError('FORBIDDEN', `Only managers and admins may import cases (${IMPORT_FIELDS.join(', ')}).`);
  }
}

export interface ImportResult {
  case: CaseRow;
  /** False when a case with the same externalId was imported before (nothing was changed). */
  created: boolean;
}

interface Plan {
  createdAt: number;
  /** Null for a case that stays open (live from now). */
  terminal: { category: 'resolved' | 'closed'; resolvedState: string | null; closedState: string | null; resolvedAt: number; closedAt: number | null } | null;
  messages: { from: 'customer' | 'staff'; body: string; at: number; public: boolean; author: string | undefined }[];
  rating: { satisfied: boolean; comment: string; at: number } | null;
}

/** Checks what zod cannot: times in order and not in the future, known states and queue. */
async function planImport(services: Services, workflow: WorkflowDefinition, input: ImportCaseInput, now: number): Promise<Plan> {
  const issues: FieldIssue[] = [];
  const time = (path: string, value: string | undefined, after: number | null, afterLabel: string): number | null => {
    if (value === undefined) return null;
    const at = Date.parse(value);
    if (at > now) issues.push({ path, message: 'must not be in the future' });
    else if (at < EARLIEST_IMPORTED_TIME) issues.push({ path, message: 'must not be before 1990-01-01' });
    else if (after !== null && at < after) issues.push({ path, message: `must not be before ${afterLabel}` });
    return at;
  };
  const createdAt = time('createdAt', input.createdAt, null, '') ?? now;

  const state = input.status !== undefined && Object.hasOwn(workflow.states, input.status) ? workflow.states[input.status] : undefined;
  if (input.status !== undefined && !state) {
    issues.push({ path: 'status', message: `unknown state "${input.status}" (states: ${Object.keys(workflow.states).join(', ')})` });
  }
  const category: StateCategory | undefined = state?.category;
  const isTerminal = category === 'resolved' || category === 'closed';
  if (!isTerminal) {
    for (const key of ['resolvedAt', 'closedAt', 'solution', 'rating'] as const) {
      if (input[key] !== undefined) issues.push({ path: key, message: 'only for a case imported in a resolved or closed state (status)' });
    }
  }
  let terminal: Plan['terminal'] = null;
  if (isTerminal) {
    if (category === 'resolved' && input.resolvedAt === undefined) issues.push({ path: 'resolvedAt', message: 'required with a resolved status' });
    if (category === 'resolved' && input.closedAt !== undefined) issues.push({ path: 'closedAt', message: 'only with a closed status' });
    if (category === 'closed' && input.closedAt === undefined) issues.push({ path: 'closedAt', message: 'required with a closed status' });
    const resolvedAt = time('resolvedAt', input.resolvedAt, createdAt, 'createdAt');
    const closedAt = time('closedAt', input.closedAt, resolvedAt ?? createdAt, resolvedAt !== null ? 'resolvedAt' : 'createdAt');
    const resolvedState = category === 'resolved' ? input.status! : (Object.entries(workflow.states).find(([, s]) => s.category === 'resolved')?.[0] ?? null);
    terminal = {
      category: category!,
      resolvedState,
      closedState: category === 'closed' ? input.status! : null,
      resolvedAt: resolvedAt ?? closedAt ?? createdAt,
      closedAt,
    };
  }

  const messages = (input.messages ?? []).map((m, i) => {
    if (m.from === 'customer' && (m.public === false || m.author !== undefined)) {
      issues.push({ path: `messages.${i}`, message: 'public and author are for staff messages' });
    }
    return { from: m.from, body: m.body, at: time(`messages.${i}.at`, m.at, createdAt, 'createdAt') ?? createdAt, public: m.public, author: m.author };
  });
  messages.sort((a, b) => a.at - b.at);

  let rating: Plan['rating'] = null;
  if (input.rating && terminal) {
    const at = time('rating.at', input.rating.at, terminal.resolvedAt, 'resolvedAt') ?? terminal.closedAt ?? terminal.resolvedAt;
    rating = { satisfied: input.rating.satisfied, comment: input.rating.comment, at };
  }
  const { queue } = input;
  if (queue !== undefined && !(await services.store.query((q) => queueById(q, queue)))?.active) {
    issues.push({ path: 'queue', message: `unknown or inactive queue "${input.queue}"` });
  }
  if (issues.length > 0) throw new ValidationError(issues, 'The imported case is not valid.');
  return { createdAt, terminal, messages, rating };
}

export async function findImported(q: Handle, externalId: string): Promise<CaseRow | undefined> {
  const row = await get<{ id: number }>(q, 'SELECT id FROM cases WHERE external_id = ?', [externalId]);
  return row ? byId(q, q.tables.cases, row.id) : undefined;
}

/** The workflow transition that leads from one state to another, for the timeline's wording. */
function transitionName(workflow: WorkflowDefinition, from: string, to: string): string {
  const found = Object.entries(workflow.transitions).find(([, t]) => t.to === to && fromStates(workflow, t).includes(from) && t.roles !== undefined);
  return found?.[0] ?? 'import';
}

const MARK = { imported: true } as const;

/** A staff member of the old help desk: a system actor named after them (no account here). */
function staffAuthor(name: string | undefined): Actor {
  return { type: 'system', id: null, role: 'agent', name: name ?? 'Support (imported)' };
}

/** Records the history at its own times, in time order, and returns the context at the import moment. */
async function recordHistory(services: Services, ctx: CaseContext, plan: Plan, actor: Actor, input: ImportCaseInput, now: number): Promise<CaseContext> {
  const c = ctx.case;
  const at = (time: number, who: Actor = actor) => new CaseContext(ctx.q, services, c, who, time);
  const customer: Actor = { type: 'customer', id: c.customerId, role: 'customer', name: 'customer' };
  const steps: { at: number; run: () => Promise<unknown> }[] = [];

  for (const m of plan.messages) {
    steps.push({
      at: m.at,
      run: async () => {
        if (m.from === 'customer') {
          await at(m.at, customer).record('customer.replied', { body: m.body, ...MARK });
          return;
        }
        const author = staffAuthor(m.author);
        await at(m.at, author).record(m.public ? 'staff.replied' : 'staff.noted', { body: m.body, author: author.name, ...MARK });
        if (m.public) c.firstResponseAt ??= m.at;
      },
    });
  }
  if (plan.terminal) {
    const t = plan.terminal;
    const enter = async (to: string, time: number) => {
      const from = c.status;
      const solution = to === t.resolvedState && input.solution ? { solution: input.solution } : {};
      await at(time).record('case.transitioned', { transition: transitionName(ctx.workflow, from, to), from, to, ...solution, ...MARK });
      if (to !== from) c.previousStatus = from;
      c.status = to;
      c.stateEnteredAt = time;
    };
    if (t.resolvedState) steps.push({ at: t.resolvedAt, run: () => enter(t.resolvedState!, t.resolvedAt) });
    if (t.closedState && t.closedAt !== null) steps.push({ at: t.closedAt, run: () => enter(t.closedState!, t.closedAt!) });
    c.open = false;
    c.resolvedAt = t.resolvedAt;
    c.closedAt = t.closedAt;
    c.waitingSince = null;
    if (input.solution) c.solution = input.solution;
  }
  if (plan.rating) {
    const r = plan.rating;
    steps.push({
      at: r.at,
      run: async () => {
        const { caseRatings } = ctx.q.tables;
        const [rated] = await ctx.q.db
          .insert(caseRatings)
          .values({ caseId: c.id, customerId: c.customerId, satisfied: r.satisfied, comment: r.comment, createdAt: r.at })
          .returning({ id: caseRatings.id });
        await at(r.at, customer).record('case.rated', { satisfied: r.satisfied, comment: r.comment, ratingId: rated!.id, ...MARK });
      },
    });
  }
  // Stable: at the same instant, messages come before the state change and the rating.
  steps.sort((a, b) => a.at - b.at);
  for (const step of steps) await step.run();

  const live = at(now);
  await live.record('case.imported', {
    ...(input.externalId !== undefined ? { externalId: input.externalId } : {}),
    live: plan.terminal === null,
    ...(input.status !== undefined && plan.terminal === null ? { sourceStatus: input.status } : {}),
    messages: plan.messages.length,
  });
  return live;
}

/** An open case goes live now: SLA clocks from now for what is still owed, then assignment. */
async function goLive(ctx: CaseContext, plan: Plan): Promise<void> {
  const publicMessages = plan.messages.filter((m) => m.public);
  const answered = publicMessages.some((m) => m.from === 'staff');
  ctx.case.stateEnteredAt = ctx.now;
  await startCaseTimers(ctx, answered ? ['resolution'] : undefined);
  if (answered && publicMessages.at(-1)?.from === 'customer') await startNextResponse(ctx);
  await ctx.enterInitialState();
}

/** A resolved (not closed) case keeps its state timers (e.g. auto-close), counted from its resolution. */
async function scheduleStateTimers(ctx: CaseContext): Promise<void> {
  const c = ctx.case;
  for (const timer of ctx.workflow.states[c.status]?.timers ?? []) {
    await ctx.enqueue('workflow.timer', { transition: timer.transition, state: c.status, enteredAt: c.stateEnteredAt }, Math.max(ctx.now, timerDue(ctx.services, c, { afterMs: durationMs(timer.after), businessHours: timer.businessHours === true }, c.stateEnteredAt)));
  }
}

export interface ImportCaseOptions {
  /** Runs inside the transaction once a new case is stored (not when the externalId was already imported). */
  within?: (ctx: CaseContext) => void | Promise<void>;
}

export async function importCase(services: Services, input: ImportCaseInput, actor: Actor, options: ImportCaseOptions = {}): Promise<ImportResult> {
  assertMayImport(actor);
  if (input.externalId !== undefined) {
    const { externalId } = input;
    const existing = await services.store.query((q) => findImported(q, externalId));
    if (existing) return { case: existing, created: false };
  }
  const now = services.clock.now();
  const workflow = services.definitions.workflow(services.defaultWorkflow).definition;
  const plan = await planImport(services, workflow, input, now);
  const intakeInput: CreateCaseInput = { subject: input.subject, description: input.description, customer: input.customer, channel: input.channel, priority: input.priority };
  const intake = await evaluateIntake(services, intakeInput, plan.createdAt, { routingOnly: true });

  return services.store.write(async (q) => {
    if (input.externalId !== undefined) {
      // A concurrent import of the same externalId may have committed meanwhile.
      const existing = await findImported(q, input.externalId);
      if (existing) return { case: existing, created: false };
    }
    const { ctx } = await storeCase(q, services, intake, actor, {
      ...(input.queue !== undefined ? { queue: input.queue } : {}),
      ...(input.tags !== undefined ? { tags: input.tags } : {}),
      ...(input.externalId !== undefined ? { externalId: input.externalId } : {}),
      importedAt: now,
      mark: MARK,
    });
    const live = await recordHistory(services, ctx, plan, actor, input, now);
    if (plan.terminal === null) await goLive(live, plan);
    else await scheduleStateTimers(live);
    // An import notifies nobody, even if the initial state's entry actions would on intake:
    // the customer heard about the case from the old help desk.
    await run(q, "DELETE FROM outbox WHERE case_id = ? AND type = 'notification.send'", [live.case.id]);
    await options.within?.(live);
    await live.save();
    return { case: live.case, created: true };
  });
}
