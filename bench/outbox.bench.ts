/**
 * The outbox drain's looks behind a backlog of the other kind (drizzle/0052: the pending items
 * split by lane, src/outbox/limits.ts LANE_ITEM_TYPES). Two stores, rows written by SQL:
 * - 200,000 due `case.event` items (an SLA sweep's escalations after a long stop) and 32 due
 *   webhook deliveries: the look for lane items (`dueInLanes`, 64 rows);
 * - 100,000 due webhook deliveries waiting for a slow receiver's slots (its 4 slots full), 8
 *   for another receiver after them, and one due `case.event`: the probe for other work
 *   (`dueItems`, 1 row), a wave's read (384 rows) and the look for lane items with the slow
 *   receiver busy (drizzle/0053: it skips that receiver by target).
 * The baseline of each is the same look over every pending item in order: the statement the
 * drain ran before 0052 (still the one for lane types other than the built-in ones). Median
 * wall time of repeated calls; the drain runs them on the main thread, so intake waits for them.
 *
 *   npm run bench -- --filter outbox
 */
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase, type Db } from '../src/db/client.js';
import { LANE_ITEM_TYPES_JSON } from '../src/outbox/limits.js';
import { dueInLanes, dueItems, outboxStatements } from '../src/outbox/statements.js';
import { tempDir } from '../test/support/harness.js';
import type { Bench, BenchRow } from './bench.js';

const LOCAL_BACKLOG = 200_000;
const LANE_BACKLOG = 100_000;
const NOW = 10_000_000;

function storeWith(rows: { type: string; target: string | null; count: number; at: (i: number) => number }[]): Db {
  const file = path.join(tempDir('casebook-outbox-bench-'), 'outbox.db');
  const db = openDatabase(file);
  const insert = db.$client.prepare('INSERT INTO outbox (type, case_id, payload, created_at, available_at) VALUES (?, NULL, ?, 0, ?)');
  db.$client.transaction(() => {
    for (const { type, target, count, at } of rows) {
      const payload = JSON.stringify(target === null ? { type: 'sla.breached', data: {} } : { target });
      for (let i = 0; i < count; i++) insert.run(type, payload, at(i));
    }
  })();
  return db;
}

/** Median ms of `runs` calls of `fn` (after one). */
function medianMs(runs: number, fn: () => unknown): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function close(db: Db): void {
  const file = db.$client.name;
  db.$client.close();
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
}

const bench: Bench = {
  name: 'Outbox looks behind a backlog',
  async run(ctx) {
    const rows: BenchRow[] = [];
    const look = (db: Db, figure: string, note: string, indexed: () => unknown, walk: () => unknown, before = '0052') => {
      const ms = medianMs(200, indexed);
      const baselineMs = medianMs(9, walk);
      ctx.log(`  ${figure}: ${(ms * 1000).toFixed(0)} µs, over every pending item ${baselineMs.toFixed(1)} ms`);
      rows.push({ figure, ms, baseline: `the same look over every pending item (before ${before})`, baselineMs, note });
    };

    const localBacklog = storeWith([
      { type: 'case.event', target: null, count: LOCAL_BACKLOG, at: (i) => i },
      { type: 'webhook.deliver', target: 'subscription:1', count: 32, at: (i) => LOCAL_BACKLOG + i },
    ]);
    try {
      const s = outboxStatements(localBacklog);
      look(
        localBacklog,
        'the look for lane items',
        `${LOCAL_BACKLOG.toLocaleString('en')} case.event items due before 32 deliveries`,
        () => dueInLanes(localBacklog, 64, NOW, LANE_ITEM_TYPES_JSON, '[]'),
        () => s.dueInAnyLanes(64).all(NOW, LANE_ITEM_TYPES_JSON, NOW, '[]'),
      );
    } finally {
      close(localBacklog);
    }

    const laneBacklog = storeWith([
      { type: 'webhook.deliver', target: 'subscription:slow', count: LANE_BACKLOG, at: (i) => i },
      { type: 'webhook.deliver', target: 'subscription:2', count: 8, at: (i) => LANE_BACKLOG + i },
      { type: 'case.event', target: null, count: 1, at: () => LANE_BACKLOG },
    ]);
    try {
      const s = outboxStatements(laneBacklog);
      const note = `${LANE_BACKLOG.toLocaleString('en')} due deliveries before 1 case.event`;
      look(laneBacklog, 'the probe for other work', note, () => dueItems(laneBacklog, 1, NOW, LANE_ITEM_TYPES_JSON), () => s.dueOutsideAnyLanes(1).all(NOW, LANE_ITEM_TYPES_JSON));
      look(laneBacklog, "a wave's read of other work (384 rows at most)", note, () => dueItems(laneBacklog, 384, NOW, LANE_ITEM_TYPES_JSON), () => s.dueOutsideAnyLanes(384).all(NOW, LANE_ITEM_TYPES_JSON));
      const busy = JSON.stringify(['subscription:slow']);
      look(
        laneBacklog,
        'the look for lane items, the slow receiver busy',
        `${LANE_BACKLOG.toLocaleString('en')} due deliveries of the busy receiver before 8 of another`,
        () => dueInLanes(laneBacklog, 64, NOW, LANE_ITEM_TYPES_JSON, busy),
        () => s.dueInAnyLanes(64).all(NOW, LANE_ITEM_TYPES_JSON, NOW, busy),
        '0053',
      );
    } finally {
      close(laneBacklog);
    }
    return rows;
  },
};

export default bench;
