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
 * Draining never holds the event loop for long: items are performed in waves of up to 32 side
 * by side (items of one case one after the other, in order). A wave is read and claimed in one
 * unit of a group commit, and the handlers' transactions share another, with the commands
 * arriving meanwhile; a group commit does at most `GROUP_SLICE_MS` of work per turn
 * (src/db/group-commit.ts). Between waves, once `SLICE_MS` has passed since the last pause,
 * it yields (setImmediate) so requests are served, and it stops between waves when its
 * `signal` is aborted (shutdown).
 */
import type { Db } from '../db/client.js';
import { perConnection } from '../db/fast.js';
import { groupCommit } from '../db/group-commit.js';
import { isProcessGone, PROCESS_ID } from '../process-identity.js';
import type { Services } from '../services.js';

export interface OutboxItem {
  id: number;
  type: string;
  caseId: number | null;
  payload: Record<string, unknown>;
  attempts: number;
  availableAt: number;
  createdAt: number;
}

/** Performs one item. Must call `markDone` (ideally inside its own transaction). */
export type OutboxHandler = (services: Services, item: OutboxItem) => Promise<void> | void;

export const MAX_ATTEMPTS = 8;
/** Item types a command's `settle` leaves to the background (mail): the answer does not wait for them. */
export const MAIL_ITEMS: readonly string[] = ['notification.send', 'email.reply'];
const LOCK_MS = 60_000;
/** Work done between two pauses for the event loop. */
export const SLICE_MS = 10;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Row {
  id: number;
  type: string;
  case_id: number | null;
  payload: string;
  attempts: number;
  available_at: number;
  created_at: number;
}

function toItem(row: Row): OutboxItem {
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

const stmts = perConnection((db: Db) => {
  const c = db.$client;
  return {
    due: c.prepare<[number, number], Row>(
      `SELECT id, type, case_id, payload, attempts, available_at, created_at FROM outbox
       WHERE done_at IS NULL AND failed_at IS NULL AND available_at <= ? ORDER BY available_at, id LIMIT ?`,
    ),
    dueForCase: c.prepare<[number, number], Row>(
      `SELECT id, type, case_id, payload, attempts, available_at, created_at FROM outbox
       WHERE case_id = ? AND done_at IS NULL AND failed_at IS NULL AND available_at <= ? AND type NOT IN (${MAIL_ITEMS.map((t) => `'${t}'`).join(', ')})
       ORDER BY id`,
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
  const done = stmts(db).done.run(now, id).changes === 1;
  if (done) {
    let ids = markedDone.get(db.$client);
    if (!ids) markedDone.set(db.$client, (ids = new Set()));
    ids.add(id);
  }
  return done;
}

/** Whether the handler marked the item done itself (then the drain need not); forgets it. */
function handlerMarkedDone(db: Db, id: number): boolean {
  return markedDone.get(db.$client)?.delete(id) ?? false;
}

/** Claims one item for `LOCK_MS` as `owner`: false when it is done, failed or held by someone else. */
export function claimItem(db: Db, id: number, now: number, owner: string = PROCESS_ID): boolean {
  return stmts(db).claim.run(now + LOCK_MS, owner, id, now).changes === 1;
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
  const s = stmts(db);
  const result: ReleasedClaims = { items: 0, holders: [] };
  for (const { locked_by: holder } of s.holders.all(now)) {
    if (!isProcessGone(holder, self)) continue;
    result.items += s.release.run(holder).changes;
    result.holders.push(holder);
  }
  return result;
}

export interface DrainResult {
  done: number;
  failed: number;
}

/** Most items performed side by side (a wave). */
const WAVE = 32;

/** Items this process is performing now, by id: another drain of the process waits for them. */
const performing = new WeakMap<object, Map<number, Promise<void>>>();
/** Rounds of `limit` items a drain performs at most before it returns (the caller drains again). */
const ROUNDS = 20;

export async function drainOutbox(
  services: Services,
  handlers: ReadonlyMap<string, OutboxHandler>,
  options: DrainOptions = {},
): Promise<DrainResult> {
  const { db } = services;
  const s = stmts(db);
  const result: DrainResult = { done: 0, failed: 0 };
  const limit = options.limit ?? 500;
  const owner = options.owner ?? PROCESS_ID;
  let sliceStart = performance.now();

  /**
   * One unit of a group commit: reads what is due and claims a wave of it (the first due item
   * of each case, up to WAVE), committed before any of it is performed.
   */
  let flights = performing.get(db.$client);
  if (!flights) performing.set(db.$client, (flights = new Map()));
  const inFlight = flights;
  interface Claimed {
    item: OutboxItem;
    finished: () => void;
  }
  /** The claims of the wave being read: in flight as soon as they are made, so no other drain of this process misses them. */
  let claiming: Claimed[] = [];

  const claimWave = (): { wave: Claimed[]; elsewhere: Promise<void>[] } => {
    const now = services.clock.now();
    const rows = options.caseId !== undefined ? s.dueForCase.all(options.caseId, now) : s.due.all(now, limit);
    const elsewhere: Promise<void>[] = [];
    const cases = new Set<number>();
    claiming = [];
    for (const row of rows) {
      if (claiming.length === WAVE) break;
      // A case's items one after the other, in order: its next item waits for the next wave.
      if (row.case_id !== null && cases.has(row.case_id)) continue;
      if (row.case_id !== null) cases.add(row.case_id);
      // Another drain of this process is performing it: this one waits for it, as if it had.
      const flight = inFlight.get(row.id);
      if (flight) {
        elsewhere.push(flight);
      } else if (claimItem(db, row.id, now, owner)) {
        let finished!: () => void;
        inFlight.set(row.id, new Promise<void>((resolve) => (finished = resolve)));
        claiming.push({ item: toItem(row), finished });
      }
    }
    return { wave: claiming, elsewhere };
  };

  const perform = async ({ item, finished }: Claimed): Promise<void> => {
    try {
      await performItem(item);
    } finally {
      inFlight.delete(item.id);
      finished();
    }
  };

  const performItem = async (item: OutboxItem): Promise<void> => {
    const handler = handlers.get(item.type);
    try {
      if (!handler) throw new Error(`No handler for outbox items of type "${item.type}"`);
      await handler(services, { ...item, attempts: item.attempts + 1 });
      if (!handlerMarkedDone(db, item.id)) markDone(db, item.id, services.clock.now());
      handlerMarkedDone(db, item.id);
      result.done++;
    } catch (error) {
      handlerMarkedDone(db, item.id); // a mark made in a transaction that did not commit
      const message = error instanceof Error ? error.message : String(error);
      const attempts = item.attempts + 1;
      if (attempts >= MAX_ATTEMPTS) {
        s.fail.run(message, services.clock.now(), item.id);
        services.logger.error('outbox item failed for good', { id: item.id, type: item.type, caseId: item.caseId, error: message });
      } else {
        s.retry.run(message, services.clock.now() + retryDelayMs(attempts), item.id);
        services.logger.warn('outbox item failed; will retry', { id: item.id, type: item.type, attempts, error: message });
      }
      result.failed++;
    }
  };

  // Items written while draining (e.g. an escalation's follow-ups) are picked up by later waves.
  for (let performed = 0; performed < limit * ROUNDS; ) {
    if (performance.now() - sliceStart >= SLICE_MS) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
    if (options.signal?.aborted) break;
    let claimed: ReturnType<typeof claimWave>;
    try {
      claimed = await groupCommit(db, claimWave);
    } catch (error) {
      // The claims were rolled back: nobody performs those items now.
      for (const { item, finished } of claiming) {
        inFlight.delete(item.id);
        finished();
      }
      throw error;
    }
    const { wave, elsewhere } = claimed;
    if (wave.length === 0 && elsewhere.length === 0) break;
    const settled = await Promise.allSettled(wave.map(perform));
    await Promise.allSettled(elsewhere);
    for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
    performed += Math.max(wave.length, 1);
  }
  return result;
}
