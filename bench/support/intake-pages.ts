/**
 * WAL pages and statements per intake, in process (`app.request()`, no socket): the measures
 * that hold on a loaded machine. On the benchmark's store, after a warm-up, intake requests
 * are committed alone (one per group commit) and in groups of 20 (sent together, as requests
 * arriving in one turn of the event loop are); after each commit the WAL's frames are read
 * back and counted (distinct pages: what one commit writes), and for the lone commits mapped
 * to their b-tree with `dbstat` (where the pages go). Statements are counted by
 * wrapping better-sqlite3's statement methods for the run, and timed the same way in groups
 * (the median of each statement's executions: what SQLite costs per intake, by statement).
 */
import fs from 'node:fs';
import type { Statement } from 'better-sqlite3';
import { countStatements } from './count-statements.js';
import { systemClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/client.js';
import { walJoiningStats } from '../../src/db/wal-coalesce.js';
import { groupCommitStats } from '../../src/db/group-commit.js';
import { createApp } from '../../src/http/app.js';
import { createServices } from '../../src/compose.js';
import { ADMIN_TOKEN } from '../../test/support/harness.js';

export interface IntakePages {
  /** Distinct pages in the WAL per intake committed alone. */
  alone: number;
  /** WAL writes SQLite asked for and writes made to the file per lone commit (WAL write joining); null when it is off. */
  walWritesAlone: { asked: number; made: number } | null;
  /** Distinct pages in the WAL per intake, committed in groups of `group`. */
  grouped: number;
  group: number;
  /** Commits the groups took (1 unless a group ran out of its time slice). */
  commitsPerGroup: number;
  /** Statement executions per intake (the intake's transaction, its answer, its notification), alone. */
  statements: number;
  /** Main-thread CPU per intake in process (no HTTP socket; GC helper threads not counted), µs, alone. */
  cpuMicros: number;
  /** Pages per intake committed alone by b-tree (dbstat's name; `new or free`: pages the file did not use before). */
  aloneByTree: [string, number][];
  /**
   * SQL per intake in groups of `group` (with the answer and the notification), by statement:
   * executions per intake and the median time of one execution, so that a moment the process
   * was not running (a loaded machine) does not count; most expensive first.
   */
  sqlInGroups: { sql: string; perIntake: number; medianMicros: number }[];
}

const PAGE = 4096;
const FRAME_HEADER = 24;
const WAL_HEADER = 32;

/** CPU time of this process's main thread so far, µs (Linux /proc; 10 ms ticks). */
function mainThreadCpuMicros(): number {
  const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100;
}

function walPageNumbers(file: string): Set<number> {
  const wal = fs.readFileSync(`${file}-wal`);
  const pages = new Set<number>();
  for (let at = WAL_HEADER; at + FRAME_HEADER <= wal.length; at += PAGE + FRAME_HEADER) pages.add(wal.readUInt32BE(at));
  return pages;
}

export async function measureIntakePages(file: string, inputs: readonly (readonly [string, string])[], rounds = 40): Promise<IntakePages> {
  const db = openDatabase(file);
  db.$client.pragma('wal_autocheckpoint = 0');
  const services = createServices(db, systemClock);
  const app = createApp(services, { adminToken: ADMIN_TOKEN }); // the ADMIN_TOKEN is not rate-limited
  let n = 0;
  const intake = async () => {
    const [subject, description] = inputs[n % inputs.length]!;
    const body = JSON.stringify({ customer: { email: `customer${n++ % 500}@example.com` }, subject, description });
    const res = await app.request('/api/v1/cases', { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' }, body });
    if (res.status !== 201) throw new Error(`intake answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  };
  const settle = async () => {
    await services.outbox.idle();
    await new Promise((resolve) => setTimeout(resolve, 5));
  };
  try {
    for (let i = 0; i < 300; i++) await intake(); // warm-up: JIT, caches, the desk's loads
    await settle();

    // Statements and CPU per intake alone (with its notification performed in the background).
    const cpu = mainThreadCpuMicros();
    const COUNT = 300;
    const statements = await countStatements(db, async () => {
      for (let i = 0; i < COUNT; i++) await intake();
      await settle();
    });
    const used = mainThreadCpuMicros() - cpu;

    const proto = Object.getPrototypeOf(db.$client.prepare('SELECT 1')) as Record<string, (...args: unknown[]) => unknown>;
    const methods = ['run', 'get', 'all', 'iterate'] as const;
    const originals = methods.map((m) => proto[m]!);
    /** Every statement execution timed during `rounds` groups of intakes (see `sqlInGroups`). */
    const statementTimes = async (group: number) => {
      const times = new Map<string, number[]>();
      methods.forEach((m, i) => {
        proto[m] = function (this: Statement, ...args: unknown[]) {
          const started = process.hrtime.bigint();
          try {
            return originals[i]!.apply(this, args);
          } finally {
            const ns = Number(process.hrtime.bigint() - started);
            // Multi-row inserts of any length are one statement here.
            const sql = this.source.replace(/\s+/g, ' ').replace(/\(\?(, \?)*\)(, \(\?(, \?)*\))*/g, '(…)').trim().slice(0, 100);
            let list = times.get(sql);
            if (!list) times.set(sql, (list = []));
            list.push(ns);
          }
        };
      });
      try {
        for (let r = 0; r < rounds; r++) {
          await Promise.all(Array.from({ length: group }, intake));
          await settle();
        }
      } finally {
        methods.forEach((m, i) => (proto[m] = originals[i]!));
      }
      const intakes = rounds * group;
      return [...times]
        .map(([sql, list]) => {
          list.sort((a, b) => a - b);
          return { sql, perIntake: list.length / intakes, medianMicros: list[list.length >> 1]! / 1000 };
        })
        .sort((a, b) => b.perIntake * b.medianMicros - a.perIntake * a.medianMicros);
    };

    const byTree = new Map<string, number>();
    const pagesPerRound = async (group: number) => {
      let pages = 0;
      let commits = 0;
      let asked = 0;
      let made = 0;
      for (let r = 0; r < rounds; r++) {
        await settle();
        db.$client.pragma('wal_checkpoint(TRUNCATE)');
        // Which b-tree each page belongs to, as the file is before this round's commit.
        const owner = group === 1 ? new Map((db.$client.prepare('SELECT pageno, name FROM dbstat').all() as { pageno: number; name: string }[]).map((p) => [p.pageno, p.name])) : null;
        const before = groupCommitStats(db).groups;
        const writesBefore = walJoiningStats(db.$client);
        await Promise.all(Array.from({ length: group }, intake));
        commits += groupCommitStats(db).groups - before; // one, unless a slow machine made a group split (GROUP_SLICE_MS)
        const writesAfter = walJoiningStats(db.$client);
        if (writesBefore && writesAfter) {
          asked += writesAfter.writesAsked - writesBefore.writesAsked;
          made += writesAfter.writesMade - writesBefore.writesMade;
        }
        const written = walPageNumbers(file); // read before the background notification work of this round commits
        pages += written.size;
        if (owner) for (const p of written) byTree.set(owner.get(p) ?? 'new or free', (byTree.get(owner.get(p) ?? 'new or free') ?? 0) + 1);
      }
      return { pages: pages / rounds / group, commitsPerRound: commits / rounds, writes: walJoiningStats(db.$client) ? { asked: asked / commits, made: made / commits } : null };
    };
    const GROUP = 20;
    const alone = await pagesPerRound(1);
    const grouped = await pagesPerRound(GROUP);
    const sqlInGroups = await statementTimes(GROUP);
    const aloneByTree = [...byTree].map(([name, n]): [string, number] => [name, n / rounds]).sort((a, b) => b[1] - a[1]);
    return { alone: alone.pages, walWritesAlone: alone.writes, grouped: grouped.pages, group: GROUP, commitsPerGroup: grouped.commitsPerRound, statements: statements / COUNT, cpuMicros: used / COUNT, aloneByTree, sqlInGroups };
  } finally {
    services.outbox.stop();
    await services.outbox.idle();
    db.$client.close();
  }
}
