/**
 * Group commit: commands that arrive together share one `BEGIN IMMEDIATE … COMMIT`.
 *
 * `groupCommit(db, fn)` queues a synchronous unit of work and answers with its result once
 * the transaction it ran in has committed. The queue is flushed at the end of the current
 * turn of the event loop (`setImmediate`): whatever requests were read in that turn and
 * reached their write run one after the other inside one transaction, each in its own
 * savepoint. Nothing waits on a timer, so a lone command is committed as soon as it would
 * have been on its own.
 *
 * - A unit that throws rolls back its savepoint only; the others commit.
 * - Every caller is answered after the shared COMMIT: nobody hears "done" before the data
 *   is in the WAL, so durability is what a transaction of its own gives (`synchronous =
 *   NORMAL`: every commit survives a crash of the process).
 * - When the COMMIT (or the BEGIN) fails, every unit of the group fails with that error.
 * - When SQLite rolls the whole transaction back inside a unit (SQLITE_FULL, an I/O error),
 *   the units already run are lost with it and fail with that error; the units not yet run
 *   go into a new transaction.
 * - While the database refuses writes (faults.ts) every unit fails with that refusal; a
 *   failure for lack of space marks the storage full, a commit marks it recovered, as
 *   `transaction()` does (not a commit of the others in a group where a unit ran out of space).
 * - Called inside a transaction (a unit composed of others), `fn` runs at once in a savepoint.
 * - A group does at most `GROUP_SLICE_MS` of work: the units left then go first into the next
 *   turn's group, so requests are read and answered in between (background work — outbox
 *   drains, catch-up — queues many units at once).
 *
 * Each unit keeps its own semantics: it reads what the units before it in the group wrote
 * (they run in order on one connection), so optimistic version checks, outbox items written
 * with the change and exactly-once markers behave as in a transaction of its own.
 *
 * `groupCommitAsync(db, fn)` queues an async unit (the storage port, src/db/store): a group
 * holding one runs in group-commit-async.ts, awaiting each unit before the next; such a unit
 * must await only the database, or it fails with UnitAwaitedIoError.
 * A unit queued as `background` (the outbox drain's writes: src/db/store/sqlite.ts
 * `inBackground`) gives way: a group takes the other units first, in the order they came, and
 * then the background ones, unless one has waited BACKGROUND_GIVES_WAY_MS — so a request's write
 * does not queue behind the many units a drain working through a backlog keeps queued, and the
 * drain still gets its turn under a steady load of requests. While requests write, background
 * units also run in shorter slices (a fifth of the group's: `backgroundSliceMs`), as the drain does.
 */
import { afterWrite, beforeWrite, inSavepoint, writeEnded, type Db, type Sqlite } from './client.js';
import { statement } from './fast.js';
import { beginImmediate } from './begin.js';
import { flushAsync, inSavepointAsync, nestedRefusal, sliceWhileRequestsWrite } from './group-commit-async.js';
import { commitGroup, recordFailure } from './group-outcomes.js';
import { secureDeletesOff } from './search-secure-delete.js';
import { leaveStaged, stagingEnded, startStaging } from './search-staging.js';

export { UnitAwaitedIoError, watched } from './unit-rule.js';

/** Work one group does before it commits and leaves the rest to the next turn. */
export const GROUP_SLICE_MS = 10;

export interface Unit {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** An async unit (groupCommitAsync): its promise is awaited before the next unit starts. */
  async?: true;
  /** A background unit: when it was queued (performance.now()); it gives way to the others (group-commit-async.ts `inGroupOrder`). */
  background?: number;
}

export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface GroupCommitStats {
  /** Transactions committed (or attempted) by the group committer. */
  groups: number;
  /** Units of work run in them. */
  units: number;
  /** The most units one transaction carried. */
  largest: number;
}

export interface Committer {
  queue: Unit[];
  scheduled: boolean;
  stats: GroupCommitStats;
  sliceMs: number;
  /** Async units in `queue`: the group then runs in flushAsync (below). */
  asyncQueued: number;
  /** An async group is running (across microtasks): a flush that comes meanwhile waits for it. */
  busy: boolean;
  /** The unit the running async group is awaiting ('async'), or running synchronously ('sync'). */
  current: 'async' | 'sync' | null;
  /** The awaited unit yielded to the event loop: nothing may join its transaction. */
  yielded: boolean;
  /** The check for a unit that yields is armed for this turn's drain (group-commit-async.ts). */
  armed: boolean;
  /** The async group's transaction open now (a number of its own per transaction), 0 when none: `groupTransaction`. */
  open: number;
  /** The last number `open` took. */
  serial: number;
  /** When a unit other than a background one was last queued (performance.now()): requests are writing. */
  lastForeground: number;
}

/**
 * The slice background work on this connection runs in now: a fifth of the group's slice (2 ms)
 * while requests write (a unit other than a background one queued within REQUESTS_WITHIN_MS),
 * else `normalMs` — a drain working through a backlog goes at full speed when nobody waits for it.
 */
export function backgroundSliceMs(db: Db, normalMs: number, now = performance.now()): number {
  const committer = committers.get(db.$client);
  return committer ? sliceWhileRequestsWrite(committer, normalMs, now) : normalMs;
}

const committers = new WeakMap<Sqlite, Committer>();

function committerOf(sqlite: Sqlite): Committer {
  let committer = committers.get(sqlite);
  if (!committer) {
    committer = {
      queue: [],
      scheduled: false,
      stats: { groups: 0, units: 0, largest: 0 },
      sliceMs: GROUP_SLICE_MS,
      asyncQueued: 0,
      busy: false,
      current: null,
      yielded: false,
      armed: false,
      open: 0,
      serial: 0,
      lastForeground: -Infinity,
    };
    committers.set(sqlite, committer);
  }
  return committer;
}

/** Whether units are waiting for this turn's group: one more joins it at almost no cost. */
export function groupCommitPending(db: Db): boolean {
  return committerOf(db.$client).queue.length > 0;
}

/**
 * The write transaction an async group (store.write on SQLite) holds on this connection now: a
 * number of its own per transaction, 0 when there is none (or SQLite rolled it back). While it
 * is open no other connection can commit (the write lock), so what a lookup learned about other
 * connections' commits in it (`PRAGMA data_version`) holds until it ends: the definitions
 * registry checks once per transaction instead of once per lookup.
 */
export function groupTransaction(sqlite: Sqlite): number {
  const committer = committers.get(sqlite);
  return committer !== undefined && committer.open !== 0 && sqlite.inTransaction ? committer.open : 0;
}

/** How the group committer of this connection has batched so far (benchmarks, tests). */
export function groupCommitStats(db: Db): GroupCommitStats {
  return { ...committerOf(db.$client).stats };
}

/**
 * The work one group of this connection does before it commits (default GROUP_SLICE_MS).
 * Tests that need every unit of a turn in one group, whatever the machine's load, raise it.
 */
export function setGroupSlice(db: Db, ms: number): void {
  committerOf(db.$client).sliceMs = ms;
}

/** Runs `fn` (synchronous) in a transaction shared with the units queued in the same turn; resolves after COMMIT. */
export function groupCommit<T>(db: Db, fn: () => T): Promise<T> {
  const sqlite = db.$client;
  if (sqlite.inTransaction) {
    const refused = nestedRefusal(sqlite, committers.get(sqlite), 'sync');
    if (refused) return Promise.reject(refused);
    try {
      return Promise.resolve(inSavepoint(db, fn));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const committer = committerOf(sqlite);
  committer.lastForeground = performance.now();
  return new Promise<T>((resolve, reject) => {
    committer.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
    schedule(db, committer);
  });
}

function schedule(db: Db, committer: Committer): void {
  if (committer.scheduled) return;
  committer.scheduled = true;
  setImmediate(() => flush(db, committer));
}

/** A group of one: its own transaction, no savepoint (a failure rolls the transaction back). */
function runAlone(db: Db, stats: GroupCommitStats, unit: Unit): void {
  stats.groups++;
  stats.units++;
  stats.largest = Math.max(stats.largest, 1);
  let value: unknown;
  try {
    beforeWrite(db);
    beginImmediate(db);
    startStaging(db);
    value = unit.fn();
    if (value instanceof Promise) throw new TypeError('Transaction function cannot return a promise');
    secureDeletesOff(db);
    leaveStaged(db);
    statement(db, 'COMMIT').run();
  } catch (error) {
    if (db.$client.inTransaction) statement(db, 'ROLLBACK').run();
    afterWrite(db, error);
    stagingEnded(db, false);
    unit.reject(error);
    return;
  } finally {
    writeEnded(db);
  }
  stagingEnded(db, true);
  afterWrite(db);
  unit.resolve(value);
}

function flush(db: Db, committer: Committer): void {
  committer.scheduled = false;
  if (committer.busy) return; // the running async group schedules the next flush when it ends
  if (committer.asyncQueued > 0) {
    void flushAsync(db, committer, schedule); // never rejects: every unit is answered through its own promise
    return;
  }
  let units = committer.queue.splice(0);
  if (units.length === 1) {
    runAlone(db, committer.stats, units[0]!);
    return;
  }
  while (units.length > 0) {
    const { rest, later } = runGroup(db, committer, units);
    if (later.length > 0) {
      // Out of time for this turn: the rest goes first in the next one.
      committer.queue.unshift(...later);
      schedule(db, committer);
    }
    units = rest;
  }
}

/**
 * Runs one transaction over `units`. Returns the units left for another transaction now
 * (`rest`: the whole transaction was lost mid-way) or in the next turn (`later`: out of time).
 */
function runGroup(db: Db, committer: Committer, units: Unit[]): { rest: Unit[]; later: Unit[] } {
  const { stats, sliceMs } = committer;
  const outcomes: Outcome[] = [];
  // A unit refused for lack of space: the group's commit (of smaller units) proves nothing about space.
  let full = false;
  let rest: Unit[] = [];
  let later: Unit[] = [];
  try {
    beforeWrite(db);
    beginImmediate(db);
  } catch (error) {
    writeEnded(db);
    afterWrite(db, error);
    for (const unit of units) unit.reject(error);
    return { rest: [], later: [] };
  }
  startStaging(db);
  stats.groups++;
  const started = performance.now();
  for (let i = 0; i < units.length; i++) {
    if (i > 0 && performance.now() - started >= sliceMs) {
      later = units.slice(i);
      units = units.slice(0, i);
      break;
    }
    const unit = units[i]!;
    stats.units++;
    try {
      // In a savepoint, rolled back if it throws (or returns a promise: a unit of work is synchronous).
      outcomes.push({ ok: true, value: inSavepoint(db, unit.fn) });
    } catch (error) {
      const failed = recordFailure(db, outcomes, error);
      full ||= failed.full;
      if (failed.lost) {
        // SQLite rolled the whole transaction back: what ran before is gone too.
        rest = units.slice(i + 1);
        units = units.slice(0, i + 1);
        break;
      }
    }
  }
  stats.largest = Math.max(stats.largest, units.length);
  commitGroup(db, units, outcomes, full);
  return { rest, later };
}

/**
 * Runs `fn` — async, awaiting only the database — in a transaction shared with the units
 * queued in the same turn (sync ones included, in order); resolves after COMMIT. Called
 * inside an async unit, `fn` runs at once in a savepoint of its transaction. `queue`: the
 * transaction open now is not the caller's (another request's read, src/db/store/sqlite.ts),
 * so `fn` waits for the turn's group, which begins after that read has ended. `background`:
 * the unit gives way to the others (`inGroupOrder`, group-commit-async.ts).
 */
export function groupCommitAsync<T>(db: Db, fn: () => Promise<T>, options?: { queue?: true; background?: true }): Promise<T> {
  const sqlite = db.$client;
  if (sqlite.inTransaction && !options?.queue) {
    const refused = nestedRefusal(sqlite, committers.get(sqlite), 'async');
    return refused ? Promise.reject(refused) : inSavepointAsync(db, fn);
  }
  const committer = committerOf(sqlite);
  return new Promise<T>((resolve, reject) => {
    const unit: Unit = { fn, resolve: resolve as (value: unknown) => void, reject, async: true };
    if (options?.background) unit.background = performance.now();
    else committer.lastForeground = performance.now();
    committer.queue.push(unit);
    committer.asyncQueued++;
    schedule(db, committer);
  });
}
