/**
 * What case-read.ts reads per dialect, chosen here: on SQLite the cached prepared statements
 * the synchronous loaders use (a case view is read on every API GET of a case), on PostgreSQL
 * drizzle's builder.
 */
import type { Handle } from '../../db/store/index.js';
import type { CaseRow, CaseViewParts } from '../case-view.js';
import type { ChatIdentity } from '../chat-identity.js';
import { pgCaseReads } from './pg.js';
import { sqliteCaseReads } from './sqlite.js';

export interface CaseReads {
  caseById(q: Handle, caseId: number): Promise<CaseRow | undefined>;
  /** What the view shows besides the row (`CaseViewParts`, case-view.ts). */
  viewParts(q: Handle, row: CaseRow): Promise<CaseViewParts>;
  /** The case's chat: the open session first, else the newest (chat-identity.ts). */
  chatIdentity(q: Handle, caseId: number): Promise<ChatIdentity | null>;
}

export function caseReads(q: Handle): CaseReads {
  return q.dialect === 'sqlite' ? sqliteCaseReads : pgCaseReads;
}
