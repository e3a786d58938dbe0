/**
 * The body of a webhook message, in the Standard Webhooks shape `{ type, timestamp, data }`.
 * `data` carries what a CRM or warehouse needs to file the event without calling back: the
 * case (reference, subject, status, queue, priority, tier, assignee, link), the customer
 * (id, email, name, organization, tier, churned, and the CRM record when CRM_LOOKUP_URL
 * knows them) and the event's own part (src/webhooks/events.ts). Built once when the
 * delivery is created: retries and replays send the same bytes.
 */
import { eq } from 'drizzle-orm';
import { customers, type cases, type staff } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { caseRef } from '../cases/case-ref.js';
import { crmRecordOn, type CrmFact } from '../crm/records.js';
import type { Services } from '../services.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface WebhookBody {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

type CustomerRow = typeof customers.$inferSelect;
type CaseRow = typeof cases.$inferSelect;
type StaffRow = typeof staff.$inferSelect;

function customerFields(c: CustomerRow, crm: CrmFact | null): Record<string, unknown> {
  return {
    id: c.id,
    email: c.email,
    name: c.name,
    organization: c.organization,
    tier: c.tier,
    churned: c.churnedAt !== null,
    churnedAt: iso(c.churnedAt),
    crm,
  };
}


/** The customer part, read with `q` (the storage port). */
export async function customerPartIn(q: Handle, customerId: number): Promise<Record<string, unknown> | null> {
  const [c] = await q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, customerId)).limit(1);
  return c ? customerFields(c, await crmRecordOn(q, c.email)) : null;
}

function caseFields(services: Services, c: CaseRow, assignee: StaffRow | undefined): Record<string, unknown> {
  return {
    id: caseRef(c.id),
    subject: c.subject,
    channel: c.channel,
    status: c.status,
    open: c.open,
    queue: c.queueId,
    priority: c.priority,
    tier: c.tier,
    tags: c.tags,
    assignee: assignee ? { id: assignee.id, name: assignee.name, email: assignee.email } : null,
    createdAt: iso(c.createdAt),
    resolvedAt: iso(c.resolvedAt),
    url: `${services.publicUrl}/cases/${caseRef(c.id)}`,
    customerId: c.customerId,
  };
}

export async function casePart(q: Handle, services: Services, caseId: number): Promise<Record<string, unknown> | null> {
  const [c] = await q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, caseId)).limit(1);
  if (!c) return null;
  const [assignee] = c.assigneeId === null ? [] : await q.db.select().from(q.tables.staff).where(eq(q.tables.staff.id, c.assigneeId)).limit(1);
  return caseFields(services, c, assignee);
}

/** The body for a case event; null when the case is gone. */
export async function caseEventBody(
  q: Handle,
  services: Services,
  type: string,
  at: number,
  caseId: number,
  entry: { id: number; type: string; actorType: string },
  detail: Record<string, unknown>,
): Promise<WebhookBody | null> {
  const kase = await casePart(q, services, caseId);
  if (!kase) return null;
  const { customerId, ...caseFields } = kase;
  const customer = await customerPartIn(q, customerId as number);
  return {
    type,
    timestamp: new Date(at).toISOString(),
    data: { event: { id: entry.id, timeline: entry.type, actor: entry.actorType }, case: caseFields, customer, ...(await withPreviousAssignee(q, withAuthor(detail, customer))) },
  };
}

/** An unassignment names the agent it took the case from, as an assignment names its agent (the timeline entry keeps only the id). */
async function withPreviousAssignee(q: Handle, detail: Record<string, unknown>): Promise<Record<string, unknown>> {
  const unassignment = detail.unassignment as Record<string, unknown> | undefined;
  if (!unassignment || typeof unassignment.previousAssigneeId !== 'number') return detail;
  const [member] = await q.db.select({ name: q.tables.staff.name }).from(q.tables.staff).where(eq(q.tables.staff.id, unassignment.previousAssigneeId)).limit(1);
  return { ...detail, unassignment: { previousAssigneeId: unassignment.previousAssigneeId, previousAssignee: member?.name ?? null, reason: unassignment.reason ?? null } };
}

/** A customer's message names its author as a staff reply does: the customer's name (their timeline entry does not carry it). */
function withAuthor(detail: Record<string, unknown>, customer: Record<string, unknown> | null): Record<string, unknown> {
  const message = detail.message as Record<string, unknown> | undefined;
  if (!message || message.from !== 'customer' || message.author !== undefined) return detail;
  return { ...detail, message: { ...message, author: customer?.name ?? null } };
}
