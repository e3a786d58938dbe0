/**
 * The agent inbox over a large store (1,000,000 open cases by default): server time of the
 * inbox page — the whole request through the app (session, query, rendering) — for the first
 * page and a deep page (keyset cursor 200 pages in), for a manager's "all open" view and an
 * agent's "my queues" view; beside the bare indexed SELECT of the same rows. Then the real
 * server is started on the store and its peak RSS read after inbox and intake traffic.
 */
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { newSessionRow, type NewSession } from '../src/auth/sessions.js';
import { staffPrincipal } from '../src/auth/principal.js';
import { ManualClock } from '../src/clock.js';
import { decodeInboxCursor, inboxCounts, inboxPage, inboxQuerySchema, type InboxFilters } from '../src/cases/inbox.js';
import { savedViews } from '../src/cases/inbox-views.js';
import { inboxViews, sessions } from '../src/db/schema/index.js';
import { openDatabase } from '../src/db/client.js';
import { createApp } from '../src/http/app.js';
import { createServices } from '../src/compose.js';
import { ADMIN_TOKEN } from '../test/support/harness.js';
import { startServer } from '../test/support/server.js';
import type { Bench, BenchRow } from './bench.js';
import { ROOT, STORE_NOW, ensureStore } from './seed-store.js';

const RUNS = 300;
const DEPTH = 200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function timings(runs: number, fn: () => Promise<unknown> | unknown): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 20; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

/**
 * The server runs on the real clock; the store was built around STORE_NOW. Moving every
 * instant by the difference keeps it as it was meant (1 % due, the rest in the future) instead
 * of a store whose every timer fell due months ago. (The append-only timeline keeps its
 * dates: nothing the server does at start-up reads them.)
 */
function shiftToNow(file: string): void {
  const db = openDatabase(file);
  const delta = Date.now() - STORE_NOW;
  const shift = (table: string, columns: string[]) =>
    db.$client.prepare(`UPDATE ${table} SET ${columns.map((c) => `${c} = CASE WHEN ${c} IS NULL OR ${c} >= 253402300799999 THEN ${c} ELSE ${c} + ${delta} END`).join(', ')}`).run();
  db.$client.transaction(() => {
    shift('cases', ['created_at', 'updated_at', 'state_entered_at', 'sla_due_at', 'first_response_at']);
    shift('sla_timers', ['started_at', 'segment_started_at', 'due_at', 'warn_at', 'fulfilled_at', 'updated_at']);
  })();
  db.$client.close();
}

/** Twenty saved views of the kinds people keep: a view with one or two filters each. */
const VIEWS: InboxFilters[] = [
  { view: 'mine' },
  { view: 'mine', priority: 'urgent' },
  { view: 'mine', status: 'pending' },
  { view: 'mine', tag: 'vip' },
  { view: 'queues' },
  { view: 'queues', queue: 'billing' },
  { view: 'queues', priority: 'high' },
  { view: 'queues', status: 'new' },
  { view: 'breaching' },
  { view: 'breaching', priority: 'urgent' },
  { view: 'breaching', queue: 'general' },
  { view: 'breaching', tag: 'vip' },
  { view: 'all' },
  { view: 'all', priority: 'urgent' },
  { view: 'all', queue: 'technical' },
  { view: 'all', status: 'pending' },
  { view: 'all', tag: 'vip' },
  { view: 'all', queue: 'billing', priority: 'high' },
  { view: 'all', status: 'open', priority: 'low' },
  { view: 'queues', queue: 'general', priority: 'urgent' },
];

/**
 * The inbox's saved views: the counts of 20 views (one capped query each, what the inbox page
 * adds), beside the sidebar's own counts on the same request (the 3–4 built-in views).
 */
/** A session row written straight into the store file (the benchmark runs on SQLite only). */
function sessionOf(db: ReturnType<typeof openDatabase>, staffId: number, now: number): NewSession {
  const { session, row } = newSessionRow({ type: 'staff', id: staffId }, now);
  db.insert(sessions).values(row).run();
  return session;
}

async function savedViewCounts(services: ReturnType<typeof createServices>, db: ReturnType<typeof openDatabase>, ids: { manager: number; agent: number }, cases: number, log: (line: string) => void): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  db.delete(inboxViews).run();
  VIEWS.forEach((filters, i) => {
    const query = new URLSearchParams(Object.entries(filters).map(([k, v]) => [k, String(v)])).toString();
    db.insert(inboxViews).values({ name: `View ${i + 1}`, query, ownerId: null, createdBy: 'bench', createdAt: STORE_NOW }).run();
  });
  for (const [label, staffId] of [
    ['manager', ids.manager],
    ['agent', ids.agent],
  ] as const) {
    const principal = staffPrincipal(db, staffId)!;
    const shown = (await savedViews(services, principal)).length;
    const counts = await timings(30, () => savedViews(services, principal));
    const sidebar = await timings(30, () => inboxCounts(services, principal));
    log(`${label}, ${shown} saved views: p50 ${counts.p50.toFixed(1)} ms, p99 ${counts.p99.toFixed(1)} ms (sidebar counts p99 ${sidebar.p99.toFixed(1)} ms)`);
    rows.push({
      figure: `inbox saved views (${label}, ${shown} views): their counts, p99`,
      ms: counts.p99,
      baseline: 'the sidebar counts of the same viewer, p99',
      baselineMs: sidebar.p99,
      note: `p50 ${counts.p50.toFixed(1)} ms; each count capped at 1,000; ${cases.toLocaleString('en')} cases`,
    });
  }
  db.delete(inboxViews).run();
  return rows;
}

const bench: Bench = {
  name: 'inbox',
  async run({ cases, log }) {
    const store = ensureStore(cases, 0.01, log);
    const db = openDatabase(store.file);
    const clock = new ManualClock(STORE_NOW);
    const services = createServices(db, clock);
    const app = createApp(services, { adminToken: ADMIN_TOKEN });
    const manager = db.$client.prepare("SELECT id FROM staff WHERE role IN ('manager', 'admin') LIMIT 1").get() as { id: number } | undefined;
    const managerId =
      manager?.id ??
      Number(
        db.$client
          .prepare("INSERT INTO staff (email, name, role, skills, capacity, available, created_at, updated_at) VALUES ('bench-manager@casebook.test', 'Bench Manager', 'manager', '[]', 0, 1, 0, 0)")
          .run().lastInsertRowid,
      );
    const agent = db.$client.prepare("SELECT s.id FROM staff s JOIN staff_queues q ON q.staff_id = s.id WHERE s.role = 'agent' AND q.queue_id = 'general' LIMIT 1").get() as { id: number };
    const rows: BenchRow[] = [];

    for (const [label, staffId, view] of [
      ['manager, all open', managerId, 'all'],
      ['agent, breaching soon', agent.id, 'breaching'],
    ] as const) {
      const principal = staffPrincipal(db, staffId)!;
      const session = sessionOf(db, staffId, clock.now());
      const cookie = `casebook_session=${session.id}`;
      // Walk DEPTH pages with the domain query to find a deep cursor.
      let cursor: string | undefined;
      for (let i = 0; i < DEPTH; i++) {
        const page = await inboxPage(services, principal, inboxQuerySchema.parse({ view, limit: 25, ...(cursor ? { cursor } : {}) }));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      const deepCursor = cursor!;
      const request = async (c?: string) => {
        const res = await app.request(`http://localhost/inbox?view=${view}${c ? `&cursor=${encodeURIComponent(c)}` : ''}`, { headers: { Cookie: cookie, 'HX-Request': 'true' } });
        return res.text();
      };
      if (!(await request()).includes('C-')) throw new Error(`${label}: the inbox shows no cases`);
      const deep = decodeInboxCursor(deepCursor);
      const keyset = [deep.slaDueAt, deep.id];
      // The bare page: the same rows from the same index, nothing else (for the agent, the
      // queue branch of the view: the view merges one such query per queue and "mine").
      const soon = clock.now() + 2 * 3_600_000;
      const bareFirst =
        view === 'all'
          ? db.$client.prepare('SELECT id FROM cases WHERE open = 1 ORDER BY sla_due_at, id LIMIT 26')
          : db.$client.prepare(`SELECT id FROM cases WHERE queue_id = 'general' AND open = 1 AND sla_due_at <= ${soon} ORDER BY sla_due_at, id LIMIT 26`);
      const bareDeep =
        view === 'all'
          ? db.$client.prepare('SELECT id FROM cases WHERE open = 1 AND (sla_due_at, id) > (?, ?) ORDER BY sla_due_at, id LIMIT 26')
          : db.$client.prepare(`SELECT id FROM cases WHERE queue_id = 'general' AND open = 1 AND sla_due_at <= ${soon} AND (sla_due_at, id) > (?, ?) ORDER BY sla_due_at, id LIMIT 26`);

      for (const [depth, run, bare] of [
        ['first page', () => request(), () => bareFirst.all()],
        [`page ${DEPTH}`, () => request(deepCursor), () => bareDeep.all(...keyset)],
      ] as const) {
        const page = await timings(RUNS, run);
        const baseline = await timings(RUNS, bare);
        log(`${label}, ${depth}: p50 ${page.p50.toFixed(2)} ms, p99 ${page.p99.toFixed(2)} ms (bare SELECT p99 ${baseline.p99.toFixed(3)} ms)`);
        rows.push({
          figure: `inbox (${label}), ${depth}: server time p99`,
          ms: page.p99,
          baseline: 'bare indexed SELECT of the same page, p99',
          baselineMs: baseline.p99,
          goalMs: 20,
          note: `p50 ${page.p50.toFixed(2)} ms (bare ${baseline.p50.toFixed(3)} ms); ${store.cases.toLocaleString('en')} cases`,
        });
      }
    }
    rows.push(...(await savedViewCounts(services, db, { manager: managerId, agent: agent.id }, store.cases, log)));
    services.outbox.stop();
    db.$client.close();

    // Peak RSS of the real server on the large store, after inbox and intake traffic.
    const copy = path.join(ROOT, '.bench', 'inbox-rss.db');
    fs.copyFileSync(store.file, copy);
    shiftToNow(copy);
    const server = await startServer({ databasePath: copy, env: { LOG_LEVEL: 'error' }, timeoutMs: 120_000 });
    const session = (() => {
      const d = openDatabase(copy);
      const s = sessionOf(d, managerId, Date.now());
      d.$client.close();
      return s;
    })();
    await autocannon({ url: `${server.url}/inbox?view=all`, connections: 10, duration: 5, headers: { Cookie: `casebook_session=${session.id}` } });
    let n = 0;
    await autocannon({
      url: `${server.url}/api/v1/cases`,
      connections: 10,
      duration: 5,
      requests: [
        {
          method: 'POST',
          headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
          setupRequest(req) {
            req.body = JSON.stringify({ customer: { email: `rss${n++ % 100}@example.com` }, subject: 'Invoice question', description: 'Where is my invoice?' });
            return req;
          },
        },
      ],
    });
    const status = fs.readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
    const rss = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) / 1024;
    await server.stop();
    fs.rmSync(copy, { force: true });
    for (const suffix of ['-wal', '-shm']) fs.rmSync(copy + suffix, { force: true });
    log(`server peak RSS with ${store.cases.toLocaleString('en')} cases: ${rss.toFixed(0)} MiB`);
    rows.push({
      figure: `server peak RSS with ${store.cases.toLocaleString('en')} cases (MiB as ms)`,
      ms: rss,
      baseline: 'file size of the store (MiB as ms)',
      baselineMs: fs.statSync(store.file).size / 2 ** 20,
      goalMs: 200,
      note: 'after 5 s of inbox pages and 5 s of intake at c=10',
    });
    return rows;
  },
};

export default bench;
