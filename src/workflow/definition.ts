/**
 * The workflow definition format (`workflows/*.json`): a state machine as data.
 * See docs/workflows.md for the full description. Behaviour (actions) is plugged in
 * by name from the action registry; this file only knows the shape.
 */
import { z } from 'zod';
import { ROLES } from '../roles.js';
import { SLA_METRICS, type SlaMetric } from '../db/schema/cases.js';

export const STATE_CATEGORIES = ['new', 'open', 'pending', 'resolved', 'closed'] as const;
export type StateCategory = (typeof STATE_CATEGORIES)[number];

/** Input fields a transition can require from whoever invokes it. */
export const TRANSITION_FIELDS = ['solution', 'note', 'reason'] as const;
export type TransitionField = (typeof TRANSITION_FIELDS)[number];

/** Target meaning "the state the case was in before the current one". */
export const PREVIOUS_STATE = '@previous';

/** Events Casebook raises on its own; workflows react to these (`on`, `triggers`). */
export const BUILTIN_EVENTS = [
  'case.created',
  'case.assigned',
  'case.unassigned',
  'case.escalated',
  'case.deescalated',
  'case.reopened',
  'case.resolved',
  'case.closed',
  'case.rated',
  'case.solutionOffered',
  'case.solutionAccepted',
  'case.solutionDeclined',
  'case.priority_changed',
  'case.tags_changed',
  'case.subject_changed',
  'customer.replied',
  'customer.thanked',
  'staff.replied',
  'staff.noted',
  'sla.warning',
  'sla.breached',
  'email.bounced',
] as const;

/**
 * The event rulesets run by a state's `runRuleset` action see (`event.type`, with `state`,
 * `from`, `transition`). Never raised: `on` and `triggers` cannot name it.
 */
export const STATE_ENTERED = 'state.entered';

const name = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'use letters, digits, "-" and "_", starting with a letter');
const eventType = z.string().regex(/^[a-z][a-zA-Z0-9]*\.[a-z][a-zA-Z0-9_]*$/, 'event types look like "entity.verb"');
const DURATION_PART = /(\d+)([dhm])/g;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

/** Calendar duration ("72h", "3d", "1h30m") in milliseconds. */
export function durationMs(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return total;
}

/**
 * The longest a state timer may wait: a year (365d = 8760h = 525600m), whether it counts calendar
 * or business time. Longer is a typo (or `m` for `d`); unbounded, a due time past what the
 * database and the clock can hold (10^12 minutes overflowed PostgreSQL's bigint).
 */
export const MAX_TIMER_DAYS = 365;
export const MAX_TIMER_MS = MAX_TIMER_DAYS * UNIT_MS.d;

/**
 * Calendar time. Zero in any spelling ("0h", "0h0m", "0d0h0m", "") is refused: some part must not
 * be zero; so is longer than MAX_TIMER_DAYS.
 */
const duration = z
  .string()
  .regex(/^(\d+d)?(\d+h)?(\d+m)?$/, { message: 'use a duration such as 72h, 3d or 90m', abort: true })
  .refine((s) => /[1-9]/.test(s), { message: 'must be longer than zero', abort: true })
  .refine((s) => durationMs(s) <= MAX_TIMER_MS, { error: (issue) => `${JSON.stringify(issue.input)} is too long: a state timer waits at most ${MAX_TIMER_DAYS}d (${MAX_TIMER_DAYS * 24}h)` });

export const actionCallSchema = z.looseObject({ action: name });
export type ActionCall = z.infer<typeof actionCallSchema>;

/** Metrics a state may start (`sla.start`): nextResponse starts with each customer message. */
export const STATE_STARTED_METRICS: readonly SlaMetric[] = ['firstResponse', 'resolution'];

/** A state's `sla.start`: only startable metrics, none it also pauses or stops. */
function checkStartedClocks(sla: { start?: SlaMetric[] | undefined; pause?: SlaMetric[] | undefined; stop?: SlaMetric[] | undefined }, ctx: z.RefinementCtx): void {
  sla.start?.forEach((metric, i) => {
    if (!STATE_STARTED_METRICS.includes(metric)) {
      ctx.addIssue({ code: 'custom', path: ['start', i], message: `a state cannot start "${metric}": it starts with each customer message (a state can start ${STATE_STARTED_METRICS.join(' and ')})` });
    } else if (sla.pause?.includes(metric) || sla.stop?.includes(metric)) {
      ctx.addIssue({ code: 'custom', path: ['start', i], message: `"${metric}" is also ${sla.pause?.includes(metric) ? 'paused' : 'stopped'} here: a state cannot start and ${sla.pause?.includes(metric) ? 'pause' : 'stop'} the same clock` });
    }
  });
}

const stateSchema = z.strictObject({
  label: z.string().min(1).optional(),
  /** The state in customer wording (portal, API for customers, mail); falls back to `label`. */
  customerLabel: z.string().min(1).optional(),
  description: z.string().optional(),
  category: z.enum(STATE_CATEGORIES),
  sla: z
    .strictObject({
      /** Metrics whose clocks stand still while the case is in this state. */
      pause: z.array(z.enum(SLA_METRICS)).optional(),
      /** Metrics that are complete in this state (resolution on resolved); leaving resumes them. */
      stop: z.array(z.enum(SLA_METRICS)).optional(),
      /** Metrics whose clocks start on entering this state, not when the case is created (unless it is the initial state). */
      start: z.array(z.enum(SLA_METRICS)).optional(),
    })
    .superRefine(checkStartedClocks)
    .optional(),
  onEnter: z.array(actionCallSchema).optional(),
  onExit: z.array(actionCallSchema).optional(),
  /**
   * Timers started on entering the state, e.g. auto-close after 72h: `after` counts calendar
   * time, or with `businessHours` business time on the calendar of the case's SLA policy.
   */
  timers: z.array(z.strictObject({ after: duration, transition: name, businessHours: z.boolean().optional() })).optional(),
  final: z.boolean().optional(),
});
export type StateDefinition = z.infer<typeof stateSchema>;

/** How long a state timer waits, in words: "after 72h", "after 8h of business hours". */
export function timerAfterText(timer: { after: string; businessHours?: boolean | undefined }): string {
  return timer.businessHours === true ? `after ${timer.after} of business hours` : `after ${timer.after}`;
}

const transitionSchema = z.strictObject({
  label: z.string().min(1).optional(),
  description: z.string().optional(),
  from: z.union([z.literal('*'), z.array(name).min(1)]),
  to: z.string().min(1),
  /** Roles that may invoke it by hand. Without roles it only fires on its `on` events or timers. */
  roles: z.array(z.enum(ROLES)).optional(),
  /** Events that fire it automatically when the case is in one of `from`. */
  on: z.array(eventType).optional(),
  requires: z.array(z.enum(TRANSITION_FIELDS)).optional(),
  /** Fields it accepts without requiring them. Any other field is refused; a solution only from staff. */
  allows: z.array(z.enum(TRANSITION_FIELDS)).optional(),
  /** An event raised after the transition, e.g. `case.reopened`. */
  emits: eventType.optional(),
  actions: z.array(actionCallSchema).optional(),
});
export type TransitionDefinition = z.infer<typeof transitionSchema>;

export const workflowSchema = z.strictObject({
  $schema: z.string().optional(),
  workflow: name,
  description: z.string().optional(),
  initial: name,
  states: z.record(name, stateSchema).refine((s) => Object.keys(s).length > 0, 'a workflow needs at least one state'),
  transitions: z.record(name, transitionSchema),
  /** Event type → rulesets run (in order) when the event happens on a case. */
  triggers: z.record(eventType, z.array(name)).optional(),
});
export type WorkflowDefinition = z.infer<typeof workflowSchema>;
