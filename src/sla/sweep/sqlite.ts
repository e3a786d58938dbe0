/**
 * The SLA sweep's SQL that differs by dialect, SQLite's side (sweep.ts chooses this module or
 * pg.ts by the handle's dialect): the due timers read with the prepared statement of
 * DUE_TIMERS_SQL (`INDEXED BY`, named parameters), cached per connection.
 */
import type { Db } from '../../db/client.js';
import { perConnection } from '../../db/fast.js';
import { sqliteOf, type Handle } from '../../db/store/index.js';
import { DUE_TIMERS_SQL, type DueRow } from './due-sql.js';

const due = perConnection((db: Db) => db.$client.prepare<[{ now: number; limit: number }], DueRow>(DUE_TIMERS_SQL));

export function dueTimers(q: Handle, now: number, limit: number): Promise<DueRow[]> {
  return Promise.resolve(due(sqliteOf(q)).all({ now, limit }));
}
