/**
 * Assignment's pick (src/assignment/sqlite.ts): the queue's entries of `pick_order`, against
 * reading every member of the queue in assignment's order and taking the first that fits
 * (CANDIDATE_SQL: what the pick did before 2026-12-06, and the reference). On the intake bench's
 * store (the demo desk and 45 more agents) with 0, 300 and 1,000 more agents in `general`
 * (loads 0–39 of 50, random last assignments): a pick in the large queue (and again with its
 * members a case busier, the idle agents of billing and technical first in the desk), in the small
 * `advanced` queue behind them (its members free, then all away: nobody to pick), `technical`
 * (15 members) with its members away, and one nobody fits (a skill no one has). Each pick through the
 * storage port as intake makes it; µs per pick, the best of 5 passes of 2,000, the two ways
 * interleaved.
 *
 *   npm run bench -- --filter assignment
 */
import path from 'node:path';
import { systemClock } from '../src/clock.js';
import { openDatabase } from '../src/db/client.js';
import { createServices } from '../src/compose.js';
import { sqliteOf } from '../src/db/store/index.js';
import { objectRows } from '../src/db/fast.js';
import { CANDIDATE_SQL, firstFitting, type CandidateRow } from '../src/assignment/candidates.js';
import { pickAgent } from '../src/assignment/pick-agent.js';
import { tempDir } from '../test/support/harness.js';
import type { Bench, BenchRow } from './bench.js';
import { prepareStore } from './intake.bench.js';
import { bestPerCall } from './support/per-call.js';

export default {
  name: 'assignment',
  async run(ctx) {
    const rows: BenchRow[] = [];
    const dir = tempDir('casebook-bench-assignment-');
    for (const more of [0, 300, 1000]) {
      const file = path.join(dir, `desk-${more}.db`);
      await prepareStore(file);
      const db = openDatabase(file);
      const now = Date.now();
      const insert = db.$client.prepare("INSERT INTO staff (email, name, role, skills, capacity, available, open_cases, last_assigned_at, created_at, updated_at) VALUES (?, ?, 'agent', '[]', 50, 1, ?, ?, ?, ?)");
      const join = db.$client.prepare("INSERT INTO staff_queues (staff_id, queue_id) VALUES (?, 'general')");
      db.$client.transaction(() => {
        for (let i = 0; i < more; i++) {
          const { lastInsertRowid } = insert.run(`desk-${i}@casebook.test`, `Desk ${i}`, (i * 7919) % 40, now - ((i * 104_729) % 86_400_000), now, now);
          join.run(lastInsertRowid);
        }
      })();
      const services = createServices(db, systemClock);
      const members = (queue: string) => (db.$client.prepare('SELECT count(*) AS n FROM staff_queues WHERE queue_id = ?').get(queue) as { n: number }).n;
      // Everyone available, then the members of one queue away: nobody there to pick.
      const away = (queue: string | null) => {
        db.$client.exec('UPDATE staff SET available = 1');
        if (queue) db.$client.prepare('UPDATE staff SET available = 0 WHERE id IN (SELECT staff_id FROM staff_queues WHERE queue_id = ?)').run(queue);
      };
      // The large queue's members made busier than everyone else (one more open case each): the
      // idle agents of billing and technical, with none, come first in the desk's order.
      const busier = db.$client
        .prepare("SELECT s.id FROM staff s JOIN staff_queues sq ON sq.staff_id = s.id AND sq.queue_id = 'general' WHERE s.open_cases + 1 < s.capacity")
        .all()
        .map((r) => (r as { id: number }).id);
      const busy = (on: boolean) => {
        const update = db.$client.prepare(`UPDATE staff SET open_cases = open_cases ${on ? '+' : '-'} 1 WHERE id = ?`);
        db.$client.transaction(() => busier.forEach((id) => update.run(id)))();
      };
      for (const [queue, skills, label] of [
        ['general', [], 'the large queue'],
        ['general', [], 'the large queue, busier than idle queues'],
        ['advanced', [], 'the small queue behind it'],
        ['advanced', [], 'the small queue, its members away'],
        ['technical', [], 'a queue of a few more, its members away'],
        ['general', ['no-such-skill'], 'nobody fits'],
      ] as const) {
        if (more === 0 && queue !== 'general') continue;
        away(label.endsWith('away') ? queue : null);
        const isBusy = label.includes('busier');
        if (isBusy) busy(true);
        const pick = () => services.store.query((q) => pickAgent(q, queue, skills));
        const whole = () => services.store.query((q) => Promise.resolve(firstFitting(objectRows<CandidateRow>(sqliteOf(q), CANDIDATE_SQL.members).iterate(queue), skills)));
        const [a, b] = [await pick(), await whole()];
        if (a?.id !== b?.id) throw new Error(`the two picks differ: ${a?.id} and ${b?.id}`);
        const [pickUs, wholeUs] = await bestPerCall([pick, whole], { perPass: 2_000, warmUp: 200 });
        ctx.log(`assignment: ${label}, ${members(queue)} members of ${members('general') + members('billing') + members('technical') + members('advanced')} seats: ${pickUs!.toFixed(1)} µs the pick, ${wholeUs!.toFixed(1)} µs reading every member`);
        rows.push({
          figure: `pick an agent: ${label} (${members(queue)} members; ${more} agents added to general)`,
          ms: pickUs! / 1000,
          baseline: 'every member read in order, the first that fits (before)',
          baselineMs: wholeUs! / 1000,
          note: `µs as ms; chose ${a ? `staff ${a.id}` : 'nobody'}`,
        });
        if (isBusy) busy(false);
      }
      db.$client.close();
    }
    return rows;
  },
} satisfies Bench;
