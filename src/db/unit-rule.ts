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

/**
 * Awaits `fn()` and fails it with UnitAwaitedIoError if it is still pending once the
 * microtask queue has drained (it waits for the event loop); `onYield` is told at once.
 */
export function watched<T>(fn: () => T | Promise<T>, what?: string, onYield?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let yielded = false;
    queueMicrotask(() =>
      process.nextTick(() => {
        if (settled) return;
        yielded = true;
        onYield?.();
      }),
    );
    let value: T | Promise<T>;
    try {
      value = fn();
    } catch (error) {
      settled = true;
      reject(error);
      return;
    }
    Promise.resolve(value).then(
      (result) => {
        settled = true;
        if (yielded) reject(new UnitAwaitedIoError(what));
        else resolve(result);
      },
      (error: unknown) => {
        settled = true;
        reject(yielded ? new UnitAwaitedIoError(what) : error);
      },
    );
  });
}
