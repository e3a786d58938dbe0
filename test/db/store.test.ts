/**
 * The storage port (src/db/store) on both dialects: the same scenarios on a migrated SQLite
 * file and on a migrated PostgreSQL database (one throw-away cluster for the file), then
 * PostgreSQL's retries. SQLite's own (async units of group commit, the await rule):
 * store-sqlite.test.ts.
 */
import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/client.js';
import { isUniqueViolation, sqlState, type Handle, type Store } from '../../src/db/store/index.js';
import { openStore } from '../../src/db/store/open.js';
import { tempDir } from '../support/harness.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';
import { createMigratedDatabase } from '../support/postgres-store.js';

let cluster: PostgresCluster;
let sqliteDb: Db;
/** A second connection to the SQLite file: another process's writes. */
let sqliteOther: Db;
let pgUrl: string;
const stores: Record<'sqlite' | 'postgres', Store> = {} as Record<'sqlite' | 'postgres', Store>;

beforeAll(async () => {
  cluster = await startPostgres();
  pgUrl = await createMigratedDatabase(cluster);
  stores.postgres = openStore({ postgresUrl: pgUrl, max: 8 });
  sqliteDb = openDatabase(path.join(tempDir(), 'store.db'));
  sqliteOther = openDatabase(sqliteDb.$client.name);
  stores.sqlite = openStore({ sqlite: sqliteDb });
});

afterAll(async () => {
  await stores.postgres?.close();
  sqliteOther?.$client.close();
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

/**
 * Runs `text` (`?` for the one parameter) on a connection of its own, committed at once: on
 * SQLite synchronously (a read there may await only its own database), on PostgreSQL through a
 * client of its own.
 */
async function commitElsewhere(dialect: 'sqlite' | 'postgres', text: string, param: unknown): Promise<void> {
  if (dialect === 'sqlite') {
    sqliteOther.$client.prepare(text).run(param);
    return;
  }
  const other = new pg.Client({ connectionString: pgUrl });
  await other.connect();
  try {
    await other.query(text.replace('?', '$1'), [param]);
  } finally {
    await other.end();
  }
}

describe.each(['sqlite', 'postgres'] as const)('the store on %s', (dialect) => {
  const store = () => stores[dialect];

  it('reads one snapshot: a write committed elsewhere between two statements of a read is not seen by the second', async () => {
    const id = await store().write((q) => seedCase(q, `snapshot-${dialect}`));
    const subject = async (q: Handle) => (await q.db.select({ subject: q.tables.cases.subject }).from(q.tables.cases).where(eq(q.tables.cases.id, id)))[0]!.subject;
    const [first, second] = await store().read(async (q) => {
      const before = await subject(q);
      await commitElsewhere(dialect, `UPDATE cases SET subject = 'Changed elsewhere' WHERE id = ?`, id);
      return [before, await subject(q)];
    });
    expect(second).toBe(first);
    expect(await store().read(subject)).toBe('Changed elsewhere');
  });

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

  it('runs a query statement by statement: a later failing statement leaves the earlier one; inside a write it joins the write', async () => {
    const id = `query-${dialect}`;
    const failed = await store()
      .query(async (q) => {
        await q.db.insert(q.tables.queues).values({ id, name: 'Query', createdAt: T0 });
        await q.db.insert(q.tables.queues).values({ id, name: 'Again', createdAt: T0 });
      })
      .catch((error: unknown) => isUniqueViolation(error));
    expect(failed).toBe(true);
    const kept = await store().query((q) => q.db.select({ name: q.tables.queues.name }).from(q.tables.queues).where(eq(q.tables.queues.id, id)));
    expect(kept).toEqual([{ name: 'Query' }]);

    const inWrite = await store()
      .write(async () => {
        await store().query((q) => q.db.insert(q.tables.queues).values({ id: `${id}-w`, name: 'In a write', createdAt: T0 }));
        throw new Error('roll back');
      })
      .catch((error: Error) => error.message);
    expect(inWrite).toBe('roll back');
    const rolledBack = await store().query((q) => q.db.select().from(q.tables.queues).where(eq(q.tables.queues.id, `${id}-w`)));
    expect(rolledBack).toEqual([]);
  });
});

it('hands out identical rows on both dialects', () => {
  expect(rows.sqlite).toBeDefined();
  expect(rows.postgres).toStrictEqual(rows.sqlite);
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

  it('runs a write once more after a unique violation, which then sees the row committed meanwhile; its own second one is thrown', async () => {
    const store = openStore({ postgresUrl: pgUrl, attempts: 3, retryDelayMs: 1 });
    const other = new pg.Client({ connectionString: pgUrl });
    await other.connect();
    try {
      let runs = 0;
      // A form sent twice at once: both look the key up, find nothing, and insert it.
      const answer = await store.write(async (q) => {
        runs++;
        const [found] = await q.db.select().from(q.tables.queues).where(eq(q.tables.queues.id, 'twice'));
        if (found) return `found ${found.name}`;
        if (runs === 1) await other.query(`INSERT INTO queues (id, name, created_at) VALUES ('twice', 'The other one', 0)`);
        await q.db.insert(q.tables.queues).values({ id: 'twice', name: 'Mine', createdAt: T0 });
        return 'inserted';
      });
      expect([answer, runs]).toEqual(['found The other one', 2]);

      runs = 0;
      const error = await store
        .write(async (q) => {
          runs++;
          await q.db.insert(q.tables.queues).values({ id: 'twice', name: 'Mine', createdAt: T0 });
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect([sqlState(error), runs]).toEqual(['23505', 2]);
    } finally {
      await other.end();
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

describe('the store on PostgreSQL: errors', () => {
  it("lets no failed query's values out, in a write, a read or a query: the SQL and the database's reason instead", async () => {
    const email = 'chloe.secret@example.com';
    const failures = [
      stores.postgres.write(async (q) => {
        await q.db.insert(q.tables.customers).values({ email, name: 'Chloe Secret', createdAt: T0, updatedAt: T0 });
        await q.db.insert(q.tables.customers).values({ email, name: 'Chloe Secret', createdAt: T0, updatedAt: T0 });
      }),
      stores.postgres.read((q) => q.get(sql`SELECT * FROM customers WHERE email = ${email} AND id = ${'not a number'}`)),
      stores.postgres.query((q) => q.get(sql`SELECT * FROM customers WHERE email = ${email} AND id = ${'not a number'}`)),
    ];
    const errors = await Promise.all(failures.map((f) => f.then(() => null, (e: unknown) => e as Error))); // prettier-ignore
    expect(errors.map((e) => sqlState(e))).toEqual(['23505', '22P02', '22P02']); // the driver's error is still the cause
    for (const error of errors) {
      expect(error!.message).toMatch(/^Failed query: (insert into|SELECT).*\(\d+ values, not logged\): /);
      expect(`${error!.message}\n${error!.stack}`).not.toContain(email);
      expect(error!.message).not.toContain('Chloe Secret');
    }
    expect(errors[0]!.message).toContain('duplicate key value violates unique constraint');
  });
});
