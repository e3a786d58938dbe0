/**
 * What a case's customer sees of its history, as the unit of work needs to know it (PURE).
 * src/cases/customer-view.ts renders the customer's timeline with these rules; CaseContext.record
 * moves the case's `customer_updated_at` with them, so the times a customer is shown (their
 * `updatedAt`, the portal's *Last update* and order, the live poll's stamp) never tell them when
 * staff worked on the case internally: a note, priority, tags, a queue or an assignee, an SLA
 * event, an escalation to a state they see under the same name.
 */
import type { ActorType } from '../db/schema/cases.js';
import type { WorkflowDefinition } from './definition.js';

/** The timeline entries a customer may see (of `case.transitioned`, those `customerTransition` keeps). */
export const CUSTOMER_EVENTS = [
  'case.created',
  'customer.replied',
  'staff.replied',
  'case.transitioned',
  'case.subject_changed',
  'case.rated',
  'case.solutionOffered',
  'case.solutionAccepted',
  'case.solutionDeclined',
] as const;

const SHOWN: ReadonlySet<string> = new Set(CUSTOMER_EVENTS);

/** The state named `status` in customer wording. */
export function customerLabel(workflow: WorkflowDefinition, status: string): string {
  const state = Object.hasOwn(workflow.states, status) ? workflow.states[status] : undefined;
  return state?.customerLabel ?? state?.label ?? status;
}

function categoryOf(workflow: WorkflowDefinition, status: string): string | null {
  return Object.hasOwn(workflow.states, status) ? (workflow.states[status]?.category ?? null) : null;
}

/**
 * A status change as the customer's timeline shows it: the new state in their wording, with the
 * solution staff gave (only a solution from staff is the case's official one). Null when the
 * wording does not change and no solution came with it (open → escalated is *In progress* both).
 */
export function customerTransition(workflow: WorkflowDefinition, data: Record<string, unknown>, actorType: ActorType): { status: string; solution?: string } | null {
  const to = customerLabel(workflow, String(data.to ?? ''));
  const from = customerLabel(workflow, String(data.from ?? ''));
  const solution = actorType === 'staff' || actorType === 'system' ? data.solution : undefined;
  if (to === from && typeof solution !== 'string') return null;
  return { status: to, ...(typeof solution === 'string' && solution ? { solution } : {}) };
}

/**
 * Whether a timeline entry changes what the customer sees of the case after the request: an
 * entry of their timeline, or a state change that keeps the wording but not the kind of state
 * (their `statusCategory`, `open`). The request itself (`case.created`) is the case's creation
 * time, not a change.
 */
export function changesCustomerView(workflow: WorkflowDefinition, type: string, data: Record<string, unknown>, actorType: ActorType): boolean {
  if (type === 'case.created' || !SHOWN.has(type)) return false;
  if (type !== 'case.transitioned') return true;
  return customerTransition(workflow, data, actorType) !== null || categoryOf(workflow, String(data.from ?? '')) !== categoryOf(workflow, String(data.to ?? ''));
}
