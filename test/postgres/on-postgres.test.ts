/**
 * The test seam of phase 2 (test/support/on-postgres.ts): a harness seeded on SQLite, copied
 * into PostgreSQL, its store switched over — commands on the port then run on PostgreSQL.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { claimTick } from '../../src/scheduler/claim-tick.js';
import { createHarness, standardQueues, type Harness } from '../support/harness.js';
import { moveToPostgres, type Moved } from '../support/on-postgres.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

let cluster: PostgresCluster;
let h: Harness;
let moved: Moved;

beforeAll(async () => {
  cluster = await startPostgres();
  h = createHarness();
  standardQueues(h);
  const agent = h.agent({ name: 'Ada', queues: ['general'] });
  expect(agent.id).toBeGreaterThan(0);
  moved = await moveToPostgres(h.services, h.dbPath, cluster);
});

afterAll(async () => {
  await moved?.close();
  h?.close();
  await cluster?.stop();
});

it('points services.store at a PostgreSQL copy of what the harness seeded', async () => {
  expect(h.services.store.dialect).toBe('postgres');
  const people = await h.services.store.query((q) => q.db.select({ name: q.tables.staff.name }).from(q.tables.staff).where(eq(q.tables.staff.name, 'Ada')));
  expect(people).toEqual([{ name: 'Ada' }]);
  const queues = await h.services.store.query((q) => q.db.select({ id: q.tables.queues.id }).from(q.tables.queues).orderBy(q.tables.queues.id));
  expect(queues.map((row) => row.id)).toEqual(expect.arrayContaining(['advanced', 'billing', 'general', 'technical']));
});

it('runs a command on the port against PostgreSQL, not the SQLite file', async () => {
  const at = h.clock.now();
  const id = await claimTick(h.services.store, 'on-postgres', at, at);
  expect(id).not.toBeNull();
  const sqliteRows = h.db.$client.prepare("SELECT count(*) AS n FROM job_runs WHERE job = 'on-postgres'").get() as { n: number };
  expect(sqliteRows.n).toBe(0);
  expect(await claimTick(h.services.store, 'on-postgres', at, at)).toBeNull();
});
