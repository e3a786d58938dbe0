/**
 * PostgreSQL and several instances (issue 16), in one run (`npm run bench -- --filter postgres`):
 * - intake throughput over HTTP (autocannon, 30 connections in all, BENCH_SECONDS each) with 1,
 *   2 and 3 Casebook servers on one PostgreSQL database, the connections split evenly over them,
 *   beside the same load on one server on SQLite (every server run from the sources, demo data);
 * - the SLA sweep at `--cases` open cases (default 1,000,000; 1 % of them with a breach due) on
 *   PostgreSQL, seeded with set-based SQL (INSERT … SELECT generate_series; the same shapes as
 *   bench/seed-store.ts, without timeline entries and search documents, which the sweep does not
 *   read), beside a bare SELECT of the due ids over the same index.
 *
 * The PostgreSQL server: DATABASE_URL's, where a role allowed to CREATE DATABASE makes throw-away
 * databases (dropped at the end); without DATABASE_URL a throw-away cluster (test/support/postgres.ts)
 * with durability ON (fsync, synchronous_commit, full_page_writes: as SQLite's commits are durable).
 */
import autocannon from 'autocannon';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ManualClock } from '../src/clock.js';
import { createServicesOn } from '../src/compose.js';
import { migratePostgres } from '../src/db/pg/migrate.js';
import { slaNextAtSql } from '../src/db/schema/index.js';
import { openStore } from '../src/db/store/open.js';
import { all } from '../src/db/store/rows.js';
import { createLogger } from '../src/logger.js';
import { seedDefinitions } from '../src/seed/seed-definitions.js';
import { dueTimers } from '../src/sla/sweep/pg.js';
import { sweepSla } from '../src/sla/sweep.js';
import { ADMIN_TOKEN, loadRepoDefinitions } from '../test/support/harness.js';
import { startPostgres } from '../test/support/postgres.js';
import { startServer, type RunningServer } from '../test/support/server.js';
import { median, time, type Bench, type BenchRow } from './bench.js';
import { ROOT, STORE_NOW } from './seed-store.js';

type Result = Awaited<ReturnType<typeof autocannon>>;

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 30;
const MINUTE = 60_000;
const fmt = (n: number) => n.toLocaleString('en');
const silent = createLogger('silent');

interface PostgresServer {
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

/** DATABASE_URL's server (throw-away databases made and dropped there), or a throw-away cluster. */
async function postgresServer(log: (line: string) => void): Promise<PostgresServer> {
  const given = process.env.DATABASE_URL;
  if (given?.startsWith('postgres')) {
    log('PostgreSQL: DATABASE_URL (throw-away databases created and dropped there)');
    const admin = new pg.Client({ connectionString: given });
    await admin.connect();
    const made: string[] = [];
    return {
      async createDatabase() {
        const name = `casebook_bench_${process.pid}_${made.length + 1}`;
        await admin.query(`CREATE DATABASE "${name}"`);
        made.push(name);
        const url = new URL(given);
        url.pathname = `/${name}`;
        return url.toString();
      },
      async stop() {
        for (const name of made) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await admin.end();
      },
    };
  }
  const cluster = await startPostgres({ settings: { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on', shared_buffers: '256MB' } });
  log(`PostgreSQL: a throw-away cluster (${cluster.binDir}), durability on`);
  return { createDatabase: () => cluster.createDatabase(), stop: () => cluster.stop() };
}

const SUBJECTS: [string, string][] = [
  ['Refund for a double charge', 'My card was charged twice for the March invoice, please refund.'],
  ['Login error after the update', 'I get error 500 when I try to sign in since this morning.'],
  ['How do I export my data?', 'Where do I find the CSV export of all our records?'],
  ['Calendar not syncing', 'Events from Google calendar are missing, the sync stopped yesterday.'],
  ['Change our plan', 'We would like to downgrade to the smaller plan next month.'],
];

/** Intake requests to one server for `seconds` (customers shared by every server's load: addresses from one counter). */
function load(url: string, connections: number, seconds: number, counter: { n: number }): Promise<Result> {
  return autocannon({
    url: `${url}/api/v1/cases`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
        setupRequest(req) {
          const n = counter.n++;
          const [subject, description] = SUBJECTS[n % SUBJECTS.length]!;
          req.body = JSON.stringify({ customer: { email: `customer${n % 500}@example.com` }, subject, description });
          return req;
        },
      },
    ],
  });
}

interface IntakeFigure {
  /** Cases per second, all servers together. */
  perSecond: number;
  p99: number;
  failed: number;
}

/** The load split over `servers` at once: their throughput together, the worst p99. */
async function intakeOn(servers: RunningServer[]): Promise<IntakeFigure> {
  const counter = { n: 0 };
  await Promise.all(servers.map((s) => load(s.url, Math.max(1, Math.floor(10 / servers.length)), 1, counter))); // warm-up
  const results = await Promise.all(servers.map((s) => load(s.url, CONNECTIONS / servers.length, SECONDS, counter)));
  const total = results.reduce((n, r) => n + r.requests.total, 0);
  const failed = results.reduce((n, r) => n + r.non2xx + r.errors, 0);
  return { perSecond: total / SECONDS, p99: Math.max(...results.map((r) => r.latency.p99)), failed };
}

async function startServers(count: number, options: { databaseUrl?: string; dir: string }): Promise<RunningServer[]> {
  const servers: RunningServer[] = [];
  try {
    // One after the other: the first migrates and seeds, the others find it done.
    for (let i = 0; i < count; i++) {
      servers.push(
        await startServer({
          databasePath: path.join(options.dir, `server-${i}`, 'casebook.db'),
          ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
          env: { SEED_DEMO: 'true', DEMO_PASSWORD: 'benchmark password', LOG_LEVEL: 'error', ATTACHMENTS_DIR: path.join(options.dir, 'files') },
          timeoutMs: 120_000,
        }),
      );
    }
    return servers;
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
}

async function intakeRows(server: PostgresServer, log: (line: string) => void): Promise<BenchRow[]> {
  const dir = path.join(ROOT, '.bench', 'postgres');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const sqliteServers = await startServers(1, { dir: path.join(dir, 'sqlite') });
  let sqlite: IntakeFigure;
  try {
    sqlite = await intakeOn(sqliteServers);
  } finally {
    await Promise.all(sqliteServers.map((s) => s.stop()));
  }
  log(`SQLite, 1 server: ${sqlite.perSecond.toFixed(0)} cases/s, p99 ${sqlite.p99} ms, ${sqlite.failed} failed`);
  const rows: BenchRow[] = [];
  for (const count of [1, 2, 3]) {
    const servers = await startServers(count, { databaseUrl: await server.createDatabase(), dir: path.join(dir, `pg-${count}`) });
    let figure: IntakeFigure;
    try {
      figure = await intakeOn(servers);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
    log(`PostgreSQL, ${count} server(s): ${figure.perSecond.toFixed(0)} cases/s, p99 ${figure.p99} ms, ${figure.failed} failed`);
    if (figure.failed > 0 || sqlite.failed > 0) throw new Error(`intake answered ${figure.failed} (PostgreSQL) / ${sqlite.failed} (SQLite) requests with errors`);
    rows.push({
      figure: `intake c=${CONNECTIONS}, ${count} instance${count === 1 ? '' : 's'} on one PostgreSQL: time per case (1 / throughput)`,
      ms: 1000 / figure.perSecond,
      baseline: `one server on SQLite, same load`,
      baselineMs: 1000 / sqlite.perSecond,
      note: `${figure.perSecond.toFixed(0)} vs ${sqlite.perSecond.toFixed(0)} cases/s; p99 ${figure.p99} vs ${sqlite.p99} ms`,
    });
  }
  return rows;
}

/** `cases` open cases with their two SLA timers (1 in `dueEvery` resolution timers past due at STORE_NOW), set-based. */
async function seedOpenCases(url: string, cases: number, dueEvery: number): Promise<{ due: number }> {
  const now = STORE_NOW;
  const tier1 = Math.max(10, Math.ceil(cases / 500));
  const perQueue = Math.floor(tier1 / 3);
  const customerCount = Math.max(100, Math.ceil(cases / 100));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('ALTER TABLE cases DISABLE TRIGGER USER; ALTER TABLE customers DISABLE TRIGGER USER');
    const firstAgent = Number(
      (
        await client.query<{ first: string }>(
          `WITH s AS (INSERT INTO staff (email, name, role, skills, capacity, available, active, created_at, updated_at)
             SELECT 'agent' || g || '@bench.test', 'Agent ' || g, 'agent', '[]', 1000000, true, true, ${now}, ${now} FROM generate_series(0, ${tier1 - 1}) g RETURNING id)
           SELECT min(id) AS first FROM s`,
        )
      ).rows[0]!.first,
    );
    await client.query(`INSERT INTO staff_queues (staff_id, queue_id) SELECT ${firstAgent} + g, (ARRAY['general', 'billing', 'technical'])[1 + g % 3] FROM generate_series(0, ${tier1 - 1}) g`);
    const firstCustomer = Number(
      (
        await client.query<{ first: string }>(
          `WITH s AS (INSERT INTO customers (email, name, tier, created_at, updated_at)
             SELECT 'customer' || g || '@bench.test', 'Customer ' || g, 'standard', ${now}, ${now} FROM generate_series(0, ${customerCount - 1}) g RETURNING id)
           SELECT min(id) AS first FROM s`,
        )
      ).rows[0]!.first,
    );
    const shape = `SELECT i, 1001 + i AS id, ${now} - (1 + i % 7200)::bigint * ${MINUTE} AS created,
        CASE WHEN i % ${dueEvery} = 0 THEN ${now} - (1 + i % 600)::bigint * ${MINUTE} ELSE ${now} + (600 + i % 12000)::bigint * ${MINUTE} END AS res_due,
        i % 2 = 0 AS answered, ${now} + (600 + i % 3000)::bigint * ${MINUTE} AS first_due
      FROM generate_series(0, ${cases - 1}) i`;
    await client.query(
      `INSERT INTO cases (id, customer_id, subject, description, channel, requested_priority, priority, status, state_entered_at, open, tier,
         queue_id, assignee_id, tags, skills, workflow, workflow_version, sla_policy, sla_config_version, sla_due_at, suggestions,
         diagnosis_matched, version, created_at, updated_at, first_response_at)
       SELECT id, ${firstCustomer} + i % ${customerCount}, 'Bench case ' || i, 'A benchmark case, number ' || i, 'api', 'normal', 'normal', 'open', created, true, 1,
         (ARRAY['general', 'billing', 'technical'])[1 + i % 3], ${firstAgent} + i % 3 + 3 * ((i / 3) % ${perQueue}), '[]', '[]', 'support', 1, 'standard', 1,
         CASE WHEN answered THEN res_due ELSE least(res_due, first_due) END, '[]', false, 1, created, created, CASE WHEN answered THEN created + 30 * ${MINUTE} END
       FROM (${shape}) s`,
    );
    await client.query(`SELECT setval('cases_id_seq', ${1000 + cases})`);
    await client.query(
      `INSERT INTO sla_timers (case_id, metric, state, policy, policy_version, calendar, target_minutes, warn_offset_minutes, used_minutes,
         started_at, segment_started_at, due_at, warn_at, fulfilled_at, updated_at)
       SELECT id, 'firstResponse', CASE WHEN answered THEN 'fulfilled' ELSE 'running' END, 'standard', 1, 'office', 480, 96, CASE WHEN answered THEN 30 ELSE 0 END,
         created, CASE WHEN answered THEN NULL ELSE created END, CASE WHEN answered THEN NULL ELSE first_due END,
         CASE WHEN answered THEN NULL ELSE first_due - 96 * ${MINUTE} END, CASE WHEN answered THEN created + 30 * ${MINUTE} END, created
       FROM (${shape}) s
       UNION ALL
       SELECT id, 'resolution', 'running', 'standard', 1, 'office', 2400, 480, 0, created, created, res_due, res_due - 480 * ${MINUTE}, NULL, created FROM (${shape}) s`,
    );
    await client.query(`UPDATE staff SET open_cases = (SELECT count(*) FROM cases c WHERE c.assignee_id = staff.id AND c.open)`);
    await client.query('ALTER TABLE cases ENABLE TRIGGER USER; ALTER TABLE customers ENABLE TRIGGER USER');
    await client.query('VACUUM ANALYZE');
    return { due: Math.ceil(cases / dueEvery) };
  } finally {
    await client.end();
  }
}

async function sweepRows(server: PostgresServer, cases: number, log: (line: string) => void): Promise<BenchRow[]> {
  const url = await server.createDatabase();
  await migratePostgres(url);
  const store = openStore({ postgresUrl: url, max: 4 });
  try {
    const services = await createServicesOn(store, new ManualClock(STORE_NOW), { logger: silent });
    await seedDefinitions(services, loadRepoDefinitions());
    const seeded = await time(() => seedOpenCases(url, cases, 100));
    log(`seeded ${fmt(cases)} open cases (${fmt(seeded.value.due)} due) in ${(seeded.ms / 1000).toFixed(0)} s`);
    const now = STORE_NOW;
    const next = slaNextAtSql();
    const bareSql = `SELECT id, case_id FROM sla_timers WHERE (${next}) IS NOT NULL AND (${next}) <= ?`;
    const bare = () => store.query((q) => all<{ id: number }>(q, bareSql, [now]));
    const due = (await bare()).length;
    if (due !== seeded.value.due) throw new Error(`expected ${seeded.value.due} due timers, found ${due}`);
    const findMs = await median(5, () => store.query((q) => dueTimers(q, now, due)));
    const bareMs = await median(5, bare);
    const rows: BenchRow[] = [
      {
        figure: 'PostgreSQL: find the due timers (the sweep query, with case columns; warm)',
        ms: findMs,
        baseline: 'bare SELECT of the due ids, same index',
        baselineMs: bareMs,
        note: `${fmt(due)} due of ${fmt(cases * 2)} timers`,
      },
    ];
    const swept = await time(() => sweepSla(services, { now, batchSize: 1000 }));
    if (swept.value.breaches !== due) throw new Error(`expected ${due} breaches, recorded ${swept.value.breaches}`);
    rows.push({
      figure: 'PostgreSQL: one sweep, find and record every breach',
      ms: swept.ms,
      baseline: 'bare SELECT of the due ids, same index',
      baselineMs: bareMs,
      goalMs: 1000,
      note: `${fmt(swept.value.breaches)} breaches in ${fmt(cases)} open cases`,
    });
    const probeSql = `${bareSql} ORDER BY (${next}) LIMIT 1`;
    rows.push({
      figure: 'PostgreSQL: a sweep with nothing due (median of 50)',
      ms: await median(50, () => sweepSla(services, { now })),
      baseline: 'a bare index probe (ORDER BY the index, LIMIT 1)',
      baselineMs: await median(50, () => store.query((q) => all(q, probeSql, [now]))),
      goalMs: 5,
      note: `${fmt(cases)} open cases`,
    });
    services.outbox.stop();
    return rows;
  } finally {
    await store.close();
  }
}

const bench: Bench = {
  name: 'PostgreSQL and several instances',
  async run(ctx) {
    const server = await postgresServer(ctx.log);
    try {
      // POSTGRES_BENCH=intake or =sweep runs that part only (default: both).
      const only = process.env.POSTGRES_BENCH;
      const rows = only === 'sweep' ? [] : await intakeRows(server, ctx.log);
      if (only !== 'intake') rows.push(...(await sweepRows(server, ctx.cases, ctx.log)));
      return rows;
    } finally {
      await server.stop();
    }
  },
};

export default bench;
