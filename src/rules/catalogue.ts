/**
 * What the rule builder offers: the facts and fields rules can read (with labels and
 * types), the operators that fit each type (labels that read as a sentence: "Subject has
 * any of the words …"), and the rule event types with their parameters as fields. Facts,
 * operators and events themselves are defined in facts.ts, operators.ts and definition.ts;
 * this is how people see them.
 */
import { CHANNELS, PRIORITIES, SLA_METRICS, TIMER_STATES } from '../db/schema/cases.js';
import { IM_TARGETS } from '../im/targets.js';
import { NOTIFY_TARGETS, TEMPLATE_NAMES } from '../notifications/templates.js';
import type { RuleEventType } from './definition.js';

/** How a field's values are entered and compared. */
export type FieldType = 'text' | 'choice' | 'number' | 'time' | 'list' | 'boolean';

/** Where the values offered for a field come from (what exists now). */
export type OptionSource = 'queues' | 'tags' | 'skills' | 'policies' | 'tiers' | 'priorities' | 'channels' | 'states' | 'events' | 'metrics' | 'timerStates' | 'templates' | 'notifyTargets';

export interface CatalogueField {
  /** `case.subject`; a fact without fields is its name (`now`). */
  key: string;
  fact: string;
  /** The path as rules write it (`$.subject`); none for a fact read whole. */
  path?: string;
  label: string;
  group: string;
  type: FieldType;
  options?: OptionSource;
}

const field = (group: string, fact: string, name: string | null, label: string, type: FieldType, options?: OptionSource): CatalogueField => ({
  key: name === null ? fact : `${fact}.${name}`,
  fact,
  ...(name === null ? {} : { path: `$.${name}` }),
  label,
  group,
  type,
  ...(options ? { options } : {}),
});

export const CATALOGUE: readonly CatalogueField[] = [
  field('Case', 'case', 'subject', 'Subject', 'text'),
  field('Case', 'case', 'description', 'Description', 'text'),
  field('Case', 'case', 'channel', 'Channel', 'choice', 'channels'),
  field('Case', 'case', 'priority', 'Priority', 'choice', 'priorities'),
  field('Case', 'case', 'tags', 'Tags', 'list', 'tags'),
  field('Case', 'case', 'skills', 'Required skills', 'list', 'skills'),
  field('Case', 'case', 'status', 'State', 'choice', 'states'),
  field('Case', 'case', 'queue', 'Queue', 'choice', 'queues'),
  field('Case', 'case', 'tier', 'Tier', 'number'),
  field('Case', 'case', 'assigned', 'Assigned', 'boolean'),
  field('Case', 'case', 'reopenCount', 'Times reopened', 'number'),
  field('Case', 'case', 'escalationCount', 'Times escalated', 'number'),
  field('Case', 'case', 'createdAt', 'Created', 'time'),
  field('Case', 'case', 'id', 'Reference', 'text'),
  field('Customer', 'customer', 'tier', 'Customer tier', 'choice', 'tiers'),
  field('Customer', 'customer', 'organization', 'Organization', 'text'),
  field('Customer', 'customer', 'email', 'Customer email', 'text'),
  field('Customer', 'customer', 'name', 'Customer name', 'text'),
  field('Customer', 'customer', 'openCases', "Customer's open cases", 'number'),
  field('Customer', 'customer', 'crm.plan', 'CRM plan', 'text'),
  field('Customer', 'customer', 'crm.mrr', 'CRM monthly revenue (MRR)', 'number'),
  field('Customer', 'customer', 'crm.accountOwner', 'CRM account owner', 'text'),
  field('Customer', 'customer', 'crm.churned', 'Churned in the CRM', 'boolean'),
  field('Diagnosis', 'diagnosis', 'matched', 'A known problem matches', 'boolean'),
  field('Diagnosis', 'diagnosis', 'problemId', 'Known problem (id)', 'number'),
  field('Event', 'event', 'type', 'Event', 'choice', 'events'),
  // A case that came in through a console mailbox (docs/email.md): its name, on case.created.
  field('Event', 'event', 'mailbox', 'Mailbox (new cases by mail)', 'text'),
  field('SLA (on SLA events)', 'sla', 'metric', 'SLA metric', 'choice', 'metrics'),
  field('SLA (on SLA events)', 'sla', 'state', 'SLA clock state', 'choice', 'timerStates'),
  field('SLA (on SLA events)', 'sla', 'policy', 'SLA policy', 'choice', 'policies'),
  field('SLA (on SLA events)', 'sla', 'dueAt', 'SLA due', 'time'),
  field('SLA (on SLA events)', 'sla', 'overdueMinutes', 'Minutes overdue', 'number'),
  field('Time', 'now', null, 'Now', 'time'),
  field('Time', 'withinBusinessHours', null, 'Within business hours', 'boolean'),
  // The case's local time in its SLA calendar's zone (intake: the default policy's calendar).
  field('Time', 'localTime', 'hour', 'Local hour (0–23)', 'number'),
  field('Time', 'localTime', 'weekday', 'Local weekday (1 Monday – 7 Sunday)', 'number'),
  field('Time', 'localTime', 'date', 'Local date (YYYY-MM-DD)', 'text'),
];

const BY_KEY = new Map(CATALOGUE.map((f) => [f.key, f]));

/** The catalogue field a condition reads, by its fact and path as written (`$.subject` only, not `$['subject']`). */
export function catalogueField(fact: unknown, path: unknown): CatalogueField | null {
  if (typeof fact !== 'string') return null;
  if (path === undefined) return BY_KEY.get(fact) ?? null;
  if (typeof path !== 'string' || !/^\$\.[A-Za-z][A-Za-z0-9]*$/.test(path)) return null;
  const found = BY_KEY.get(`${fact}.${path.slice(2)}`);
  return found && found.path === path ? found : null;
}

export function catalogueFieldByKey(key: string): CatalogueField | null {
  return BY_KEY.get(key) ?? null;
}

/** What the value of an operator is: one value, or a list of them. */
export type ValueShape = 'single' | 'list';

export interface OperatorChoice {
  operator: string;
  label: string;
  value: ValueShape;
}

const op = (operator: string, label: string, value: ValueShape = 'single'): OperatorChoice => ({ operator, label, value });

export const OPERATORS_BY_TYPE: Readonly<Record<FieldType, readonly OperatorChoice[]>> = {
  text: [
    op('textHasAnyWord', 'has any of the words', 'list'),
    op('textHasWord', 'has the word'),
    op('textContainsAny', 'contains any of', 'list'),
    op('textContains', 'contains'),
    op('equal', 'is exactly'),
    op('notEqual', 'is not exactly'),
    op('in', 'is one of', 'list'),
    op('notIn', 'is none of', 'list'),
  ],
  choice: [op('equal', 'is'), op('notEqual', 'is not'), op('in', 'is one of', 'list'), op('notIn', 'is none of', 'list')],
  number: [
    op('equal', 'is'),
    op('notEqual', 'is not'),
    op('lessThan', 'is less than'),
    op('lessThanInclusive', 'is at most'),
    op('greaterThan', 'is more than'),
    op('greaterThanInclusive', 'is at least'),
    op('in', 'is one of', 'list'),
    op('notIn', 'is none of', 'list'),
  ],
  time: [op('lessThan', 'is before'), op('lessThanInclusive', 'is at or before'), op('greaterThan', 'is after'), op('greaterThanInclusive', 'is at or after')],
  list: [op('contains', 'includes'), op('doesNotContain', 'does not include')],
  boolean: [op('equal', 'is'), op('notEqual', 'is not')],
};

export function operatorChoice(type: FieldType, operator: unknown): OperatorChoice | null {
  return OPERATORS_BY_TYPE[type].find((o) => o.operator === operator) ?? null;
}

/** One parameter of a rule event as a form field. */
export interface ParamField {
  name: string;
  label: string;
  kind: 'choice' | 'list' | 'number' | 'text';
  required: boolean;
  options?: OptionSource;
}

export interface EventChoice {
  type: RuleEventType;
  label: string;
  params: ParamField[];
}

export const EVENT_CHOICES: readonly EventChoice[] = [
  { type: 'route', label: 'route to queue', params: [{ name: 'queue', label: 'Queue', kind: 'choice', required: true, options: 'queues' }] },
  { type: 'setPriority', label: 'set the priority to', params: [{ name: 'priority', label: 'Priority', kind: 'choice', required: true, options: 'priorities' }] },
  { type: 'addTags', label: 'add tags', params: [{ name: 'tags', label: 'Tags', kind: 'list', required: true, options: 'tags' }] },
  { type: 'requireSkills', label: 'require skills', params: [{ name: 'skills', label: 'Skills', kind: 'list', required: true, options: 'skills' }] },
  { type: 'applySlaPolicy', label: 'apply the SLA policy', params: [{ name: 'policy', label: 'SLA policy', kind: 'choice', required: true, options: 'policies' }] },
  {
    type: 'escalate',
    label: 'escalate to tier',
    params: [
      { name: 'tier', label: 'Tier', kind: 'number', required: true },
      { name: 'queue', label: 'Queue (optional)', kind: 'choice', required: false, options: 'queues' },
      { name: 'reason', label: 'Reason (optional)', kind: 'text', required: false },
    ],
  },
  {
    type: 'notify',
    label: 'notify',
    params: [
      { name: 'to', label: 'Whom', kind: 'choice', required: true, options: 'notifyTargets' },
      { name: 'template', label: 'Mail', kind: 'choice', required: true, options: 'templates' },
      { name: 'url', label: 'Incoming-webhook URL (slack, teams; empty: the queue’s)', kind: 'text', required: false },
    ],
  },
  { type: 'offerSolution', label: 'offer the known solution to the customer', params: [] },
];

export function eventChoice(type: unknown): EventChoice | null {
  return EVENT_CHOICES.find((e) => e.type === type) ?? null;
}

/** Option lists that do not depend on the database. */
export const FIXED_OPTIONS: Partial<Record<OptionSource, readonly string[]>> = {
  priorities: PRIORITIES,
  channels: CHANNELS,
  metrics: SLA_METRICS,
  timerStates: TIMER_STATES,
  templates: TEMPLATE_NAMES,
  notifyTargets: [...NOTIFY_TARGETS, ...IM_TARGETS],
};

/** Option lists by source, as the builder offers them (value and label). */
export type Options = Record<OptionSource, { value: string; label: string }[]>;
