/** Case reads on SQLite: the cached statements of src/db/fast.ts, as the synchronous loaders read them. */
import { rowById } from '../../db/fast.js';
import { cases } from '../../db/schema/index.js';
import { sqliteOf } from '../../db/store/index.js';
import { caseViewParts } from '../case-view.js';
import type { CaseReads } from './queries.js';

export const sqliteCaseReads: CaseReads = {
  caseById: (q, caseId) => Promise.resolve(rowById(sqliteOf(q), cases, caseId)),
  viewParts: (q, row) => Promise.resolve(caseViewParts(sqliteOf(q), row)),
};
