import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { LANE_TYPE_CONDITION, LOCAL_TYPE_CONDITION } from '../../outbox/limits.js';

/**
 * Work that a committed change must cause (run rules on an event, fire a workflow
 * timer, send a notification or a report). Written in the same transaction as the
 * change; a worker claims due items, performs them and marks them done. After a crash
 * the unfinished work is still here.
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    type: text('type').notNull(),
    caseId: integer('case_id'),
    payload: text('payload', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    createdAt: integer('created_at').notNull(),
    /** Not before this instant (workflow timers, retries with back-off). */
    availableAt: integer('available_at').notNull(),
    /** A worker holds the item until then; another worker may take it after. */
    lockedUntil: integer('locked_until'),
    /** Who holds it (`host:pid:start`, src/process-identity.ts): a restart frees a dead process's claims. */
    lockedBy: text('locked_by'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    doneAt: integer('done_at'),
    /** Set when the item gave up after too many attempts (visible, never silently lost). */
    failedAt: integer('failed_at'),
  },
  (t) => [
    index('outbox_pending_idx').on(t.availableAt, t.id).where(sql`${t.doneAt} IS NULL AND ${t.failedAt} IS NULL`),
    index('outbox_case_idx').on(t.caseId),
    // The pending items split by lane (src/outbox/limits.ts LANE_ITEM_TYPES): the drain's look
    // for lane items reads no other item, its waves and probes no lane item.
    index('outbox_lane_due_idx').on(t.availableAt, t.id).where(sql`${t.doneAt} IS NULL AND ${t.failedAt} IS NULL AND ${sql.raw(LANE_TYPE_CONDITION)}`),
    index('outbox_local_due_idx').on(t.availableAt, t.id).where(sql`${t.doneAt} IS NULL AND ${t.failedAt} IS NULL AND ${sql.raw(LOCAL_TYPE_CONDITION)}`),
  ],
);
