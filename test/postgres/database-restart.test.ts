/**
 * PostgreSQL going away under a running Casebook (docs/deploying.md, "Several instances on
 * PostgreSQL"): a restart of the database server, or a backend terminated, fails what was in
 * flight and nothing else.
 * - The store: a connection terminated while a write holds it (checked out of the pool, between
 *   two statements) fails that write — marked as the database being out of reach — and the
 *   process lives on; the next write gets a new connection. (node-postgres emits the error on
 *   the checked-out client, which the pool does not listen to: without a listener of Casebook's
 *   the process died, every instance at once when the database restarted.)
 * - A server: while the database is stopped requests answer 503 DATABASE_UNAVAILABLE with
 *   Retry-After (not 500 INTERNAL, one stack trace per request), one log line says so, and once
 *   the database is back the same process serves again — every intake it acknowledged stored.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openForCli } from '../../src/cli.js';
import { openPostgres, type Postgres } from '../../src/db/pg/client.js';
import { isUnreachableDatabaseError, type Store } from '../../src/db/store/index.js';
import { postgresStore } from '../../src/db/store/pg.js';
import { openStore } from '../../src/db/store/open.js';
import { ADMIN_TOKEN } from '../support/harness.js';
import { clusterCommand, startPostgres, type PostgresCluster } from '../support/postgres.js';
import { startServer, type RunningServer } from '../support/server.js';

const run = promisify(execFile);

let cluster: PostgresCluster;

beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

/** `pg_ctl` on the cluster (as the user it runs as): stop waits until it is down; restart starts it with its options. */
async function pgCtl(action: 'stop' | 'restart'): Promise<void> {
  const args = action === 'stop' ? ['stop', '-D', cluster.dataDir, '-m', 'fast', '-w', '-s'] : ['restart', '-D', cluster.dataDir, '-m', 'fast', '-w', '-s', '-l', path.join(cluster.dir, 'server.log')];
  const [cmd, cmdArgs] = clusterCommand(cluster, 'pg_ctl', args);
  await run(cmd, cmdArgs, { cwd: '/' });
}

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

  it('fails that write as the database out of reach; the process lives on and the next write succeeds', async () => {
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
    expect(isUnreachableDatabaseError(failed)).toBe(true);

    expect(await store.write(async (q) => (await q.get<{ n: number }>(sql`SELECT 41 + 1 AS n`))!.n)).toBe(42);
  });

  it('leaves an error that is the statement’s own unmarked', async () => {
    const failed = await store.write((q) => q.run(sql`SELECT * FROM no_such_table`)).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(Error);
    expect(isUnreachableDatabaseError(failed)).toBe(false);
  });
});

describe('a database that hangs rather than refuses (a lock held by another session)', () => {
  let server: RunningServer;
  let holder: pg.Client;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    url = await cluster.createDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-pg-hang-'));
    server = await startServer({ databasePath: path.join(dir, 'casebook.db'), databaseUrl: url, env: { ATTACHMENTS_DIR: path.join(dir, 'files'), CHAT_SWEEP_CRON: '0 0 1 1 *', DATABASE_STATEMENT_TIMEOUT_MS: '400' }, timeoutMs: 60_000 });
    holder = new pg.Client({ connectionString: url });
    await holder.connect();
  }, 90_000);

  afterAll(async () => {
    await holder?.end().catch(() => undefined);
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const intake = (n: number) =>
    fetch(`${server.url}/api/v1/cases`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ customer: { email: `hang-${n}@example.com` }, subject: `Hang ${n}`, description: 'While a lock is held' }),
    });

  it('answers 503 DATABASE_UNAVAILABLE with Retry-After after the statement timeout, logs it once, and serves once the lock goes', async () => {
    expect((await intake(0)).status).toBe(201);
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE cases IN ACCESS EXCLUSIVE MODE');

    const answers = await Promise.all([intake(1), intake(2), fetch(`${server.url}/api/v1/cases`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })]);
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(answer.headers.get('retry-after')).toBe('5');
      expect(await answer.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE', detail: 'The database did not answer in time (it is busy, or a lock is held). Please retry in a moment.' });
    }

    await holder.query('ROLLBACK');
    expect((await intake(3)).status).toBe(201);
    expect(server.child.exitCode).toBeNull();
    const lines = server.output().split('\n').filter((line) => line.includes('the database did not answer within DATABASE_STATEMENT_TIMEOUT_MS'));
    expect(lines).toHaveLength(1);
    expect(server.output()).not.toContain('"msg":"request failed"');
  }, 90_000);

  it('does not cut a command-line job (backup, import, reports): its statements run as long as they need', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { DATABASE_URL: url, DATABASE_PATH: path.join(dir, 'casebook.db'), DATABASE_STATEMENT_TIMEOUT_MS: '400', LOG_LEVEL: 'error' });
    const cli = await openForCli();
    try {
      const slept = await cli.services.store.query((q) => q.all<{ ok: number }>(sql`SELECT 1 AS ok FROM pg_sleep(0.8)`));
      expect(slept).toEqual([{ ok: 1 }]);
    } finally {
      await cli.close();
      process.env = saved;
    }
  });
});

describe('a server whose database restarts', () => {
  let server: RunningServer;
  let dir: string;
  let url: string;
  let store: Store;

  beforeAll(async () => {
    url = await cluster.createDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-db-restart-'));
    server = await startServer({ databasePath: path.join(dir, 'casebook.db'), databaseUrl: url, env: { ATTACHMENTS_DIR: path.join(dir, 'files'), CHAT_SWEEP_CRON: '0 0 1 1 *' }, timeoutMs: 60_000 });
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await store?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function intake(n: number): Promise<Response> {
    return fetch(`${server.url}/api/v1/cases`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ customer: { email: `restart-${n}@example.com` }, subject: `Restart ${n}`, description: 'While the database restarts' }),
    });
  }

  it('answers 503 DATABASE_UNAVAILABLE with Retry-After while it is down, and serves again once it is back, in the same process', async () => {
    expect((await intake(0)).status).toBe(201);

    // Intakes in flight when the database stops: each one is either stored (201) or refused
    // as the database being out of reach (503), never a 500, and the server does not die.
    const inFlight = Array.from({ length: 12 }, (_, i) => intake(100 + i));
    await pgCtl('stop');
    const answers = await Promise.all(inFlight);
    for (const answer of answers) expect([201, 503]).toContain(answer.status);
    const acknowledged = (await Promise.all(answers.filter((a) => a.status === 201).map((a) => a.json() as Promise<{ id: string }>))).map((c) => c.id);

    const down = await intake(1);
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toContain('application/problem+json');
    expect(down.headers.get('retry-after')).toBe('5');
    const problem = (await down.json()) as { code: string; detail: string; retryAfterSeconds: number };
    expect(problem).toMatchObject({ code: 'DATABASE_UNAVAILABLE', detail: 'The database cannot be reached right now. Please retry in a moment.', retryAfterSeconds: 5 });
    const page = await fetch(`${server.url}/login`);
    expect(page.status).toBe(200); // the sign-in page needs no database
    // A page whose session must be looked up: the error page, with the same advice.
    const signedIn = await fetch(`${server.url}/inbox`, { headers: { Cookie: 'casebook_session=some-session' } });
    expect(signedIn.status).toBe(503);
    expect(signedIn.headers.get('retry-after')).toBe('5');
    expect(await signedIn.text()).toContain('The database cannot be reached right now. Please retry in a moment.');
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    expect(server.child.exitCode).toBeNull();

    await pgCtl('restart');
    const back = await intake(2);
    expect(back.status).toBe(201);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(server.child.exitCode).toBeNull();

    store = openStore({ postgresUrl: url, max: 1 });
    const stored = await store.query((q) => q.all<{ id: number }>(sql`SELECT id FROM cases`));
    const ids = new Set(stored.map((row) => `C-${row.id}`));
    for (const id of acknowledged) expect(ids).toContain(id);

    // One line says why (not a stack trace per request), naming no password.
    const lines = server.output().split('\n').filter((line) => line.includes('the database cannot be reached'));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(server.output()).not.toContain('"msg":"request failed"');
  }, 90_000);
});
