/**
 * The rule of async units (group-commit-async.ts, the storage port): **a unit awaits only the
 * database.** A unit or read that awaits something else holds the connection's open
 * transaction while the event loop runs other requests; until it settles, nothing else may
 * write in that transaction: `transaction()` (client.ts) and group commit refuse to nest in it.
 */
import type Database from 'better-sqlite3';

/** A unit of work (or a read, store.read) that awaited something other than the database. */
export class UnitAwaitedIoError extends Error {
  readonly code = 'UNIT_AWAITED_IO';
  constructor(what = 'a unit of work') {
    super(
      `UNIT_AWAITED_IO: ${what} awaited something other than the database (a timer, the network, a file) while holding the SQLite transaction; ` +
        'it was rolled back. Do that work before or after store.write/store.read.',
    );
    this.name = 'UnitAwaitedIoError';
  }
}

/** Connections whose open transaction is held by a unit or read that yielded to the event loop. */
const held = new WeakSet<Database.Database>();

export function markYielded(sqlite: Database.Database, yielded: boolean): void {
  if (yielded) held.add(sqlite);
  else held.delete(sqlite);
}

export function holdsYielded(sqlite: Database.Database): boolean {
  return held.has(sqlite);
}

/** A call of `watched` whose verdict is not in yet. */
interface Watch {
  /** In the order the watches began. */
  seq: number;
  settled: boolean;
  yielded: boolean;
  onYield: (() => void) | undefined;
}

/*
 * One check for all the watches of a turn, not a tick of each watch's own. A watch's verdict is
 * given by a `process.nextTick` queued from a microtask: it runs once the microtask queue has
 * drained, and a watch still pending then waits for the event loop. A chain of reads awaited one
 * after another in one async function (a script, a job over many rows) never lets the queue
 * drain until it ends, so a tick per read stayed queued, with its closures, until then: ~870
 * bytes a read, 82 MiB after 100,000 reads (src/db/unit-rule.test.ts).
 *
 * So the watches wait in `watches` (the settled ones at its end leave at once: in a chain each
 * read settles last, and the array stays short), a microtask marks how far the next check may
 * look — every watch begun before it ran began before the queue drained — and one tick checks
 * up to that mark. A watch begun inside another tick callback of the same pass, before the
 * check, is past the mark: the microtask it queued moves the mark for the next check.
 */
const watches: Watch[] = [];
let nextSeq = 0;
/** The last watch the queued check may judge. */
let checkUpTo = -1;
let markDue = false;
let checkDue = false;

function mark(): void {
  markDue = false;
  checkUpTo = nextSeq - 1;
  if (checkDue) return;
  checkDue = true;
  process.nextTick(check);
}

function check(): void {
  checkDue = false;
  let judged = 0;
  while (judged < watches.length && watches[judged]!.seq <= checkUpTo) judged++;
  for (const watch of watches.splice(0, judged)) {
    if (watch.settled) continue;
    watch.yielded = true;
    watch.onYield?.();
  }
}

function settle(watch: Watch): void {
  watch.settled = true;
  while (watches.length > 0 && watches[watches.length - 1]!.settled) watches.pop();
}

/**
 * Awaits `fn()` and fails it with UnitAwaitedIoError if it is still pending once the
 * microtask queue has drained (it waits for the event loop); `onYield` is told at once.
 */
export function watched<T>(fn: () => T | Promise<T>, what?: string, onYield?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const watch: Watch = { seq: nextSeq++, settled: false, yielded: false, onYield };
    watches.push(watch);
    if (!markDue) {
      markDue = true;
      queueMicrotask(mark);
    }
    let value: T | Promise<T>;
    try {
      value = fn();
    } catch (error) {
      settle(watch);
      reject(error);
      return;
    }
    Promise.resolve(value).then(
      (result) => {
        settle(watch);
        if (watch.yielded) reject(new UnitAwaitedIoError(what));
        else resolve(result);
      },
      (error: unknown) => {
        settle(watch);
        reject(watch.yielded ? new UnitAwaitedIoError(what) : error);
      },
    );
  });
}
