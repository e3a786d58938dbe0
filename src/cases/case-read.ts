/**
 * A case's read models on the storage port (docs/postgres.md "Converted: reads"): the case by
 * id, the staff view and timeline (case-view.ts), the customer projection and timeline
 * (customer-view.ts), read through a handle — the same pure builders as the synchronous
 * loaders there, which the commands that run inside a case's transaction keep using until they
 * move onto the port themselves. The case and its view's parts are read per dialect
 * (case-read/: SQLite's cached statements, as the synchronous loaders read them; drizzle's
 * builder on PostgreSQL); the timelines are drizzle's builder on both.
 */
import { and, asc, eq, inArray, ne } from 'drizzle-orm';
import { attachmentView, byEvent } from '../attachments/read.js';
import type { Handle } from '../db/store/index.js';
import { DomainError } from '../errors.js';
import type { Services } from '../services.js';
import { caseReads } from './case-read/queries.js';
import { caseRef } from './case-ref.js';
import { actorsOf, buildCaseView, timelineEntries, type CaseRow, type CaseView, type TimelineEntry } from './case-view.js';
import { buildCustomerCaseView, CUSTOMER_ATTACHMENT_EVENTS, CUSTOMER_EVENTS, customerFiles, customerTimelineOf, type CustomerCaseView, type CustomerTimelineEntry } from './customer-view.js';
import { OFFER_EVENTS, offerOf } from './solution-offer.js';

/** The case, or CASE_NOT_FOUND. */
export async function findCase(q: Handle, caseId: number): Promise<CaseRow> {
  const row = await caseReads(q).caseById(q, caseId);
  if (!row) throw new DomainError('CASE_NOT_FOUND', `No case ${caseRef(caseId)}.`, { caseId: caseRef(caseId) });
  return row;
}

async function names(q: Handle, table: 'staff' | 'customers', ids: number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const t = q.tables[table];
  return new Map((await q.db.select({ id: t.id, name: t.name }).from(t).where(inArray(t.id, ids))).map((r) => [r.id, r.name]));
}

/** The staff view of `row` (case-view.ts `caseView`). */
export async function readCaseView(q: Handle, services: Services, row: CaseRow): Promise<CaseView> {
  return buildCaseView(services, row, await caseReads(q).viewParts(q, row));
}

/** The full timeline, oldest first, for staff (case-view.ts `timeline`). */
export async function readTimeline(q: Handle, caseId: number, options: { types?: readonly string[] } = {}): Promise<TimelineEntry[]> {
  const { caseEvents, attachments } = q.tables;
  const where = options.types ? and(eq(caseEvents.caseId, caseId), inArray(caseEvents.type, [...options.types])) : eq(caseEvents.caseId, caseId);
  const rows = await q.db.select().from(caseEvents).where(where).orderBy(asc(caseEvents.id));
  const { staffIds, customerIds } = actorsOf(rows);
  const files = await q.db.select().from(attachments).where(eq(attachments.caseId, caseId)).orderBy(asc(attachments.id));
  return timelineEntries(rows, await names(q, 'staff', staffIds), await names(q, 'customers', customerIds), byEvent(files, attachmentView));
}

/** The customer projection of `row` (customer-view.ts `customerCaseView`). */
export async function readCustomerCaseView(q: Handle, services: Services, row: CaseRow): Promise<CustomerCaseView> {
  const { caseRatings, caseEvents } = q.tables;
  const [rating] = await q.db.select().from(caseRatings).where(eq(caseRatings.caseId, row.id)).limit(1);
  const offers = await q.db
    .select({ type: caseEvents.type, data: caseEvents.data })
    .from(caseEvents)
    .where(and(eq(caseEvents.caseId, row.id), inArray(caseEvents.type, [...OFFER_EVENTS])))
    .orderBy(asc(caseEvents.id));
  return buildCustomerCaseView(services, row, rating, offerOf(offers));
}

/** The case's history as the customer sees it (customer-view.ts `customerTimeline`). */
export async function readCustomerTimeline(q: Handle, services: Services, row: CaseRow, viewerId: number | null = row.customerId): Promise<CustomerTimelineEntry[]> {
  const { caseEvents, attachments } = q.tables;
  const events = await q.db
    .select()
    .from(caseEvents)
    .where(and(eq(caseEvents.caseId, row.id), inArray(caseEvents.type, [...CUSTOMER_EVENTS])))
    .orderBy(asc(caseEvents.id));
  const { staffIds, customerIds } = actorsOf(events);
  const files = await q.db
    .select({ id: attachments.id, event_id: attachments.eventId, file_name: attachments.fileName, size: attachments.size, media_type: attachments.mediaType })
    .from(attachments)
    .innerJoin(caseEvents, eq(caseEvents.id, attachments.eventId))
    .where(and(eq(attachments.caseId, row.id), ne(attachments.kind, 'original-mail'), inArray(caseEvents.type, [...CUSTOMER_ATTACHMENT_EVENTS])))
    .orderBy(asc(attachments.id));
  return customerTimelineOf(services, row, viewerId, events, await names(q, 'staff', staffIds), await names(q, 'customers', customerIds), customerFiles(files));
}
