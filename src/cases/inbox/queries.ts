/**
 * The inbox's SQL that differs per dialect (sqlite.ts, pg.ts), chosen here by the handle's
 * dialect; everything else in inbox.ts is drizzle's builder, the same on both.
 */
import type { SQL } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';
import { pgInbox } from './pg.js';
import { sqliteInbox } from './sqlite.js';

export { COUNT_CAP } from './count-sql.js';

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

export function inboxSql(q: Handle): InboxQueries {
  return q.dialect === 'sqlite' ? sqliteInbox : pgInbox;
}
