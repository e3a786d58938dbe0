/**
 * The staff JSON shape of a case (`GET /api/v1/cases/:id` for staff tokens) and the pieces
 * the workspace reuses: timeline entries and SLA timers, built from rows read elsewhere
 * (case-read.ts reads them through the storage port). Customers get the customer projection
 * (`customer-view.ts`) instead.
 */
import type { AttachmentView } from '../attachments/read.js';
import type { caseEvents, cases, customers } from '../db/schema/index.js';
import type { CrmFact } from '../crm/records.js';
import { hideNotifyUrls } from '../im/hidden-urls.js';
import { isoTime } from '../text/iso-time.js';
import type { Services } from '../services.js';
import { timerView, type TimerRow, type TimerView } from '../sla/timer-view.js';
import { caseRef } from './case-ref.js';
import type { ChatIdentity } from './chat-identity.js';

export type CaseRow = typeof cases.$inferSelect;

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : isoTime(ms);
}

export interface CaseView {
  id: string;
  subject: string;
  description: string;
  channel: string;
  status: string;
  statusLabel: string;
  open: boolean;
  queue: string;
  priority: string;
  requestedPriority: string;
  tier: number;
  assignee: { id: number; name: string } | null;
  waitingSince: string | null;
  tags: string[];
  skills: string[];
  customer: { id: number; email: string; name: string; tier: string; organization: string | null; phone: string | null; crm: CrmFact | null };
  workflow: { name: string; version: number };
  solution: string | null;
  reopenCount: number;
  escalationCount: number;
  createdAt: string;
  updatedAt: string;
  firstResponseAt: string | null;
  resolvedAt: string | null;
  closedAt: string | null;
  /** The case this one was merged into (src/cases/merge-case.ts), or null. */
  mergedInto: string | null;
  sla: TimerView[];
  slaPolicy: string | null;
  routing: { ruleset: string; version: number; fired: { rule: string; event: unknown }[]; error?: string; defaultQueue?: string; mailbox?: string } | null;
  suggestions: { problemId: number; title: string; score: number }[];
  /** A chat case's visitor: `emailVerified` false when the site did not sign their address (chat-identity.ts); null for other cases. */
  chat: ChatIdentity | null;
  version: number;
}

/**
 * What the command that stored a case holds of its view as committed (intake): the customer,
 * the assignee's name, the SLA timers (oldest first) and the customer's CRM record. With them
 * the answer is built without reading the case's rows back (no read transaction). They are
 * handed to the caller with the row (`CreateCaseOptions.view`), not kept in a table keyed by
 * the row: a WeakMap's values outlive their key by a scavenge and were promoted to the old
 * generation with it, ~1 KiB an intake (docs/performance.md, "New hidden classes").
 */
export interface KnownViewParts {
  customer: typeof customers.$inferSelect;
  assignee: { id: number; name: string } | null;
  timers: TimerRow[];
  crm: CrmFact | null;
}

/** Whether parts a command handed over still fit `row` (its assignee and customer are theirs). */
export function partsFit(row: CaseRow, known: KnownViewParts): boolean {
  return (known.assignee?.id ?? null) === row.assigneeId && known.customer.id === row.customerId;
}

/** What a case's view shows besides the case's own row. */
export interface CaseViewParts {
  customer: typeof customers.$inferSelect;
  assignee: { id: number; name: string } | null;
  /** Oldest first. */
  timers: TimerRow[];
  crm: CrmFact | null;
  chat: ChatIdentity | null;
}

/** The view of `row` with the parts read (PURE but for the clock and the definitions). */
export function buildCaseView(services: Services, row: CaseRow, parts: CaseViewParts): CaseView {
  const { customer, assignee, timers } = parts;
  const workflow = services.definitions.workflow(row.workflow, row.workflowVersion).definition;
  const now = services.clock.now();
  return {
    id: caseRef(row.id),
    subject: row.subject,
    description: row.description,
    channel: row.channel,
    status: row.status,
    statusLabel: workflow.states[row.status]?.label ?? row.status,
    open: row.open,
    queue: row.queueId,
    priority: row.priority,
    requestedPriority: row.requestedPriority,
    tier: row.tier,
    assignee: assignee ?? null,
    waitingSince: iso(row.waitingSince),
    tags: row.tags,
    skills: row.skills,
    customer: {
      id: customer.id,
      email: customer.email,
      name: customer.name,
      tier: customer.tier,
      organization: customer.organization,
      phone: customer.phone,
      crm: parts.crm,
    },
    workflow: { name: row.workflow, version: row.workflowVersion },
    solution: row.solution,
    reopenCount: row.reopenCount,
    escalationCount: row.escalationCount,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
    firstResponseAt: iso(row.firstResponseAt),
    resolvedAt: iso(row.resolvedAt),
    closedAt: iso(row.closedAt),
    mergedInto: row.mergedIntoId === null ? null : caseRef(row.mergedIntoId),
    sla: timers.map((t) => timerView(services, t, now)),
    slaPolicy: row.slaPolicy,
    routing: row.routing
      ? {
          ruleset: row.routing.ruleset,
          version: row.routing.version,
          // Cases routed before notify urls were hidden at evaluation still hold them: hidden here too.
          fired: row.routing.fired.map((f) => ({ rule: f.rule, event: hideNotifyUrls(f.event) })),
          ...(row.routing.error ? { error: row.routing.error } : {}),
          // The intake path's routing hint (a mailbox's default queue) and where it came from.
          ...(row.routing.input?.defaultQueue ? { defaultQueue: row.routing.input.defaultQueue } : {}),
          ...(row.routing.input?.event?.mailbox ? { mailbox: row.routing.input.event.mailbox } : {}),
        }
      : null,
    suggestions: row.suggestions,
    chat: parts.chat,
    version: row.version,
  };
}

export interface TimelineEntry {
  id: number;
  type: string;
  at: string;
  actor: { type: string; id: number | null; name: string };
  data: Record<string, unknown>;
  /** Files that came with the entry (a message, a note, the request, an inbound mail's original). */
  attachments?: AttachmentView[];
}

export type EventRow = typeof caseEvents.$inferSelect;

/** The staff and customers who wrote `rows` (whose names the timeline shows). */
export function actorsOf(rows: readonly Pick<EventRow, 'actorType' | 'actorId'>[]): { staffIds: number[]; customerIds: number[] } {
  const ids = (type: 'staff' | 'customer') => [...new Set(rows.filter((r) => r.actorType === type && r.actorId !== null).map((r) => r.actorId!))];
  return { staffIds: ids('staff'), customerIds: ids('customer') };
}

/** Timeline entries of `rows` with the names read and the files by entry (PURE). */
export function timelineEntries(rows: readonly EventRow[], staffNames: Map<number, string>, customerNames: Map<number, string>, files: Map<number, AttachmentView[]>): TimelineEntry[] {
  return rows.map((r) => ({
    id: r.id,
    type: r.type,
    at: iso(r.at)!,
    actor: {
      type: r.actorType,
      id: r.actorId,
      name:
        r.actorType === 'staff'
          ? (staffNames.get(r.actorId!) ?? 'Staff')
          : r.actorType === 'customer'
            ? (customerNames.get(r.actorId!) ?? 'Customer')
            : ((r.data.via as string | undefined) ?? 'Casebook'),
    },
    // Rules that fired (recorded before notify urls were hidden at evaluation): no webhook URL.
    data: r.type === 'rules.evaluated' || r.type === 'case.routed' ? hideNotifyUrls(r.data) : r.data,
    ...(files.has(r.id) ? { attachments: files.get(r.id)! } : {}),
  }));
}
