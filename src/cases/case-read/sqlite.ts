/** Case reads on SQLite: the cached statements of src/db/fast.ts (a case view is read on every API GET of a case). */
import type { Db } from '../../db/client.js';
import { oneSnapshot, rowById, statement, tableRows } from '../../db/fast.js';
import { cases, customers, slaTimers } from '../../db/schema/index.js';
import { sqliteOf } from '../../db/store/index.js';
import { storedCrmRecord } from '../../crm/records.js';
import type { CaseRow, CaseViewParts } from '../case-view.js';
import type { ChatIdentity } from '../chat-identity.js';
import type { CaseReads } from './queries.js';

/** The case's chat: the open session first, else the newest; verified when every session was. */
function chatIdentity(db: Db, caseId: number): ChatIdentity | null {
  const row = statement<[number], { site_id: string; state: 'open' | 'ended'; email: string; unverified: number }>(
    db,
    `SELECT site_id, state, email, (SELECT count(*) FROM chat_sessions u WHERE u.case_id = s.case_id AND u.verified = 0) AS unverified
     FROM chat_sessions s WHERE s.case_id = ? ORDER BY s.state = 'open' DESC, s.id DESC LIMIT 1`,
  ).get(caseId);
  return row ? { site: row.site_id, state: row.state, visitorEmail: row.email, emailVerified: row.unverified === 0 } : null;
}

/** The parts of `row`'s view: four or five statements, in one read transaction (fast.ts `oneSnapshot`). */
function caseViewParts(db: Db, row: CaseRow): CaseViewParts {
  return oneSnapshot(db, () => {
    const customer = rowById(db, customers, row.customerId)!;
    const assignee = row.assigneeId === null ? undefined : statement<[number], { id: number; name: string }>(db, 'SELECT id, name FROM staff WHERE id = ?').get(row.assigneeId);
    const timers = tableRows(db, slaTimers, 'SELECT * FROM sla_timers WHERE case_id = ? ORDER BY id').all(row.id);
    return {
      customer,
      assignee: assignee ?? null,
      timers,
      crm: storedCrmRecord(db, customer.email),
      chat: row.channel === 'chat' ? chatIdentity(db, row.id) : null,
    };
  });
}

export const sqliteCaseReads: CaseReads = {
  caseById: (q, caseId) => Promise.resolve(rowById(sqliteOf(q), cases, caseId)),
  viewParts: (q, row) => Promise.resolve(caseViewParts(sqliteOf(q), row)),
  chatIdentity: (q, caseId) => Promise.resolve(chatIdentity(sqliteOf(q), caseId)),
};
