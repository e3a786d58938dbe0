/**
 * Async units for group commit (group-commit.ts; the storage port, src/db/store): a group
 * that holds one runs here. Its units still run strictly one after the other on the
 * connection, each in its savepoint, the next one starting only when the previous one's
 * promise has settled; everything documented in group-commit.ts holds for them too (failure
 * isolation, storage full, the whole transaction lost, the slice, nested calls → savepoint).
 * A group of sync units only never comes here: their path and cost stay group-commit.ts's.
 *
 * The rule: **a unit awaits only the database.** better-sqlite3 answers at once, so a unit that
 * keeps it settles within the microtasks of the turn it started in. A unit still pending when
 * those have drained is waiting for the event loop (a timer, the network, a file): meanwhile
 * other requests run, and their writes must not land in the open transaction. `arm` queues a
 * `process.nextTick` from a microtask — it runs once the microtask queue is empty, before the
 * event loop moves on — and a unit found pending then fails with UnitAwaitedIoError (its
 * savepoint rolled back once it settles; the other units commit). Until it settles its
 * transaction stays open: writes that try to join it meanwhile (group commit, `transaction()`)
 * are refused with that error (unit-rule.ts).
 *
 * Differences from the sync path: units left over (out of time, or the transaction lost
 * mid-way) go first into the next turn rather than a new transaction now, so that callers
 * answered now do not run inside it.
 */
import { afterWrite, beforeWrite, inSavepoint, rollBackSavepoint, writeEnded, type Db } from './client.js';
import { statement } from './fast.js';
import { beginImmediate } from './begin.js';
import type { Committer, GroupCommitStats, Outcome, Unit } from './group-commit.js';
import { commitGroup, recordFailure } from './group-outcomes.js';
import { secureDeletesOff } from './search-secure-delete.js';
import { leaveStaged, stagingEnded, startStaging } from './search-staging.js';
import { holdsYielded, markYielded, UnitAwaitedIoError } from './unit-rule.js';

/** Why a unit cannot join the transaction open on this connection now (null: it can, as a savepoint). */
export function nestedRefusal(sqlite: Db['$client'], committer: Committer | undefined, kind: 'sync' | 'async'): Error | null {
  if (committer?.yielded || holdsYielded(sqlite)) return new UnitAwaitedIoError('the unit holding the transaction');
  if (kind === 'async' && committer?.current !== 'async') {
    return new TypeError('an async unit of work cannot run inside a synchronous transaction or a read (store.read): it would outlive it');
  }
  return null;
}

/** `fn` (async) in a savepoint of the open transaction, rolled back if it rejects. */
export async function inSavepointAsync<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  statement(db, 'SAVEPOINT unit').run();
  try {
    const result = await fn();
    statement(db, 'RELEASE unit').run();
    return result;
  } catch (error) {
    rollBackSavepoint(db);
    throw error;
  }
}

/** A sync unit of an async group: as runGroup runs it (in its savepoint unless `alone`). */
function runSyncUnit(db: Db, committer: Committer, unit: Unit, alone: boolean): unknown {
  committer.current = 'sync';
  try {
    return alone ? unit.fn() : inSavepoint(db, unit.fn);
  } finally {
    committer.current = null;
  }
}

/**
 * Arms the check of the rule for the group: a `process.nextTick` queued from a microtask runs
 * once the microtask queue has drained; an async unit still running then waits for the event
 * loop. One check per drain covers every unit started in it.
 */
function arm(db: Db, committer: Committer): void {
  if (committer.armed) return;
  committer.armed = true;
  queueMicrotask(() =>
    process.nextTick(() => {
      committer.armed = false;
      if (committer.current !== 'async') return;
      committer.yielded = true;
      markYielded(db.$client, true);
    }),
  );
}

/** An async unit, awaited (in its savepoint unless `alone`); it fails if it yielded to the event loop. */
async function runAsyncUnit(db: Db, committer: Committer, unit: Unit, alone: boolean): Promise<unknown> {
  committer.current = 'async';
  arm(db, committer);
  if (!alone) statement(db, 'SAVEPOINT unit').run();
  try {
    const value: unknown = await unit.fn();
    if (committer.yielded) throw new UnitAwaitedIoError();
    if (!alone) statement(db, 'RELEASE unit').run();
    return value;
  } catch (error) {
    if (!alone && db.$client.inTransaction) {
      statement(db, 'ROLLBACK TO unit').run();
      statement(db, 'RELEASE unit').run();
    }
    throw committer.yielded ? new UnitAwaitedIoError() : error;
  } finally {
    committer.current = null;
    if (committer.yielded) markYielded(db.$client, false);
    committer.yielded = false;
  }
}

/** Requests wrote within this long: background units and the drain run in short slices. */
export const REQUESTS_WITHIN_MS = 100;
/** While requests write, background work runs in this share of the group's slice (2 ms of GROUP_SLICE_MS's 10): what a request's turn waits for it at most. */
export const BACKGROUND_SHARE = 1 / 5;

/** The slice of background work on `committer`'s connection now: a share of the group's slice while requests write, else `normalMs` (never more). */
export function sliceWhileRequestsWrite(committer: Committer, normalMs: number, now = performance.now()): number {
  return now - committer.lastForeground < REQUESTS_WITHIN_MS ? Math.min(normalMs, committer.sliceMs * BACKGROUND_SHARE) : normalMs;
}

/** How long a background unit gives way to the others before it takes its place in the order the units came. */
export const BACKGROUND_GIVES_WAY_MS = 50;

/**
 * The queued units in the order a group takes them: the others (and background units that
 * waited BACKGROUND_GIVES_WAY_MS) first, then the other background units, each in the order
 * they came. The queue itself unchanged when nothing is to move.
 */
export function inGroupOrder(units: Unit[], now = performance.now()): Unit[] {
  let first: Unit[] | null = null;
  let after: Unit[] | null = null;
  let moves = false;
  for (let i = 0; i < units.length; i++) {
    const unit = units[i]!;
    const givesWay = unit.background !== undefined && now - unit.background < BACKGROUND_GIVES_WAY_MS;
    if (after === null) {
      if (givesWay) {
        first = units.slice(0, i);
        after = [unit];
      }
    } else if (givesWay) after.push(unit);
    else {
      first!.push(unit);
      moves = true;
    }
  }
  return moves ? [...first!, ...after!] : units;
}

/** flush() for a queue holding async units: one transaction, its callers answered, the rest next turn. */
export async function flushAsync(db: Db, committer: Committer, schedule: (db: Db, committer: Committer) => void): Promise<void> {
  committer.busy = true;
  const units = inGroupOrder(committer.queue.splice(0));
  committer.asyncQueued = 0;
  try {
    const left = units.length === 1 ? await runAloneAsync(db, committer.stats, committer, units[0]!) : await runGroupAsync(db, committer, units);
    if (left.length > 0) {
      // Out of time, or the transaction was lost mid-way: the rest goes first into the next
      // turn, so the callers answered now do not run inside the next transaction.
      committer.queue.unshift(...left);
      committer.asyncQueued += left.filter((unit) => unit.async).length;
    }
  } finally {
    committer.open = 0;
    committer.busy = false;
    if (committer.queue.length > 0) schedule(db, committer);
  }
}

/** runAlone for an async unit: its own transaction, no savepoint (its new search documents may wait: search-staging.ts). */
async function runAloneAsync(db: Db, stats: GroupCommitStats, committer: Committer, unit: Unit): Promise<Unit[]> {
  stats.groups++;
  stats.units++;
  stats.largest = Math.max(stats.largest, 1);
  let value: unknown;
  try {
    beforeWrite(db);
    beginImmediate(db);
    committer.open = ++committer.serial;
    startStaging(db);
    value = unit.async ? await runAsyncUnit(db, committer, unit, true) : runSyncUnit(db, committer, unit, true);
    secureDeletesOff(db);
    leaveStaged(db);
    statement(db, 'COMMIT').run();
  } catch (error) {
    committer.open = 0;
    if (db.$client.inTransaction) statement(db, 'ROLLBACK').run();
    afterWrite(db, error);
    stagingEnded(db, false);
    unit.reject(error);
    return [];
  } finally {
    writeEnded(db);
  }
  stagingEnded(db, true);
  committer.open = 0;
  afterWrite(db);
  unit.resolve(value);
  return [];
}

/** runGroup with units awaited one by one; returns the units left for the next turn. */
async function runGroupAsync(db: Db, committer: Committer, units: Unit[]): Promise<Unit[]> {
  const { stats, sliceMs } = committer;
  const outcomes: Outcome[] = [];
  let full = false;
  let left: Unit[] = [];
  try {
    beforeWrite(db);
    beginImmediate(db);
    committer.open = ++committer.serial;
  } catch (error) {
    writeEnded(db);
    afterWrite(db, error);
    for (const unit of units) unit.reject(error);
    return [];
  }
  startStaging(db);
  stats.groups++;
  const started = performance.now();
  // Background units (last in the group: inGroupOrder) stop at the shorter slice while requests write.
  const backgroundMs = sliceWhileRequestsWrite(committer, sliceMs);
  for (let i = 0; i < units.length; i++) {
    if (i > 0 && performance.now() - started >= (units[i]!.background === undefined ? sliceMs : backgroundMs)) {
      left = units.slice(i);
      units = units.slice(0, i);
      break;
    }
    const unit = units[i]!;
    stats.units++;
    try {
      outcomes.push({ ok: true, value: unit.async ? await runAsyncUnit(db, committer, unit, false) : runSyncUnit(db, committer, unit, false) });
    } catch (error) {
      const failed = recordFailure(db, outcomes, error);
      full ||= failed.full;
      if (failed.lost) {
        left = units.slice(i + 1);
        units = units.slice(0, i + 1);
        break;
      }
    }
  }
  stats.largest = Math.max(stats.largest, units.length);
  committer.open = 0;
  commitGroup(db, units, outcomes, full);
  return left;
}
