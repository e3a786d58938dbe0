import { sql } from 'drizzle-orm';
import { index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { customers, queues, staff } from './people.js';

export const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const CHANNELS = ['web', 'api', 'email', 'phone', 'walk-in', 'chat'] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * When the customer last saw their case change: `customer_updated_at`, or the request's own time
 * while nothing has changed since. Their `updatedAt`, the order of their list, and (in these
 * words, so the plans use it) the middle of `cases_customer_updated_idx`.
 */
export const CUSTOMER_UPDATED_AT_SQL = 'coalesce(customer_updated_at, created_at)';

/**
 * A priority's rank in the waiting queue (lower is taken first): the middle of
 * `cases_waiting_rank_idx`, in these words so that the fill's ORDER BY is the index's order
 * (src/assignment/fill-capacity.ts).
 */
export const PRIORITY_RANK_SQL = "CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END";

/** `sla_due_at` of a case with no running SLA timer: sorts after every real due time. */
export const NO_DUE_AT = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

export interface FiredRule {
  rule: string;
  priority: number;
  event: { type: string; params?: Record<string, unknown> };
}

/** How routing decided: the ruleset version, the rules that fired, what they produced. */
export interface RoutingRecord {
  ruleset: string;
  version: number;
  event: string;
  fired: FiredRule[];
  outcome: {
    queue: string;
    priority: Priority;
    tags: string[];
    skills: string[];
    slaPolicy: string | null;
    escalate: { tier: number; queue: string; reason: string } | null;
  };
  /** Facts that are not stored on the case itself, so a dry-run can replay them. */
  input: {
    customer: Record<string, unknown>;
    diagnosis: Record<string, unknown>;
    withinBusinessHours: boolean;
    /** The zone of the `localTime` fact intake saw (its SLA version's default calendar); absent in records written before it was kept. */
    localTimeZone?: string;
    /** The intake path's routing hint (an email mailbox's default queue), when it gave one. */
    defaultQueue?: string;
    /** The `case.created` event fact, when the intake path added to it (e.g. `mailbox`). */
    event?: Record<string, string>;
  };
  error?: string;
}

export interface Suggestion {
  problemId: number;
  title: string;
  score: number;
}

export const cases = sqliteTable(
  'cases',
  {
    /** Internal id; the public reference is `C-<id>` (the sequence starts at 1001). */
    id: integer('id').primaryKey({ autoIncrement: true }),
    customerId: integer('customer_id')
      .notNull()
      .references(() => customers.id),
    subject: text('subject').notNull(),
    description: text('description').notNull(),
    channel: text('channel', { enum: CHANNELS }).notNull().default('api'),
    /** Priority as submitted, before rules changed it. */
    requestedPriority: text('requested_priority', { enum: PRIORITIES }).notNull().default('normal'),
    priority: text('priority', { enum: PRIORITIES }).notNull().default('normal'),
    /** Workflow state name. */
    status: text('status').notNull(),
    /** State before the current one (target of `@previous` transitions). */
    previousStatus: text('previous_status'),
    stateEnteredAt: integer('state_entered_at').notNull(),
    /** False once the case is in a resolved or closed state (it no longer counts towards load). */
    open: integer('open', { mode: 'boolean' }).notNull().default(true),
    tier: integer('tier').notNull().default(1),
    queueId: text('queue_id')
      .notNull()
      .references(() => queues.id),
    assigneeId: integer('assignee_id').references(() => staff.id),
    /** Set while the case waits for an agent; the oldest waiting case is assigned first. */
    waitingSince: integer('waiting_since'),
    tags: text('tags', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    skills: text('skills', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    workflow: text('workflow').notNull(),
    workflowVersion: integer('workflow_version').notNull(),
    routing: text('routing', { mode: 'json' }).$type<RoutingRecord>(),
    slaPolicy: text('sla_policy'),
    slaConfigVersion: integer('sla_config_version'),
    /** Earliest due time of the running SLA timers, or NO_DUE_AT: the inbox sort key. */
    slaDueAt: integer('sla_due_at').notNull().default(NO_DUE_AT),
    suggestions: text('suggestions', { mode: 'json' }).$type<Suggestion[]>().notNull().default(sql`'[]'`),
    diagnosisMatched: integer('diagnosis_matched', { mode: 'boolean' }).notNull().default(false),
    solution: text('solution'),
    reopenCount: integer('reopen_count').notNull().default(0),
    escalationCount: integer('escalation_count').notNull().default(0),
    /** Optimistic concurrency: bumped by every change. */
    version: integer('version').notNull().default(1),
    createdAt: integer('created_at').notNull(),
    /** Every change of the case, internal ones too (staff views, the inbox). */
    updatedAt: integer('updated_at').notNull(),
    /**
     * The last change its customer sees (CaseContext.record, src/workflow/customer-visible.ts): a
     * public message either way, a status change in their wording, the solution, a new subject,
     * a rating, an offered solution and their answer — never a note, routing, priority, tags, a
     * queue, an assignee or an SLA event. Null while nothing has changed since the request: the
     * customer's `updatedAt` is then `created_at` (CUSTOMER_UPDATED_AT_SQL).
     */
    customerUpdatedAt: integer('customer_updated_at'),
    firstResponseAt: integer('first_response_at'),
    resolvedAt: integer('resolved_at'),
    closedAt: integer('closed_at'),
    /** The case's id in the help desk it was imported from; imports are idempotent by it. */
    externalId: text('external_id'),
    /** When the case was imported (its history keeps its original times); null for live intake. */
    importedAt: integer('imported_at'),
    /**
     * The case this one was merged into (src/cases/merge-case.ts): set once, when it is closed as
     * a duplicate; mail to its thread and its portal page lead there. Null: not merged.
     */
    mergedIntoId: integer('merged_into_id'),
    /**
     * The case's place in the order of changes (`GET /api/v1/cases?updatedSince=`, docs/api.md,
     * *Incremental sync*): a database trigger sets it, on every insert and update of the row, to
     * one more than any case has — in commit order (SQLite commits one writer at a time; on
     * PostgreSQL a deferred trigger takes it under a lock at commit). The code writes it only
     * when the intake inserts a case on SQLite (src/db/change-seq.ts: the next number, sparing
     * the trigger's second write of the row).
     */
    changeSeq: integer('change_seq').notNull().default(0),
  },
  (t) => [
    index('cases_queue_open_due_idx').on(t.queueId, t.open, t.slaDueAt, t.id),
    index('cases_assignee_open_due_idx').on(t.assigneeId, t.open, t.slaDueAt, t.id),
    index('cases_open_due_idx').on(t.open, t.slaDueAt, t.id),
    // A customer's cases, the one they last saw change first (the portal, the agent's customer panel).
    index('cases_customer_updated_idx').on(t.customerId, sql.raw(`(${CUSTOMER_UPDATED_AT_SQL})`), t.open),
    // Partial: the `customer.openCases` fact counts only the customer's open cases (every intake
    // asks), not their whole history — a customer with 10,000 closed cases costs what one with none does.
    index('cases_customer_open_idx').on(t.customerId).where(sql`${t.open} = 1`),
    index('cases_status_idx').on(t.status, t.id),
    index('cases_created_idx').on(t.createdAt),
    // Partial: an open case (every new one) has no entry; queries on resolved_at ranges imply it is not null.
    index('cases_resolved_idx').on(t.resolvedAt).where(sql`${t.resolvedAt} IS NOT NULL`),
    // Partial: a new case (every intake) has no entry; its first response (a public staff reply or
    // a call in which staff spoke with the customer) adds it. First-response time by period (durations.ts).
    index('cases_first_response_idx').on(t.firstResponseAt).where(sql`${t.firstResponseAt} IS NOT NULL`),
    uniqueIndex('cases_external_id_idx').on(t.externalId).where(sql`${t.externalId} IS NOT NULL`),
    // Partial, both: a case has entries only while it waits for an agent. A queue's waiting cases
    // oldest first (a `fifo` queue's order, the wait alerts), and by priority, then oldest (a
    // `priority` queue's order): the fill reads each queue's next case from one of them.
    index('cases_waiting_idx').on(t.queueId, t.waitingSince, t.id).where(sql`${t.waitingSince} IS NOT NULL`),
    index('cases_waiting_rank_idx').on(t.queueId, sql.raw(`(${PRIORITY_RANK_SQL})`), t.waitingSince, t.id).where(sql`${t.waitingSince} IS NOT NULL`),
    index('cases_change_seq_idx').on(t.changeSeq),
  ],
);

export type ActorType = 'system' | 'staff' | 'customer';

/**
 * Timeline types queried by type and time (`WHERE type = '…' AND at …`): the only ones in
 * `case_events_type_at_idx`. A new such query must add its type here (and a migration).
 */
export const TIMED_EVENT_TYPES = ['case.escalated', 'rules.failed', 'sla.breached', 'sla.fulfilled', 'sla.warning'] as const;

/** The append-only case timeline. Types are `entity.verb`, e.g. `case.escalated`. */
export const caseEvents = sqliteTable(
  'case_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    caseId: integer('case_id')
      .notNull()
      .references(() => cases.id),
    type: text('type').notNull(),
    at: integer('at').notNull(),
    actorType: text('actor_type', { enum: ['system', 'staff', 'customer'] }).notNull(),
    actorId: integer('actor_id'),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  },
  (t) => [
    index('case_events_case_idx').on(t.caseId, t.id),
    // Partial: only the types read by time (reports, dashboard, attention; see TIMED_EVENT_TYPES),
    // so the ~10 entries of every intake, each of another type, cost no index pages.
    index('case_events_type_at_idx')
      .on(t.type, t.at)
      .where(sql.raw(TIMED_EVENT_TYPES.map((type) => `"case_events"."type" = '${type}'`).join(' OR '))),
  ],
);

/**
 * Customer satisfaction: a rating belongs to a resolution. One current rating per case
 * (`superseded_at` null; rating again replaces it); a reopen supersedes it, so the customer
 * rates the next resolution, and the earlier rating stays (CSAT counts it when it was given).
 */
export const caseRatings = sqliteTable(
  'case_ratings',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    caseId: integer('case_id')
      .notNull()
      .references(() => cases.id),
    customerId: integer('customer_id')
      .notNull()
      .references(() => customers.id),
    satisfied: integer('satisfied', { mode: 'boolean' }).notNull(),
    comment: text('comment').notNull().default(''),
    createdAt: integer('created_at').notNull(),
    /** When the case was reopened after this rating (it rated an earlier resolution); null: the current rating. */
    supersededAt: integer('superseded_at'),
  },
  (t) => [
    uniqueIndex('case_ratings_current_idx').on(t.caseId).where(sql`superseded_at IS NULL`),
    index('case_ratings_case_idx').on(t.caseId),
    index('case_ratings_created_idx').on(t.createdAt),
  ],
);

export const SLA_METRICS = ['firstResponse', 'nextResponse', 'resolution'] as const;
export type SlaMetric = (typeof SLA_METRICS)[number];
export const TIMER_STATES = ['running', 'paused', 'fulfilled', 'breached'] as const;
export type TimerState = (typeof TIMER_STATES)[number];

/**
 * One SLA timer per case and metric. Business minutes used are accumulated in
 * `used_minutes` whenever the timer stops running; while running, `segment_started_at`
 * marks where the current stretch began and `due_at` / `warn_at` are precomputed.
 */
/**
 * The next instant the SLA sweep has work for a timer: its warning while not yet warned,
 * else (or when earlier) its breach while not yet breached; NULL when neither is pending
 * (paused, fulfilled, warned and breached). `sla_timers_next_idx` indexes this expression
 * (one index entry per counting timer instead of one in each of two indexes); a query uses
 * the index only with the same expression, so every query builds it here (`prefix`: the
 * table's alias with its dot, e.g. `t.`).
 */
export function slaNextAtSql(prefix = ''): string {
  const c = (name: string) => `${prefix}${name}`;
  return `CASE WHEN ${c('warned_at')} IS NULL AND ${c('warn_at')} IS NOT NULL THEN CASE WHEN ${c('breached_at')} IS NULL AND ${c('due_at')} < ${c('warn_at')} THEN ${c('due_at')} ELSE ${c('warn_at')} END WHEN ${c('breached_at')} IS NULL THEN ${c('due_at')} END`;
}

export const slaTimers = sqliteTable(
  'sla_timers',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    caseId: integer('case_id')
      .notNull()
      .references(() => cases.id),
    metric: text('metric', { enum: SLA_METRICS }).notNull(),
    state: text('state', { enum: TIMER_STATES }).notNull(),
    policy: text('policy').notNull(),
    policyVersion: integer('policy_version').notNull(),
    calendar: text('calendar').notNull(),
    targetMinutes: real('target_minutes').notNull(),
    warnOffsetMinutes: real('warn_offset_minutes').notNull(),
    usedMinutes: real('used_minutes').notNull().default(0),
    startedAt: integer('started_at').notNull(),
    segmentStartedAt: integer('segment_started_at'),
    dueAt: integer('due_at'),
    warnAt: integer('warn_at'),
    warnedAt: integer('warned_at'),
    breachedAt: integer('breached_at'),
    fulfilledAt: integer('fulfilled_at'),
    pausedAt: integer('paused_at'),
    pauseReason: text('pause_reason'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('sla_timers_case_metric_idx').on(t.caseId, t.metric),
    index('sla_timers_next_idx').on(sql.raw(`(${slaNextAtSql()})`)).where(sql.raw(`(${slaNextAtSql()}) IS NOT NULL`)),
  ],
);
