import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/harness.js';
import { openDatabase, transaction, type Db } from './client.js';
import { faultsOf } from './faults.js';
import { GROUP_SLICE_MS, groupCommit, groupCommitStats, setGroupSlice } from './group-commit.js';

let open: { close(): void }[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

function database(busyTimeoutMs = 5000): { db: Db; file: string } {
  const file = path.join(tempDir(), 'group.db');
  const db = openDatabase(file, { migrate: false, busyTimeoutMs });
  db.$client.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)');
  open.push(db.$client);
  return { db, file };
}

/**
 * A database whose groups are not cut by GROUP_SLICE_MS: for the tests that count groups, which
 * a loaded machine (a 10 ms pause between two units) would otherwise split in two.
 */
function unslicedDatabase(): { db: Db; file: string } {
  const opened = database();
  setGroupSlice(opened.db, 60_000);
  return opened;
}

/** What another connection sees: only committed rows. */
function committed(file: string): string[] {
  const other = new Database(file, { readonly: true });
  try {
    return (other.prepare('SELECT v FROM t ORDER BY id').all() as { v: string }[]).map((r) => r.v);
  } finally {
    other.close();
  }
}

const insert = (db: Db, v: string) => () => db.$client.prepare('INSERT INTO t (v) VALUES (?)').run(v).lastInsertRowid;

describe('groupCommit', () => {
  it('runs the units queued in one turn in one transaction and answers each after the COMMIT', async () => {
    const { db, file } = unslicedDatabase();
    const seen: string[][] = [];
    const results = await Promise.all(
      ['a', 'b', 'c'].map((v) =>
        groupCommit(db, insert(db, v)).then((id) => {
          seen.push(committed(file));
          return id;
        }),
      ),
    );
    expect(results).toEqual([1, 2, 3]);
    // Every caller, when answered, finds all three committed (one shared COMMIT).
    expect(seen).toEqual([['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'b', 'c']]);
    expect(groupCommitStats(db)).toEqual({ groups: 1, units: 3, largest: 3 });
  });

  it('rolls back only the unit that fails; the others are committed', async () => {
    const { db, file } = unslicedDatabase();
    const outcomes = await Promise.allSettled([
      groupCommit(db, insert(db, 'first')),
      groupCommit(db, () => {
        insert(db, 'half-done')();
        insert(db, 'first')(); // UNIQUE violation after a write of its own
      }),
      groupCommit(db, insert(db, 'third')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed/);
    expect(committed(file)).toEqual(['first', 'third']);
    expect(groupCommitStats(db).groups).toBe(1);
  });

  it('fails the units already run when SQLite loses the whole transaction, and runs the rest in a new one', async () => {
    const { db, file } = unslicedDatabase();
    const outcomes = await Promise.allSettled([
      groupCommit(db, insert(db, 'lost with it')),
      groupCommit(db, () => {
        insert(db, 'also lost')();
        db.$client.exec('ROLLBACK'); // what SQLite does itself on SQLITE_FULL or an I/O error
        throw new Error('database or disk is full');
      }),
      groupCommit(db, insert(db, 'next transaction')),
    ]);
    expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok'))).toEqual([
      'Error: database or disk is full',
      'Error: database or disk is full',
      'ok',
    ]);
    expect(committed(file)).toEqual(['next transaction']);
    expect(groupCommitStats(db)).toMatchObject({ groups: 2, units: 3 });
  });

  it('fails every unit of the group, writing nothing, when the transaction cannot begin', async () => {
    const { db, file } = database(50);
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const outcomes = await Promise.allSettled([groupCommit(db, insert(db, 'x')), groupCommit(db, insert(db, 'y'))]);
      expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as { code?: string }).code)).toEqual(['SQLITE_BUSY', 'SQLITE_BUSY']);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(committed(file)).toEqual([]);
    expect(db.$client.inTransaction).toBe(false);
  });

  it('commits a lone unit in the same turn of the event loop: nothing waits on a timer', async () => {
    const { db } = database();
    const order: string[] = [];
    const done = groupCommit(db, insert(db, 'alone')).then(() => order.push('committed'));
    setImmediate(() => order.push('next immediate'));
    await done;
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['committed', 'next immediate']);
  });

  it('commits and leaves the rest for the next turn once a group has worked GROUP_SLICE_MS', async () => {
    const { db, file } = database();
    const order: string[] = [];
    const slow = (v: string) => () => {
      const until = performance.now() + GROUP_SLICE_MS / 2 + 1;
      while (performance.now() < until); // a unit that takes a while
      insert(db, v)();
      order.push(v);
    };
    const units = ['a', 'b', 'c', 'd', 'e'].map((v) => groupCommit(db, slow(v)));
    setImmediate(() => order.push('other work'));
    await Promise.all(units);
    expect(committed(file)).toEqual(['a', 'b', 'c', 'd', 'e']);
    // Two units fill a group (6 ms each, 10 ms per group); other work runs before the next group.
    // (One unit alone when the machine is loaded enough to stretch it past 10 ms of wall time.)
    const other = order.indexOf('other work');
    expect(other === 1 || other === 2).toBe(true);
    expect(order.filter((v) => v !== 'other work')).toEqual(['a', 'b', 'c', 'd', 'e']);
    const stats = groupCommitStats(db);
    expect(stats.units).toBe(5);
    expect(stats.largest).toBeLessThanOrEqual(2);
    expect(stats.groups).toBeGreaterThanOrEqual(3);
  });

  it('runs at once, in a savepoint, inside a transaction already open', async () => {
    const { db, file } = database();
    let inner: Promise<unknown> | undefined;
    transaction(db, () => {
      insert(db, 'outer')();
      inner = groupCommit(db, insert(db, 'inner'));
      expect(db.$client.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2 });
    });
    await expect(inner).resolves.toBe(2);
    expect(committed(file)).toEqual(['outer', 'inner']);
    expect(groupCommitStats(db).groups).toBe(0);
  });

  it('refuses an asynchronous unit (a transaction cannot span an await)', async () => {
    const { db, file } = database();
    await expect(groupCommit(db, async () => insert(db, 'late')())).rejects.toThrow('Transaction function cannot return a promise');
    expect(committed(file)).toEqual([]);
  });

  it('honours the storage faults: refused while writes are refused; full until a group commits without a unit out of space', async () => {
    const { db, file } = database();
    const faults = faultsOf(db.$client);
    faults.refuseWrites({ code: 'DATABASE_GONE', reason: 'The database file /x was deleted', since: 0 });
    const refused = await Promise.allSettled([groupCommit(db, insert(db, 'a')), groupCommit(db, insert(db, 'b'))]);
    expect(refused.map((r) => r.status === 'rejected' && (r.reason as { code?: string }).code)).toEqual(['DATABASE_GONE', 'DATABASE_GONE']);
    faults.allowWrites();

    const outOfSpace = () => {
      insert(db, 'big')();
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    };
    const group = await Promise.allSettled([groupCommit(db, insert(db, 'c')), groupCommit(db, outOfSpace)]);
    expect(group.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(committed(file)).toEqual(['c']);
    // The other unit's commit is no sign that space came back.
    expect(faults.storageIsFull).toBe(true);
    await groupCommit(db, insert(db, 'd'));
    expect(faults.storageIsFull).toBe(false);
  });
});
