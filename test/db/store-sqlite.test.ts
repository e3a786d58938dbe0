/**
 * The storage port on SQLite (src/db/store/sqlite.ts): writes are units of group commit —
 * async ones sharing the turn's transaction with sync ones, in order — and a unit or read that
 * awaits anything but the database fails with UNIT_AWAITED_IO while nothing else writes into
 * the transaction it holds. Both dialects: store.test.ts.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, transaction, type Db } from '../../src/db/client.js';
import { groupCommit, groupCommitStats, setGroupSlice } from '../../src/db/group-commit.js';
import { UnitAwaitedIoError, type Handle, type Store } from '../../src/db/store/index.js';
import { openStore } from '../../src/db/store/open.js';
import { openReadCount, readContextEnabled } from '../../src/db/store/sqlite.js';
import { tempDir } from '../support/harness.js';

let sqliteDb: Db;
const stores = {} as { sqlite: Store };

beforeAll(() => {
  sqliteDb = openDatabase(path.join(tempDir(), 'store.db'));
  // Every unit of a turn in one group, whatever the machine's load (the group-stats test counts them).
  setGroupSlice(sqliteDb, 10_000);
  stores.sqlite = openStore({ sqlite: sqliteDb });
});

afterAll(() => {
  sqliteDb?.$client.close();
});

const T0 = 1_767_225_600_000;

describe('the store on SQLite: async units of group commit', () => {
  const queueIds = (like: string) => sqliteDb.$client.prepare('SELECT id FROM queues WHERE id LIKE ? ORDER BY rowid').pluck().all(like) as string[];
  const insertQueue = (q: Handle, id: string) => q.db.insert(q.tables.queues).values({ id, name: id, createdAt: T0 });

  it('runs the async units of a turn in one transaction, in order with sync ones; a failing one rolls back alone', async () => {
    const store = stores.sqlite;
    const before = groupCommitStats(sqliteDb);
    const order: string[] = [];
    const unit = (id: string, fail = false) =>
      store.write(async (q) => {
        order.push(`${id} start`);
        await insertQueue(q, id);
        await insertQueue(q, `${id}-2`);
        order.push(`${id} end`);
        if (fail) throw new Error(`${id} fails`);
        return id;
      });
    const sync = (id: string) =>
      groupCommit(sqliteDb, () => {
        order.push(`${id} sync`);
        sqliteDb.$client.prepare('INSERT INTO queues (id, name, created_at) VALUES (?, ?, 0)').run(id, id);
        return id;
      });
    const outcomes = await Promise.allSettled([unit('g-a'), sync('g-b'), unit('g-c', true), unit('g-d'), sync('g-e')]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual(['g-a', 'g-b', 'g-c fails', 'g-d', 'g-e']);
    expect(order).toEqual(['g-a start', 'g-a end', 'g-b sync', 'g-c start', 'g-c end', 'g-d start', 'g-d end', 'g-e sync']);
    const after = groupCommitStats(sqliteDb);
    expect(after.groups - before.groups).toBe(1);
    expect(after.units - before.units).toBe(5);
    expect(queueIds('g-%')).toEqual(['g-a', 'g-a-2', 'g-b', 'g-d', 'g-d-2', 'g-e']);
  });

  it('fails a unit that awaits a timer with UNIT_AWAITED_IO, rolls it back, and commits the others', async () => {
    const store = stores.sqlite;
    const outcomes = await Promise.allSettled([
      store.write((q) => insertQueue(q, 't-a')),
      store.write(async (q) => {
        await insertQueue(q, 't-b');
        await sleep(1); // not the database: the event loop runs other requests meanwhile
        await insertQueue(q, 't-b-2');
      }),
      store.write((q) => insertQueue(q, 't-c')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const error = (outcomes[1] as PromiseRejectedResult).reason as UnitAwaitedIoError;
    expect(error).toBeInstanceOf(UnitAwaitedIoError);
    expect(error.code).toBe('UNIT_AWAITED_IO');
    expect(error.message).toMatch(/awaited something other than the database/);
    expect(queueIds('t-%')).toEqual(['t-a', 't-c']);
    // Alone in its group (no savepoint) it fails the same way.
    await expect(store.write(async (q) => {
      await insertQueue(q, 't-d');
      await new Promise((resolve) => setImmediate(resolve));
    })).rejects.toBeInstanceOf(UnitAwaitedIoError);
    expect(queueIds('t-%')).toEqual(['t-a', 't-c']);
    expect(sqliteDb.$client.inTransaction).toBe(false);
  });

  it('refuses a write that would join a transaction held by a unit that yielded', async () => {
    const store = stores.sqlite;
    let joined: Promise<unknown> = Promise.resolve('not run');
    let nested: unknown = 'not run';
    // Another request's code, run by the event loop while the unit waits for its timer.
    const probe = () => {
      joined = groupCommit(sqliteDb, () => sqliteDb.$client.prepare('INSERT INTO queues (id, name, created_at) VALUES (?, ?, 0)').run('y-b', 'y-b')).then(
        () => 'joined',
        (error: unknown) => error,
      );
      try {
        transaction(sqliteDb, () => sqliteDb.$client.prepare('INSERT INTO queues (id, name, created_at) VALUES (?, ?, 0)').run('y-c', 'y-c'));
        nested = 'ran';
      } catch (error) {
        nested = error;
      }
    };
    const yielding = store.write(async (q) => {
      await insertQueue(q, 'y-a');
      setTimeout(probe, 0);
      await sleep(5); // the probe's timer (1 ms) runs first, with this unit's transaction open
    });
    await expect(yielding).rejects.toBeInstanceOf(UnitAwaitedIoError);
    expect(await joined).toBeInstanceOf(UnitAwaitedIoError);
    expect(nested).toBeInstanceOf(UnitAwaitedIoError);
    expect(queueIds('y-%')).toEqual([]);
  });

  it('fails a read that awaits a timer the same way and ends its read transaction', async () => {
    await expect(
      stores.sqlite.read(async (q) => {
        await q.all(sql`SELECT 1`);
        await sleep(1);
      }),
    ).rejects.toBeInstanceOf(UnitAwaitedIoError);
    expect(sqliteDb.$client.inTransaction).toBe(false);
    // Nothing writes in a read transaction held by a read that yielded.
    let nested: unknown = 'not run';
    const yielding = stores.sqlite.read(async () => {
      await sleep(5); // the timer below (1 ms) runs first
    });
    setTimeout(() => {
      try {
        transaction(sqliteDb, () => sqliteDb.$client.prepare('INSERT INTO queues (id, name, created_at) VALUES (?, ?, 0)').run('r-a', 'r-a'));
        nested = 'ran';
      } catch (error) {
        nested = error;
      }
    }, 0);
    await expect(yielding).rejects.toBeInstanceOf(UnitAwaitedIoError);
    expect(nested).toBeInstanceOf(UnitAwaitedIoError);
    expect(queueIds('r-%')).toEqual([]);
    // Reads of one turn share one read transaction.
    const [a, b] = await Promise.all([stores.sqlite.read((q) => q.get<{ n: number }>(sql`SELECT 1 AS n`)), stores.sqlite.read((q) => q.get<{ n: number }>(sql`SELECT 2 AS n`))]);
    expect([a, b]).toEqual([{ n: 1 }, { n: 2 }]);
    expect(sqliteDb.$client.inTransaction).toBe(false);
  });

  it("queues a write that starts while another request's read is open: the read keeps its snapshot, the write commits after it", async () => {
    const store = stores.sqlite;
    const count = (q: Handle) => q.get<{ n: number }>(sql`SELECT count(*) AS n FROM queues WHERE id LIKE 'concurrent-%'`).then((r) => r!.n);
    // The read begins and awaits its first statement; the write is called in the same turn (another request's).
    const reading = store.read(async (q) => [await count(q), await count(q)]);
    const writing = store.write((q) => insertQueue(q, 'concurrent-1').then(() => 'written'));
    expect(await Promise.all([reading, writing])).toEqual([[0, 0], 'written']);
    expect(await store.query(count)).toBe(1);
    expect(sqliteDb.$client.inTransaction).toBe(false);
  });

  it('still refuses a write made inside a read (it would run in the read transaction)', async () => {
    const store = stores.sqlite;
    await expect(store.read(async (q) => store.write((w) => insertQueue(w, `inside-read-${q.dialect}`)))).rejects.toThrow(/cannot run inside a synchronous transaction or a read/);
    expect(queueIds('inside-read-%')).toEqual([]);
    expect(sqliteDb.$client.inTransaction).toBe(false);
  });

  it('keeps its read context (which costs every promise in the process) on only while a read is open, and it works again after', async () => {
    const store = stores.sqlite;
    expect(openReadCount()).toBe(0);
    // Reads of one turn, one that fails and one that yields: each ends its share; the last one out turns the context off.
    const seen: number[] = [];
    const outcomes = await Promise.allSettled([
      store.read(async (q) => {
        seen.push(openReadCount());
        return q.get(sql`SELECT 1 AS n`);
      }),
      store.read(async () => {
        throw new Error('a read fails');
      }),
      store.read(async () => {
        await sleep(1);
      }),
    ]);
    expect(seen).toEqual([1]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect(openReadCount()).toBe(0);
    // Node 20 and 22 keep the flag on the storage (it decides whether the process's promise hooks run).
    if (process.versions.node.startsWith('20.') || process.versions.node.startsWith('22.')) expect(readContextEnabled()).toBe(false);
    // A read inside a write reads the write's transaction: it opens no read.
    await store.write(async () => store.read(async () => void seen.push(openReadCount())));
    expect(seen).toEqual([1, 0]);
    // Turned on again by the next read: a write inside it is still told apart from another request's write.
    const queued = store.read(async (q) => [await q.get(sql`SELECT 1 AS n`), await q.get(sql`SELECT 2 AS n`)]);
    const other = store.write((q) => insertQueue(q, 'context-other').then(() => 'written'));
    await expect(store.read(async (q) => store.write((w) => insertQueue(w, `context-inside-${q.dialect}`)))).rejects.toThrow(/cannot run inside a synchronous transaction or a read/);
    expect(await Promise.all([queued, other])).toEqual([[{ n: 1 }, { n: 2 }], 'written']);
    expect(queueIds('context-%')).toEqual(['context-other']);
    expect(openReadCount()).toBe(0);
    if (readContextEnabled() !== undefined) expect(readContextEnabled()).toBe(false);
  });
});
