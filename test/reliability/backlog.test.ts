/**
 * A restart with a large backlog: 20,000 cases whose SLA fell due while the server was down.
 * The real server (`src/main.ts`) must listen at once and keep answering while it records the
 * 20,000 breaches and runs the 20,000 escalations they cause in the background, and a SIGTERM
 * in the middle of it must stop the process promptly, leaving the rest of the work due.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../support/harness.js';
import { startServer } from '../support/server.js';
import { createDesk } from '../sla/helpers.js';

const CASES = 20_000;
const MEASURE_MS = 6_000;
/** The issue's figure is 100 ms; the test allows a loaded 2-core machine some slack (docs/performance.md has the measured figure). */
/**
 * A bound for this test, not the goal: the goal (p99 < 100 ms during a 20,000-escalation
 * catch-up) is measured by `npm run bench` on a quiet machine (docs/performance.md). Here the
 * suite's other files share the two cores; what this test must catch is the server going
 * silent while it works off a backlog (before the fix: 26 s).
 */
const P99_LIMIT_MS = 1_000;

/** One real case (created through the API, SLA overdue by months at real time), cloned by SQL into CASES cases with one due timer each. */
async function backlogStore(): Promise<string> {
  const d = createDesk(); // the desk's clock is March 2026: at real time its timers are long overdue
  await d.create();
  const sqlite = d.h.db.$client;
  const columns = (sqlite.prepare("SELECT name FROM pragma_table_info('cases') WHERE name != 'id'").pluck().all() as string[]).join(', ');
  const timerColumns = (sqlite.prepare("SELECT name FROM pragma_table_info('sla_timers') WHERE name NOT IN ('id', 'case_id')").pluck().all() as string[]).join(', ');
  const first = sqlite.prepare('SELECT id FROM cases').pluck().get() as number;
  sqlite.transaction(() => {
    sqlite.prepare("DELETE FROM sla_timers WHERE metric != 'firstResponse'").run();
    sqlite.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${CASES - 1})
      INSERT INTO cases (${columns}) SELECT ${columns} FROM cases, n WHERE cases.id = ${first}`);
    sqlite.exec(`INSERT INTO sla_timers (case_id, ${timerColumns})
      SELECT c.id, ${timerColumns.split(', ').map((col) => `t.${col}`).join(', ')} FROM cases c JOIN sla_timers t ON t.case_id = ${first} WHERE c.id != ${first}`);
  })();
  const path = d.h.dbPath;
  d.h.close();
  return path;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('a restart with 20,000 overdue SLA timers', () => {
  it('answers requests and /health while catching up, and stops promptly on SIGTERM', async () => {
    const dbPath = await backlogStore();
    const due = new Database(dbPath, { readonly: true });
    expect(due.prepare('SELECT count(*) FROM sla_timers WHERE breached_at IS NULL AND due_at < ?').pluck().get(Date.now())).toBe(CASES);
    due.close();

    const server = await startServer({ databasePath: dbPath });
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);

    const latencies: number[] = [];
    const until = performance.now() + MEASURE_MS;
    while (performance.now() < until) {
      const started = performance.now();
      const res = await fetch(`${server.url}/api/v1/cases?limit=20`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      latencies.push(performance.now() - started);
    }

    // The catch-up was running all along: some breaches recorded, work still left.
    const db = new Database(dbPath, { readonly: true });
    const breached = db.prepare("SELECT count(*) FROM case_events WHERE type = 'sla.breached'").pluck().get() as number;
    const left = (db.prepare('SELECT count(*) FROM outbox WHERE done_at IS NULL AND failed_at IS NULL').pluck().get() as number) +
      (db.prepare('SELECT count(*) FROM sla_timers WHERE breached_at IS NULL AND due_at < ?').pluck().get(Date.now()) as number);
    db.close();
    expect(breached).toBeGreaterThan(0);
    expect(left).toBeGreaterThan(0);

    latencies.sort((a, b) => a - b);
    const p99 = percentile(latencies, 99);
    process.stderr.write(`GET /api/v1/cases during the catch-up: ${latencies.length} requests, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms; ${breached} breaches recorded so far\n`);
    // Enough answers for the figure to mean something, however loaded the machine (p50 is ~60 ms when quiet).
    expect(latencies.length).toBeGreaterThanOrEqual(10);
    expect(p99).toBeLessThan(P99_LIMIT_MS);

    const stopping = performance.now();
    expect(await server.stop()).toBe(0);
    expect(performance.now() - stopping).toBeLessThan(5_000);

    // Nothing lost: what the catch-up did not reach is still due (or pending) for the next start, and nothing is left claimed.
    const after = new Database(dbPath, { readonly: true });
    const claimed = after.prepare('SELECT count(*) FROM outbox WHERE locked_until IS NOT NULL AND done_at IS NULL AND failed_at IS NULL').pluck().get();
    const escalated = after.prepare("SELECT count(*) FROM case_events WHERE type = 'case.escalated'").pluck().get() as number;
    const breachedAfter = after.prepare("SELECT count(*) FROM case_events WHERE type = 'sla.breached'").pluck().get() as number;
    const pending = after.prepare("SELECT count(*) FROM outbox WHERE type = 'case.event' AND done_at IS NULL AND failed_at IS NULL").pluck().get() as number;
    const stillDue = after.prepare('SELECT count(*) FROM sla_timers WHERE breached_at IS NULL AND due_at < ?').pluck().get(Date.now()) as number;
    after.close();
    expect(claimed).toBe(0);
    expect(breachedAfter + stillDue).toBe(CASES);
    expect(escalated + pending).toBe(breachedAfter);
  }, 120_000);
});
