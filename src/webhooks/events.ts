/**
 * The webhook event types and how timeline entries become them (docs/integrations.md lists
 * each payload). One timeline entry may announce several types: a transition into a
 * resolved state is `case.status_changed` and `case.resolved`.
 *
 * Privacy: subscribers are integrations an admin set up (a CRM, a data warehouse, chat-ops),
 * so payloads carry the staff view of a case — but never an internal note's text, a
 * transition note or a reason given with a transition, except in `note.created`, the one
 * event that is staff-only by design and must be subscribed to by name.
 */
import type { StateCategory } from '../workflow/definition.js';

export const WEBHOOK_EVENT_TYPES = [
  'case.created',
  'case.assigned',
  'case.unassigned',
  'case.transferred',
  'case.escalated',
  'case.status_changed',
  'case.resolved',
  'case.closed',
  'case.reopened',
  'case.merged',
  'case.priority_changed',
  'case.updated',
  'case.rated',
  'sla.warning',
  'sla.breached',
  'message.created',
  'note.created',
  'customer.churned',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WEBHOOK_EVENT_DESCRIPTIONS: Record<WebhookEventType, string> = {
  'case.created': 'A case came in (any channel).',
  'case.assigned': 'A case was assigned to an agent.',
  'case.unassigned': 'A case was taken from its agent (by hand, the agent unavailable or deactivated, a move): nobody has it until the next case.assigned.',
  'case.transferred': 'A case moved to another queue of the same or a lower tier.',
  'case.escalated': 'A case was escalated to a higher tier (with the reason).',
  'case.status_changed': 'A case changed workflow state.',
  'case.resolved': 'A case entered a resolved state (with the solution).',
  'case.closed': 'A case entered a closed state.',
  'case.reopened': 'A resolved case was reopened.',
  'case.merged': 'A duplicate case was merged into another (closed, its messages copied there): `merge.into` names the case that goes on.',
  'case.priority_changed': 'A case’s priority changed (by a person or by rules).',
  'case.updated': 'A case’s subject, priority or tags changed (by a person or by rules): which fields, with old and new values.',
  'case.rated': 'The customer rated the help (CSAT).',
  'sla.warning': 'An SLA timer reached its warning time.',
  'sla.breached': 'An SLA timer breached.',
  'message.created': 'A public message: the customer’s or a staff reply (never internal notes).',
  'note.created': 'An internal note (staff-only by design: its text goes to subscribers of this event only).',
  'customer.churned': 'A customer was marked churned (console or churn API).',
};

export interface TimelineEntry {
  id: number;
  type: string;
  data: Record<string, unknown>;
}

/** What an entry announces: webhook types with the event-specific part of their payload. */
export function announce(entry: TimelineEntry, categoryOf: (state: string) => StateCategory | null): { type: WebhookEventType; detail: Record<string, unknown> }[] {
  const d = entry.data;
  const pick = (...keys: string[]) => Object.fromEntries(keys.filter((k) => d[k] !== undefined).map((k) => [k, d[k]]));
  switch (entry.type) {
    case 'case.created':
      return [{ type: 'case.created', detail: {} }];
    case 'case.assigned':
      return [{ type: 'case.assigned', detail: { assignment: pick('assigneeId', 'assignee', 'queue') } }];
    case 'case.unassigned':
      return [{ type: 'case.unassigned', detail: { unassignment: pick('previousAssigneeId', 'reason') } }];
    case 'case.transferred':
      return [{ type: 'case.transferred', detail: { transfer: pick('fromQueue', 'queue', 'tier') } }];
    case 'case.escalated':
      return [{ type: 'case.escalated', detail: { escalation: pick('fromQueue', 'fromTier', 'queue', 'tier', 'reason', 'rule') } }];
    case 'case.reopened':
      return [{ type: 'case.reopened', detail: {} }];
    case 'case.merged':
      return [{ type: 'case.merged', detail: { merge: pick('into', 'messages') } }];
    case 'case.priority_changed':
      return [
        { type: 'case.priority_changed', detail: { change: pick('from', 'to') } },
        { type: 'case.updated', detail: { changes: { priority: pick('from', 'to') }, by: 'staff' } },
      ];
    case 'case.tags_changed':
      return [{ type: 'case.updated', detail: { changes: { tags: pick('from', 'to', 'added', 'removed') }, by: 'staff' } }];
    case 'case.subject_changed':
      return [{ type: 'case.updated', detail: { changes: { subject: pick('from', 'to') }, by: 'staff' } }];
    case 'case.updated':
      return ruleChanges(d);
    case 'case.rated':
      return [{ type: 'case.rated', detail: { rating: pick('satisfied', 'comment') } }];
    case 'sla.warning':
    case 'sla.breached':
      // The timeline keeps dueAt in epoch ms; a payload gives every time as an ISO instant.
      return [{ type: entry.type, detail: { sla: { ...pick('metric', 'policy', 'dueAt', 'minutesLeft', 'overdueMinutes'), ...(typeof d.dueAt === 'number' ? { dueAt: new Date(d.dueAt).toISOString() } : {}) } } }];
    case 'customer.replied':
    case 'staff.replied':
      return [{ type: 'message.created', detail: { message: { id: entry.id, public: true, from: entry.type === 'customer.replied' ? 'customer' : 'staff', ...pick('author', 'body') } } }];
    case 'staff.noted':
      return [{ type: 'note.created', detail: { note: { id: entry.id, ...pick('author', 'body') } } }];
    case 'case.transitioned': {
      const status = { ...pick('transition', 'from', 'to'), category: categoryOf(String(d.to)) };
      const out: { type: WebhookEventType; detail: Record<string, unknown> }[] = [{ type: 'case.status_changed', detail: { status } }];
      if (status.category === 'resolved') out.push({ type: 'case.resolved', detail: { status, ...(typeof d.solution === 'string' ? { solution: d.solution } : {}) } });
      if (status.category === 'closed') out.push({ type: 'case.closed', detail: { status } });
      return out;
    }
    default:
      return [];
  }
}

/**
 * A rule decision's `case.updated` entry (`changes: { field: [from, to] }`, by: "rules"): the
 * priority and tags it changed, in the shape a person's change has. Its other fields (skills,
 * SLA policy) and an SLA re-apply's entry are not announced.
 */
function ruleChanges(d: Record<string, unknown>): { type: WebhookEventType; detail: Record<string, unknown> }[] {
  if (d.by !== 'rules' || typeof d.changes !== 'object' || d.changes === null) return [];
  const raw = d.changes as Record<string, unknown>;
  const pair = (field: string): [unknown, unknown] | null => (Array.isArray(raw[field]) && raw[field].length === 2 ? (raw[field] as [unknown, unknown]) : null);
  const changes: Record<string, unknown> = {};
  const out: { type: WebhookEventType; detail: Record<string, unknown> }[] = [];
  const priority = pair('priority');
  if (priority) {
    changes.priority = { from: priority[0], to: priority[1] };
    out.push({ type: 'case.priority_changed', detail: { change: changes.priority } });
  }
  const tags = pair('tags');
  if (tags && Array.isArray(tags[0]) && Array.isArray(tags[1])) {
    const [from, to] = tags as [unknown[], unknown[]];
    changes.tags = { from, to, added: to.filter((t) => !from.includes(t)), removed: from.filter((t) => !to.includes(t)) };
  }
  if (Object.keys(changes).length === 0) return [];
  return [...out, { type: 'case.updated', detail: { changes, by: 'rules' } }];
}
