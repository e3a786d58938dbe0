/**
 * The inbox's SQL that differs on SQLite: tags are a JSON text array (`json_each`), and the
 * agent's "breaching soon" count is a cached prepared statement (a sidebar count on every page).
 */
import { sql, type SQL } from 'drizzle-orm';
import { statement } from '../../db/fast.js';
import { sqliteOf, type Handle } from '../../db/store/index.js';
import { breachingCountSql } from './count-sql.js';
import type { InboxQueries } from './queries.js';

export const sqliteInbox: InboxQueries = {
  hasTag(q: Handle, tag: string): SQL {
    const { cases } = q.tables;
    return sql`exists (select 1 from json_each(${cases.tags}) where json_each.value = ${tag})`;
  },
  breachingCount(q, queues, staffId, soon) {
    const text = breachingCountSql(queues.length, () => '?', '1');
    const params = [...queues.flatMap((name) => [name, soon]), staffId, soon];
    return Promise.resolve(statement<unknown[], { n: number }>(sqliteOf(q), text).get(...params)!.n);
  },
};
