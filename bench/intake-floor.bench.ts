/**
 * The floor under issue 11's goals: what SQLite alone costs for the rows one intake must write,
 * with no JavaScript around them. On the intake bench's store (bench/intake.bench.ts
 * `prepareStore`), 200 real intakes (`createCase`) are run and the rows each one wrote are read
 * back: its case, its timeline entries, its SLA timers and its outbox items. Those rows are then
 * replayed with new case ids straight into prepared statements (one multi-row insert per table,
 * 20 intakes per transaction as the group commit does, no savepoints, no reads), and timed per
 * intake (CPU time, best of the rounds). Beside it, in the same loop and transactions, the bare
 * route's one row (bench/support/baseline-server.ts: one table, no index).
 *
 * Then the same replay with parts of the schema taken away, each on its own copy of the store,
 * to show what each part costs (these are not proposals: search, the inbox's queries and the
 * webhooks need them): the search index's triggers, the webhooks trigger, foreign keys, the
 * case table's secondary indexes, and all of these at once.
 *
 *   npm run bench -- --filter intake-floor
 *   node --import tsx bench/intake-floor.bench.ts   # alone, prints the lines
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { systemClock } from '../src/clock.js';
import { openDatabase, registerSqlFunctions } from '../src/db/client.js';
import { createServices } from '../src/compose.js';
import { createCase } from '../src/cases/create-case.js';
import type { Actor } from '../src/roles.js';
import { tempDir } from '../test/support/harness.js';
import type { Bench, BenchRow } from './bench.js';
import { prepareStore } from './intake.bench.js';
import { INTAKE_INPUTS } from './support/intake-inputs.js';

const SAMPLE = 200;
const GROUP = 20;
const PER_ROUND = 1000;
const ROUNDS = Number(process.env.INTAKE_FLOOR_ROUNDS ?? 9);

type Row = Record<string, unknown>;

/** The rows one real intake wrote, by table. */
interface Written {
  case: Row;
  events: Row[];
  timers: Row[];
  outbox: Row[];
}

/** Runs SAMPLE real intakes on `file` and reads back what each wrote. */
async function sampleIntakes(file: string): Promise<Written[]> {
  const db = openDatabase(file);
  const services = createServices(db, systemClock);
  services.outbox.stop();
  try {
    const admin = db.$client.prepare("SELECT id, name FROM staff WHERE role = 'admin' ORDER BY id LIMIT 1").get() as { id: number; name: string };
    const actor: Actor = { type: 'staff', id: admin.id, role: 'admin', name: admin.name };
    const ids: number[] = [];
    for (let i = 0; i < SAMPLE; i += GROUP) {
      const group = Array.from({ length: GROUP }, (_, k) => {
        const [subject, description] = INTAKE_INPUTS[(i + k) % INTAKE_INPUTS.length]!;
        return createCase(services, { customer: { email: `customer${(i + k) % 500}@example.com` }, subject, description }, actor);
      });
      for (const c of await Promise.all(group)) ids.push(c.id);
    }
    const by = (sql: string) => db.$client.prepare(sql);
    const caseRow = by('SELECT * FROM cases WHERE id = ?');
    const events = by('SELECT * FROM case_events WHERE case_id = ? ORDER BY id');
    const timers = by('SELECT * FROM sla_timers WHERE case_id = ? ORDER BY id');
    const outbox = by('SELECT * FROM outbox WHERE case_id = ? ORDER BY id');
    return ids.map((id) => ({ case: caseRow.get(id) as Row, events: events.all(id) as Row[], timers: timers.all(id) as Row[], outbox: outbox.all(id) as Row[] }));
  } finally {
    await services.outbox.idle();
    db.$client.close();
  }
}

/** What each variant takes away from the schema before the replay. */
const VARIANTS: { name: string; sql: (db: Database.Database) => string[] }[] = [
  { name: 'as the intake writes them', sql: () => [] },
  { name: 'without the search index triggers', sql: () => ['DROP TRIGGER search_fts_case_insert', 'DROP TRIGGER search_fts_case_insert_later', 'DROP TRIGGER search_fts_message'] },
  { name: 'without the webhooks trigger', sql: () => ['DROP TRIGGER IF EXISTS case_events_webhooks'] },
  { name: 'without foreign key checks', sql: () => ['PRAGMA foreign_keys = OFF'] },
  { name: "without the case table's secondary indexes", sql: (db) => caseIndexes(db).map((i) => `DROP INDEX ${i}`) },
  {
    name: 'without all of these',
    sql: (db) => ['PRAGMA foreign_keys = OFF', 'DROP TRIGGER search_fts_case_insert', 'DROP TRIGGER search_fts_case_insert_later', 'DROP TRIGGER search_fts_message', 'DROP TRIGGER IF EXISTS case_events_webhooks', ...caseIndexes(db).map((i) => `DROP INDEX ${i}`)],
  },
];

function caseIndexes(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases' AND sql IS NOT NULL").pluck().all() as string[]);
}

/** A multi-row INSERT of `columns` for `count` rows, prepared once per count. */
function inserter(db: Database.Database, table: string, columns: readonly string[]) {
  const prepared = new Map<number, Database.Statement>();
  return (rows: readonly unknown[][]) => {
    if (rows.length === 0) return;
    let s = prepared.get(rows.length);
    if (!s) {
      const one = `(${columns.map(() => '?').join(', ')})`;
      s = db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.map(() => one).join(', ')}`);
      prepared.set(rows.length, s);
    }
    s.run(rows.flat());
  };
}

export interface Floor {
  /** Main-thread µs per intake replayed, best round, per variant (in VARIANTS' order). */
  variants: { name: string; micros: number }[];
  /** The bare route's row in the same loop, µs per row, best round. */
  bareMicros: number;
  /** Rows per intake, by table (averages over the sample). */
  rows: { events: number; timers: number; outbox: number };
}

/**
 * The process's CPU time so far, µs (getrusage: exact, where the thread's schedstat is only
 * brought up to date at the scheduler's ticks). The replay is one synchronous loop with no
 * worker threads, so this is the main thread's time.
 */
function nowMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Replays the sample on a copy of `file` (with the variant's changes), and the bare row beside it. */
function replay(file: string, sample: readonly Written[], variant: (typeof VARIANTS)[number]): { micros: number; bareMicros: number } {
  const copy = `${file}.replay`;
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(copy + suffix, { force: true });
  fs.copyFileSync(file, copy);
  const db = new Database(copy);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('secure_delete = ON');
    registerSqlFunctions(db);
    for (const sql of variant.sql(db)) db.exec(sql);
    db.exec('CREATE TABLE bare (id INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT NOT NULL, description TEXT NOT NULL, customer TEXT NOT NULL, created_at INTEGER NOT NULL)');
    const caseColumns = Object.keys(sample[0]!.case);
    const columnsOf = (rows: Row[][]) => Object.keys(rows.find((r) => r.length > 0)?.[0] ?? {}).filter((c) => c !== 'id');
    const eventColumns = columnsOf(sample.map((s) => s.events));
    const timerColumns = columnsOf(sample.map((s) => s.timers));
    const outboxColumns = columnsOf(sample.map((s) => s.outbox));
    const insertCase = db.prepare(`INSERT INTO cases (${caseColumns.join(', ')}) VALUES (${caseColumns.map(() => '?').join(', ')})`);
    const insertEvents = inserter(db, 'case_events', eventColumns);
    const insertTimers = inserter(db, 'sla_timers', timerColumns);
    const insertOutbox = inserter(db, 'outbox', outboxColumns);
    const insertBare = db.prepare('INSERT INTO bare (subject, description, customer, created_at) VALUES (?, ?, ?, ?)');
    let nextId = (db.prepare('SELECT max(id) FROM cases').pluck().get() as number) + 1;
    const valuesOf = (rows: Row[], columns: readonly string[], caseId: number) => rows.map((r) => columns.map((c) => (c === 'case_id' ? caseId : r[c])));

    const intakes = (count: number) => {
      for (let done = 0; done < count; done += GROUP) {
        db.exec('BEGIN IMMEDIATE');
        for (let k = 0; k < GROUP; k++) {
          const w = sample[(done + k) % sample.length]!;
          const id = nextId++;
          insertCase.run(caseColumns.map((c) => (c === 'id' ? id : c === 'external_id' ? null : w.case[c])));
          insertEvents(valuesOf(w.events, eventColumns, id));
          insertTimers(valuesOf(w.timers, timerColumns, id));
          insertOutbox(valuesOf(w.outbox, outboxColumns, id));
        }
        db.exec('COMMIT');
      }
    };
    const bares = (count: number) => {
      for (let done = 0; done < count; done += GROUP) {
        db.exec('BEGIN IMMEDIATE');
        for (let k = 0; k < GROUP; k++) {
          const w = sample[(done + k) % sample.length]!;
          insertBare.run(w.case.subject, w.case.description, `customer${k}@example.com`, w.case.created_at);
        }
        db.exec('COMMIT');
      }
    };
    intakes(PER_ROUND); // warm-up
    bares(PER_ROUND);
    let micros = Infinity;
    let bareMicros = Infinity;
    for (let r = 0; r < ROUNDS; r++) {
      let t = nowMicros();
      intakes(PER_ROUND);
      micros = Math.min(micros, (nowMicros() - t) / PER_ROUND);
      t = nowMicros();
      bares(PER_ROUND);
      bareMicros = Math.min(bareMicros, (nowMicros() - t) / PER_ROUND);
      db.pragma('wal_checkpoint(TRUNCATE)'); // as the server's worker does, out of the timed loop
    }
    return { micros, bareMicros };
  } finally {
    db.close();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(copy + suffix, { force: true });
  }
}

export async function measureFloor(): Promise<Floor> {
  const dir = tempDir('casebook-intake-floor-');
  const file = path.join(dir, 'floor.db');
  try {
    await prepareStore(file);
    const sample = await sampleIntakes(file);
    const variants: Floor['variants'] = [];
    let bareMicros = Infinity;
    for (const variant of VARIANTS) {
      const r = replay(file, sample, variant);
      variants.push({ name: variant.name, micros: r.micros });
      bareMicros = Math.min(bareMicros, r.bareMicros);
    }
    const avg = (f: (w: Written) => number) => sample.reduce((s, w) => s + f(w), 0) / sample.length;
    return { variants, bareMicros, rows: { events: avg((w) => w.events.length), timers: avg((w) => w.timers.length), outbox: avg((w) => w.outbox.length) } };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const bench: Bench = {
  name: 'intake floor (the rows of an intake, replayed without JavaScript)',
  async run(ctx) {
    const floor = await measureFloor();
    ctx.log(`rows per intake: 1 case, ${floor.rows.events.toFixed(1)} timeline entries, ${floor.rows.timers.toFixed(1)} SLA timers, ${floor.rows.outbox.toFixed(1)} outbox items; the bare route's row ${floor.bareMicros.toFixed(1)} µs`);
    for (const v of floor.variants) ctx.log(`  ${v.micros.toFixed(1)} µs per intake ${v.name}`);
    const [whole] = floor.variants;
    const rows: BenchRow[] = floor.variants.map((v) => ({
      figure: `an intake's rows, SQLite alone, ${v.name} (µs as ms)`,
      ms: v.micros,
      baseline: "the bare route's row, same loop",
      baselineMs: floor.bareMicros,
      note: v === whole ? 'groups of 20 per transaction, best round' : `${(whole!.micros - v.micros).toFixed(1)} µs less than all of it`,
    }));
    return rows;
  },
};
export default bench;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await bench.run({ cases: 0, log: (line) => console.log(line) });
}
