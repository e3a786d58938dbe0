/**
 * What changed on a case since a page showed it: the composer carries the newest timeline
 * entry its page was rendered with (`seen`), and a reply or note sent from an older view is
 * held back with this list (other people's replies and notes, state, assignment, priority,
 * tags, subject, calls), so the agent reads it before sending anyway. The viewer's own
 * entries and bookkeeping (SLA ticks, rule runs, mail delivery) do not count.
 */
import type { Handle } from '../db/store/index.js';
import { and, asc, eq, gt } from 'drizzle-orm';
import { all, json } from '../db/store/rows.js';
import type { WorkflowDefinition } from '../workflow/definition.js';

export interface CaseChange {
  id: number;
  type: string;
  text: string;
}

const COUNTED = [
  'customer.replied',
  'staff.replied',
  'staff.noted',
  'case.transitioned',
  'case.assigned',
  'case.unassigned',
  'case.transferred',
  'case.escalated',
  'case.priority_changed',
  'case.tags_changed',
  'case.subject_changed',
  'call.logged',
  'macro.applied',
  'case.solutionAccepted',
  'case.solutionDeclined',
] as const;

interface Row {
  id: number;
  type: string;
  actor_type: string;
  actor_id: number | null;
  /** JSON text on SQLite, parsed on PostgreSQL. */
  data: unknown;
  name: string | null;
}

function describe(r: Row, states: Record<string, string>): string {
  const d = json<Record<string, unknown>>(r.data);
  const who = r.name ?? (typeof d.author === 'string' ? d.author : r.actor_type === 'customer' ? 'The customer' : 'Casebook');
  const s = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : String(v ?? ''));
  switch (r.type) {
    case 'customer.replied':
      return `${who} (the customer) replied`;
    case 'staff.replied':
      return `${who} replied to the customer`;
    case 'staff.noted':
      return `${who} added an internal note`;
    case 'case.transitioned':
      return `${who} moved the case to ${states[s(d.to)] ?? s(d.to)}`;
    case 'case.assigned':
      return `Assigned to ${s(d.assignee)}`;
    case 'case.unassigned':
      return 'Unassigned';
    case 'case.transferred':
    case 'case.escalated':
      return `${r.type === 'case.escalated' ? 'Escalated' : 'Transferred'} to ${s(d.toQueue ?? d.queue ?? d.to)}`;
    case 'case.priority_changed':
      return `${who} changed the priority to ${s(d.to)}`;
    case 'case.tags_changed':
      return `${who} changed the tags`;
    case 'case.subject_changed':
      return `${who} changed the subject to “${s(d.to)}”`;
    case 'call.logged':
      return d.channel === 'walk-in' ? `${who} logged a visit` : 'A phone call was logged';
    case 'macro.applied':
      return `${who} applied the macro “${s(d.macro)}”`;
    default:
      return `${who}: ${r.type}`;
  }
}

/** Changes after entry `seen` by anyone but `viewerStaffId`, oldest first (at most `limit`). */
export async function changesSince(q: Handle, caseId: number, seen: number, viewerStaffId: number | null, states: Record<string, string> = {}, limit = 20): Promise<CaseChange[]> {
  // The limit is written into the SQL (a bound LIMIT makes SQLite prepare the statement again on
  // every call: src/db/fast.ts); a staff entry without an actor id counts, as it did with `IS ?`.
  const rows = await all<Row>(
    q,
    `SELECT e.id, e.type, e.actor_type, e.actor_id, e.data,
            CASE e.actor_type WHEN 'staff' THEN (SELECT name FROM staff WHERE id = e.actor_id) WHEN 'customer' THEN (SELECT name FROM customers WHERE id = e.actor_id) END AS name
     FROM case_events e
     WHERE e.case_id = ? AND e.id > ? AND e.type IN (${COUNTED.map((t) => `'${t}'`).join(', ')})
       AND NOT (e.actor_type = 'staff' AND COALESCE(e.actor_id, -2) = ?)
     ORDER BY e.id LIMIT ${Math.max(1, Math.floor(limit))}`,
    [caseId, seen, viewerStaffId ?? -1],
  );
  return rows.map((r) => ({ id: r.id, type: r.type, text: describe(r, states) }));
}

/** A customer's message the page did not show: who, when, and what they wrote. */
export interface CustomerMessage {
  id: number;
  at: number;
  name: string;
  body: string;
}

/**
 * The customer's messages after entry `seen` (oldest first, at most `limit`): a transition
 * that answers the customer or closes the loop (Resolve, Wait on customer, Close, Escalate)
 * from a page that did not show them is held back (src/http/pages/cases.tsx).
 */
export async function customerMessagesSince(q: Handle, caseId: number, seen: number, limit = 20): Promise<CustomerMessage[]> {
  const { caseEvents, customers } = q.tables;
  const rows = await q.db
    .select({ id: caseEvents.id, at: caseEvents.at, data: caseEvents.data, name: customers.name })
    .from(caseEvents)
    .leftJoin(customers, and(eq(caseEvents.actorType, 'customer'), eq(customers.id, caseEvents.actorId)))
    .where(and(eq(caseEvents.caseId, caseId), gt(caseEvents.id, seen), eq(caseEvents.type, 'customer.replied')))
    .orderBy(asc(caseEvents.id))
    .limit(limit);
  return rows.map((r) => {
    const d = json<Record<string, unknown>>(r.data);
    const author = typeof d.author === 'string' ? d.author : 'The customer';
    return { id: r.id, at: r.at, name: r.name ?? author, body: typeof d.body === 'string' ? d.body : '' };
  });
}

/**
 * A transition that answers the customer or closes the loop: into a state of category pending,
 * resolved or closed, or one that asks for a text (a solution, an escalation's reason). Taken
 * from a view that did not show a customer's newer message, it is held back (the case page's
 * transition forms, the inbox's bulk "Set status").
 */
export function answersOrCloses(workflow: WorkflowDefinition, transition: { to: string; requires?: readonly string[] | undefined }): boolean {
  const category = Object.hasOwn(workflow.states, transition.to) ? workflow.states[transition.to]?.category : undefined;
  return category === 'pending' || category === 'resolved' || category === 'closed' || (transition.requires?.length ?? 0) > 0;
}
