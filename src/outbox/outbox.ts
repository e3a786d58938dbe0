/**
 * The outbox: work a committed change must cause, performed after commit by whoever
 * drains it (the command that wrote it, the background worker, the cron sweep, or the
 * next start-up). Each item is claimed with a conditional update, so two workers never
 * perform it at once; a handler that changes the database marks the item done in the
 * same transaction, so its effect happens exactly once.
 */
import type { Db } from '../db/client.js';
import { perConnection } from '../db/fast.js';
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
const LOCK_MS = 60_000;

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
       WHERE case_id = ? AND done_at IS NULL AND failed_at IS NULL AND available_at <= ? AND type != 'notification.send'
       ORDER BY id`,
    ),
    claim: c.prepare<[number, number, number]>(
      `UPDATE outbox SET locked_until = ?, attempts = attempts + 1
       WHERE id = ? AND done_at IS NULL AND failed_at IS NULL AND (locked_until IS NULL OR locked_until <= ?)`,
    ),
    done: c.prepare<[number, number]>('UPDATE outbox SET done_at = ?, locked_until = NULL, last_error = NULL WHERE id = ? AND done_at IS NULL'),
    retry: c.prepare<[string, number, number]>(
      'UPDATE outbox SET last_error = ?, available_at = ?, locked_until = NULL WHERE id = ?',
    ),
    fail: c.prepare<[string, number, number]>('UPDATE outbox SET last_error = ?, failed_at = ?, locked_until = NULL WHERE id = ?'),
  };
});

/** Marks an item performed. Returns false if someone else already did. */
export function markDone(db: Db, id: number, now: number): boolean {
  return stmts(db).done.run(now, id).changes === 1;
}

/** Back-off between attempts: 30 s, 1 min, 2 min … capped at 1 h. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

export interface DrainOptions {
  limit?: number;
  /** Only this case's items (excluding notifications): used to settle a command's effects. */
  caseId?: number;
}

export interface DrainResult {
  done: number;
  failed: number;
}

export async function drainOutbox(
  services: Services,
  handlers: ReadonlyMap<string, OutboxHandler>,
  options: DrainOptions = {},
): Promise<DrainResult> {
  const s = stmts(services.db);
  const result: DrainResult = { done: 0, failed: 0 };
  const limit = options.limit ?? 500;
  // Items written while draining (e.g. an escalation's follow-ups) are picked up in later rounds.
  for (let round = 0; round < 20; round++) {
    const now = services.clock.now();
    const rows = options.caseId !== undefined ? s.dueForCase.all(options.caseId, now) : s.due.all(now, limit);
    if (rows.length === 0) break;
    let progressed = false;
    for (const row of rows) {
      const item = toItem(row);
      const claimedAt = services.clock.now();
      if (s.claim.run(claimedAt + LOCK_MS, item.id, claimedAt).changes !== 1) continue;
      progressed = true;
      const handler = handlers.get(item.type);
      try {
        if (!handler) throw new Error(`No handler for outbox items of type "${item.type}"`);
        await handler(services, { ...item, attempts: item.attempts + 1 });
        markDone(services.db, item.id, services.clock.now());
        result.done++;
      } catch (error) {
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
    }
    if (!progressed) break;
  }
  return result;
}
