/**
 * Search over a large store (1,000,000 cases by default, each with a message and a quarter
 * with an internal note; support-desk text from bench/support/search-text.ts): server time
 * p99 of `GET /api/v1/search` through the whole app (auth, parsing, visibility, filters,
 * snippets, JSON) for typical queries by a manager, an agent and a customer, beside a bare
 * FTS5 MATCH of the same words on the same database (the newest 21 documents, nothing else).
 * Then what the index costs every intake: WAL pages and time per case created through
 * `createCase`, on two copies of the store, one with the search triggers dropped.
 *
 *   npm run bench -- --filter search [--cases 100000]
 */
import fs from 'node:fs';
import path from 'node:path';
import { newTokenRow } from '../src/auth/api-tokens.js';
import { apiTokens } from '../src/db/schema/index.js';
import { createCase } from '../src/cases/create-case.js';
import { ManualClock } from '../src/clock.js';
import { openDatabase, type Db } from '../src/db/client.js';
import { createApp } from '../src/http/app.js';
import { ftsQuery, parseQuery } from '../src/search/parse-query.js';
import { createServices } from '../src/compose.js';
import { ADMIN, ADMIN_TOKEN } from '../test/support/harness.js';
import type { Bench, BenchRow } from './bench.js';
import { ROOT, STORE_NOW, ensureStore } from './seed-store.js';
import { RARE_WORD } from './support/search-text.js';

const RUNS = Number(process.env.SEARCH_BENCH_RUNS ?? 200);
const INTAKES = Number(process.env.SEARCH_BENCH_INTAKES ?? 400);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function timings(runs: number, fn: () => Promise<unknown> | unknown): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 10; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

interface Caller {
  label: string;
  token: string;
}

/** A token row written straight into the store file (the benchmark runs on SQLite only). */
function tokenOf(db: Db, principal: { type: 'staff' | 'customer'; id: number }, now: number): string {
  const { token, row } = newTokenRow(principal, 'bench', now);
  db.insert(apiTokens).values(row).run();
  return token;
}

function callers(db: Db): { manager: Caller; agent: Caller; customer: Caller } {
  const c = db.$client;
  const now = STORE_NOW;
  const manager =
    (c.prepare("SELECT id FROM staff WHERE role = 'manager' LIMIT 1").get() as { id: number } | undefined)?.id ??
    Number(c.prepare("INSERT INTO staff (email, name, role, skills, capacity, available, created_at, updated_at) VALUES ('bench-manager@casebook.test', 'Bench Manager', 'manager', '[]', 0, 1, 0, 0)").run().lastInsertRowid);
  const agent = (c.prepare("SELECT s.id FROM staff s JOIN staff_queues q ON q.staff_id = s.id WHERE s.role = 'agent' AND q.queue_id = 'general' LIMIT 1").get() as { id: number }).id;
  const customer = (c.prepare('SELECT customer_id AS id FROM cases ORDER BY id DESC LIMIT 1').get() as { id: number }).id;
  return {
    manager: { label: 'manager', token: tokenOf(db, { type: 'staff', id: manager }, now) },
    agent: { label: 'agent (general queue)', token: tokenOf(db, { type: 'staff', id: agent }, now) },
    customer: { label: 'customer (own cases)', token: tokenOf(db, { type: 'customer', id: customer }, now) },
  };
}

async function searchRows(file: string, cases: number, log: (line: string) => void): Promise<BenchRow[]> {
  const db = openDatabase(file);
  const services = createServices(db, new ManualClock(STORE_NOW));
  const app = createApp(services, { adminToken: ADMIN_TOKEN });
  const who = callers(db);
  const lastCustomer = (db.$client.prepare('SELECT email FROM customers c JOIN cases k ON k.customer_id = c.id ORDER BY k.id DESC LIMIT 1').get() as { email: string }).email;
  const queries: [Caller, string][] = [
    [who.manager, 'refund'],
    [who.manager, 'payment card'],
    [who.manager, '"password reset"'],
    [who.manager, RARE_WORD],
    [who.manager, 'refu'],
    [who.manager, 'refund -invoice'],
    [who.manager, 'refund created:>2026-03-03'],
    [who.manager, `refund customer:${lastCustomer}`],
    [who.manager, 'status:open queue:technical'],
    [who.agent, 'refund'],
    [who.agent, 'password reset assignee:me'],
    [who.agent, 'refund queue:billing'],
    [who.customer, 'refund'],
    [who.customer, 'account'],
  ];
  const bare = db.$client.prepare('SELECT rowid FROM search_fts WHERE search_fts MATCH ? AND rowid > 0 ORDER BY rowid DESC LIMIT 21');
  const rows: BenchRow[] = [];
  for (const [caller, q] of queries) {
    const url = `http://localhost/api/v1/search?q=${encodeURIComponent(q)}`;
    const request = async () => {
      const res = await app.request(url, { headers: { Authorization: `Bearer ${caller.token}` } });
      if (res.status !== 200) throw new Error(`${q}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<{ cases: { items: unknown[]; partial: boolean } }>;
    };
    const sample = await request();
    const parsed = parseQuery(q);
    const fts = ftsQuery(parsed);
    const page = await timings(RUNS, request);
    const baseline = fts ? await timings(RUNS, () => bare.all(fts)) : await timings(RUNS, () => db.$client.prepare('SELECT id FROM cases ORDER BY id DESC LIMIT 21').all());
    log(`${caller.label} "${q}": p50 ${page.p50.toFixed(2)} ms, p99 ${page.p99.toFixed(2)} ms (bare p99 ${baseline.p99.toFixed(3)} ms); ${sample.cases.items.length} cases${sample.cases.partial ? ', partial' : ''}`);
    rows.push({
      figure: `search p99, ${caller.label}: ${q}`,
      ms: page.p99,
      baseline: fts ? 'bare FTS5 MATCH, newest 21 documents, p99' : 'bare SELECT of the newest 21 cases, p99',
      baselineMs: baseline.p99,
      goalMs: 50,
      note: `p50 ${page.p50.toFixed(2)} ms; ${sample.cases.items.length} cases${sample.cases.partial ? ' (budget reached)' : ''}; ${cases.toLocaleString('en')} cases`,
    });
  }
  services.outbox.stop();
  db.$client.close();
  return rows;
}

const TRIGGERS = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_fts_%'";

interface IntakeStore {
  db: Db;
  services: ReturnType<typeof createServices>;
  file: string;
  pages: number[];
  times: number[];
}

function openCopy(store: string, copy: string, withSearch: boolean): IntakeStore {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(copy + suffix, { force: true });
  fs.copyFileSync(store, copy);
  const db = openDatabase(copy);
  if (!withSearch) for (const { name } of db.$client.prepare(TRIGGERS).all() as { name: string }[]) db.$client.exec(`DROP TRIGGER ${name}`);
  db.$client.pragma('wal_autocheckpoint = 0');
  return { db, services: createServices(db, new ManualClock(STORE_NOW)), file: copy, pages: [], times: [] };
}

/**
 * WAL frames and time of INTAKES cases created one by one through createCase on two copies
 * of the store, one without the search triggers, taking turns (so load on the machine hits
 * both alike). Each intake starts from an empty WAL; its frames are the pages it wrote.
 */
async function intakeCost(store: string, log: (line: string) => void): Promise<{ with: IntakeStore; without: IntakeStore; docMs: number; rowMs: number }> {
  const without = openCopy(store, path.join(ROOT, '.bench', 'search-intake-without.db'), false);
  const withSearch = openCopy(store, path.join(ROOT, '.bench', 'search-intake-with.db'), true);
  for (let n = 0; n < INTAKES + 50; n++) {
    for (const target of n % 2 ? [withSearch, without] : [without, withSearch]) {
      const { db, services, file } = target;
      const frame = (db.$client.pragma('page_size', { simple: true }) as number) + 24;
      const wal = () => fs.statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0;
      db.$client.pragma('wal_checkpoint(TRUNCATE)');
      const before = Math.max(wal(), 32);
      const start = performance.now();
      await createCase(
        services,
        { customer: { email: `intake${n % 4 === 0 ? n : 1}@example.com`, name: 'Intake' }, subject: `Refund for a double charge #${n}`, description: 'My card was charged twice for the March invoice, please refund.' },
        ADMIN,
      );
      const ms = performance.now() - start;
      if (n < 50) continue;
      target.times.push(ms);
      target.pages.push((wal() - before) / frame);
    }
  }
  // The index's own work in one intake: one document in its own committed transaction,
  // beside one row of the same text into a plain table.
  const c = withSearch.db.$client;
  c.exec('CREATE TABLE bench_plain (id INTEGER PRIMARY KEY, subject TEXT, body TEXT)');
  const next = (c.prepare('SELECT max(id) AS id FROM cases').get() as { id: number }).id + 1;
  const doc = c.transaction((i: number) => c.prepare('INSERT INTO search_fts(rowid, subject, body) VALUES (?, ?, ?)').run((next + i) * 2 ** 20, `Refund for a double charge #${i}`, 'My card was charged twice for the March invoice, please refund.'));
  const row = c.transaction((i: number) => c.prepare('INSERT INTO bench_plain (id, subject, body) VALUES (?, ?, ?)').run(i, `Refund for a double charge #${i}`, 'My card was charged twice for the March invoice, please refund.'));
  const docTimes: number[] = [];
  const rowTimes: number[] = [];
  for (let i = 0; i < INTAKES; i++) {
    let start = performance.now();
    doc(i);
    docTimes.push(performance.now() - start);
    start = performance.now();
    row(i);
    rowTimes.push(performance.now() - start);
  }
  docTimes.sort((a, b) => a - b);
  rowTimes.sort((a, b) => a - b);
  for (const target of [without, withSearch]) {
    target.services.outbox.stop();
    target.db.$client.close();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(target.file + suffix, { force: true });
    target.times.sort((a, b) => a - b);
  }
  log(`intake: ${mean(withSearch.pages).toFixed(2)} WAL pages, median ${percentile(withSearch.times, 50).toFixed(2)} ms (without the search index: ${mean(without.pages).toFixed(2)} pages, ${percentile(without.times, 50).toFixed(2)} ms)`);
  log(`one index document, committed: median ${(percentile(docTimes, 50) * 1000).toFixed(0)} µs (a plain row: ${(percentile(rowTimes, 50) * 1000).toFixed(0)} µs)`);
  return { with: withSearch, without, docMs: percentile(docTimes, 50), rowMs: percentile(rowTimes, 50) };
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

const bench: Bench = {
  name: 'search',
  async run({ cases, log }) {
    const store = ensureStore(cases, 0.01, log);
    const rows = await searchRows(store.file, cases, log);
    if (INTAKES === 0) return rows;
    const cost = await intakeCost(store.file, log);
    const [withPages, withoutPages] = [mean(cost.with.pages), mean(cost.without.pages)];
    const [withMs, withoutMs] = [percentile(cost.with.times, 50), percentile(cost.without.times, 50)];
    rows.push(
      {
        figure: 'WAL pages per intake with the search index (pages as ms)',
        ms: withPages,
        baseline: 'the same intakes without the search triggers',
        baselineMs: withoutPages,
        note: `+${(withPages - withoutPages).toFixed(2)} pages; mean over ${INTAKES} intakes, one in four with a new customer`,
      },
      {
        figure: 'intake time with the search index, median',
        ms: withMs,
        baseline: 'the same intakes without the search triggers (taking turns)',
        baselineMs: withoutMs,
        note: `${withMs >= withoutMs ? '+' : ''}${(withMs - withoutMs).toFixed(2)} ms; createCase on the store, one transaction each`,
      },
      {
        figure: "the index's own work per intake: one document, committed, median",
        ms: cost.docMs,
        baseline: 'one row of the same text into a plain table, committed',
        baselineMs: cost.rowMs,
        note: `${INTAKES} of each, taking turns`,
      },
    );
    return rows;
  },
};

export default bench;
