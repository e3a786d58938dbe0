/**
 * `store.report`: a long read in one snapshot that does not hold the rest of the work up. On
 * SQLite it reads on a read-only connection of its own and lets the event loop run between its
 * statements (`breathe`), so that a write goes through meanwhile; on PostgreSQL it is a read.
 * And what it reads page by page (LONG_READS) loses no row at a page's edge.
 */
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import type { Db } from '../../src/db/client.js';
import * as schema from '../../src/db/schema/index.js';
import { breathe, LONG_READS, type Handle } from '../../src/db/store/index.js';
import { sqliteStore } from '../../src/db/store/sqlite.js';
import { firstResponseTime } from '../../src/dashboard/durations.js';
import { escalations } from '../../src/dashboard/over-time.js';
import { readSlaOutcomes } from '../../src/reports/sla-outcomes.js';
import { ADMIN, createHarness, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
  standardQueues(h);
});
const pages = { ...LONG_READS };
afterEach(() => {
  Object.assign(LONG_READS, pages);
  h.close();
});

const intake = (subject: string) => createCase(h.services, { customer: { email: 'olga@example.com' }, subject, description: 'Where do I change the invoice address?' }, ADMIN);
const count = async (q: Handle) => Number((await q.get<{ n: number | string }>(sql`SELECT count(*) AS n FROM cases`))!.n);
const onSqlite = process.env.CASEBOOK_TEST_DATABASE !== 'postgres';

/** Whether a macrotask (setImmediate) ran while `fn` was awaited. */
async function letEventLoopRun(fn: () => Promise<void>): Promise<boolean> {
  let ran = false;
  setImmediate(() => (ran = true));
  await fn();
  return ran;
}

describe('a long read page by page (LONG_READS)', () => {
  it('reads every row when many share an instant: SLA outcomes, first responses and escalations, pages of one', async () => {
    const cases = [await intake('One'), await intake('Two'), await intake('Three')];
    const at = Date.parse('2026-03-02T12:00:00Z');
    for (const c of cases) {
      await h.run("INSERT INTO case_events (case_id, type, at, actor_type, data) VALUES (?, 'sla.breached', ?, 'system', ?)", c.id, at, JSON.stringify({ metric: 'resolution', policy: 'standard', queue: 'general' }));
      await h.run('UPDATE cases SET first_response_at = ? WHERE id = ?', at, c.id);
      await h.run("INSERT INTO case_events (case_id, type, at, actor_type, data) VALUES (?, 'case.escalated', ?, 'system', ?)", c.id, at, JSON.stringify({ queue: 'advanced', fromQueue: 'general' }));
    }
    Object.assign(LONG_READS, { rowsPerPage: 1, idsPerPage: 1 });
    const outcomes = await h.services.store.report((q) => readSlaOutcomes(q, at, at + 1));
    expect(outcomes.map((o) => o.caseId)).toEqual(cases.map((c) => c.id));
    const period = { from: at, to: at + 1, queue: null, zone: 'UTC' };
    const responses = await h.services.store.report((q) => firstResponseTime(q, h.services, period));
    expect(responses.rows.map((r) => r.caseId)).toEqual(cases.map((c) => c.id));
    const escalated = await h.services.store.report((q) => escalations(q, { ...period, to: at + 60_000 }));
    expect(escalated.caseIds.flat()).toEqual(cases.map((c) => c.id));
  });
});

describe('store.report', () => {
  it('reads one snapshot while a write commits between its statements, without waiting for it', async () => {
    await intake('First');
    await intake('Second');
    LONG_READS.sliceMs = 0; // every breathe lets the event loop run
    // A request's write, started from outside the report once the report has read.
    let release!: () => void;
    const third = new Promise<void>((resolve) => (release = resolve)).then(() => intake('Third'));
    const seen = await h.services.store.report(async (q) => {
      const before = await count(q);
      release();
      await breathe(q);
      // It committed while the report was open.
      await third;
      return [before, await count(q)];
    });
    // Both statements of the report saw the snapshot it began with.
    expect(seen).toEqual([2, 2]);
    expect(await h.query(count)).toBe(3);
  });

  it.runIf(onSqlite)('lets the event loop run between statements on SQLite, once a slice has passed', async () => {
    LONG_READS.sliceMs = 0;
    expect(await h.services.store.report(async (q) => letEventLoopRun(() => breathe(q)))).toBe(true);
    LONG_READS.sliceMs = 60_000;
    expect(await h.services.store.report(async (q) => letEventLoopRun(() => breathe(q)))).toBe(false);
    // The main connection's reads never wait for the event loop.
    LONG_READS.sliceMs = 0;
    expect(await h.services.store.read(async (q) => letEventLoopRun(() => breathe(q)))).toBe(false);
  });

  it.runIf(onSqlite)('writes nothing: its connection is read-only', async () => {
    await expect(h.services.store.report((q) => q.run(sql`CREATE TABLE scratch (x INTEGER)`))).rejects.toSatisfy((error: Error) => /readonly/i.test(String(error.cause)));
    await expect(h.services.store.report((q) => q.savepoint(async () => undefined))).rejects.toThrow(/reads only/);
  });

  it.runIf(onSqlite)('is a read for a database in memory', async () => {
    const memory = new Database(':memory:');
    try {
      const store = sqliteStore(drizzle(memory, { schema }) as unknown as Db);
      memory.exec('CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)');
      LONG_READS.sliceMs = 0;
      const [value, ran] = await store.report(async (q) => {
        const row = await q.get<{ x: number }>(sql`SELECT x FROM t`);
        return [row!.x, await letEventLoopRun(() => breathe(q))];
      });
      expect([value, ran]).toEqual([1, false]);
    } finally {
      memory.close();
    }
  });
});
