/**
 * Vitest global setup of the `postgres` project (vitest.config.ts): one throw-away cluster for
 * the whole run (./postgres.ts) and a template database with Casebook's PostgreSQL migrations
 * (drizzle/pg), which every harness of the project copies (./harness-postgres.ts), and a second
 * one with the repository's definitions seeded at the harness's default start (most harnesses).
 *
 * Both templates carry `harness.reset()` and the snapshot it restores: a harness's database is
 * reset and reused by the next harness of its process (harness-postgres.ts).
 *
 * In the template the staff and customer sequences start at 1,000,001: the harness's fixtures
 * (`h.agent()`, `h.customer()`) are synchronous, so on PostgreSQL they hand out their own ids
 * (1, 2, … as SQLite's would be) and write the rows before the next statement; what the
 * application creates takes the sequence's ids, which never meet them.
 *
 * The harnesses connect through the cluster's Unix socket: on these machines a statement's round
 * trip over loopback TCP cost the test process ~10 µs more CPU and the backend ~5 µs more
 * (`writev` was 14 % of the authorization matrix's worker in a profile): the project's
 * PostgreSQL-heavy files ran in 12–14 % less CPU over the socket, the whole project in ~2 % less
 * (docs/performance.md, "twenty-fourth session"). The servers the `processes` project starts on
 * PostgreSQL (test/postgres/) still connect over TCP, as a deployment usually does.
 * `CASEBOOK_TEST_PG_TCP=1` puts the harnesses on TCP too.
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migratePostgres } from '../../src/db/pg/migrate.js';
import { openPostgresStore } from '../../src/db/store/pg.js';
import { seedDefinitionsIn } from '../../src/seed/seed-definitions.js';
import { HARNESS_START, loadRepoDefinitions } from './harness.js';
import { startPostgres } from './postgres.js';
import { RESET_FUNCTIONS, type PostgresTemplate } from './harness-postgres.js';

export const FIXTURE_ID_CEILING = 1_000_000;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startPostgres();
  const template = 'casebook_template';
  const url = await cluster.createDatabase(template);
  await migratePostgres(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const table of ['staff', 'customers']) await client.query(`ALTER SEQUENCE ${table}_id_seq RESTART WITH ${FIXTURE_ID_CEILING + 1}`);
    // What a harness's database is reset to when it is given back for the next (harness-postgres.ts).
    await client.query(RESET_FUNCTIONS);
    await client.query('SELECT harness.snapshot()');
  } finally {
    await client.end();
  }
  // The definitions most harnesses seed, once: a copy of this instead (harness.ts).
  const seeded = 'casebook_seeded';
  const seededUrl = await cluster.createDatabase(seeded, { template });
  const store = openPostgresStore(seededUrl, { max: 1 });
  try {
    await store.write((q) => seedDefinitionsIn(q, loadRepoDefinitions(), new Date(HARNESS_START).getTime()));
    await store.query((q) => q.run(sql`SELECT harness.snapshot()`));
  } finally {
    await store.close();
  }
  const provided: PostgresTemplate = { url: process.env.CASEBOOK_TEST_PG_TCP === '1' ? cluster.url : overSocket(cluster.url, cluster.dir), template, seeded };
  project.provide('postgresTemplate', provided);
  return () => cluster.stop();
}

/**
 * The same cluster through its Unix socket (in `dir`): `?host=<dir>` is node-postgres's (and
 * libpq's) way to name a socket folder, and leaves the URL's shape as it was for the harness's
 * database names.
 */
function overSocket(url: string, dir: string): string {
  const socket = new URL(url);
  socket.searchParams.set('host', dir);
  return socket.toString();
}
