/**
 * The storage port (src/db/store) on both dialects: the same scenarios on a migrated SQLite
 * file and on a migrated PostgreSQL database (one throw-away cluster for the file), then what
 * only one dialect has: group commit's async units on SQLite, retries on PostgreSQL.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, transaction, type Db } from '../../src/db/client.js';
import { groupCommit, groupCommitStats, setGroupSlice } from '../../src/db/group-commit.js';
import { openStore, isUniqueViolation, sqlState, UnitAwaitedIoError, type Handle, type Store } from '../../src/db/store/index.js';
import { tempDir } from '../support/harness.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';
import { createMigratedDatabase } from '../support/postgres-store.js';

let cluster: PostgresCluster;
let sqliteDb: Db;
let pgUrl: string;
const stores: Record<'sqlite' | 'postgres', Store> = {} as Record<'sqlite' | 'postgres', Store>;

beforeAll(async () => {
  cluster = await startPostgres();
  pgUrl = await createMigratedDatabase(cluster);
  stores.postgres = openStore({ postgresUrl: pgUrl, max: 8 });
  sqliteDb = openDatabase(path.join(tempDir(), 'store.db'));
  // Every unit of a turn in one group, whatever the machine's load (the group-stats tests count them).
  setGroupSlice(sqliteDb, 10_000);
  stores.sqlite = openStore({ sqlite: sqliteDb });
});

afterAll(async () => {
  await stores.postgres?.close();
  sqliteDb?.$client.close();
  await cluster?.stop();
});

const T0 = 1_767_225_600_000; // 2026-01-01: beyond PostgreSQL's int4, as every Casebook time

class VersionConflict extends Error {
  readonly code = 'VERSION_CONFLICT';
}

/** A customer, a queue and an open case: returns the case id. */
async function seedCase(q: Handle, key: string): Promise<number> {
  const t = q.tables;
  await q.db.insert(t.queues).values({ id: `q-${key}`, name: `Queue ${key}`, createdAt: T0 }).onConflictDoNothing();
  const [customer] = await q.db.insert(t.customers).values({ email: `${key}@example.com`, name: `Customer ${key}`, createdAt: T0, updatedAt: T0 }).returning({ id: t.customers.id });
  const [created] = await q.db
    .insert(t.cases)
    .values({
      customerId: customer!.id,
      subject: `Printer on fire (${key})`,
      description: 'Ünïcode, "quotes" and a newline\n',
      status: 'new',
      stateEnteredAt: T0,
      queueId: `q-${key}`,
      workflow: 'support',
      workflowVersion: 3,
      tags: ['vip', 'printer'],
      suggestions: [{ problemId: 7, title: 'Toner', score: 0.25 }],
      createdAt: T0,
      updatedAt: T0 + 1,
    })
    .returning({ id: t.cases.id });
  return created!.id;
}

const rows: Partial<Record<'sqlite' | 'postgres', unknown>> = {};

/** Never called: tsc checks that the handle's type refuses the synchronous terminals (store.ts). */
export function unconvertedCallsDoNotCompile(q: Handle): void {
  // @ts-expect-error .all() is better-sqlite3's synchronous API: await the builder instead
  void q.db.select().from(q.tables.cases).all();
  // @ts-expect-error .get() likewise
  void q.db.select().from(q.tables.cases).get();
  // @ts-expect-error .run() likewise
  void q.db.update(q.tables.cases).set({ version: 2 }).run();
}

describe.each(['sqlite', 'postgres'] as const)('the store on %s', (dialect) => {
  const store = () => stores[dialect];

  it('commits a write and reads it back with the same JavaScript values', async () => {
    const id = await store().write((q) => seedCase(q, `values-${dialect}`));
    const row = await store().read(async (q) => (await q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, id)).limit(1))[0]);
    expect(row).toMatchObject({ open: true, tags: ['vip', 'printer'], createdAt: T0, version: 1, slaDueAt: expect.any(Number) as number });
    expect(typeof row!.customerId).toBe('number');
    rows[dialect] = { ...row, id: undefined, customerId: undefined, queueId: undefined, subject: undefined };
    const raw = await store().read((q) => q.get<{ n: number; at: number }>(sql`SELECT count(*) AS n, max(created_at) AS at FROM cases WHERE id = ${id}`));
    expect(raw).toEqual({ n: 1, at: T0 });
  });

  it('leaves nothing of a write that fails, and tells a unique violation on both dialects', async () => {
    const failing = store().write(async (q) => {
      await q.db.insert(q.tables.queues).values({ id: `gone-${dialect}`, name: 'Gone', createdAt: T0 });
      throw new Error('changed my mind');
    });
    await expect(failing).rejects.toThrow('changed my mind');
    const duplicate = await store()
      .write(async (q) => {
        await q.db.insert(q.tables.customers).values({ email: `dup-${dialect}@example.com`, name: 'A', createdAt: T0, updatedAt: T0 });
        await q.db.insert(q.tables.customers).values({ email: `dup-${dialect}@example.com`, name: 'B', createdAt: T0, updatedAt: T0 });
      })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect(sqlState(duplicate)).toBe(dialect === 'sqlite' ? 'SQLITE_CONSTRAINT_UNIQUE' : '23505');
    const left = await store().read((q) =>
      q.all<{ id: string }>(sql`SELECT email AS id FROM customers WHERE email = ${`dup-${dialect}@example.com`} UNION ALL SELECT id FROM queues WHERE id = ${`gone-${dialect}`}`),
    );
    expect(left).toEqual([]);
  });

  it('lets exactly one of concurrent writers win each version; the others see the conflict', async () => {
    const id = await store().write((q) => seedCase(q, `race-${dialect}`));
    const c = (q: Handle) => q.tables.cases;
    // Each writer reads the case, decides, then writes under the version it read (STYLE.md).
    const read = () => store().read(async (q) => (await q.db.select({ version: c(q).version }).from(c(q)).where(eq(c(q).id, id)))[0]!.version);
    const attempt = (n: number, seen: number) =>
      store().write(async (q) => {
        const done = await q.db
          .update(c(q))
          .set({ subject: `writer ${n}`, version: seen + 1 })
          .where(and(eq(c(q).id, id), eq(c(q).version, seen)))
          .returning({ id: c(q).id });
        if (done.length === 0) throw new VersionConflict(`case ${id} changed since version ${seen}`);
        return n;
      });
    for (const round of [1, 2]) {
      const seen = await Promise.all([0, 1, 2, 3, 4].map(read));
      expect(new Set(seen)).toEqual(new Set([round]));
      const outcomes = await Promise.allSettled(seen.map((version, n) => attempt(n, version)));
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won, `round ${round}`).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(VersionConflict);
      const row = await store().read(async (q) => (await q.db.select().from(c(q)).where(eq(c(q).id, id)))[0]!);
      expect(row.version).toBe(round + 1);
      expect(row.subject).toBe(`writer ${(won[0] as PromiseFulfilledResult<number>).value}`);
    }
  });

  it('runs a write inside a write in a savepoint: the inner one fails alone', async () => {
    const result = await store().write(async (q) => {
      await q.db.insert(q.tables.queues).values({ id: `outer-${dialect}`, name: 'Outer', createdAt: T0 });
      const inner = await store()
        .write(async (q2) => {
          await q2.db.insert(q2.tables.queues).values({ id: `inner-${dialect}`, name: 'Inner', createdAt: T0 });
          throw new Error('inner fails');
        })
        .catch((error: Error) => error.message);
      const seen = await store().read((q3) => q3.all<{ id: string }>(sql`SELECT id FROM queues WHERE id LIKE ${`%er-${dialect}`} ORDER BY id`));
      return { inner, seen: seen.map((r) => r.id) };
    });
    expect(result).toEqual({ inner: 'inner fails', seen: [`outer-${dialect}`] });
    const after = await store().read((q) => q.all<{ id: string }>(sql`SELECT id FROM queues WHERE id LIKE ${`%er-${dialect}`} ORDER BY id`));
    expect(after.map((r) => r.id)).toEqual([`outer-${dialect}`]);
  });
});

it('hands out identical rows on both dialects', () => {
  expect(rows.sqlite).toBeDefined();
  expect(rows.postgres).toStrictEqual(rows.sqlite);
});

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
    const yielding = store.write(async (q) => {
      await insertQueue(q, 'y-a');
      await sleep(1);
    });
    // Runs while the yielding unit waits for its timer, with its transaction open.
    setTimeout(() => {
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
    }, 0);
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
});

describe('the store on PostgreSQL: retries', () => {
  /** A write that hits a serialization failure while `collide()` says so: another connection updates the row it read. */
  async function serializationRun(store: Store, id: number, collide: (run: number) => boolean): Promise<{ runs: number; result: Promise<string> }> {
    const other = new pg.Client({ connectionString: pgUrl });
    await other.connect();
    let runs = 0;
    const result = store.write(async (q) => {
      runs++;
      await q.run(sql`SET TRANSACTION ISOLATION LEVEL SERIALIZABLE`);
      const [row] = await q.db.select({ version: q.tables.cases.version }).from(q.tables.cases).where(eq(q.tables.cases.id, id));
      if (collide(runs)) await other.query('UPDATE cases SET version = version + 1 WHERE id = $1', [id]);
      await q.db.update(q.tables.cases).set({ version: row!.version + 1, subject: `run ${runs}` }).where(eq(q.tables.cases.id, id));
      return `run ${runs}`;
    });
    await result.catch(() => undefined);
    await other.end();
    return { runs, result };
  }

  it('runs a write again after a serialization failure (40001)', async () => {
    const store = openStore({ postgresUrl: pgUrl, attempts: 3, retryDelayMs: 1 });
    try {
      const id = await store.write((q) => seedCase(q, 'retry'));
      const { runs, result } = await serializationRun(store, id, (run) => run === 1);
      await expect(result).resolves.toBe('run 2');
      expect(runs).toBe(2);
      const row = await store.read(async (q) => (await q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, id)))[0]!);
      expect(row).toMatchObject({ subject: 'run 2', version: 3 });
    } finally {
      await store.close();
    }
  });

  it('gives up after the bound with the SQLSTATE', async () => {
    const store = openStore({ postgresUrl: pgUrl, attempts: 3, retryDelayMs: 1 });
    try {
      const id = await store.write((q) => seedCase(q, 'give-up'));
      const { runs, result } = await serializationRun(store, id, () => true);
      const error = await result.then(
        () => null,
        (e: unknown) => e,
      );
      expect(sqlState(error)).toBe('40001');
      expect(runs).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('reads in a read-only transaction', async () => {
    const error = await stores.postgres.read((q) => q.run(sql`INSERT INTO queues (id, name, created_at) VALUES ('ro', 'ro', 0)`)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(sqlState(error)).toBe('25006'); // read_only_sql_transaction
  });
});
