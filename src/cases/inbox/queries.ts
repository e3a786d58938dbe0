/**
 * The inbox's SQL that differs per dialect (sqlite.ts, pg.ts), chosen here by the handle's
 * dialect; everything else in inbox.ts is drizzle's builder, the same on both.
 */
import type { SQL } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';
import { pgInbox } from './pg.js';
import { sqliteInbox } from './sqlite.js';

/** Sidebar counts stop at this many (inbox.ts). */
export const COUNT_CAP = 1000;

export interface InboxQueries {
  /** The case has the tag (exactly). */
  hasTag(q: Handle, tag: string): SQL;
  /**
   * An agent's "breaching soon": one branch per queue plus their own cases, each read from its
   * covering (queue|assignee, open, sla_due_at, id) index, merged by UNION — an OR over the
   * columns would read every due case's row instead. At most COUNT_CAP.
   */
  breachingCount(q: Handle, queues: readonly string[], staffId: number, soon: number): Promise<number>;
}

/** The count's SQL: `param()` writes the next placeholder, `yes` is the dialect's true. */
export function breachingCountSql(queues: number, param: () => string, yes: string): string {
  const branch = (column: 'queue_id' | 'assignee_id') => `SELECT id FROM cases WHERE ${column} = ${param()} AND open = ${yes} AND sla_due_at <= ${param()}`;
  const branches = [...Array.from({ length: queues }, () => branch('queue_id')), branch('assignee_id')];
  return `SELECT count(*) AS n FROM (${branches.join(' UNION ')} LIMIT ${COUNT_CAP}) AS capped`;
}

export function inboxSql(q: Handle): InboxQueries {
  return q.dialect === 'sqlite' ? sqliteInbox : pgInbox;
}
