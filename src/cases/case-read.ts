/**
 * A case's read models on the storage port (docs/postgres.md "Converted: reads" and
 * "Converted: pages"): the case by id, the staff view and timeline (built by case-view.ts), the
 * customer projection and timeline (customer-view.ts), read through a handle, and the same
 * each through `services.store.query` by itself (`loadCase`, `caseView`, … at the end). The
 * case, its view's parts and its chat identity are read per dialect (case-read/: SQLite's
 * cached statements; drizzle's builder on PostgreSQL); the timelines are drizzle's builder on both.
 */
import { and, asc, eq, inArray, isNull, ne } from 'drizzle-orm';
import { attachmentView, byEvent } from '../attachments/read.js';
import type { Handle } from '../db/store/index.js';
import { DomainError } from '../errors.js';
import type { Services } from '../services.js';
import { caseReads } from './case-read/queries.js';
import { leftMessageIdentity, mayBeLeftMessage, type ChatIdentity } from './chat-identity.js';
import { caseRef } from './case-ref.js';
import { actorsOf, buildCaseView, partsFit, timelineEntries, type CaseRow, type CaseView, type KnownViewParts, type TimelineEntry } from './case-view.js';
import { buildCustomerCaseView, CUSTOMER_ATTACHMENT_EVENTS, CUSTOMER_EVENTS, customerFiles, customerTimelineOf, type CustomerAttachment, type CustomerCaseView, type CustomerTimelineEntry } from './customer-view.js';
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

/**
 * The staff view of `row` (built by case-view.ts `buildCaseView`); `known`: the parts the command
 * that returned `row` handed over (an intake's), read only when they no longer fit it.
 */
export async function readCaseView(q: Handle, services: Services, row: CaseRow, known?: KnownViewParts): Promise<CaseView> {
  if (known && partsFit(row, known)) {
    const chat = row.channel === 'chat' ? await caseReads(q).chatIdentity(q, row.id) : await leftIdentityOf(q, row);
    return buildCaseView(services, row, { chat, ...known });
  }
  const parts = await caseReads(q).viewParts(q, row);
  return buildCaseView(services, row, row.channel === 'chat' ? parts : { ...parts, chat: await leftIdentityOf(q, row) });
}

/** A case answered by mail may be a message left in the chat window (chat-identity.ts): its typed address. */
function leftIdentityOf(q: Handle, row: CaseRow): Promise<ChatIdentity | null> {
  return mayBeLeftMessage(row) ? leftMessageIdentity(q, row.id) : Promise.resolve(null);
}

/** The full timeline, oldest first, for staff (built by case-view.ts `timelineEntries`). */
export async function readTimeline(q: Handle, caseId: number, options: { types?: readonly string[] } = {}): Promise<TimelineEntry[]> {
  const { caseEvents, attachments } = q.tables;
  const where = options.types ? and(eq(caseEvents.caseId, caseId), inArray(caseEvents.type, [...options.types])) : eq(caseEvents.caseId, caseId);
  const rows = await q.db.select().from(caseEvents).where(where).orderBy(asc(caseEvents.id));
  const { staffIds, customerIds } = actorsOf(rows);
  const files = await q.db.select().from(attachments).where(eq(attachments.caseId, caseId)).orderBy(asc(attachments.id));
  return timelineEntries(rows, await names(q, 'staff', staffIds), await names(q, 'customers', customerIds), byEvent(files, attachmentView));
}

/** The customer projection of `row` (built by customer-view.ts `buildCustomerCaseView`). */
export async function readCustomerCaseView(q: Handle, services: Services, row: CaseRow): Promise<CustomerCaseView> {
  const { caseRatings, caseEvents } = q.tables;
  // The current rating: of this resolution (a reopen supersedes it).
  const [rating] = await q.db.select().from(caseRatings).where(and(eq(caseRatings.caseId, row.id), isNull(caseRatings.supersededAt))).limit(1);
  const offers = await q.db
    .select({ type: caseEvents.type, data: caseEvents.data })
    .from(caseEvents)
    .where(and(eq(caseEvents.caseId, row.id), inArray(caseEvents.type, [...OFFER_EVENTS])))
    .orderBy(asc(caseEvents.id));
  return buildCustomerCaseView(services, row, rating, offerOf(offers), await customersMerge(q, row));
}

/** The case `row` was merged into, when it is the same customer's (another customer's case is never named to them). */
async function customersMerge(q: Handle, row: CaseRow): Promise<number | null> {
  if (row.mergedIntoId === null) return null;
  const { cases } = q.tables;
  const [target] = await q.db.select({ customerId: cases.customerId }).from(cases).where(eq(cases.id, row.mergedIntoId)).limit(1);
  return target?.customerId === row.customerId ? row.mergedIntoId : null;
}

/** The case's history as the customer sees it (built by customer-view.ts `customerTimelineOf`). */
export async function readCustomerTimeline(q: Handle, services: Services, row: CaseRow, viewerId: number | null = row.customerId): Promise<CustomerTimelineEntry[]> {
  const { caseEvents, attachments } = q.tables;
  const events = await q.db
    .select()
    .from(caseEvents)
    .where(and(eq(caseEvents.caseId, row.id), inArray(caseEvents.type, [...CUSTOMER_EVENTS])))
    .orderBy(asc(caseEvents.id));
  const { staffIds, customerIds } = actorsOf(events);
  const files = await readCustomerAttachments(q, row.id);
  return customerTimelineOf(services, row, viewerId, events, await names(q, 'staff', staffIds), await names(q, 'customers', customerIds), files);
}

/** The files the customer sees (customer-view.ts `CUSTOMER_ATTACHMENT_EVENTS`), by the entry they came with. */
export async function readCustomerAttachments(q: Handle, caseId: number): Promise<Map<number, CustomerAttachment[]>> {
  const { caseEvents, attachments } = q.tables;
  const files = await q.db
    .select({ id: attachments.id, event_id: attachments.eventId, file_name: attachments.fileName, size: attachments.size, media_type: attachments.mediaType })
    .from(attachments)
    .innerJoin(caseEvents, eq(caseEvents.id, attachments.eventId))
    .where(and(eq(attachments.caseId, caseId), ne(attachments.kind, 'original-mail'), inArray(caseEvents.type, [...CUSTOMER_ATTACHMENT_EVENTS])))
    .orderBy(asc(attachments.id));
  return customerFiles(files);
}

/** Whether the attachment is one the customer projection of the case lists. */
export async function customerMaySee(q: Handle, caseId: number, attachmentId: number): Promise<boolean> {
  for (const files of (await readCustomerAttachments(q, caseId)).values()) if (files.some((f) => f.id === attachmentId)) return true;
  return false;
}

/** The chat identity of a case (chat-identity.ts): its chat's, a left message's, or null. */
export async function readChatIdentity(q: Handle, caseId: number): Promise<ChatIdentity | null> {
  return (await caseReads(q).chatIdentity(q, caseId)) ?? leftMessageIdentity(q, caseId);
}

/**
 * The address a public reply on the case would be MAILED to although a chat visitor of the case
 * only typed it, or null (chat-identity.ts explains when).
 */
export async function unverifiedMailAddress(q: Handle, caseId: number): Promise<string | null> {
  const identity = await readChatIdentity(q, caseId);
  return identity && identity.state === 'ended' && !identity.emailVerified ? identity.visitorEmail : null;
}

/*
 * Each read by itself through `services.store.query` (no common snapshot), for routes, pages
 * and tests that need one of them outside a handle's reads.
 */

/** The case, or CASE_NOT_FOUND. */
export function loadCase(services: Services, caseId: number): Promise<CaseRow> {
  return services.store.query((q) => findCase(q, caseId));
}

/** The staff view of `row` (no read when the command that returned `row` remembered its parts). */
export function caseView(services: Services, row: CaseRow): Promise<CaseView> {
  return services.store.query((q) => readCaseView(q, services, row));
}

/** The full timeline, oldest first, for staff; `types` reads only entries of those types. */
export function timeline(services: Services, caseId: number, options: { types?: readonly string[] } = {}): Promise<TimelineEntry[]> {
  return services.store.query((q) => readTimeline(q, caseId, options));
}

/** The customer projection of `row`. */
export function customerCaseView(services: Services, row: CaseRow): Promise<CustomerCaseView> {
  return services.store.query((q) => readCustomerCaseView(q, services, row));
}

/** The case's history as the customer sees it; `viewerId` marks the customer's own messages. */
export function customerTimeline(services: Services, row: CaseRow, viewerId: number | null = row.customerId): Promise<CustomerTimelineEntry[]> {
  return services.store.query((q) => readCustomerTimeline(q, services, row, viewerId));
}
