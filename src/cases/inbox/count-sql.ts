/** The SQL of the agent's "breaching soon" count, written once for both dialects' modules (sqlite.ts, pg.ts). */

/** Sidebar counts stop at this many (inbox.ts). */
export const COUNT_CAP = 1000;

/** The count's SQL: `param()` writes the next parameter marker, `yes` is the dialect's true. */
export function breachingCountSql(queues: number, param: () => string, yes: string): string {
  const branch = (column: 'queue_id' | 'assignee_id') => `SELECT id FROM cases WHERE ${column} = ${param()} AND open = ${yes} AND sla_due_at <= ${param()}`;
  const branches = [...Array.from({ length: queues }, () => branch('queue_id')), branch('assignee_id')];
  return `SELECT count(*) AS n FROM (${branches.join(' UNION ')} LIMIT ${COUNT_CAP}) AS capped`;
}
