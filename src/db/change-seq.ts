/**
 * A case row's place in the order of changes (`change_seq`, docs/api.md *Incremental sync*).
 * The database numbers every insert and update of a case by trigger (migration 0039, pg 0015).
 * On SQLite an insert that brings its own number skips the insert trigger, which would write
 * the new row a second time: the intake takes the next number itself, final because SQLite has
 * one writer. On PostgreSQL the commit trigger numbers the row, whatever was written.
 */
import { statement } from './fast.js';
import type { Handle } from './store/index.js';
import { sqliteOf } from './store/sqlite.js';

const NEXT = 'SELECT coalesce(max(change_seq), 0) + 1 FROM cases';

/** The `change_seq` to insert a new case with: the next number on SQLite, 0 (numbered at commit) on PostgreSQL. */
export function changeSeqForInsert(q: Handle): number {
  if (q.dialect !== 'sqlite') return 0;
  return statement(sqliteOf(q), NEXT).pluck().get() as number;
}
