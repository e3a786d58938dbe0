/** The inbox's SQL that differs on PostgreSQL: tags are a jsonb array (containment), booleans are booleans. */
import { sql, type SQL } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';
import { breachingCountSql } from './count-sql.js';
import type { InboxQueries } from './queries.js';

export const pgInbox: InboxQueries = {
  hasTag(q: Handle, tag: string): SQL {
    const { cases } = q.tables;
    return sql`${cases.tags} @> ${JSON.stringify([tag])}::jsonb`;
  },
  async breachingCount(q, queues, staffId, soon) {
    const params = [...queues.flatMap((name) => [name, soon]), staffId, soon];
    let n = 0;
    const text = breachingCountSql(queues.length, () => `$${++n}`, 'true');
    const chunks = text.split(/\$(\d+)/).map((part, i) => (i % 2 === 0 ? sql.raw(part) : sql`${params[Number(part) - 1]}`));
    const row = await q.get<{ n: number }>(sql.join(chunks));
    return Number(row!.n);
  },
};
