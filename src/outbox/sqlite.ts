/**
 * The outbox's queue on SQLite (queue.ts): the claim as it was before the storage port — one
 * writer, the wave read and claimed in one unit of a group commit with the commands of the
 * turn, the cached statements of statements.ts run synchronously inside one awaited call, and
 * the cheap "anything due?" probes of issue 11 (docs/performance.md, fifth round) first.
 *
 * Claims are conditional updates (`… AND (locked_until IS NULL OR locked_until <= now)`): the
 * due rows read include items held by others, so a case whose first item is held is skipped
 * whole, and an item another drain of this process performs is waited for. Items whose handler
 * works inside a transaction (`inTransaction`, synchronous on this connection) are performed
 * right in the wave's unit, each in its savepoint.
 */
import { inSavepoint } from '../db/client.js';
import { backgroundSliceMs, groupCommitPending } from '../db/group-commit.js';
import { sqliteOf, type Handle } from '../db/store/index.js';
import { SLICE_MS, WAVE } from './limits.js';
import { handlerMarkedDone, markDone, pendingItemDue, type OutboxItem } from './outbox.js';
import { failureOf, reserveLane, type ClaimedWave, type Failure, type Look, type OutboxQueue, type WaveContext } from './queue.js';
import { claimItem, dueInLanes, dueItems, outboxStatements, toItem } from './statements.js';

/** Most items performed inside one wave's transaction (and at most SLICE_MS of work). */
const HERE = 256;
/** Due items read per wave: enough to fill it when a case has several. */
const READ = 4 * WAVE + HERE;
/** Due lane items read per look (a busy target's are left out by the query when they name it). */
const LANE_READ = 64;

/** Thrown inside an item's savepoint when its handler cannot perform it in the transaction: nothing stays written. */
class NotHere extends Error {}

/** A promise of `fn()`'s result: rejected (not thrown) when it throws. */
function settled<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

function writeFailure(q: Handle, id: number, failure: Failure): void {
  const s = outboxStatements(sqliteOf(q));
  if (failure.giveUp) s.fail.run(failure.message, failure.at, id);
  else s.retry.run(failure.message, failure.at, id);
}

/** Whether anything is due for this drain: a plain read, cheaper than a write transaction that finds nothing. */
function anythingDue(q: Handle, look: Look): boolean {
  const s = outboxStatements(sqliteOf(q));
  const { now, inLanes } = look;
  if ((look.caseId !== undefined ? s.dueForCase.all(look.caseId, now, inLanes) : dueItems(sqliteOf(q), 1, now, inLanes)).length > 0) return true;
  return look.lookLanes(true) && dueInLanes(sqliteOf(q), 1, now, inLanes, look.busyTargets()).length > 0;
}

/**
 * Performs an item inside the wave's transaction, if its handler can: claimed, performed
 * and marked done in one savepoint. A failure rolls it back and counts the attempt. False
 * when the handler cannot (nothing written) or someone else holds the item.
 */
function performHere(q: Handle, ctx: WaveContext, item: OutboxItem): boolean {
  const inTransaction = ctx.handlers.get(item.type)?.inTransaction;
  if (!inTransaction) return false;
  const db = sqliteOf(q);
  try {
    return inSavepoint(db, () => {
      if (!claimItem(db, item.id, ctx.now, ctx.owner)) return false;
      if (!inTransaction(ctx.services, { ...item, attempts: item.attempts + 1 }, db)) throw new NotHere();
      handlerMarkedDone(db, item.id);
      ctx.result.done++;
      return true;
    });
  } catch (error) {
    if (error instanceof NotHere) return false;
    if (!db.$client.inTransaction) throw error; // SQLite lost the whole transaction: the group fails
    handlerMarkedDone(db, item.id);
    claimItem(db, item.id, ctx.now, ctx.owner); // the attempt counts, as a claimed one that fails
    writeFailure(q, item.id, failureOf(ctx, item, error));
    return true;
  }
}

/** Claims the due lane items whose lane, target and case have a free slot. */
function claimForLanes(q: Handle, ctx: WaveContext): void {
  const db = sqliteOf(q);
  const rows = dueInLanes(db, LANE_READ, ctx.now, ctx.inLanes, ctx.busyTargets());
  for (const row of rows) {
    const item = toItem(row);
    if (!reserveLane(ctx, item)) continue;
    if (claimItem(db, row.id, ctx.now, ctx.owner)) ctx.toLanes.push(item);
    else ctx.lanes!.release(row.id);
  }
}

function claimWave(q: Handle, ctx: WaveContext): ClaimedWave {
  const db = sqliteOf(q);
  const s = outboxStatements(db);
  const started = performance.now();
  // A background drain's work here is cut shorter while requests write (group-commit.ts).
  const sliceMs = ctx.caseId === undefined ? backgroundSliceMs(db, SLICE_MS) : SLICE_MS;
  const rows = ctx.caseId !== undefined ? s.dueForCase.all(ctx.caseId, ctx.now, ctx.inLanes) : dueItems(db, Math.min(ctx.limit, READ), ctx.now, ctx.inLanes);
  const wave: OutboxItem[] = [];
  const elsewhere: Promise<void>[] = [];
  const cases = new Set<number>();
  let here = 0;
  for (const row of rows) {
    if (wave.length === WAVE && here === HERE) break;
    // A case's items one after the other, in order: its next item waits for the next wave.
    if (row.case_id !== null && cases.has(row.case_id)) continue;
    if (row.case_id !== null) cases.add(row.case_id);
    // Another drain of this process is performing it: this one waits for it, as if it had.
    const flight = ctx.inFlight.get(row.id);
    if (flight) {
      elsewhere.push(flight.done);
      continue;
    }
    // Work done here counts towards the group's time: the rest waits for the next wave.
    if (here > 0 && performance.now() - started >= sliceMs) break;
    if (here < HERE && performHere(q, ctx, toItem(row))) {
      here++;
    } else if (wave.length < WAVE && claimItem(db, row.id, ctx.now, ctx.owner)) {
      const item = toItem(row);
      ctx.track(item);
      wave.push(item);
    }
  }
  if (ctx.lookLanes(rows.length === 0, true)) claimForLanes(q, ctx);
  return { wave, elsewhere, here };
}

export const sqliteQueue: OutboxQueue = {
  key: (q) => sqliteOf(q).$client,
  worthAWave: (q, look) =>
    settled(() => {
      // First whether anything pending is due (one index probe), then — unless other writes
      // are queued for this turn's group, where looking costs little — whether this drain has
      // anything to claim.
      const db = sqliteOf(q);
      return pendingItemDue(db, look.now) && (groupCommitPending(db) || anythingDue(q, look));
    }),
  // Synchronous inside the unit: the wave's statements run at once and the unit is awaited once.
  claimWave: (q, ctx) => settled(() => claimWave(q, ctx)),
  complete: (q, id, now) =>
    settled(() => {
      const db = sqliteOf(q);
      if (!handlerMarkedDone(db, id)) outboxStatements(db).done.run(now, id);
    }),
  recordFailure: (q, id, failure) =>
    settled(() => {
      handlerMarkedDone(sqliteOf(q), id); // a mark made in a transaction that did not commit
      writeFailure(q, id, failure);
    }),
  markDone: (q, id, now) => settled(() => markDone(sqliteOf(q), id, now)),
  holders: (q, now) => settled(() => outboxStatements(sqliteOf(q)).holders.all(now).map((row) => row.locked_by)),
  release: (q, holder) => settled(() => outboxStatements(sqliteOf(q)).release.run(holder).changes),
};
