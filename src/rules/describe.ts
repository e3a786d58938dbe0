/**
 * Rules as readable sentences for the rules console:
 * "if the customer's tier is enterprise and the priority is urgent or high → escalate to
 * tier 2 (advanced): Urgent request from an enterprise customer".
 */
import type { RuleCondition, RuleJson } from './definition.js';
import { own } from '../own.js';
import { parsePlainPath } from './path.js';

const FIELD_LABELS: Record<string, string> = {
  'case.subject': 'the subject',
  'case.description': 'the description',
  'case.channel': 'the channel',
  'case.priority': 'the priority',
  'case.tags': 'the tags',
  'case.skills': 'the required skills',
  'case.status': 'the status',
  'case.tier': 'the tier',
  'case.queue': 'the queue',
  'case.assigned': 'assigned',
  'case.reopenCount': 'the number of reopens',
  'case.escalationCount': 'the number of escalations',
  'case.createdAt': 'the creation time',
  'customer.email': "the customer's email",
  'customer.name': "the customer's name",
  'customer.tier': "the customer's tier",
  'customer.organization': "the customer's organization",
  'customer.openCases': "the customer's open cases",
  'diagnosis.matched': 'a known problem matches',
  'diagnosis.problemId': 'the matching known problem',
  'event.type': 'the event',
  'event.mailbox': 'the mailbox',
  'sla.metric': 'the SLA metric',
  'sla.state': 'the SLA state',
  'sla.policy': 'the SLA policy',
  'sla.overdueMinutes': 'the minutes overdue',
  now: 'now',
  withinBusinessHours: 'within business hours',
  'case.id': 'the reference',
  'customer.crm.plan': "the customer's CRM plan",
  'customer.crm.mrr': "the customer's monthly revenue (MRR) in the CRM",
  'customer.crm.accountOwner': "the customer's account owner in the CRM",
  'customer.crm.churned': 'churned in the CRM',
  'sla.dueAt': 'the SLA due time',
  'localTime.hour': 'the local hour',
  'localTime.minute': 'the local minute',
  'localTime.weekday': 'the local weekday',
  'localTime.date': 'the local date',
  'localTime.zone': 'the local time zone',
};

/** Facts whose numbers are instants (epoch ms): shown as UTC times, compared as before / after. */
const TIMES = new Set(['now', 'case.createdAt', 'sla.dueAt']);
/** Facts whose values are numbers or true / false: a text value there is shown quoted (it never matches them). */
const TYPED = new Set(['case.tier', 'case.assigned', 'case.reopenCount', 'case.escalationCount', 'customer.openCases', 'diagnosis.matched', 'diagnosis.problemId', 'sla.overdueMinutes', 'withinBusinessHours', 'localTime.hour', 'localTime.minute', 'localTime.weekday', ...TIMES]);
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "1 Mar 2026, 10:00 UTC". */
function utcTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return String(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

function keyOf(fact: string, path: string | undefined): string {
  const parsed = path ? parsePlainPath(path) : null;
  return !path ? fact : parsed?.ok ? [fact, ...parsed.keys].join('.') : `${fact}.${path.replace(/^\$\.?/, '')}`;
}

function subject(fact: string, path: string | undefined): string {
  return own(FIELD_LABELS, keyOf(fact, path)) ?? (path ? `${fact} ${path}` : fact);
}

/** A value as the field it is compared with reads it: times in UTC, weekdays by name, text where a number belongs in quotes. */
function showFor(key: string, value: unknown): string {
  if (typeof value === 'number' && TIMES.has(key)) return utcTime(value);
  if (typeof value === 'number' && key === 'localTime.weekday' && Number.isInteger(value) && value >= 1 && value <= 7) return WEEKDAYS[value - 1]!;
  if (typeof value === 'string' && (TYPED.has(key) || value === '')) return JSON.stringify(value);
  return show(value);
}

function listFor(key: string, values: unknown, joiner: 'or' | 'and'): string {
  if (!Array.isArray(values)) return showFor(key, values);
  const shown = values.map((v) => showFor(key, v));
  return shown.length <= 1 ? (shown[0] ?? 'nothing') : `${shown.slice(0, -1).join(', ')} ${joiner} ${shown.at(-1)}`;
}

function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && 'fact' in value) {
    const ref = value as { fact: string; path?: string };
    return subject(ref.fact, ref.path);
  }
  return JSON.stringify(value);
}

function list(values: unknown, joiner: 'or' | 'and'): string {
  if (!Array.isArray(values)) return show(values);
  const shown = values.map(show);
  return shown.length <= 1 ? (shown[0] ?? 'nothing') : `${shown.slice(0, -1).join(', ')} ${joiner} ${shown.at(-1)}`;
}

function quoted(values: unknown): string {
  return Array.isArray(values) ? values.map((v) => `“${String(v)}”`).join(', ') : `“${String(values)}”`;
}

function leaf(c: RuleCondition): string {
  const fact = String(c.fact);
  const what = subject(fact, c.path);
  const key = keyOf(fact, c.path);
  const v = c.value;
  const one = (value: unknown) => showFor(key, value);
  if (TIMES.has(key) && typeof v === 'number') {
    const before = { lessThan: 'is before', lessThanInclusive: 'is at or before', greaterThan: 'is after', greaterThanInclusive: 'is at or after' } as Record<string, string>;
    if (c.operator && own(before, c.operator)) return `${what} ${before[c.operator]} ${one(v)}`;
  }
  // Boolean facts read better as statements.
  if ((fact === 'withinBusinessHours' || (fact === 'diagnosis' && c.path === '$.matched') || (fact === 'case' && c.path === '$.assigned')) && typeof v === 'boolean') {
    const positive = (c.operator === 'equal') === v;
    if (fact === 'withinBusinessHours') return positive ? 'it is within business hours' : 'it is outside business hours';
    if (fact === 'diagnosis') return positive ? 'a known problem matches' : 'no known problem matches';
    return positive ? 'the case is assigned' : 'the case is unassigned';
  }
  switch (c.operator) {
    case 'equal':
      return `${what} is ${one(v)}`;
    case 'notEqual':
      return `${what} is not ${one(v)}`;
    case 'in':
      return `${what} is ${listFor(key, v, 'or')}`;
    case 'notIn':
      return `${what} is not ${listFor(key, v, 'or')}`;
    case 'contains':
      return `${what} include ${one(v)}`;
    case 'doesNotContain':
      return `${what} do not include ${one(v)}`;
    case 'lessThan':
      return `${what} is less than ${one(v)}`;
    case 'lessThanInclusive':
      return `${what} is at most ${one(v)}`;
    case 'greaterThan':
      return `${what} is more than ${one(v)}`;
    case 'greaterThanInclusive':
      return `${what} is at least ${one(v)}`;
    case 'textContains':
      return `${what} contains ${quoted(v)}`;
    case 'textContainsAny':
      return `${what} contains any of ${quoted(v)}`;
    case 'textHasWord':
      return `${what} has the word ${quoted(v)}`;
    case 'textHasAnyWord':
      return `${what} has any of the words ${quoted(v)}`;
    default:
      return `${what} ${c.operator} ${one(v)}`;
  }
}

export function describeCondition(c: RuleCondition, nested = false): string {
  const wrap = (text: string, many: boolean) => (nested && many ? `(${text})` : text);
  if (c.all) return c.all.length === 0 ? 'always' : wrap(c.all.map((x) => describeCondition(x, true)).join(' and '), c.all.length > 1);
  if (c.any) return c.any.length === 0 ? 'always' : wrap(c.any.map((x) => describeCondition(x, true)).join(' or '), c.any.length > 1);
  if (c.not) {
    const inner = describeCondition(c.not, true);
    return inner === 'always' ? 'never' : `not ${inner}`;
  }
  if (c.condition !== undefined) return `the shared condition ${quoted(c.condition)}`;
  return leaf(c);
}

export function describeEvent(event: RuleJson['event']): string {
  const p = (event.params ?? {}) as Record<string, unknown>;
  switch (event.type) {
    case 'route':
      return `route to ${show(p.queue)}`;
    case 'setPriority':
      return `set the priority to ${show(p.priority)}`;
    case 'addTags':
      return `tag it ${list(p.tags, 'and')}`;
    case 'requireSkills':
      return `require the skill${Array.isArray(p.skills) && p.skills.length > 1 ? 's' : ''} ${list(p.skills, 'and')}`;
    case 'applySlaPolicy':
      return `apply the SLA policy ${show(p.policy)}`;
    case 'escalate':
      return `escalate to tier ${show(p.tier)}${p.queue ? ` (${show(p.queue)})` : ''}${p.reason ? `: ${show(p.reason)}` : ''}`;
    case 'offerSolution':
      return 'offer the known solution to the customer';
    case 'notify':
      if (p.to === 'slack' || p.to === 'teams') return `post to ${String(p.to)}${p.url ? ` (${show(p.url)})` : ' (the queue’s webhook)'} (${show(p.template)})`;
      return `notify ${p.to === 'customer' || p.to === 'assignee' || p.to === 'queue' || p.to === 'managers' ? `the ${String(p.to)}` : show(p.to)} (${show(p.template)})`;
    default:
      return `${event.type} ${JSON.stringify(p)}`;
  }
}

export function describeRule(rule: RuleJson): string {
  const when = describeCondition(rule.conditions);
  return `${rule.enabled === false ? '(switched off) ' : ''}${when === 'always' || when === 'never' ? when : `if ${when}`} → ${describeEvent(rule.event)}`;
}
