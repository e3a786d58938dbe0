/**
 * The one customer projection of a case, used by the portal, the API (customer tokens) and
 * every mail to the customer: the status in customer wording (`customerLabel` in the
 * workflow), their messages and staff public replies, the solution, their rating. Built
 * field by field from what may be shown — never by removing internals from the staff view,
 * so a column added to cases later stays internal until someone adds it here.
 */
import type { caseEvents, caseRatings } from '../db/schema/index.js';
import type { Services } from '../services.js';
import type { StateCategory, WorkflowDefinition } from '../workflow/definition.js';
import { availableTransitions } from '../workflow/transition.js';
import { CUSTOMER_EVENTS, customerLabel, customerTransition } from '../workflow/customer-visible.js';
import { caseRef } from './case-ref.js';
import { iso, type CaseRow } from './case-view.js';
import type { SolutionOffer } from './solution-offer.js';

export interface CustomerStatus {
  /** The state in customer wording. */
  status: string;
  /** What kind of state it is: new, open, pending (waiting on the customer), resolved, closed. */
  statusCategory: StateCategory | null;
  open: boolean;
}

export interface CustomerCaseSummary extends CustomerStatus {
  id: string;
  subject: string;
  createdAt: string;
  updatedAt: string;
}

export interface CustomerCaseView extends CustomerCaseSummary {
  description: string;
  solution: string | null;
  resolvedAt: string | null;
  closedAt: string | null;
  /** Their case this one was merged into; null when not merged or merged into a case that is not theirs (never revealed). */
  mergedInto: string | null;
  rating: { satisfied: boolean; comment: string; ratedAt: string } | null;
  /** What the customer may do now (e.g. mark as solved, reopen). */
  transitions: { name: string; label: string }[];
  /** The known problem's solution offered to the customer, and their answer (`open` until they give one). */
  offer: { title: string; solution: string; answer: SolutionOffer['answer'] } | null;
}

/** A file the customer may see and download (`/cases/:ref/attachments/:id`, `/api/v1/cases/:ref/attachments/:id`). */
export interface CustomerAttachment {
  id: number;
  name: string;
  size: number;
  mediaType: string;
}

export type CustomerTimelineEntry =
  | { id: number; type: 'case.created'; at: string; attachments?: CustomerAttachment[] }
  | {
      id: number;
      type: 'customer.replied' | 'staff.replied';
      at: string;
      author: { type: 'customer' | 'staff'; name: string; you: boolean };
      body: string;
      attachments?: CustomerAttachment[];
    }
  | { id: number; type: 'case.transitioned'; at: string; status: string; solution?: string }
  | { id: number; type: 'case.subject_changed'; at: string; subject: string }
  | { id: number; type: 'case.rated'; at: string; satisfied: boolean; comment: string }
  | { id: number; type: 'case.solutionOffered'; at: string; title: string; solution: string }
  | { id: number; type: 'case.solutionAccepted' | 'case.solutionDeclined'; at: string; title: string };

export { customerLabel };

function workflowOf(services: Services, row: Pick<CaseRow, 'workflow' | 'workflowVersion'>): WorkflowDefinition {
  return services.definitions.workflow(row.workflow, row.workflowVersion).definition;
}

export function customerStatus(services: Services, row: CaseRow): CustomerStatus {
  const workflow = workflowOf(services, row);
  return { status: customerLabel(workflow, row.status), statusCategory: workflow.states[row.status]?.category ?? null, open: row.open };
}

/**
 * `updatedAt` is the last change the customer sees (`customer_updated_at`, else the request's
 * time), never the row's `updated_at`: that one moves with internal work too.
 */
export function customerCaseSummary(services: Services, row: CaseRow): CustomerCaseSummary {
  return { id: caseRef(row.id), subject: row.subject, ...customerStatus(services, row), createdAt: iso(row.createdAt)!, updatedAt: iso(row.customerUpdatedAt ?? row.createdAt)! };
}

/** The customer's view of `row` with its rating and offer read (PURE but for the definitions). */
export function buildCustomerCaseView(
  services: Services,
  row: CaseRow,
  rating: typeof caseRatings.$inferSelect | undefined,
  offer: SolutionOffer | null,
  mergedInto: number | null = null,
): CustomerCaseView {
  const workflow = workflowOf(services, row);
  return {
    ...customerCaseSummary(services, row),
    description: row.description,
    solution: row.solution,
    resolvedAt: iso(row.resolvedAt),
    closedAt: iso(row.closedAt),
    mergedInto: mergedInto === null ? null : caseRef(mergedInto),
    rating: rating ? { satisfied: rating.satisfied, comment: rating.comment, ratedAt: iso(rating.createdAt)! } : null,
    transitions: availableTransitions(workflow, row, 'customer').map((t) => ({ name: t.name, label: t.label })),
    offer: offer ? { title: offer.title, solution: offer.solution, answer: offer.answer } : null,
  };
}

/**
 * The files the customer sees: those of their request, of their own messages and of staff
 * public replies, never of internal notes (nor mail flagged for review, a note too), and never
 * a raw original mail. By the entry they came with.
 */
export const CUSTOMER_ATTACHMENT_EVENTS = ['case.created', 'customer.replied', 'staff.replied'] as const;

/** The customer's files by the entry they came with (PURE). */
export function customerFiles(rows: readonly { id: number; event_id: number; file_name: string; size: number; media_type: string }[]): Map<number, CustomerAttachment[]> {
  const out = new Map<number, CustomerAttachment[]>();
  for (const r of rows) {
    const file = { id: r.id, name: r.file_name, size: r.size, mediaType: r.media_type };
    const list = out.get(r.event_id);
    if (list) list.push(file);
    else out.set(r.event_id, [file]);
  }
  return out;
}

export { CUSTOMER_EVENTS };

/**
 * The case's history as the customer sees it, oldest first: the request, the public
 * conversation, status changes in customer wording (only those that change the wording;
 * with the solution when staff gave one), a new subject, ratings. Never notes, mentions,
 * reasons, transition names, routing, priority, tags, SLA or assignment. `viewerId` marks the customer's own messages.
 * Built here from the rows read (PURE but for the definitions); case-read.ts reads them through
 * the storage port (`readCustomerTimeline`).
 */
export function customerTimelineOf(
  services: Services,
  row: CaseRow,
  viewerId: number | null,
  events: readonly (typeof caseEvents.$inferSelect)[],
  staffNames: Map<number, string>,
  customerNames: Map<number, string>,
  files: Map<number, CustomerAttachment[]>,
): CustomerTimelineEntry[] {
  const workflow = workflowOf(services, row);
  const filesOf = (id: number) => (files.has(id) ? { attachments: files.get(id)! } : {});
  const out: CustomerTimelineEntry[] = [];
  for (const e of events) {
    const at = iso(e.at)!;
    const d = e.data;
    switch (e.type) {
      case 'case.created':
        // Intake records case.created with its details once; the bare copy is for subscribers.
        if (d.channel !== undefined) out.push({ id: e.id, type: 'case.created', at, ...filesOf(e.id) });
        break;
      case 'customer.replied': {
        // Mail from someone copied on the case is filed under the case's customer, with `from`
        // its sender: theirs, not "You wrote" on the customer's page.
        const copied = typeof d.from === 'string' && d.from !== '' ? d.from : null;
        out.push({
          id: e.id,
          type: 'customer.replied',
          at,
          author: copied
            ? { type: 'customer', name: copied, you: false }
            : { type: 'customer', name: customerNames.get(e.actorId ?? -1) ?? 'Customer', you: e.actorType === 'customer' && e.actorId === viewerId },
          body: String(d.body ?? ''),
          ...filesOf(e.id),
        });
        break;
      }
      case 'staff.replied':
        out.push({ id: e.id, type: 'staff.replied', at, author: { type: 'staff', name: staffNames.get(e.actorId ?? -1) ?? 'Support', you: false }, body: String(d.body ?? ''), ...filesOf(e.id) });
        break;
      case 'case.transitioned': {
        const shown = customerTransition(workflow, d, e.actorType);
        if (shown) out.push({ id: e.id, type: 'case.transitioned', at, ...shown });
        break;
      }
      case 'case.subject_changed':
        // The subject is the customer's to read; who changed it and the old one are not needed.
        out.push({ id: e.id, type: 'case.subject_changed', at, subject: String(d.to ?? '') });
        break;
      case 'case.rated':
        out.push({ id: e.id, type: 'case.rated', at, satisfied: d.satisfied === true, comment: String(d.comment ?? '') });
        break;
      case 'case.solutionOffered':
        out.push({ id: e.id, type: 'case.solutionOffered', at, title: String(d.title ?? ''), solution: String(d.solution ?? '') });
        break;
      case 'case.solutionAccepted':
      case 'case.solutionDeclined':
        out.push({ id: e.id, type: e.type, at, title: String(d.title ?? '') });
        break;
    }
  }
  return out;
}
