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
  'sla.metric': 'the SLA metric',
  'sla.state': 'the SLA state',
  'sla.policy': 'the SLA policy',
  'sla.overdueMinutes': 'the minutes overdue',
  now: 'now',
  withinBusinessHours: 'within business hours',
};

function subject(fact: string, path: string | undefined): string {
  const parsed = path ? parsePlainPath(path) : null;
  const key = !path ? fact : parsed?.ok ? [fact, ...parsed.keys].join('.') : `${fact}.${path.replace(/^\$\.?/, '')}`;
  return own(FIELD_LABELS, key) ?? (path ? `${fact} ${path}` : fact);
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
  const v = c.value;
  // Boolean facts read better as statements.
  if ((fact === 'withinBusinessHours' || (fact === 'diagnosis' && c.path === '$.matched') || (fact === 'case' && c.path === '$.assigned')) && typeof v === 'boolean') {
    const positive = (c.operator === 'equal') === v;
    if (fact === 'withinBusinessHours') return positive ? 'it is within business hours' : 'it is outside business hours';
    if (fact === 'diagnosis') return positive ? 'a known problem matches' : 'no known problem matches';
    return positive ? 'the case is assigned' : 'the case is unassigned';
  }
  switch (c.operator) {
    case 'equal':
      return `${what} is ${show(v)}`;
    case 'notEqual':
      return `${what} is not ${show(v)}`;
    case 'in':
      return `${what} is ${list(v, 'or')}`;
    case 'notIn':
      return `${what} is not ${list(v, 'or')}`;
    case 'contains':
      return `${what} include ${show(v)}`;
    case 'doesNotContain':
      return `${what} do not include ${show(v)}`;
    case 'lessThan':
      return `${what} is less than ${show(v)}`;
    case 'lessThanInclusive':
      return `${what} is at most ${show(v)}`;
    case 'greaterThan':
      return `${what} is more than ${show(v)}`;
    case 'greaterThanInclusive':
      return `${what} is at least ${show(v)}`;
    case 'textContains':
      return `${what} contains ${quoted(v)}`;
    case 'textContainsAny':
      return `${what} contains any of ${quoted(v)}`;
    case 'textHasWord':
      return `${what} has the word ${quoted(v)}`;
    case 'textHasAnyWord':
      return `${what} has any of the words ${quoted(v)}`;
    default:
      return `${what} ${c.operator} ${show(v)}`;
  }
}

export function describeCondition(c: RuleCondition, nested = false): string {
  const wrap = (text: string, many: boolean) => (nested && many ? `(${text})` : text);
  if (c.all) return c.all.length === 0 ? 'always' : wrap(c.all.map((x) => describeCondition(x, true)).join(' and '), c.all.length > 1);
  if (c.any) return c.any.length === 0 ? 'always' : wrap(c.any.map((x) => describeCondition(x, true)).join(' or '), c.any.length > 1);
  if (c.not) return `not ${describeCondition(c.not, true)}`;
  if (c.condition) return `condition ${c.condition}`;
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
  return `${rule.enabled === false ? '(switched off) ' : ''}${when === 'always' ? 'always' : `if ${when}`} → ${describeEvent(rule.event)}`;
}
