/**
 * The price of the storage port on SQLite (docs/postgres.md, "Phase 2: the storage port"): an
 * intake-sized unit of work — 35 statements on cached prepared statements (src/db/fast.ts):
 * 10 reads by id, 20 inserts, 5 updates, as the intake does on its hot path — committed by
 * group commit as a sync unit (`groupCommit`, today's path: the baseline) and as an async unit
 * of the port (`store.write`) with an `await` per statement, as converted command code awaits
 * each query — and as an async unit whose statements run at once (a feature's sqlite.ts)
 * awaited once. In groups of 1 (a lone request) and of 20 (a busy turn). This process's CPU
 * microseconds per unit (wall time beside it: on a shared machine it follows the others' load),
 * the median of STORE_BENCH_ROUNDS rounds (default 41), the modes rotating so that the
 * machine's load falls on all alike. The issue allows at most 10 % on hot paths.
 *
 *   npm run bench -- --filter store
 */
import path from 'node:path';
import { openDatabase, type Db } from '../src/db/client.js';
import { statement } from '../src/db/fast.js';
import { groupCommit } from '../src/db/group-commit.js';
import type { Store } from '../src/db/store/index.js';
import { openStore } from '../src/db/store/open.js';
import { tempDir } from '../test/support/harness.js';
import type { Bench, BenchRow } from './bench.js';

const ROUNDS = Number(process.env.STORE_BENCH_ROUNDS ?? 41);
/** Units per round: about 50 ms of work, so that sync and async rounds alternate often. */
const UNITS = 500;

const READ = 'SELECT id, case_id, kind, body, at FROM bench_rows WHERE id = ?';
const INSERT = 'INSERT INTO bench_rows (case_id, kind, body, at) VALUES (?, ?, ?, ?)';
const UPDATE = 'UPDATE bench_rows SET body = ?, at = ? WHERE id = ?';

let seq = 0;

/** One unit's 35 statements, run synchronously. */
function syncUnit(db: Db): void {
  const caseId = ++seq;
  for (let i = 0; i < 10; i++) statement(db, READ).get(1 + ((caseId * 7 + i) % 1000));
  for (let i = 0; i < 20; i++) statement(db, INSERT).run(caseId, 'event', `{"n":${i}}`, caseId);
  for (let i = 0; i < 5; i++) statement(db, UPDATE).run(`{"u":${i}}`, caseId, 1 + ((caseId + i) % 1000));
}

/** The same unit written once for the port: every statement awaited (a settled promise on SQLite). */
async function asyncUnit(db: Db): Promise<void> {
  const caseId = ++seq;
  const run = <T>(fn: () => T): Promise<T> => Promise.resolve(fn());
  for (let i = 0; i < 10; i++) await run(() => statement(db, READ).get(1 + ((caseId * 7 + i) % 1000)));
  for (let i = 0; i < 20; i++) await run(() => statement(db, INSERT).run(caseId, 'event', `{"n":${i}}`, caseId));
  for (let i = 0; i < 5; i++) await run(() => statement(db, UPDATE).run(`{"u":${i}}`, caseId, 1 + ((caseId + i) % 1000)));
}

interface Round {
  /** Wall-clock microseconds per unit. */
  wall: number;
  /** This process's CPU (user + system) microseconds per unit: what other processes' load disturbs least. */
  cpu: number;
}

/** UNITS units committed in groups of `group` (all of a group queued in one turn). */
type Mode = 'sync' | 'async' | 'batched';

function unitOf(db: Db, store: Store, mode: Mode): Promise<void> {
  if (mode === 'sync') return groupCommit(db, () => syncUnit(db));
  if (mode === 'async') return store.write(() => asyncUnit(db));
  // A feature's sqlite.ts running its cached statements at once, awaited once by the command.
  return store.write(() => Promise.resolve(syncUnit(db)));
}

async function round(db: Db, store: Store, mode: Mode, group: number): Promise<Round> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  for (let done = 0; done < UNITS; done += group) {
    const units: Promise<void>[] = [];
    for (let i = 0; i < group; i++) units.push(unitOf(db, store, mode));
    await Promise.all(units);
  }
  const used = process.cpuUsage(cpu);
  return { wall: ((performance.now() - start) * 1000) / UNITS, cpu: (used.user + used.system) / UNITS };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const bench: Bench = {
  name: 'store',
  async run({ log }) {
    const db = openDatabase(path.join(tempDir('casebook-bench-store-'), 'store.db'), { migrate: false });
    db.$client.exec('CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL)');
    db.$client.exec('CREATE INDEX bench_rows_case_idx ON bench_rows (case_id)');
    const seed = db.$client.prepare("INSERT INTO bench_rows (case_id, kind, body, at) VALUES (?, 'seed', '{}', 0)");
    db.$client.transaction(() => {
      for (let i = 0; i < 1000; i++) seed.run(i);
    })();
    const store = openStore({ sqlite: db });
    const rows: BenchRow[] = [];
    for (const group of [1, 20]) {
      const times: Record<Mode, Round[]> = { sync: [], async: [], batched: [] };
      const modes: Mode[] = ['sync', 'async', 'batched'];
      for (const mode of modes) await round(db, store, mode, group); // warm-up: statements prepared, JIT
      for (let r = 0; r < ROUNDS; r++) {
        // Rotate the order so that a change in the machine's load falls on every mode alike.
        for (let m = 0; m < modes.length; m++) {
          const mode = modes[(r + m) % modes.length]!;
          times[mode].push(await round(db, store, mode, group));
        }
      }
      const sync = median(times.sync.map((t) => t.cpu));
      const async = median(times.async.map((t) => t.cpu));
      const wallSync = median(times.sync.map((t) => t.wall));
      const wallAsync = median(times.async.map((t) => t.wall));
      const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${(((a - b) / b) * 100).toFixed(1)} %`;
      log(`group of ${group}: CPU sync ${sync.toFixed(1)} µs/unit, async ${async.toFixed(1)} µs/unit (${pct(async, sync)}); wall ${wallSync.toFixed(1)} / ${wallAsync.toFixed(1)} µs (${pct(wallAsync, wallSync)})`);
      rows.push({
        figure: `async unit (35 statements, await each), groups of ${group}: CPU per unit`,
        ms: async / 1000,
        baseline: `sync unit (today's path), groups of ${group}`,
        baselineMs: sync / 1000,
        goalMs: (sync * 1.1) / 1000,
        note: `CPU ${pct(async, sync)}, wall ${pct(wallAsync, wallSync)}; medians of ${ROUNDS} rounds of ${UNITS} units`,
      });
      const batched = median(times.batched.map((t) => t.cpu));
      const wallBatched = median(times.batched.map((t) => t.wall));
      log(`group of ${group}: CPU batched (one await) ${batched.toFixed(1)} µs/unit (${pct(batched, sync)}); wall ${wallBatched.toFixed(1)} µs (${pct(wallBatched, wallSync)})`);
      rows.push({
        figure: `async unit, its 35 statements run at once and awaited once, groups of ${group}: CPU per unit`,
        ms: batched / 1000,
        baseline: `sync unit (today's path), groups of ${group}`,
        baselineMs: sync / 1000,
        goalMs: (sync * 1.1) / 1000,
        note: `CPU ${pct(batched, sync)}, wall ${pct(wallBatched, wallSync)}`,
      });
    }
    db.$client.close();
    return rows;
  },
};

export default bench;
