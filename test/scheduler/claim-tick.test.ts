/**
 * Scheduled ticks claimed through the storage port (src/scheduler/claim-tick.ts), the same
 * scenarios on SQLite and PostgreSQL: three claimers — three connections (SQLite) or three
 * pools (PostgreSQL) on one database, as three instances would be — race for the same ticks.
 * One throw-away cluster for the file; one database per dialect, each test its own job names.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/client.js';
import type { Store } from '../../src/db/store/index.js';
import { openStore } from '../../src/db/store/open.js';
import { HOST } from '../../src/process-identity.js';
import { claimTick, closeDeadRuns, finishTick, PROCESS_ID, RETENTION_MS } from '../../src/scheduler/claim-tick.js';
import { tempDir } from '../support/harness.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';
import { createMigratedDatabase } from '../support/postgres-store.js';

type Dialect = 'sqlite' | 'postgres';
const CLAIMERS = 3;
const T = Date.parse('2026-03-03T07:00:00Z');
const MINUTE = 60_000;

let cluster: PostgresCluster;
const sqliteDbs: Db[] = [];
const claimers: Record<Dialect, Store[]> = { sqlite: [], postgres: [] };

beforeAll(async () => {
  cluster = await startPostgres();
  const url = await createMigratedDatabase(cluster);
  const file = path.join(tempDir(), 'ticks.db');
  for (let i = 0; i < CLAIMERS; i++) {
    const db = openDatabase(file);
    sqliteDbs.push(db);
    claimers.sqlite.push(openStore({ sqlite: db }));
    claimers.postgres.push(openStore({ postgresUrl: url, max: 4 }));
  }
});

afterAll(async () => {
  for (const store of [...claimers.sqlite, ...claimers.postgres]) await store.close();
  for (const db of sqliteDbs) db.$client.close();
  await cluster?.stop();
});

/** The job's rows, oldest tick first. */
async function runsOf(store: Store, job: string) {
  const rows = await store.read(async (q) => {
    const runs = q.tables.jobRuns;
    return q.db.select().from(runs).orderBy(asc(runs.scheduledAt), asc(runs.id));
  });
  return rows.filter((row) => row.job === job);
}

/** `host:pid:start` of a live process other than this one (our parent), as process-identity.ts writes it. */
function liveIdentity(): string {
  const stat = fs.readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
  return `${HOST}:${process.ppid}:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
}

/** `host:pid:start` of a process of this host that has exited. */
function deadIdentity(): string {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return `${HOST}:${child.pid}:4242`;
}

describe.each(['sqlite', 'postgres'] as const)('scheduled ticks claimed on %s', (dialect) => {
  const stores = () => claimers[dialect];

  it('three claimers racing for the same ticks of two jobs: exactly one claim per tick, the others get null', async () => {
    const jobs = ['race-sweep', 'race-report'];
    const ticks = [0, 1, 2, 3, 4].map((n) => T + n * MINUTE);
    const attempts = jobs.flatMap((job) =>
      ticks.flatMap((tick) => stores().map((store, i) => ({ job, tick, owner: `claimer-${i}`, claim: claimTick(store, job, tick, tick + i, `claimer-${i}`) }))),
    );
    const ids = await Promise.all(attempts.map((a) => a.claim));
    for (const job of jobs) {
      const rows = await runsOf(stores()[0]!, job);
      expect(rows.map((r) => r.scheduledAt)).toEqual(ticks);
      for (const tick of ticks) {
        const mine = attempts.map((a, n) => ({ ...a, id: ids[n] })).filter((a) => a.job === job && a.tick === tick);
        const won = mine.filter((a) => a.id !== null);
        expect(won, `${job} at ${tick}`).toHaveLength(1);
        expect(mine.filter((a) => a.id === null)).toHaveLength(CLAIMERS - 1);
        const row = rows.find((r) => r.scheduledAt === tick)!;
        expect(row).toMatchObject({ id: won[0]!.id, claimedBy: won[0]!.owner, state: 'running', finishedAt: null, error: null });
      }
    }
    expect(new Set(ids.filter((id) => id !== null)).size).toBe(jobs.length * ticks.length);
    // A later wake-up of a winner, or of anyone, finds the tick taken.
    expect(await Promise.all(stores().map((store) => claimTick(store, 'race-sweep', T, T + MINUTE, 'late')))).toEqual([null, null, null]);
  });

  it('prunes the job’s runs older than the retention when a claim lands, and nothing else', async () => {
    const [a, b] = stores() as [Store, Store];
    const old = T - RETENTION_MS - MINUTE;
    const edge = T - RETENTION_MS;
    expect(await claimTick(a, 'prune', old, old)).not.toBeNull();
    expect(await claimTick(b, 'prune', edge, edge)).not.toBeNull();
    expect(await claimTick(a, 'prune', T - MINUTE, T - MINUTE)).not.toBeNull();
    expect(await claimTick(b, 'prune-other', old, old)).not.toBeNull();
    // A claim that loses prunes nothing.
    expect(await claimTick(b, 'prune', old, T)).toBeNull();
    expect((await runsOf(a, 'prune')).map((r) => r.scheduledAt)).toEqual([old, edge, T - MINUTE]);

    expect(await claimTick(b, 'prune', T, T)).not.toBeNull();
    expect((await runsOf(a, 'prune')).map((r) => r.scheduledAt)).toEqual([edge, T - MINUTE, T]);
    expect((await runsOf(a, 'prune-other')).map((r) => r.scheduledAt)).toEqual([old]);
  });

  it('finishTick records done, or failed with the error text', async () => {
    const [a, b, c] = stores() as [Store, Store, Store];
    const ok = (await claimTick(a, 'finish', T, T))!;
    const failed = (await claimTick(b, 'finish', T + MINUTE, T + MINUTE))!;
    const thrownText = (await claimTick(c, 'finish', T + 2 * MINUTE, T + 2 * MINUTE))!;
    await finishTick(c, ok, T + 5);
    await finishTick(a, failed, T + MINUTE + 7, new Error('disk on fire'));
    await finishTick(b, thrownText, T + 2 * MINUTE + 9, 'not an Error');
    expect((await runsOf(a, 'finish')).map(({ id, state, finishedAt, error }) => ({ id, state, finishedAt, error }))).toEqual([
      { id: ok, state: 'done', finishedAt: T + 5, error: null },
      { id: failed, state: 'failed', finishedAt: T + MINUTE + 7, error: 'disk on fire' },
      { id: thrownText, state: 'failed', finishedAt: T + 2 * MINUTE + 9, error: 'not an Error' },
    ]);
  });

  it('closeDeadRuns marks failed only the running runs of processes certainly gone', async () => {
    const [a, b] = stores() as [Store, Store];
    const dead = deadIdentity();
    const live = liveIdentity();
    const elsewhere = 'another-host.example:4242:17';
    const claims: [string, number][] = [
      [dead, 0],
      [dead, 1],
      [live, 2],
      [PROCESS_ID, 3],
      [elsewhere, 4],
      [dead, 5],
    ];
    const ids: number[] = [];
    for (const [owner, n] of claims) ids.push((await claimTick(a, 'dead-runs', T + n * MINUTE, T + n * MINUTE, owner))!);
    await finishTick(a, ids[5]!, T + 6 * MINUTE); // the dead process finished this one before it died

    expect(await closeDeadRuns(b, T + 10 * MINUTE)).toBe(2);
    const stopped = `the process that ran it (${dead}) stopped before it finished`;
    expect((await runsOf(a, 'dead-runs')).map(({ claimedBy, state, finishedAt, error }) => ({ claimedBy, state, finishedAt, error }))).toEqual([
      { claimedBy: dead, state: 'failed', finishedAt: T + 10 * MINUTE, error: stopped },
      { claimedBy: dead, state: 'failed', finishedAt: T + 10 * MINUTE, error: stopped },
      { claimedBy: live, state: 'running', finishedAt: null, error: null },
      { claimedBy: PROCESS_ID, state: 'running', finishedAt: null, error: null },
      { claimedBy: elsewhere, state: 'running', finishedAt: null, error: null },
      { claimedBy: dead, state: 'done', finishedAt: T + 6 * MINUTE, error: null },
    ]);
    // Once closed there is nothing left to close; the live ones stay running.
    expect(await closeDeadRuns(a, T + 11 * MINUTE)).toBe(0);
  });
});
