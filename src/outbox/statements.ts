/**
 * The outbox's rows on SQLite: its prepared statements and claiming an item (see outbox.ts for
 * claims and exactly-once; sqlite.ts is the queue built on them).
 */
import type { Db } from '../db/client.js';
import { perConnection, withLimit } from '../db/fast.js';
import { PROCESS_ID } from '../process-identity.js';
import type { OutboxItem } from './outbox.js';
import { LANE_ITEM_TYPES_JSON, LANE_TARGET_SQL, LANE_TYPE_CONDITION, LOCAL_TYPE_CONDITION, LOCK_MS, MAIL_ITEMS } from './limits.js';

export interface Row {
  id: number;
  type: string;
  case_id: number | null;
  payload: string;
  attempts: number;
  available_at: number;
  created_at: number;
}

export function toItem(row: Row): OutboxItem {
  return {
    id: row.id,
    type: row.type,
    caseId: row.case_id,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    attempts: row.attempts,
    availableAt: row.available_at,
    createdAt: row.created_at,
  };
}

/** The outbox's prepared statements on this connection. */
export const outboxStatements = perConnection((db: Db) => {
  const c = db.$client;
  return {
    /**
     * Due items, except the types performed in lanes (a JSON array of types); at most `limit`.
     * Walks every pending item in order: for no lanes or other lane types than the built-in
     * ones (a test's); `dueItems` below takes the built-in types' index.
     */
    dueOutsideAnyLanes: withLimit<[number, string], Row>(
      db,
      `SELECT id, type, case_id, payload, attempts, available_at, created_at FROM outbox
       WHERE done_at IS NULL AND failed_at IS NULL AND available_at <= ? AND type NOT IN (SELECT value FROM json_each(?))
       ORDER BY available_at, id`,
    ),
    /** The same outside the built-in lanes (`LANE_ITEM_TYPES`): no lane item read, in their index. Parameter: now. */
    dueOutsideBuiltinLanes: withLimit<[number], Row>(
      db,
      `SELECT id, type, case_id, payload, attempts, available_at, created_at FROM outbox INDEXED BY outbox_local_due_idx
       WHERE done_at IS NULL AND failed_at IS NULL AND ${LOCAL_TYPE_CONDITION} AND available_at <= ?
       ORDER BY available_at, id`,
    ),
    /** The earliest instant a pending item (claimed or not) is due; null when none is pending. */
    nextPending: c.prepare<[], { at: number | null }>('SELECT min(available_at) AS at FROM outbox WHERE done_at IS NULL AND failed_at IS NULL'),
    dueForCase: c.prepare<[number, number, string], Row>(
      `SELECT id, type, case_id, payload, attempts, available_at, created_at FROM outbox
       WHERE case_id = ? AND done_at IS NULL AND failed_at IS NULL AND available_at <= ? AND type NOT IN (${MAIL_ITEMS.map((t) => `'${t}'`).join(', ')})
       AND type NOT IN (SELECT value FROM json_each(?))
       ORDER BY id`,
    ),
    /**
     * Due, unclaimed items of the lanes' types (JSON array), except those of busy targets (JSON
     * array of `payload.target`s). For other lane types than the built-in ones (a test's): it
     * walks every pending item in order; `dueInLanes` below takes the built-in types' index.
     */
    dueInAnyLanes: withLimit<[number, string, number, string], Row>(
      db,
      `SELECT id, type, case_id, payload, attempts, available_at, created_at FROM outbox
       WHERE done_at IS NULL AND failed_at IS NULL AND available_at <= ? AND type IN (SELECT value FROM json_each(?))
       AND (locked_until IS NULL OR locked_until <= ?)
       AND coalesce(json_extract(payload, '$.target'), '') NOT IN (SELECT value FROM json_each(?))
       ORDER BY available_at, id`,
    ),
    /**
     * The same for the built-in lane types (`LANE_ITEM_TYPES`) while no target is busy: their
     * pending items only, in their index. Parameters: now, now.
     */
    dueInBuiltinLanes: withLimit<[number, number], Row>(
      db,
      `SELECT id, type, case_id, payload, attempts, available_at, created_at FROM outbox INDEXED BY outbox_lane_due_idx
       WHERE done_at IS NULL AND failed_at IS NULL AND ${LANE_TYPE_CONDITION} AND available_at <= ?
       AND (locked_until IS NULL OR locked_until <= ?)
       ORDER BY available_at, id`,
    ),
    /** The first target of the built-in lanes' pending items, in the target index's order. */
    firstLaneTarget: c.prepare<[], { target: unknown }>(
      `SELECT ${LANE_TARGET_SQL} AS target FROM outbox INDEXED BY outbox_lane_target_idx
       WHERE done_at IS NULL AND failed_at IS NULL AND ${LANE_TYPE_CONDITION} ORDER BY ${LANE_TARGET_SQL} LIMIT 1`,
    ),
    /** The next one after the given target: one seek in the index however many items a target has. */
    nextLaneTarget: c.prepare<[unknown], { target: unknown }>(
      `SELECT ${LANE_TARGET_SQL} AS target FROM outbox INDEXED BY outbox_lane_target_idx
       WHERE done_at IS NULL AND failed_at IS NULL AND ${LANE_TYPE_CONDITION} AND ${LANE_TARGET_SQL} > ? ORDER BY ${LANE_TARGET_SQL} LIMIT 1`,
    ),
    /** Due, unclaimed items of the built-in lanes for one target, in order. Parameters: target, now, now. */
    dueInLaneOfTarget: withLimit<[unknown, number, number], Row>(
      db,
      `SELECT id, type, case_id, payload, attempts, available_at, created_at FROM outbox INDEXED BY outbox_lane_target_idx
       WHERE done_at IS NULL AND failed_at IS NULL AND ${LANE_TYPE_CONDITION} AND ${LANE_TARGET_SQL} = ? AND available_at <= ?
       AND (locked_until IS NULL OR locked_until <= ?)
       ORDER BY available_at, id`,
    ),
    claim: c.prepare<[number, string, number, number]>(
      `UPDATE outbox SET locked_until = ?, locked_by = ?, attempts = attempts + 1
       WHERE id = ? AND done_at IS NULL AND failed_at IS NULL AND (locked_until IS NULL OR locked_until <= ?)`,
    ),
    done: c.prepare<[number, number]>('UPDATE outbox SET done_at = ?, locked_until = NULL, locked_by = NULL, last_error = NULL WHERE id = ? AND done_at IS NULL'),
    retry: c.prepare<[string, number, number]>(
      'UPDATE outbox SET last_error = ?, available_at = ?, locked_until = NULL, locked_by = NULL WHERE id = ? AND done_at IS NULL',
    ),
    fail: c.prepare<[string, number, number]>('UPDATE outbox SET last_error = ?, failed_at = ?, locked_until = NULL, locked_by = NULL WHERE id = ? AND done_at IS NULL'),
    holders: c.prepare<[number], { locked_by: string }>(
      `SELECT DISTINCT locked_by FROM outbox
       WHERE done_at IS NULL AND failed_at IS NULL AND locked_by IS NOT NULL AND locked_until > ?`,
    ),
    release: c.prepare<[string]>(
      `UPDATE outbox SET locked_until = NULL, locked_by = NULL
       WHERE locked_by = ? AND done_at IS NULL AND failed_at IS NULL`,
    ),
  };
});

/** Due items (at most `limit`), except the types performed in lanes (`inLanes`, a JSON array). The built-in lane types' are kept out by their index. */
export function dueItems(db: Db, limit: number, now: number, inLanes: string): Row[] {
  const s = outboxStatements(db);
  return inLanes === LANE_ITEM_TYPES_JSON ? s.dueOutsideBuiltinLanes(limit).all(now) : s.dueOutsideAnyLanes(limit).all(now, inLanes);
}

/**
 * Due, unclaimed lane items (at most `limit`) in `(available_at, id)` order: of the types
 * `inLanes` names (JSON array), not of a busy target (JSON array of `payload.target`s). The
 * built-in lane types are read from their own indexes: in order when no target is busy, else
 * target by target, skipping the busy ones.
 */
export function dueInLanes(db: Db, limit: number, now: number, inLanes: string, busyTargets: string): Row[] {
  const s = outboxStatements(db);
  if (inLanes !== LANE_ITEM_TYPES_JSON) return s.dueInAnyLanes(limit).all(now, inLanes, now, busyTargets);
  const busy = new Set(JSON.parse(busyTargets) as unknown[]);
  if (busy.size === 0) return s.dueInBuiltinLanes(limit).all(now, now);
  // Targets whose slots are full are skipped by target, their items not read (a slow receiver
  // may have thousands waiting): the other targets' first due items, merged in order.
  const rows: Row[] = [];
  for (let target = s.firstLaneTarget.get()?.target; target !== undefined; target = s.nextLaneTarget.get(target)?.target) {
    if (!busy.has(target)) rows.push(...s.dueInLaneOfTarget(limit).all(target, now, now));
  }
  return rows.sort((a, b) => a.available_at - b.available_at || a.id - b.id).slice(0, limit);
}

/** Claims one item for `LOCK_MS` as `owner`: false when it is done, failed or held by someone else. */
export function claimItem(db: Db, id: number, now: number, owner: string = PROCESS_ID): boolean {
  return outboxStatements(db).claim.run(now + LOCK_MS, owner, id, now).changes === 1;
}
