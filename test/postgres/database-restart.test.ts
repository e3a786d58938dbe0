/**
 * PostgreSQL going away under a running Casebook (docs/deploying.md, "Several instances on
 * PostgreSQL"): a restart of the database server, or a backend terminated, fails what was in
 * flight and nothing else.
 * - The store: a connection terminated while a write holds it (checked out of the pool, between
 *   two statements) fails that write and the process lives on; the next write gets a new
 *   connection. (node-postgres emits the error on the checked-out client, which the pool does
 *   not listen to: without a listener of Casebook's the process died, every instance at once
 *   when the database restarted.)
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Postgres } from '../../src/db/pg/client.js';
import type { Store } from '../../src/db/store/index.js';
import { postgresStore } from '../../src/db/store/pg.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

let cluster: PostgresCluster;

beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('a pooled connection terminated while a write holds it', () => {
  let postgres: Postgres;
  let store: Store;
  let admin: pg.Client;

  beforeAll(async () => {
    const url = await cluster.createDatabase();
    postgres = openPostgres(url, { max: 2 });
    store = postgresStore(postgres.db, { close: postgres.close });
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await store?.close();
  });

  it('fails that write; the process lives on and the next write succeeds', async () => {
    let held: pg.PoolClient | null = null;
    const onAcquire = (client: pg.PoolClient) => (held = client);
    postgres.pool.on('acquire', onAcquire);
    const failed = await store
      .write(async (q) => {
        const row = await q.get<{ pid: number }>(sql`SELECT pg_backend_pid() AS pid`);
        // Its server process ends while the transaction is open and no statement runs on it: the
        // client emits 'error', then 'end'. Wait for the end, then use the connection again.
        const ended = new Promise((resolve) => held!.once('end', resolve));
        await admin.query('SELECT pg_terminate_backend($1)', [row!.pid]);
        await ended;
        await q.run(sql`SELECT 1`);
        return 'committed';
      })
      .then(
        () => null,
        (error: unknown) => error,
      );
    postgres.pool.off('acquire', onAcquire);
    expect(failed).toBeInstanceOf(Error);

    expect(await store.write(async (q) => (await q.get<{ n: number }>(sql`SELECT 41 + 1 AS n`))!.n)).toBe(42);
  });
});
