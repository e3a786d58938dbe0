/**
 * Rows read as arrays: better-sqlite3's object rows (the baseline: `statement().get/all`, each
 * column set on a new object by its name in C++) against the same statements read as arrays
 * and named or mapped in JavaScript (src/db/fast.ts `objectRows`, `tableRows`), on the intake
 * bench's store (the demo desk and 45 more agents) after 2,000 intakes. The baseline of a mapped
 * read is the object row mapped by `rowMapper(table).fromRow`, as those reads did before. The reads are the ones
 * the hot paths make: a case by id, its customer and SLA timers, a queue's assignment
 * candidates, a case's timeline, and an inbox page of 50 cases. CPU time per read, best of 5
 * passes of 20,000 (interleaved per statement: a loaded machine slows both sides alike).
 *
 *   npm run bench -- --filter rows
 */
import path from 'node:path';
import { systemClock } from '../src/clock.js';
import { openDatabase, type Db } from '../src/db/client.js';
import { createServices } from '../src/compose.js';
import { createCase } from '../src/cases/create-case.js';
import type { Table } from 'drizzle-orm';
import { objectRows, rowById, rowMapper, statement, tableRows } from '../src/db/fast.js';
import { cases, customers, slaTimers } from '../src/db/schema/index.js';
import { CANDIDATE_SQL } from '../src/assignment/candidates.js';
import type { Actor } from '../src/roles.js';
import { tempDir } from '../test/support/harness.js';
import type { Bench, BenchRow } from './bench.js';
import { prepareStore } from './intake.bench.js';
import { INTAKE_INPUTS } from './support/intake-inputs.js';

const PASSES = 5;
const PER_PASS = 20_000;

/** Best CPU µs per call of each of `fns`, passes interleaved. */
function cpuPerCall(fns: (() => unknown)[]): number[] {
  for (const fn of fns) for (let i = 0; i < 2_000; i++) fn();
  const best = fns.map(() => Number.POSITIVE_INFINITY);
  for (let p = 0; p < PASSES; p++) {
    fns.forEach((fn, k) => {
      const start = process.cpuUsage();
      for (let i = 0; i < PER_PASS; i++) fn();
      const { user, system } = process.cpuUsage(start);
      best[k] = Math.min(best[k]!, (user + system) / PER_PASS);
    });
  }
  return best;
}

async function storeWithCases(): Promise<Db> {
  const file = path.join(tempDir('casebook-rows-'), 'rows.db');
  await prepareStore(file);
  const db = openDatabase(file);
  const services = createServices(db, systemClock);
  services.outbox.stop();
  const admin = db.$client.prepare("SELECT id, name FROM staff WHERE role = 'admin' ORDER BY id LIMIT 1").get() as { id: number; name: string };
  const actor: Actor = { type: 'staff', id: admin.id, role: 'admin', name: admin.name };
  for (let i = 0; i < 2_000; i += 20) {
    await Promise.all(
      Array.from({ length: 20 }, (_, k) => {
        const [subject, description] = INTAKE_INPUTS[(i + k) % INTAKE_INPUTS.length]!;
        return createCase(services, { customer: { email: `customer${(i + k) % 500}@example.com` }, subject, description }, actor);
      }),
    );
  }
  await services.outbox.idle();
  return db;
}

/** An object row mapped to its table's types, as the reads did before they read arrays. */
function mapped(table: Table, row: unknown): unknown {
  return rowMapper(table).fromRow(row as Record<string, unknown>);
}

const bench: Bench = {
  name: 'Rows read as arrays',
  async run(ctx) {
    const db = await storeWithCases();
    try {
      const caseId = (db.$client.prepare('SELECT max(id) AS id FROM cases').get() as { id: number }).id;
      const customerId = (db.$client.prepare('SELECT customer_id AS id FROM cases WHERE id = ?').get(caseId) as { id: number }).id;
      const inbox = 'SELECT id, subject, status, priority, queue_id, assignee_id, updated_at, sla_due_at FROM cases ORDER BY id DESC LIMIT 50';
      const timeline = 'SELECT * FROM case_events WHERE case_id = ? ORDER BY id';
      const timers = 'SELECT * FROM sla_timers WHERE case_id = ? ORDER BY id';
      const members = db.$client.prepare('SELECT count(*) AS n FROM staff_queues WHERE queue_id = ?');
      const reads: { figure: string; note: string; object: () => unknown; array: () => unknown }[] = [
        { figure: 'a case by id, mapped', note: '39 columns', object: () => mapped(cases, statement(db, 'SELECT * FROM cases WHERE id = ?').get(caseId)), array: () => rowById(db, cases, caseId) },
        { figure: 'a customer by id, mapped', note: '11 columns', object: () => mapped(customers, statement(db, 'SELECT * FROM customers WHERE id = ?').get(customerId)), array: () => rowById(db, customers, customerId) },
        {
          figure: "a case's SLA timers, mapped",
          note: '2 rows',
          object: () => (statement(db, timers).all(caseId) as Record<string, unknown>[]).map((row) => mapped(slaTimers, row)),
          array: () => tableRows(db, slaTimers, timers).all(caseId),
        },
        {
          figure: "a queue's assignment candidates",
          note: `${(members.get('billing') as { n: number }).n} members, 8 columns`,
          object: () => statement(db, CANDIDATE_SQL.members).all('billing'),
          array: () => objectRows(db, CANDIDATE_SQL.members).all('billing'),
        },
        { figure: "a case's timeline", note: '~9 rows, 7 columns', object: () => statement(db, timeline).all(caseId), array: () => objectRows(db, timeline).all(caseId) },
        { figure: 'an inbox page', note: '50 rows, 8 columns', object: () => statement(db, inbox).all(), array: () => objectRows(db, inbox).all() },
      ];
      const rows: BenchRow[] = [];
      for (const read of reads) {
        const [object, array] = cpuPerCall([read.object, read.array]);
        ctx.log(`  ${read.figure}: ${array!.toFixed(2)} µs as arrays, ${object!.toFixed(2)} µs as better-sqlite3's objects`);
        rows.push({ figure: `${read.figure}, read as arrays`, ms: array! / 1000, baseline: "better-sqlite3's object rows", baselineMs: object! / 1000, note: read.note });
      }
      return rows;
    } finally {
      db.$client.close();
    }
  },
};

export default bench;
