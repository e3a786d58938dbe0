/**
 * Intake's SQL that differs by dialect, SQLite's side (create-case.ts chooses this module or
 * pg.ts by the handle's dialect): the id the next case gets. Cases use AUTOINCREMENT (never
 * reused), so the id is read from `sqlite_sequence` inside the intake's write transaction,
 * which no other writer shares.
 */
import { statement } from '../../db/fast.js';
import { sqliteOf, type Handle } from '../../db/store/index.js';

const NEXT_CASE_ID = "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'cases'), 0), coalesce((SELECT max(id) FROM cases), 0)) + 1 AS id";

export function nextCaseId(q: Handle): Promise<number> {
  return Promise.resolve(statement<[], { id: number }>(sqliteOf(q), NEXT_CASE_ID).get()!.id);
}
