/**
 * The body of a webhook message, in the Standard Webhooks shape `{ type, timestamp, data }`.
 * `data` carries what a CRM or warehouse needs to file the event without calling back: the
 * case (reference, subject, status, queue, priority, tier, assignee, link), the customer
 * (id, email, name, organization, tier, churned, and the CRM record when CRM_LOOKUP_URL
 * knows them) and the event's own part (src/webhooks/events.ts). Built once when the
 * delivery is created: retries and replays send the same bytes.
 */
import { rowById } from '../db/fast.js';
import { cases, customers, staff } from '../db/schema/index.js';
import { caseRef } from '../cases/case-ref.js';
import { storedCrmRecord } from '../crm/records.js';
import type { Services } from '../services.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface WebhookBody {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

export function customerPart(services: Services, customerId: number): Record<string, unknown> | null {
  const c = rowById(services.db, customers, customerId);
  if (!c) return null;
  return {
    id: c.id,
    email: c.email,
    name: c.name,
    organization: c.organization,
    tier: c.tier,
    churned: c.churnedAt !== null,
    churnedAt: iso(c.churnedAt),
    crm: storedCrmRecord(services.db, c.email),
  };
}

export function casePart(services: Services, caseId: number): Record<string, unknown> | null {
  const c = rowById(services.db, cases, caseId);
  if (!c) return null;
  const assignee = c.assigneeId === null ? undefined : rowById(services.db, staff, c.assigneeId);
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

/** The body for a case event; null when the case is gone. */
export function caseEventBody(services: Services, type: string, at: number, caseId: number, entry: { id: number; type: string; actorType: string }, detail: Record<string, unknown>): WebhookBody | null {
  const kase = casePart(services, caseId);
  if (!kase) return null;
  const { customerId, ...caseFields } = kase;
  return {
    type,
    timestamp: new Date(at).toISOString(),
    data: { event: { id: entry.id, timeline: entry.type, actor: entry.actorType }, case: caseFields, customer: customerPart(services, customerId as number), ...detail },
  };
}
