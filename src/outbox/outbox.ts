/**
 * The outbox: work a committed change must cause, performed after commit by whoever
 * drains it (the command that wrote it, the background worker, the cron sweep, or the
 * next start-up). Each item is claimed with a conditional update, so two workers never
 * perform it at once; a handler that changes the database marks the item done in the
 * same transaction, so its effect happens exactly once.
 *
 * A claim carries the claiming process's identity (`locked_by`): a process that crashed
 * mid-drain leaves its claims locked for `LOCK_MS`, and `releaseDeadClaims` (run at start-up)
 * frees those of a process that is certainly gone, so the work resumes at once.
 *
 * Draining never holds the event loop for long: see drain.ts.
 */
import type { Db } from '../db/client.js';
import { perConnection, withLimit } from '../db/fast.js';
import { sqliteOf, type Handle } from '../db/store/index.js';
import { get, run } from '../db/store/rows.js';
import { isProcessGone, PROCESS_ID } from '../process-identity.js';
import type { Services } from '../services.js';
import type { LaneContext, OutboxLane, OutboxLanes } from './lanes.js';

export interface OutboxItem {
  id: number;
  type: string;
  caseId: number | null;
  payload: Record<string, unknown>;
  attempts: number;
  availableAt: number;
  createdAt: number;
}

/**
 * Performs one item. Must call `markDone` (ideally inside its own transaction).
 *
 * `inTransaction`, when a handler has it, performs the item inside the drain's transaction
 * (nothing to wait for outside the database: rules compiled, no mail to send) and marks it
 * done there, returning true; or returns false, writing nothing, and the handler itself runs
 * once the item's claim is committed.
 *
 * `lane`, when a handler has it, is where its items are performed: off the drain's critical
 * path, a few at a time per lane and per target (lanes.ts: receivers outside the process).
 */
export type OutboxHandler = ((services: Services, item: OutboxItem, context?: LaneContext) => Promise<void> | void) & {
  inTransaction?: (services: Services, item: OutboxItem) => boolean;
  lane?: OutboxLane;
};

export const MAX_ATTEMPTS = 8;
/** Item types a command's `settle` leaves to the background (mail): the answer does not wait for them. */
export const MAIL_ITEMS: readonly string[] = ['notification.send', 'notification.mention', 'email.reply'];
const LOCK_MS = 60_000;
/** Work done between two pauses for the event loop. */
export const SLICE_MS = 10;


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
    /** Due items, except the types performed in lanes (a JSON array of types); at most `limit`. */
    due: withLimit<[number, string], Row>(
      db,
      `SELECT id, type, case_id, payload, attempts, available_at, created_at FROM outbox
       WHERE done_at IS NULL AND failed_at IS NULL AND available_at <= ? AND type NOT IN (SELECT value FROM json_each(?))
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
    /** Due, unclaimed items of the lanes' types (JSON array), except those of busy targets (JSON array of `payload.target`s). */
    dueInLanes: withLimit<[number, string, number, string], Row>(
      db,
      `SELECT id, type, case_id, payload, attempts, available_at, created_at FROM outbox
       WHERE done_at IS NULL AND failed_at IS NULL AND available_at <= ? AND type IN (SELECT value FROM json_each(?))
       AND (locked_until IS NULL OR locked_until <= ?)
       AND coalesce(json_extract(payload, '$.target'), '') NOT IN (SELECT value FROM json_each(?))
       ORDER BY available_at, id`,
    ),
    claim: c.prepare<[number, string, number, number]>(
      `UPDATE outbox SET locked_until = ?, locked_by = ?, attempts = attempts + 1
       WHERE id = ? AND done_at IS NULL AND failed_at IS NULL AND (locked_until IS NULL OR locked_until <= ?)`,
    ),
    done: c.prepare<[number, number]>('UPDATE outbox SET done_at = ?, locked_until = NULL, locked_by = NULL, last_error = NULL WHERE id = ? AND done_at IS NULL'),
    retry: c.prepare<[string, number, number]>(
      'UPDATE outbox SET last_error = ?, available_at = ?, locked_until = NULL, locked_by = NULL WHERE id = ?',
    ),
    fail: c.prepare<[string, number, number]>('UPDATE outbox SET last_error = ?, failed_at = ?, locked_until = NULL, locked_by = NULL WHERE id = ?'),
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

/** Items this process marked done, until the drain that performs them has seen it (no second UPDATE). */
const markedDone = new WeakMap<object, Set<number>>();

/** Marks an item performed. Returns false if someone else already did. */
export function markDone(db: Db, id: number, now: number): boolean {
  const done = outboxStatements(db).done.run(now, id).changes === 1;
  if (done) {
    let ids = markedDone.get(db.$client);
    if (!ids) markedDone.set(db.$client, (ids = new Set()));
    ids.add(id);
  }
  return done;
}

/**
 * `markDone` in a transaction of the storage port: a handler that changes a case marks its
 * item done in the case's own `store.write` (SQLite: the same statement, remembered for the drain).
 */
export async function markDoneOn(q: Handle, id: number, now: number): Promise<boolean> {
  if (q.dialect === 'sqlite') return markDone(sqliteOf(q), id, now);
  return (await run(q, 'UPDATE outbox SET done_at = ?, locked_until = NULL, locked_by = NULL, last_error = NULL WHERE id = ? AND done_at IS NULL', [now, id])) === 1;
}

/** Whether the handler marked the item done itself (then the drain need not); forgets it. */
export function handlerMarkedDone(db: Db, id: number): boolean {
  return markedDone.get(db.$client)?.delete(id) ?? false;
}

/**
 * Whether any pending item at all (of any case, type or lane, claimed or not) is due at `now`:
 * one probe of the pending items' index. Inside a transaction it costs well under a µs.
 */
export function pendingItemDue(db: Db, now: number): boolean {
  const next = outboxStatements(db).nextPending.get()?.at;
  return next !== null && next !== undefined && next <= now;
}

/** `pendingItemDue` in a transaction of the storage port (the same probe on either dialect). */
export async function pendingItemDueOn(q: Handle, now: number): Promise<boolean> {
  if (q.dialect === 'sqlite') return pendingItemDue(sqliteOf(q), now);
  const row = await get<{ at: number | null }>(q, 'SELECT min(available_at) AS at FROM outbox WHERE done_at IS NULL AND failed_at IS NULL');
  const next = row?.at;
  return next !== null && next !== undefined && next <= now;
}

/** Claims one item for `LOCK_MS` as `owner`: false when it is done, failed or held by someone else. */
export function claimItem(db: Db, id: number, now: number, owner: string = PROCESS_ID): boolean {
  return outboxStatements(db).claim.run(now + LOCK_MS, owner, id, now).changes === 1;
}

/** Back-off between attempts: 30 s, 1 min, 2 min … capped at 1 h. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

export interface DrainOptions {
  limit?: number;
  /** Only this case's items (excluding mail: notifications and reply mails): used to settle a command's effects. */
  caseId?: number;
  /** Stops between items once aborted (shutdown); the rest stays for the next drain. */
  signal?: AbortSignal;
  /** Claims are made as this process (default: this process's identity). */
  owner?: string;
  /**
   * Where items whose handler names a lane are performed (the worker's). Without it they are
   * performed in the waves like any other item.
   */
  lanes?: OutboxLanes;
  /** Return only once the lanes' items in flight at the end have settled (a full drain; not the background kick's). */
  waitForLanes?: boolean;
}

export interface ReleasedClaims {
  /** Items whose claim was taken back. */
  items: number;
  /** The dead processes that held them. */
  holders: string[];
}

/**
 * Frees the claims of processes that are certainly gone (crashed mid-drain on this host), so
 * their items are performed now instead of when the lock expires. Attempts already counted
 * stay counted: an item that crashes the process every time still gives up after MAX_ATTEMPTS.
 */
export function releaseDeadClaims(db: Db, now: number, self: string = PROCESS_ID): ReleasedClaims {
  const s = outboxStatements(db);
  const result: ReleasedClaims = { items: 0, holders: [] };
  for (const { locked_by: holder } of s.holders.all(now)) {
    if (!isProcessGone(holder, self)) continue;
    result.items += s.release.run(holder).changes;
    result.holders.push(holder);
  }
  return result;
}

