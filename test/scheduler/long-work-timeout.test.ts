/**
 * PostgreSQL's statement limit (DATABASE_STATEMENT_TIMEOUT_MS) cuts a request stuck behind a
 * lock; the long work no request waits on — the scheduled SLA report, a customer's data export,
 * the reports' CSV exports — runs under its own, longer one (DATABASE_REPORT_TIMEOUT_MS), set in
 * its transaction (src/db/store/long-statements.ts). Here the normal limit is 300 ms: another
 * session holds a lock the work's statements need; an ordinary read behind the same lock is cut
 * (so the work, waiting since before it, has waited longer than the normal limit); once the lock
 * goes the work completes.
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/compose.js';
import { buildDashboard } from '../../src/dashboard/dashboard.js';
import { isDatabaseTimeout } from '../../src/db/store/index.js';
import { openPostgresStore } from '../../src/db/store/pg.js';
import { exportCustomer } from '../../src/privacy/export-customer.js';
import { runScheduledReport } from '../../src/reports/create-report.js';
import { createHarness, type Harness } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';

describe.runIf(ON_POSTGRES)('long work under DATABASE_REPORT_TIMEOUT_MS, requests under DATABASE_STATEMENT_TIMEOUT_MS', () => {
  let h: Harness;
  let instance: { services: ReturnType<typeof createServices>; close(): Promise<void> } | null = null;
  afterAll(async () => {
    await instance?.close();
    h?.close();
  });

  /** An instance whose connections cut a statement after 300 ms, its long work after 30 s. */
  async function start() {
    h = createHarness();
    await h.settled();
    const store = openPostgresStore(h.databaseUrl!, { max: 3, timeoutMs: 300 });
    const services = createServices(store, h.clock, { reports: { statementTimeoutMs: 30_000 } });
    await services.definitions.refresh();
    instance = {
      services,
      close: async () => {
        services.outbox.stop();
        await store.close();
      },
    };
    return services;
  }

  /** Another session holding `table` locked until `release`. */
  async function lock(table: string) {
    const client = new pg.Client({ connectionString: h.databaseUrl! });
    await client.connect();
    await client.query(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    return { release: () => client.query('ROLLBACK').then(() => client.end()) };
  }
  const waiting = async () =>
    (await h.query((q) => q.get<{ n: number }>(sql`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)))!.n;

  it('a scheduled report and a customer export wait past the normal limit and complete; an ordinary read is cut', async () => {
    const services = await start();
    const customer = h.customer({ email: 'pat@example.com', name: 'Pat' });
    await h.settled();

    const events = await lock('case_events');
    const report = runScheduledReport(services, { at: h.clock.now() });
    await expect.poll(waiting).toBe(1); // the report waits for the lock
    const ordinary = await services.store.read((q) => q.all(sql`SELECT count(*) FROM case_events`)).then(
      () => null,
      (error: unknown) => error,
    );
    expect(isDatabaseTimeout(ordinary)).toBe(true);
    await events.release();
    const row = await report;
    expect(row).toMatchObject({ trigger: 'schedule', periodEnd: h.clock.now() });

    const customers = await lock('customers');
    const exported = exportCustomer(services, customer.id!);
    await expect.poll(waiting).toBe(1);
    const cut = await services.store.read((q) => q.all(sql`SELECT count(*) FROM customers`)).then(
      () => null,
      (error: unknown) => error,
    );
    expect(isDatabaseTimeout(cut)).toBe(true);
    await customers.release();
    expect(JSON.stringify(await exported)).toContain('pat@example.com');

    // The dashboard as a CSV download waits; the same dashboard as a page is a request, cut.
    const cases = await lock('cases');
    const query = { from: h.clock.now() - 7 * 86_400_000, to: h.clock.now(), queue: null, zone: 'UTC' };
    const csv = buildDashboard(services, query, { export: true });
    await expect.poll(waiting).toBe(1);
    expect(isDatabaseTimeout(await buildDashboard(services, query).then(() => null, (error: unknown) => error))).toBe(true);
    await cases.release();
    expect(await csv).toMatchObject({ query });

    // The limit was the transaction's: the connection is back to its own.
    const after = await services.store.read((q) => q.get<{ limit: string }>(sql`SELECT current_setting('statement_timeout') AS limit`));
    expect(after).toEqual({ limit: '300ms' });
  });
});
