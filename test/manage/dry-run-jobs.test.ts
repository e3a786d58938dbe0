/**
 * The dry-run job registry, kept in the database (both dialects): progress, results, owners,
 * caps, a job seen from another instance, a job whose instance died (lease), and expiry.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { openPostgresStore } from '../../src/db/store/pg.js';
import { sqliteStore } from '../../src/db/store/sqlite.js';
import type { Store } from '../../src/db/store/index.js';
import { ABANDONED_MESSAGE, DryRunJobs, type DryRunJobsOptions } from '../../src/rules/dry-run-jobs.js';
import { serverJobs } from '../../src/scheduler/jobs.js';
import { createHarness } from '../support/harness.js';
import type { DryRunResult } from '../../src/rules/dry-run.js';
import { DryRunStatus } from '../../views/pages/manage/dry-run.js';
import { textOf } from './support.js';

const META = { ruleset: 'routing', draftVersion: 2, label: 'the last 10 cases' };

function result(total: number): DryRunResult {
  return {
    ruleset: 'routing',
    baseVersion: 1,
    selection: { kind: 'last', count: total },
    total,
    changed: 0,
    byField: { queue: 0, priority: 0, tier: 0, slaPolicy: 0, tags: 0, skills: 0 },
    byRule: {},
    changes: [],
    truncated: false,
    eventsReplayed: 0,
    notReplayed: {},
    timings: { loadMs: 1, evaluateMs: 1, totalMs: 2 },
  };
}

function deferred() {
  let resolve!: (r: DryRunResult) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<DryRunResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const h = createHarness();
afterAll(() => h.close());
/** A registry on the harness's database, as one instance has it (another instance: another registry). */
const registry = (options: Partial<DryRunJobsOptions> = {}) => new DryRunJobs(h.services.store, { now: () => h.clock.now(), ...options });
/** The job once it is no longer running (the task ends on its own turns; no time passes). */
const settled = (jobs: DryRunJobs, owner: string, id: string) => expect.poll(async () => (await jobs.get(owner, id))?.status, { timeout: 10_000, interval: 10 }).not.toBe('running');
let owners = 0;

/**
 * A connection of the instance's own that gives up waiting for a lock after 100–200 ms (SQLite's
 * busy timeout, PostgreSQL's statement timeout, as DATABASE_BUSY_TIMEOUT_MS and
 * DATABASE_STATEMENT_TIMEOUT_MS do), and another session that takes that lock and lets it go:
 * while it holds it, every write of the instance to dry_run_jobs fails.
 */
async function lockableDatabase(): Promise<{ store: Store; lock(): Promise<void>; unlock(): Promise<void>; close(): Promise<void> }> {
  if (h.dialect === 'sqlite') {
    const db = openDatabase(h.dbPath, { busyTimeoutMs: 100, migrate: false });
    const holder = new Database(h.dbPath);
    return {
      store: sqliteStore(db),
      lock: async () => void holder.exec('BEGIN IMMEDIATE'),
      unlock: async () => void holder.exec('COMMIT'),
      close: async () => {
        holder.close();
        db.$client.close();
      },
    };
  }
  const store = openPostgresStore(h.databaseUrl!, { max: 2, timeoutMs: 200 });
  const holder = new pg.Client({ connectionString: h.databaseUrl! });
  await holder.connect();
  return {
    store,
    lock: async () => void (await holder.query('BEGIN; LOCK TABLE dry_run_jobs IN ACCESS EXCLUSIVE MODE')),
    unlock: async () => void (await holder.query('ROLLBACK')),
    close: async () => {
      await holder.end();
      await store.close();
    },
  };
}

/** Timers a test fires by hand, each after moving the clock on by its delay. */
function manualTimers() {
  const due: { fn: () => void; ms: number }[] = [];
  return {
    setTimer: (fn: () => void, ms: number) => void due.push({ fn, ms }),
    get count() {
      return due.length;
    },
    fire() {
      const next = due.shift()!;
      h.clock.advance(next.ms);
      next.fn();
    },
  };
}
const someone = () => `staff:${++owners}`;

describe('DryRunJobs', () => {
  it('reports progress while running and the result when done, to its owner only — on any instance', async () => {
    const jobs = registry();
    const other = registry(); // another instance on the same database
    const [me, you] = [someone(), someone()];
    const d = deferred();
    let report!: (done: number, total: number) => void;
    const job = await jobs.start(me, { ...META, total: 10 }, (progress) => {
      report = progress;
      return d.promise;
    });
    expect(job).toMatchObject({ status: 'running', done: 0, total: 10 });
    expect(job.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expect.poll(() => report !== undefined).toBe(true);
    report(4, 10);
    await expect.poll(async () => (await other.get(me, job.id))?.done).toBe(4);
    expect(await other.get(me, job.id)).toMatchObject({ status: 'running', done: 4, total: 10, ruleset: 'routing', draftVersion: 2, label: 'the last 10 cases' });
    expect(await other.get(you, job.id)).toBeUndefined();
    expect(await other.get(me, 'nope')).toBeUndefined();
    d.resolve(result(10));
    await settled(other, me, job.id);
    expect(await other.get(me, job.id)).toMatchObject({ status: 'done', done: 10, total: 10, result: { total: 10, ruleset: 'routing' } });
  });

  it('records a failure with its message', async () => {
    const jobs = registry();
    const me = someone();
    const job = await jobs.start(me, META, () => Promise.reject(new Error('boom')));
    await settled(jobs, me, job.id);
    expect(await registry().get(me, job.id)).toMatchObject({ status: 'failed', error: 'boom' });
  });

  it('caps running jobs per person and on the database, across instances', async () => {
    const [one, two, three] = [someone(), someone(), someone()];
    const jobs = registry({ maxRunningPerOwner: 1, maxRunning: 2 });
    const other = registry({ maxRunningPerOwner: 1, maxRunning: 2 });
    const first = deferred();
    const second = deferred();
    const a = await jobs.start(one, META, () => first.promise);
    await expect(other.start(one, META, () => deferred().promise)).rejects.toThrow(/already have 1 dry-run/);
    const b = await other.start(two, META, () => second.promise);
    await expect(jobs.start(three, META, () => deferred().promise)).rejects.toThrow(/Too many dry-runs/);
    first.resolve(result(1));
    await settled(jobs, one, a.id);
    const c = await jobs.start(three, META, async () => result(2));
    second.resolve(result(1));
    await settled(jobs, two, b.id);
    await settled(jobs, three, c.id);
  });

  it('reports a job whose instance stopped as failed once its lease expires, not as running for ever', async () => {
    const me = someone();
    const dead = registry({ leaseMs: 120_000 });
    const alive = registry({ leaseMs: 120_000 });
    // The instance running it dies: its task never ends, nothing renews the lease any more.
    const job = await dead.start(me, META, () => new Promise<never>(() => undefined));
    h.clock.advance(120_000);
    expect((await alive.get(me, job.id))?.status).toBe('running');
    h.clock.advance(1);
    expect(await alive.get(me, job.id)).toMatchObject({ status: 'failed', error: ABANDONED_MESSAGE });
    // It no longer counts against the person's running jobs.
    const again = await alive.start(me, META, async () => result(1));
    await settled(alive, me, again.id);
  });

  it('keeps an outcome it could not store and writes it again until it is stored, while the lease runs', async () => {
    const me = someone();
    const database = await lockableDatabase();
    try {
      const timers = manualTimers();
      const jobs = new DryRunJobs(database.store, { now: () => h.clock.now(), leaseMs: 120_000, retryMs: 5_000, setTimer: timers.setTimer });
      const d = deferred();
      const job = await jobs.start(me, META, () => d.promise);
      await database.lock();
      d.resolve(result(10)); // its final write fails: the database is locked
      await expect.poll(() => timers.count).toBe(1);
      timers.fire(); // 5 s later, still locked
      await expect.poll(() => timers.count).toBe(1);
      await database.unlock();
      timers.fire(); // 10 s after the end: stored
      await settled(registry(), me, job.id);
      expect(await registry().get(me, job.id)).toMatchObject({ status: 'done', done: 10, total: 10, result: { total: 10 } });
      expect(timers.count).toBe(0);
    } finally {
      await database.close();
    }
  });

  it('abandons an outcome it could not store once the lease has run out, and says so with the kind of error', async () => {
    const me = someone();
    const database = await lockableDatabase();
    try {
      const timers = manualTimers();
      const jobs = new DryRunJobs(database.store, { now: () => h.clock.now(), leaseMs: 120_000, retryMs: 5_000, setTimer: timers.setTimer });
      const d = deferred();
      // Handled here too: rejected before the registry has attached its own handler, it would be an unhandled rejection.
      d.promise.catch(() => undefined);
      const job = await jobs.start(me, META, () => d.promise);
      await database.lock();
      // It fails once the database is locked (not on a timer that can beat the lock on a busy machine).
      d.reject(new Error('boom'));
      await expect.poll(() => timers.count).toBe(1); // its error could not be written
      h.clock.advance(120_001);
      await database.unlock();
      // Another instance's poll finds the lease run out first: the plain message…
      expect(await registry().get(me, job.id)).toMatchObject({ status: 'failed', error: ABANDONED_MESSAGE });
      // …which the instance's next try replaces with why (it no longer writes the error itself).
      timers.fire();
      await expect.poll(async () => (await registry().get(me, job.id))?.error).not.toBe(ABANDONED_MESSAGE);
      const { error } = (await registry().get(me, job.id))!;
      expect(error).toBe(
        h.dialect === 'sqlite'
          ? 'the dry-run failed, but its error could not be stored before its lease ran out: the database was busy (DATABASE_BUSY); start the dry-run again'
          : 'the dry-run failed, but its error could not be stored before its lease ran out: the database did not answer in time (DATABASE_UNAVAILABLE); start the dry-run again',
      );
      expect(timers.count).toBe(0);
    } finally {
      await database.close();
    }
  });

  it('forgets finished jobs a day after they finished: on the next poll, or by the hourly purge', async () => {
    const me = someone();
    const jobs = registry();
    const job = await jobs.start(me, META, async () => result(3));
    const purged = await jobs.start(me, META, async () => result(3));
    await settled(jobs, me, job.id);
    await settled(jobs, me, purged.id);
    h.clock.advance(24 * 60 * 60_000);
    expect((await jobs.get(me, job.id))?.status).toBe('done');
    h.clock.advance(1);
    const purge = serverJobs(h.services, { slaSweepCron: '* * * * *', reportCron: '0 7 * * *', reportTimezone: 'UTC', reportAtRiskHours: 4 }).find((j) => j.name === 'dry-run-purge')!;
    // (with the other tests' finished jobs of this file, a day old too)
    expect(((await purge.run({ scheduledAt: h.clock.now() })) as { purged: number }).purged).toBeGreaterThanOrEqual(2);
    expect(await jobs.get(me, job.id)).toBeUndefined();
    expect(await h.get('SELECT count(*) AS n FROM dry_run_jobs WHERE id IN (?, ?)', job.id, purged.id)).toEqual({ n: 0 });
  });

  it('results say how many later events were replayed, and which could not be and why', async () => {
    const me = someone();
    const jobs = registry();
    const job = await jobs.start(me, { ...META, ruleset: 'escalation' }, async () => ({ ...result(5), ruleset: 'escalation', eventsReplayed: 7, notReplayed: { imported: 2, unrouted: 1 } }));
    await settled(jobs, me, job.id);
    const html = String(await DryRunStatus({ job: (await jobs.get(me, job.id))!, url: '/manage/rules/escalation/dry-runs/x', polling: false }));
    const text = textOf(html);
    expect(text).toContain('replayed against v1 in force, with 7 later events the ruleset runs on.');
    expect(text).toContain('Not replayed: 2 events: recorded by an import from another help desk: no rules ran on it');
    expect(text).toContain('1 event: the case’s timeline no longer shows how it was routed, so the case cannot be rebuilt');
    expect(text).toContain('No case would be routed, prioritised, escalated or tagged differently.');
  });
});
