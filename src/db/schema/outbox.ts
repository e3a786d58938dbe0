import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The item types performed in lanes (handlers with a `lane`: webhook deliveries, chat-tool
 * posts), sorted. Two partial indexes (drizzle/0052) split the pending items by it:
 * `outbox_lane_due_idx` holds these types', `outbox_local_due_idx` every other type's. A
 * drain's look for lane items reads lane items only, and its waves and probes read the others
 * only, however many of the other kind wait. Before, both walked `outbox_pending_idx` (every
 * pending item) in order: behind 1.5 million waiting `case.event` items (an SLA sweep after a
 * long stop) a look for lane items took 0.34 s, every 50 ms; behind 100,000 due webhook
 * deliveries (a slow receiver) every probe for other work took 19 ms (docs/performance.md
 * "The outbox's looks behind a backlog"). A new lane type belongs here and in a migration
 * that recreates these indexes and `outbox_lane_target_idx` (`test/core/outbox-lane-types.test.ts`
 * holds the built-in handlers to this list).
 */
export const LANE_ITEM_TYPES: readonly string[] = ['im.post', 'webhook.deliver'];
/** The lane types as the JSON array the drain's queries take (src/outbox/drain.ts `laneTypes`: sorted, so the built-in handlers give exactly this). */
export const LANE_ITEM_TYPES_JSON = JSON.stringify(LANE_ITEM_TYPES);
const LANE_TYPE_LIST = `(${LANE_ITEM_TYPES.map((t) => `'${t}'`).join(', ')})`;
/** `outbox_lane_due_idx`'s condition on the type, and the lane look's: one text, so SQLite and PostgreSQL see that the look's rows are all in the index. */
export const LANE_TYPE_CONDITION = `type IN ${LANE_TYPE_LIST}`;
/** `outbox_local_due_idx`'s, and the waves' and probes' (every type but the lanes'). */
export const LOCAL_TYPE_CONDITION = `type NOT IN ${LANE_TYPE_LIST}`;
/**
 * A lane item's target as the lanes count it (`payload.target`, '' when it names none), as
 * `outbox_lane_target_idx` holds it: the look for lane items skips the targets whose slots are
 * full without reading their items (drizzle/0053).
 */
export const LANE_TARGET_SQL = "coalesce(json_extract(payload, '$.target'), '')";

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
    // The pending items split by lane (LANE_ITEM_TYPES above): the drain's look
    // for lane items reads no other item, its waves and probes no lane item.
    index('outbox_lane_due_idx').on(t.availableAt, t.id).where(sql`${t.doneAt} IS NULL AND ${t.failedAt} IS NULL AND ${sql.raw(LANE_TYPE_CONDITION)}`),
    index('outbox_local_due_idx').on(t.availableAt, t.id).where(sql`${t.doneAt} IS NULL AND ${t.failedAt} IS NULL AND ${sql.raw(LOCAL_TYPE_CONDITION)}`),
    // The lane items by target: a receiver that is slow with many items waiting is skipped, not read.
    index('outbox_lane_target_idx')
      .on(sql.raw(`(${LANE_TARGET_SQL})`), t.availableAt, t.id)
      .where(sql`${t.doneAt} IS NULL AND ${t.failedAt} IS NULL AND ${sql.raw(LANE_TYPE_CONDITION)}`),
  ],
);
