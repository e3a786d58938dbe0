/**
 * What mail about a case reads of it, with a handle of the storage port: the customer's
 * timeline (the projection of src/cases/customer-view.ts, `customerTimelineOf`), the latest
 * solution offer. The same SQL on both dialects.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { CaseRow } from '../cases/case-view.js';
import { CUSTOMER_ATTACHMENT_EVENTS, CUSTOMER_EVENTS, customerFiles, customerTimelineOf, type CustomerTimelineEntry } from '../cases/customer-view.js';
import { OFFER_EVENTS, offerOf, type SolutionOffer } from '../cases/solution-offer.js';
import type { Handle } from '../db/store/index.js';
import { all } from '../db/store/rows.js';
import type { Services } from '../services.js';

const FILES = `SELECT a.id, a.event_id, a.file_name, a.size, a.media_type FROM attachments a JOIN case_events e ON e.id = a.event_id
  WHERE a.case_id = ? AND a.kind != 'original-mail' AND e.type IN (${CUSTOMER_ATTACHMENT_EVENTS.map((t) => `'${t}'`).join(', ')}) ORDER BY a.id`;

/** The case's history as its customer sees it (`customerTimeline`), read with `q`. */
export async function customerTimelineIn(q: Handle, services: Services, row: CaseRow): Promise<CustomerTimelineEntry[]> {
  const { caseEvents, staff, customers } = q.tables;
  const events = await q.db
    .select()
    .from(caseEvents)
    .where(and(eq(caseEvents.caseId, row.id), inArray(caseEvents.type, CUSTOMER_EVENTS)))
    .orderBy(asc(caseEvents.id));
  const ids = (type: 'staff' | 'customer') => [...new Set(events.filter((e) => e.actorType === type && e.actorId !== null).map((e) => e.actorId!))];
  const staffIds = ids('staff');
  const customerIds = ids('customer');
  const staffNames = new Map(staffIds.length ? (await q.db.select({ id: staff.id, name: staff.name }).from(staff).where(inArray(staff.id, staffIds))).map((s) => [s.id, s.name]) : []);
  const customerNames = new Map(
    customerIds.length ? (await q.db.select({ id: customers.id, name: customers.name }).from(customers).where(inArray(customers.id, customerIds))).map((c) => [c.id, c.name]) : [],
  );
  const files = customerFiles(await all<{ id: number; event_id: number; file_name: string; size: number; media_type: string }>(q, FILES, [row.id]));
  return customerTimelineOf(services, row, row.customerId, events, staffNames, customerNames, files);
}

/** The case's solution offer (`loadOffer`), read with `q`. */
export async function offerIn(q: Handle, caseId: number): Promise<SolutionOffer | null> {
  const t = q.tables.caseEvents;
  const rows = await q.db
    .select({ type: t.type, data: t.data })
    .from(t)
    .where(and(eq(t.caseId, caseId), inArray(t.type, [...OFFER_EVENTS])))
    .orderBy(asc(t.id));
  return offerOf(rows);
}
