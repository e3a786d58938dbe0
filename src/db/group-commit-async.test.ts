/**
 * Async units of group commit (group-commit-async.ts): what group-commit.ts documents holds
 * for them too — failure isolation, the whole transaction lost mid-way, a BEGIN that fails,
 * the slice, nested calls → savepoint, the storage faults — and the rule: a unit awaits only
 * the database.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/harness.js';
import { openDatabase, type Db } from './client.js';
import { faultsOf } from './faults.js';
import { BACKGROUND_GIVES_WAY_MS, BACKGROUND_SHARE, inGroupOrder, REQUESTS_WITHIN_MS } from './group-commit-async.js';
import { backgroundSliceMs, GROUP_SLICE_MS, groupCommit, groupCommitAsync, groupCommitStats, setGroupSlice, UnitAwaitedIoError, type Unit } from './group-commit.js';

let open: { close(): void }[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

function database(busyTimeoutMs = 5000): { db: Db; file: string } {
  const file = path.join(tempDir(), 'group-async.db');
  const db = openDatabase(file, { migrate: false, busyTimeoutMs });
  db.$client.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)');
  open.push(db.$client);
  return { db, file };
}

function committed(file: string): string[] {
  const other = new Database(file, { readonly: true });
  try {
    return (other.prepare('SELECT v FROM t ORDER BY id').all() as { v: string }[]).map((r) => r.v);
  } finally {
    other.close();
  }
}

/** What converted command code does: awaits each statement (a settled promise on SQLite). */
const insert = (db: Db, v: string) => () => Promise.resolve(Number(db.$client.prepare('INSERT INTO t (v) VALUES (?)').run(v).lastInsertRowid));
const insertAsync = (db: Db, ...vs: string[]) => async () => {
  let id = 0;
  for (const v of vs) id = await insert(db, v)();
  return id;
};
const reasons = (outcomes: PromiseSettledResult<unknown>[]) => outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok'));

describe('groupCommitAsync', () => {
  it('rolls back only the unit that fails; the others, before and after it, commit', async () => {
    const { db, file } = database();
    const outcomes = await Promise.allSettled([
      groupCommitAsync(db, insertAsync(db, 'first')),
      groupCommitAsync(db, async () => {
        await insert(db, 'half-done')();
        await insert(db, 'first')(); // UNIQUE violation after a write of its own
      }),
      groupCommitAsync(db, insertAsync(db, 'third')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed/);
    expect(committed(file)).toEqual(['first', 'third']);
    expect(groupCommitStats(db)).toEqual({ groups: 1, units: 3, largest: 3 });
  });

  it('fails the units already run when SQLite loses the whole transaction; the rest commit in the next turn', async () => {
    const { db, file } = database();
    const outcomes = await Promise.allSettled([
      groupCommitAsync(db, insertAsync(db, 'lost with it')),
      groupCommit(db, () => db.$client.prepare('INSERT INTO t (v) VALUES (?)').run('sync, lost too')),
      groupCommitAsync(db, async () => {
        await insert(db, 'also lost')();
        db.$client.exec('ROLLBACK'); // what SQLite does itself on SQLITE_FULL or an I/O error
        throw new Error('database or disk is full');
      }),
      groupCommitAsync(db, insertAsync(db, 'next transaction')),
    ]);
    expect(reasons(outcomes)).toEqual(['Error: database or disk is full', 'Error: database or disk is full', 'Error: database or disk is full', 'ok']);
    expect(committed(file)).toEqual(['next transaction']);
    expect(groupCommitStats(db)).toMatchObject({ groups: 2, units: 4 });
  });

  it('fails every unit of the group, writing nothing, when the transaction cannot begin', async () => {
    const { db, file } = database(50);
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const outcomes = await Promise.allSettled([groupCommitAsync(db, insertAsync(db, 'x')), groupCommitAsync(db, insertAsync(db, 'y'))]);
      expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as { code?: string }).code)).toEqual(['SQLITE_BUSY', 'SQLITE_BUSY']);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(committed(file)).toEqual([]);
    expect(db.$client.inTransaction).toBe(false);
  });

  it('commits and leaves the rest for the next turn once a group has worked GROUP_SLICE_MS', async () => {
    const { db, file } = database();
    const order: string[] = [];
    const slow = (v: string) => async () => {
      const until = performance.now() + GROUP_SLICE_MS / 2 + 1;
      while (performance.now() < until); // a unit that takes a while
      await insert(db, v)();
      order.push(v);
    };
    const units = ['a', 'b', 'c', 'd', 'e'].map((v) => groupCommitAsync(db, slow(v)));
    setImmediate(() => order.push('other work'));
    await Promise.all(units);
    expect(committed(file)).toEqual(['a', 'b', 'c', 'd', 'e']);
    const other = order.indexOf('other work');
    expect(other === 1 || other === 2).toBe(true);
    expect(order.filter((v) => v !== 'other work')).toEqual(['a', 'b', 'c', 'd', 'e']);
    const stats = groupCommitStats(db);
    expect(stats.units).toBe(5);
    expect(stats.largest).toBeLessThanOrEqual(2);
    expect(stats.groups).toBeGreaterThanOrEqual(3);
  });

  it('runs a call made inside an async unit at once, in a savepoint: sync and async, each rolled back alone', async () => {
    const { db, file } = database();
    const result = await groupCommitAsync(db, async () => {
      await insert(db, 'outer')();
      const inner = await groupCommitAsync(db, insertAsync(db, 'inner async'));
      const sync = await groupCommit(db, () => Number(db.$client.prepare('INSERT INTO t (v) VALUES (?)').run('inner sync').lastInsertRowid));
      const failed = await groupCommitAsync(db, async () => {
        await insert(db, 'rolled back')();
        throw new Error('inner fails');
      }).catch((error: Error) => error.message);
      return { inner, sync, failed };
    });
    expect(result).toEqual({ inner: 2, sync: 3, failed: 'inner fails' });
    expect(committed(file)).toEqual(['outer', 'inner async', 'inner sync']);
    expect(groupCommitStats(db)).toMatchObject({ groups: 1, units: 1 });
  });

  it('refuses an async unit inside a synchronous transaction (it would outlive it)', async () => {
    const { db, file } = database();
    let inner: Promise<unknown> = Promise.resolve();
    await groupCommit(db, () => {
      db.$client.prepare('INSERT INTO t (v) VALUES (?)').run('sync unit');
      inner = groupCommitAsync(db, insertAsync(db, 'inner')).then(
        () => 'ran',
        (error: Error) => error.message,
      );
    });
    expect(await inner).toMatch(/an async unit of work cannot run inside a synchronous transaction/);
    expect(committed(file)).toEqual(['sync unit']);
  });

  it('honours the storage faults: refused while writes are refused; full until a group commits without a unit out of space', async () => {
    const { db, file } = database();
    const faults = faultsOf(db.$client);
    faults.refuseWrites({ code: 'DATABASE_GONE', reason: 'The database file /x was deleted', since: 0 });
    const refused = await Promise.allSettled([groupCommitAsync(db, insertAsync(db, 'a')), groupCommitAsync(db, insertAsync(db, 'b'))]);
    expect(refused.map((r) => r.status === 'rejected' && (r.reason as { code?: string }).code)).toEqual(['DATABASE_GONE', 'DATABASE_GONE']);
    faults.allowWrites();
    const outOfSpace = async () => {
      await insert(db, 'big')();
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    };
    const group = await Promise.allSettled([groupCommitAsync(db, insertAsync(db, 'c')), groupCommitAsync(db, outOfSpace)]);
    expect(group.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(committed(file)).toEqual(['c']);
    expect(faults.storageIsFull).toBe(true);
    await groupCommitAsync(db, insertAsync(db, 'd'));
    expect(faults.storageIsFull).toBe(false);
  });

  it('fails a unit that waits for the event loop, whatever it awaits, and keeps serving the queue', async () => {
    const { db, file } = database();
    const waits: [string, () => Promise<unknown>][] = [
      ['a timer', () => new Promise((resolve) => setTimeout(resolve, 0))],
      ['an immediate', () => new Promise((resolve) => setImmediate(resolve))],
      ['a file', () => import('node:fs/promises').then((fs) => fs.stat(file))],
    ];
    for (const [what, wait] of waits) {
      const outcomes = await Promise.allSettled([
        groupCommitAsync(db, insertAsync(db, `${what} before`)),
        groupCommitAsync(db, async () => {
          await insert(db, `${what} unit`)();
          await wait();
          await insert(db, `${what} unit, after`)();
        }),
        groupCommitAsync(db, insertAsync(db, `${what} after`)),
      ]);
      expect(outcomes.map((o) => o.status), what).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((outcomes[1] as PromiseRejectedResult).reason, what).toBeInstanceOf(UnitAwaitedIoError);
    }
    expect(committed(file)).toEqual(['a timer before', 'a timer after', 'an immediate before', 'an immediate after', 'a file before', 'a file after']);
    expect(db.$client.inTransaction).toBe(false);
  });

  it('commits exactly the units that succeed, in the order they came, whatever the mix of sync and async units', async () => {
    const { db } = database();
    const unitArb = fc.record({ async: fc.boolean(), fail: fc.boolean(), statements: fc.integer({ min: 0, max: 3 }) });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(unitArb, { minLength: 1, maxLength: 12 }), async (units) => {
        run++;
        db.$client.exec('DELETE FROM t');
        const order: number[] = [];
        const rows = (i: number) => Array.from({ length: units[i]!.statements }, (_, k) => `${run}-${i}-${k}`);
        const outcomes = await Promise.allSettled(
          units.map((unit, i) => {
            if (!unit.async) {
              return groupCommit(db, () => {
                order.push(i);
                for (const v of rows(i)) db.$client.prepare('INSERT INTO t (v) VALUES (?)').run(v);
                if (unit.fail) throw new Error(`unit ${i} fails`);
                return i;
              });
            }
            return groupCommitAsync(db, async () => {
              order.push(i);
              for (const v of rows(i)) await insert(db, v)();
              if (unit.fail) throw new Error(`unit ${i} fails`);
              return i;
            });
          }),
        );
        expect(order).toEqual(units.map((_, i) => i));
        expect(outcomes.map((o) => o.status === 'fulfilled')).toEqual(units.map((u) => !u.fail));
        const expected = units.flatMap((u, i) => (u.fail ? [] : rows(i)));
        expect((db.$client.prepare('SELECT v FROM t ORDER BY id').all() as { v: string }[]).map((r) => r.v)).toEqual(expected);
        expect(db.$client.inTransaction).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});

describe('background units (the outbox drain: store `inBackground`)', () => {
  it('give way: a unit queued after them runs first, and they keep their own order', async () => {
    const { db, file } = database();
    const background = ['b1', 'b2', 'b3', 'b4'].map((v) => groupCommitAsync(db, insert(db, v), { background: true }));
    const request = groupCommitAsync(db, insert(db, 'request'));
    await Promise.all([...background, request]);
    expect(committed(file)).toEqual(['request', 'b1', 'b2', 'b3', 'b4']);
  });

  it('run in short slices while requests write: a fifth of the group slice for REQUESTS_WITHIN_MS after a unit other than a background one', async () => {
    const { db } = database();
    await groupCommitAsync(db, insert(db, 'drain'), { background: true });
    expect(backgroundSliceMs(db, 10)).toBe(10); // only background work so far
    await groupCommitAsync(db, insert(db, 'request'));
    const after = performance.now();
    expect(backgroundSliceMs(db, 10, after)).toBe(GROUP_SLICE_MS * BACKGROUND_SHARE);
    expect(GROUP_SLICE_MS * BACKGROUND_SHARE).toBe(2);
    expect(backgroundSliceMs(db, 10, after + REQUESTS_WITHIN_MS)).toBe(10);
    expect(backgroundSliceMs(db, 1, after)).toBe(1); // never longer than the caller's own
    setGroupSlice(db, 60_000); // a test's groups that must not be cut: nor is background work
    expect(backgroundSliceMs(db, 10, after)).toBe(10);
  });

  it('wait at most BACKGROUND_GIVES_WAY_MS: then they take their place in the order the units came', () => {
    const unit = (name: string, background?: number): Unit => Object.assign({ fn: () => undefined, resolve: () => undefined, reject: () => undefined, async: true as const, background }, { name });
    const names = (units: Unit[]) => units.map((u) => (u as Unit & { name: string }).name);
    const now = 1_000;
    const queue = [unit('old', now - BACKGROUND_GIVES_WAY_MS), unit('young', now - 1), unit('request'), unit('young2', now), unit('request2')];
    expect(names(inGroupOrder(queue, now))).toEqual(['old', 'request', 'request2', 'young', 'young2']);
    // Nothing to move: the queue as it is.
    const plain = [unit('request'), unit('young', now)];
    expect(inGroupOrder(plain, now)).toBe(plain);
    const onlyBackground = [unit('b1', now), unit('b2', now)];
    expect(inGroupOrder(onlyBackground, now)).toBe(onlyBackground);
  });
});
