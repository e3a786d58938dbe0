/**
 * The SLA sweep over a large store (default 1,000,000 open cases, 1 % of them due):
 * - finding the due timers (the sweep's query) vs a bare SELECT of ids over the same index;
 * - one sweep that finds and records every breach (timeline + outbox, batches of 1,000 — the
 *   server's default is 250, to free the event loop more often —
 *   committed) vs the same number of bare row writes in the same batches (UPDATE by id +
 *   INSERT of a timeline row, committed);
 * - the escalations the breaches cause (draining the outbox: rules, escalation, reassignment)
 *   vs evaluating the escalation rules alone for the same cases;
 * - a sweep with nothing due vs two bare index probes.
 * Goals (issue #3): 10,000 breaches found and recorded in under 1 s; an empty sweep under 5 ms.
 * Connections are set up as in the server: WAL checkpoints from a worker thread, none inside
 * commits (src/db/checkpointer.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { customerFact } from '../src/cases/customers.js';
import { ManualClock } from '../src/clock.js';
import { startCheckpointer, type Checkpointer } from '../src/db/checkpointer.js';
import { openDatabase, transaction } from '../src/db/client.js';
import { cases, customers, slaNextAtSql } from '../src/db/schema/index.js';
import { withinBusinessHours } from '../src/rules/build-facts.js';
import { runTriggers } from '../src/rules/run-triggers.js';
import { createLogger } from '../src/logger.js';
import { createServices } from '../src/compose.js';
import { drainOutboxFully } from '../src/sla/run-sweep.js';
import { DUE_TIMERS_SQL, sweepSla } from '../src/sla/sweep.js';
import { median, time, type Bench, type BenchRow } from './bench.js';
import { ensureStore, ROOT, STORE_NOW } from './seed-store.js';

const NEXT_AT = slaNextAtSql();

const fmt = (n: number) => n.toLocaleString('en');
const silent = createLogger('silent');

function freshCopy(store: string, name: string): string {
  const file = path.join(ROOT, '.bench', name);
  removeDb(file);
  fs.copyFileSync(store, file);
  return file;
}

/** Keeps the event loop alive while the (unref'd) checkpoint worker shuts down. */
async function stopCheckpointer(checkpointer: Checkpointer): Promise<void> {
  const hold = setInterval(() => undefined, 1000);
  try {
    await checkpointer.stop();
  } finally {
    clearInterval(hold);
  }
}

function removeDb(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
}

interface BaselineFigures {
  /** Bare recording: find the due timers, UPDATE each by id + INSERT a timeline row, 1,000 per transaction. */
  recordMs: number;
  /** The sweep's own query (with the case columns), warm, median of 5. */
  findMs: number;
  /** A bare SELECT of ids over the same index, warm, median of 5. */
  bareFindMs: number;
  due: number;
}

/** Baselines on their own copy of the store, so they warm none of the pages the sweep reads. */
async function baselines(store: string, now: number): Promise<BaselineFigures> {
  const file = freshCopy(store, 'work-sla-baseline.db');
  const db = openDatabase(file, { migrate: false });
  const checkpointer = startCheckpointer(db, file, silent);
  const c = db.$client;
  try {
    const bareFind = c.prepare<[number], { id: number; case_id: number }>(
      `SELECT id, case_id FROM sla_timers INDEXED BY sla_timers_next_idx WHERE (${NEXT_AT}) IS NOT NULL AND (${NEXT_AT}) <= ?`,
    );
    const sweepFind = c.prepare(DUE_TIMERS_SQL);
    const touch = c.prepare('UPDATE sla_timers SET updated_at = ? WHERE id = ?');
    const insertEvent = c.prepare(`INSERT INTO case_events (case_id, type, at, actor_type, actor_id, data) VALUES (?, 'bench.baseline', ?, 'system', NULL, '{}')`);
    // Recording first, on cold pages like the sweep.
    const recorded = await time(() => {
      const due = bareFind.all(now);
      for (let i = 0; i < due.length; i += 1000) {
        transaction(db, () => {
          for (const r of due.slice(i, i + 1000)) {
            touch.run(now, r.id);
            insertEvent.run(r.case_id, now);
          }
        });
      }
      return due.length;
    });
    // The find figures are warm medians (the rows are still due: the baseline breached nothing).
    const findMs = await median(5, () => sweepFind.all({ now, limit: recorded.value }));
    const bareFindMs = await median(5, () => bareFind.all(now));
    return { recordMs: recorded.ms, findMs, bareFindMs, due: recorded.value };
  } finally {
    await stopCheckpointer(checkpointer);
    c.close();
    removeDb(file);
  }
}

const bench: Bench = {
  name: 'SLA sweep',
  async run(ctx) {
    const store = ensureStore(ctx.cases, 0.01, ctx.log);
    const now = STORE_NOW;
    const base = await baselines(store.file, now);
    const work = freshCopy(store.file, 'work-sla-sweep.db');
    const db = openDatabase(work);
    // As in the server: no automatic checkpoint inside commits, checkpoints from a worker thread.
    const checkpointer = startCheckpointer(db, work, silent);
    const c = db.$client;
    const services = createServices(db, new ManualClock(now));
    const rows: BenchRow[] = [
      {
        figure: 'find the due timers (the sweep query, with case columns; warm)',
        ms: base.findMs,
        baseline: 'bare SELECT over the same index',
        baselineMs: base.bareFindMs,
        note: `${fmt(base.due)} due of ${fmt(store.timers)} timers`,
      },
    ];
    try {
      const swept = await time(() => sweepSla(services, { now, batchSize: 1000 }));
      if (swept.value.breaches !== store.due) throw new Error(`expected ${store.due} breaches, recorded ${swept.value.breaches}`);
      rows.push({
        figure: 'one sweep: find and record every breach (cold cache)',
        ms: swept.ms,
        baseline: 'bare UPDATE by id + INSERT event, same batches, cold',
        baselineMs: base.recordMs,
        goalMs: 1000,
        note: `${fmt(swept.value.breaches)} breaches, ${fmt(swept.value.warnings)} warnings`,
      });

      // Baseline for the escalations: the escalation rules alone, on the same cases and facts.
      const items = c
        .prepare<[], { case_id: number; payload: string }>(`SELECT case_id, payload FROM outbox WHERE type = 'case.event' AND done_at IS NULL`)
        .all();
      const rulesOnly = await time(async () => {
        for (const item of items) {
          const snapshot = db.select().from(cases).where(eq(cases.id, item.case_id)).get()!;
          const customer = db.select().from(customers).where(eq(customers.id, snapshot.customerId)).get()!;
          const { type, data } = JSON.parse(item.payload) as { type: string; data: Record<string, unknown> & { sla: never } };
          await runTriggers(services, ['escalation'], {
            case: snapshot,
            customer: await services.store.query((q) => customerFact(q, customer)),
            event: { ...data, type },
            sla: data.sla,
            now,
            withinBusinessHours: withinBusinessHours(services, snapshot.slaPolicy, snapshot.slaConfigVersion, now),
          });
        }
      });
      const drained = await time(() => drainOutboxFully(services));
      const escalated = (c.prepare(`SELECT count(*) AS n FROM case_events WHERE type = 'case.escalated'`).get() as { n: number }).n;
      rows.push({
        figure: 'the escalations (outbox: rules, escalate, reassign)',
        ms: drained.ms,
        baseline: 'the escalation rules alone, same cases',
        baselineMs: rulesOnly.ms,
        note: `${fmt(escalated)} cases escalated, ${fmt(drained.value.done)} items, ${drained.value.failed} failed`,
      });

      const probe = c.prepare(`SELECT id FROM sla_timers INDEXED BY sla_timers_next_idx WHERE (${NEXT_AT}) IS NOT NULL AND (${NEXT_AT}) <= ? LIMIT 1`);
      const empty = await sweepSla(services, { now });
      if (empty.breaches + empty.warnings !== 0) throw new Error('the second sweep found work');
      rows.push({
        figure: 'a sweep with nothing due (median of 200)',
        ms: await median(200, () => sweepSla(services, { now })),
        baseline: 'a bare index probe (LIMIT 1)',
        baselineMs: await median(200, () => probe.get(now)),
        goalMs: 5,
        note: `${fmt(store.cases)} open cases`,
      });
      return rows;
    } finally {
      await stopCheckpointer(checkpointer);
      c.close();
      removeDb(work);
    }
  },
};

export default bench;
