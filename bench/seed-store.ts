/**
 * Builds a large Casebook store quickly, for benchmarks: N open cases with their SLA timers
 * (firstResponse — answered for half of them — and resolution), a timeline entry and a
 * message each (a quarter of them a second one, an internal note), support-desk text
 * (bench/support/search-text.ts) and the full-text search index over it, customers, tier-1
 * agents and advanced agents. A fraction of the cases has its resolution
 * timer past due at `now` (breaches waiting for the sweep); every other warning and due time
 * lies in the future, so a sweep at `now` finds exactly those.
 *
 * Rows are inserted with prepared statements in batched transactions, with the secondary
 * indexes dropped during the load and rebuilt afterwards (much faster than maintaining them
 * row by row; the search index likewise, built once at the end); definitions are seeded through
 * the production loader, so the store is a real Casebook database.
 *
 *   node --import tsx bench/seed-store.ts --cases 1000000 --due 0.01 --out .bench/store.db
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../src/clock.js';
import { openDatabase, type Db } from '../src/db/client.js';
import { loadDefinitionFiles } from '../src/definitions/files.js';
import { seedDefinitionsSync } from '../src/seed/seed-definitions.js';
import { builtinActions, createServices } from '../src/compose.js';
import { rebuildSearchIndex } from '../src/search/rebuild-index.js';
import { readCommandLine, runCli, UsageError } from '../src/cli.js';
import { MESSAGE_TYPES } from '../src/search/documents.js';
import { caseText, customerProfile, messageText } from './support/search-text.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The store's "now": Wednesday 4 March 2026, 12:00 UTC. */
export const STORE_NOW = Date.UTC(2026, 2, 4, 12, 0);

export interface SeedStoreOptions {
  file: string;
  cases: number;
  /** Fraction of cases whose resolution timer is past due at STORE_NOW (default 0.01). */
  dueFraction?: number;
  /** Rows per transaction (default 20,000). */
  batch?: number;
  tier1Agents?: number;
  advancedAgents?: number;
  customers?: number;
  log?: (line: string) => void;
}

export interface SeedStoreResult {
  file: string;
  cases: number;
  timers: number;
  due: number;
  now: number;
  seconds: number;
}

const MINUTE = 60_000;
const QUEUES = ['general', 'billing', 'technical'] as const;

/**
 * The triggers that keep `staff.open_cases` (agent loads) and `customers.open_cases`: dropped
 * before the load and made again after it, counted once (as the migrations do) instead of per
 * inserted case.
 */
function dropLoadTriggers(db: Db): string[] {
  const rows = db.$client.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND (name LIKE 'cases_load_%' OR name LIKE 'cases_customer_open_%')`).all() as { name: string; sql: string }[];
  for (const r of rows) db.$client.exec(`DROP TRIGGER "${r.name}"`);
  return rows.map((r) => r.sql);
}

/** Secondary indexes of the bulk-loaded tables: dropped before the load, rebuilt after. */
function dropIndexes(db: Db, tables: readonly string[]): string[] {
  const rows = db.$client
    .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${tables.map(() => '?').join(',')})`)
    .all(...tables) as { name: string; sql: string }[];
  for (const r of rows) db.$client.exec(`DROP INDEX "${r.name}"`);
  return rows.map((r) => r.sql);
}

/** The search index's triggers: dropped before the load, the index built once after it. */
function dropSearchTriggers(db: Db): string[] {
  const rows = db.$client.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_fts_%'").all() as { name: string; sql: string }[];
  for (const r of rows) db.$client.exec(`DROP TRIGGER "${r.name}"`);
  return rows.map((r) => r.sql);
}

export function seedStore(options: SeedStoreOptions): SeedStoreResult {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const n = options.cases;
  const dueEvery = Math.max(1, Math.round(1 / (options.dueFraction ?? 0.01)));
  const batch = options.batch ?? 20_000;
  const tier1 = options.tier1Agents ?? Math.max(10, Math.ceil(n / 500));
  const advanced = options.advancedAgents ?? 10;
  const customerCount = options.customers ?? Math.max(100, Math.ceil(n / 100));
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(options.file + suffix, { force: true });

  const db = openDatabase(options.file);
  const c = db.$client;
  const services = createServices(db, new ManualClock(STORE_NOW));
  seedDefinitionsSync(
    services,
    loadDefinitionFiles({ workflowsDir: path.join(ROOT, 'workflows'), rulesDir: path.join(ROOT, 'rules'), actions: builtinActions() }),
  );
  c.pragma('synchronous = OFF');
  c.pragma('cache_size = -262144'); // 256 MiB
  const now = STORE_NOW;
  const inBatches = (count: number, row: (i: number) => void) => {
    for (let from = 0; from < count; from += batch) {
      c.transaction(() => {
        for (let i = from; i < Math.min(count, from + batch); i++) row(i);
      })();
    }
  };

  // People.
  const insertStaff = c.prepare(
    `INSERT INTO staff (email, name, role, skills, capacity, available, active, created_at, updated_at) VALUES (?, ?, ?, '[]', ?, 1, 1, ?, ?)`,
  );
  const insertMember = c.prepare('INSERT INTO staff_queues (staff_id, queue_id) VALUES (?, ?)');
  const agentIds: number[] = [];
  c.transaction(() => {
    for (let i = 0; i < tier1; i++) {
      const id = Number(insertStaff.run(`agent${i}@bench.test`, `Agent ${i}`, 'agent', 1_000_000, now, now).lastInsertRowid);
      insertMember.run(id, QUEUES[i % QUEUES.length]);
      agentIds.push(id);
    }
    for (let i = 0; i < advanced; i++) {
      const id = Number(insertStaff.run(`advanced${i}@bench.test`, `Advanced ${i}`, 'advanced', 50, now, now).lastInsertRowid);
      insertMember.run(id, 'advanced');
    }
  })();
  const searchTriggers = dropSearchTriggers(db);
  const insertCustomer = c.prepare(`INSERT INTO customers (email, name, tier, organization, created_at, updated_at) VALUES (?, ?, 'standard', ?, ?, ?)`);
  inBatches(customerCount, (i) => {
    const profile = customerProfile(i);
    insertCustomer.run(`customer${i}@bench.test`, profile.name, profile.organization, now, now);
  });
  const firstCustomer = (c.prepare('SELECT min(id) AS id FROM customers').get() as { id: number }).id;

  log(`seeding ${n.toLocaleString('en')} cases (${Math.round(n / dueEvery).toLocaleString('en')} due) into ${options.file}`);
  const dropped = dropIndexes(db, ['cases', 'sla_timers', 'case_events']);
  const loadTriggers = dropLoadTriggers(db);

  const insertCase = c.prepare(
    `INSERT INTO cases (customer_id, subject, description, channel, requested_priority, priority, status, state_entered_at, open, tier,
       queue_id, assignee_id, tags, skills, workflow, workflow_version, sla_policy, sla_config_version, sla_due_at, suggestions,
       diagnosis_matched, version, created_at, updated_at, first_response_at, change_seq)
     VALUES (?, ?, ?, 'api', 'normal', 'normal', 'open', ?, 1, 1, ?, ?, '[]', '[]', 'support', 1, 'standard', 1, ?, '[]', 0, 1, ?, ?, ?, ?)`,
  );
  const insertTimer = c.prepare(
    `INSERT INTO sla_timers (case_id, metric, state, policy, policy_version, calendar, target_minutes, warn_offset_minutes, used_minutes,
       started_at, segment_started_at, due_at, warn_at, fulfilled_at, updated_at)
     VALUES (?, ?, ?, 'standard', 1, 'office', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertEvent = c.prepare(`INSERT INTO case_events (case_id, type, at, actor_type, actor_id, data) VALUES (?, 'case.created', ?, 'system', NULL, ?)`);
  const insertMessage = c.prepare(`INSERT INTO case_events (case_id, type, at, actor_type, actor_id, data) VALUES (?, ?, ?, ?, NULL, ?)`);
  const firstCaseId = 1001;
  const perQueue = Math.floor(tier1 / QUEUES.length);
  let timers = 0;
  let due = 0;
  inBatches(n, (i) => {
    const id = firstCaseId + i;
    const created = now - (1 + (i % 7200)) * MINUTE; // up to five days old
    const isDue = i % dueEvery === 0;
    // Resolution (40h): past due for the due cases, otherwise due 10h to ~9 days from now; the
    // warning (8h before) is then still in the future too.
    const resolutionDue = isDue ? now - (1 + (i % 600)) * MINUTE : now + (600 + (i % 12_000)) * MINUTE;
    const answered = i % 2 === 0;
    const firstDue = now + (600 + (i % 3000)) * MINUTE;
    const slaDue = answered ? resolutionDue : Math.min(resolutionDue, firstDue);
    const queue = QUEUES[i % QUEUES.length]!;
    const agent = agentIds[(i % QUEUES.length) + QUEUES.length * (Math.floor(i / QUEUES.length) % perQueue)]!;
    const text = caseText(i);
    // Its place in the order of changes given here (the id): with 0 the insert trigger numbers it
    // by max(change_seq), a scan of the table while its index is dropped, once per case.
    insertCase.run(firstCustomer + (i % customerCount), text.subject, text.description, created, queue, agent, slaDue, created, created, answered ? created + 30 * MINUTE : null, id);
    insertTimer.run(id, 'firstResponse', answered ? 'fulfilled' : 'running', 480, 96, answered ? 30 : 0, created, answered ? null : created,
      answered ? null : firstDue, answered ? null : firstDue - 96 * MINUTE, answered ? created + 30 * MINUTE : null, created);
    insertTimer.run(id, 'resolution', 'running', 2400, 480, 0, created, created, resolutionDue, resolutionDue - 480 * MINUTE, null, created);
    insertEvent.run(id, created, JSON.stringify({ subject: text.subject }));
    const type = i % 2 === 0 ? 'staff.replied' : 'customer.replied';
    insertMessage.run(id, type, created + MINUTE, type === 'staff.replied' ? 'staff' : 'customer', JSON.stringify({ body: messageText(i, 1) }));
    if (i % 4 === 1) insertMessage.run(id, MESSAGE_TYPES[2], created + 2 * MINUTE, 'staff', JSON.stringify({ body: messageText(i, 2) }));
    timers += 2;
    if (isDue) due++;
  });
  log(`rows inserted in ${((performance.now() - started) / 1000).toFixed(1)} s; rebuilding ${dropped.length} indexes`);
  for (const sql of dropped) c.exec(sql);
  log(`indexes rebuilt at ${((performance.now() - started) / 1000).toFixed(1)} s; building the search index`);
  c.transaction(() => rebuildSearchIndex(db))();
  for (const sql of searchTriggers) c.exec(sql);
  c.exec('UPDATE staff SET open_cases = (SELECT count(*) FROM cases c WHERE c.assignee_id = staff.id AND c.open = 1)');
  c.exec('UPDATE customers SET open_cases = (SELECT count(*) FROM cases c WHERE c.customer_id = customers.id AND c.open = 1)');
  for (const sql of loadTriggers) c.exec(sql);
  c.exec('ANALYZE');
  c.pragma('wal_checkpoint(TRUNCATE)');
  c.close();
  return { file: options.file, cases: n, timers, due, now, seconds: (performance.now() - started) / 1000 };
}

/** The migrations a store was built with: a cached store is rebuilt when they change. */
export function migrationsFingerprint(): string {
  return fs.readdirSync(path.join(ROOT, 'drizzle')).filter((f) => f.endsWith('.sql')).sort().join(',');
}

/** Reuses `.bench/store-<cases>.db` when it was built for the same size and migrations. */
export function ensureStore(cases: number, dueFraction: number, log: (line: string) => void): SeedStoreResult {
  const dir = path.join(ROOT, '.bench');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `store-${cases}.db`);
  const metaFile = `${file}.json`;
  const want = { cases, dueFraction, now: STORE_NOW, migrations: migrationsFingerprint(), seedVersion: 4 };
  if (fs.existsSync(file) && fs.existsSync(metaFile)) {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as typeof want & { result: SeedStoreResult };
    if (JSON.stringify({ ...meta, result: undefined }) === JSON.stringify({ ...want, result: undefined })) {
      log(`reusing ${path.relative(ROOT, file)} (built in ${meta.result.seconds.toFixed(0)} s)`);
      return meta.result;
    }
  }
  const result = seedStore({ file, cases, dueFraction, log });
  fs.writeFileSync(metaFile, JSON.stringify({ ...want, result }, null, 2));
  return result;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runCli(() => {
    const usage = [
      'Usage: npm run bench:seed -- [--cases N] [--due FRACTION] [--out FILE]',
      '  builds a large store for benchmarks, in batched transactions',
      '  --cases N          open cases (default 1000000)',
      '  --due FRACTION     share of them with a breach due at the store\'s "now" (default 0.01)',
      '  --out FILE         the store to write (default .bench/store.db)',
    ].join('\n');
    const { options } = readCommandLine(process.argv.slice(2), { usage, options: { cases: 'value', due: 'value', out: 'value' } });
    const cases = Number(options.get('cases') ?? 1_000_000);
    const dueFraction = Number(options.get('due') ?? 0.01);
    if (!Number.isInteger(cases) || cases < 1) throw new UsageError(`--cases must be a whole number of cases, got "${String(options.get('cases'))}".`, usage);
    if (!(dueFraction >= 0 && dueFraction <= 1)) throw new UsageError(`--due must be a fraction from 0 to 1, got "${String(options.get('due'))}".`, usage);
    const result = seedStore({
      file: path.resolve(String(options.get('out') ?? path.join(ROOT, '.bench', 'store.db'))),
      cases,
      dueFraction,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  });
}
