/** Case reads on PostgreSQL: drizzle's builder (what SQLite reads with cached statements). */
import { asc, eq } from 'drizzle-orm';
import type { CrmFact } from '../../crm/records.js';
import type { Handle } from '../../db/store/index.js';
import type { CaseRow, CaseViewParts } from '../case-view.js';
import type { ChatIdentity } from '../chat-identity.js';
import type { CaseReads } from './queries.js';

/** The chat of a case as chat-identity.ts's `chatIdentity` reads it: the open session first, else the newest. */
async function chatIdentityOf(q: Handle, caseId: number): Promise<ChatIdentity | null> {
  const s = q.tables.chatSessions;
  const sessions = await q.db.select({ id: s.id, siteId: s.siteId, state: s.state, email: s.email, verified: s.verified }).from(s).where(eq(s.caseId, caseId));
  if (sessions.length === 0) return null;
  const [shown] = [...sessions].sort((a, b) => Number(b.state === 'open') - Number(a.state === 'open') || b.id - a.id);
  return { site: shown!.siteId, state: shown!.state as ChatIdentity['state'], visitorEmail: shown!.email, emailVerified: sessions.every((x) => x.verified) };
}

export const pgCaseReads: CaseReads = {
  async caseById(q, caseId): Promise<CaseRow | undefined> {
    const [row] = await q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, caseId)).limit(1);
    return row;
  },
  async viewParts(q, row): Promise<CaseViewParts> {
    const { customers, staff, slaTimers, crmRecords } = q.tables;
    const [customer] = await q.db.select().from(customers).where(eq(customers.id, row.customerId)).limit(1);
    const [assignee] = row.assigneeId === null ? [null] : await q.db.select({ id: staff.id, name: staff.name }).from(staff).where(eq(staff.id, row.assigneeId)).limit(1);
    const timers = await q.db.select().from(slaTimers).where(eq(slaTimers.caseId, row.id)).orderBy(asc(slaTimers.id));
    const [record] = await q.db.select({ data: crmRecords.data }).from(crmRecords).where(eq(crmRecords.email, customer!.email.trim().toLowerCase())).limit(1);
    const crm = record?.data ? (record.data as unknown as CrmFact) : null;
    const chat = row.channel === 'chat' ? await chatIdentityOf(q, row.id) : null;
    return { customer: customer!, assignee: assignee ?? null, timers, crm, chat };
  },
  chatIdentity: chatIdentityOf,
};
