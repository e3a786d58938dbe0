/**
 * The waiting queue's fill (src/assignment/fill-capacity.ts): when an agent frees capacity (a
 * case resolved, back from a break), the next waiting case they can take. On the intake bench's
 * store with 1,000 and 20,000 cases waiting in `general` and `billing` (every priority, waiting
 * times shuffled; one in five needs `refunds`, one in eleven is a live chat), for an agent of both
 * queues without skills:
 *
 * - the read of the next case (each queue's next case from its index, `nextWaiting`) against the
 *   read it replaced (every waiting case of the agent's queues sorted, the first 200 kept:
 *   BEFORE_SQL), the two interleaved, both through the storage port, nothing written;
 * - a whole fill step that assigns one case (the read, the case loaded, assigned, saved and
 *   committed), against the same step's write alone: the agent's capacity raised by one, committed.
 *
 * µs per call, the best of 5 passes.
 *
 *   npm run bench -- --filter fill
 */
import path from 'node:path';
import { systemClock } from '../src/clock.js';
import { openDatabase } from '../src/db/client.js';
import { createServices } from '../src/compose.js';
import { all } from '../src/db/store/rows.js';
import { fillCapacity, nextWaiting, type AgentQueue } from '../src/assignment/fill-capacity.js';
import { SKILLS_FIT } from '../src/assignment/sqlite.js';
import { createCase } from '../src/cases/create-case.js';
import { SYSTEM_ACTOR } from '../src/roles.js';
import { ADMIN, tempDir } from '../test/support/harness.js';
import type { Bench, BenchRow } from './bench.js';
import { prepareStore } from './intake.bench.js';
import { bestPerCall } from './support/per-call.js';

/** The fill's read before cases_waiting_rank_idx: every waiting case of the agent's queues, sorted. */
const BEFORE_SQL = `
    SELECT c.id FROM cases c JOIN queues q ON q.id = c.queue_id
    WHERE c.waiting_since IS NOT NULL
      AND c.queue_id IN (SELECT queue_id FROM staff_queues WHERE staff_id = ?)
      AND ${SKILLS_FIT}
      AND (c.channel <> 'chat' OR ? = 1)
    ORDER BY CASE WHEN q.waiting_order = 'fifo' THEN 2 ELSE
      CASE c.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END END, c.waiting_since, c.id
    LIMIT 200`;

const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;

export default {
  name: 'fill',
  async run(ctx) {
    const rows: BenchRow[] = [];
    const dir = tempDir('casebook-bench-fill-');
    for (const waiting of [1_000, 20_000]) {
      const file = path.join(dir, `waiting-${waiting}.db`);
      await prepareStore(file);
      const db = openDatabase(file);
      const services = createServices(db, systemClock);
      // Nobody free: the requests below wait, as real cases (routing, timeline, timers).
      db.$client.exec('UPDATE staff SET available = 0');
      const templates: number[] = [];
      for (let i = 0; i < 10; i++) templates.push((await createCase(services, { customer: { email: `waiting${i}@example.com` }, subject: 'Invoice question', description: 'Where is the invoice for March?' }, ADMIN)).id);
      // The rest are copies of them, spread over the two queues, priorities, skills, channels and times.
      const copy = db.$client.prepare(`
        INSERT INTO cases (customer_id, subject, description, channel, requested_priority, priority, status, state_entered_at, open, tier, queue_id,
          waiting_since, tags, skills, workflow, workflow_version, routing, sla_policy, sla_config_version, sla_due_at, created_at, updated_at, change_seq)
        SELECT customer_id, subject, description, ?, requested_priority, ?, status, state_entered_at, open, tier, ?,
          ?, tags, ?, workflow, workflow_version, routing, sla_policy, sla_config_version, sla_due_at, created_at, updated_at, ?
        FROM cases WHERE id = ?`);
      const now = Date.now();
      db.$client.transaction(() => {
        for (let i = templates.length; i < waiting; i++) {
          copy.run(i % 11 === 0 ? 'chat' : 'api', PRIORITIES[((i * 31) % 7) % 4], i % 2 ? 'general' : 'billing', now - 86_400_000 + ((i * 7919) % waiting) * 1000, i % 5 === 0 ? '["refunds"]' : '[]', 1_000_000 + i, templates[i % templates.length]);
        }
      })();
      const { id: agentId } = db.$client.prepare("INSERT INTO staff (email, name, role, skills, capacity, available, created_at, updated_at) VALUES ('fill@casebook.test', 'Fill', 'agent', '[]', 1, 1, ?, ?) RETURNING id").get(now, now) as { id: number };
      db.$client.prepare("INSERT INTO staff_queues (staff_id, queue_id) VALUES (?, 'general'), (?, 'billing')").run(agentId, agentId);
      const queues: AgentQueue[] = [{ id: 'general', order: 'priority' }, { id: 'billing', order: 'priority' }];
      const counted = (db.$client.prepare('SELECT count(*) AS n FROM cases WHERE waiting_since IS NOT NULL').get() as { n: number }).n;

      const read = () => services.store.query((q) => nextWaiting(q, queues, { skills: '[]', chat: 0, taken: '[]' }));
      const before = () => services.store.query((q) => all<{ id: number }>(q, BEFORE_SQL, [agentId, '[]', 0]));
      const [a, b] = [await read(), (await before())[0]?.id ?? null];
      if (a !== b) throw new Error(`the two reads differ: ${a} and ${b}`);
      const [readUs, beforeUs] = await bestPerCall([read, before], { perPass: waiting > 5_000 ? 50 : 500, warmUp: 20 });
      ctx.log(`fill: ${counted} waiting, the next case for an agent of 2 queues: ${readUs!.toFixed(1)} µs from the indexes, ${beforeUs!.toFixed(1)} µs sorting every waiting case (before)`);
      rows.push({
        figure: `fill: read the next waiting case, ${counted} waiting (agent of 2 queues)`,
        ms: readUs! / 1000,
        baseline: 'every waiting case of their queues sorted (before)',
        baselineMs: beforeUs! / 1000,
        note: `µs as ms; case ${a}`,
      });

      // A whole step: room for one more case, then the fill takes it (committed each time).
      const roomForOne = db.$client.prepare('UPDATE staff SET capacity = open_cases + 1 WHERE id = ?');
      const step = () => services.store.write(async (q) => {
        roomForOne.run(agentId);
        if ((await fillCapacity(q, services, agentId, SYSTEM_ACTOR)) !== 1) throw new Error('the fill assigned no case');
      });
      const writeAlone = () => services.store.write(async () => void roomForOne.run(agentId));
      const [stepUs, aloneUs] = await bestPerCall([step, writeAlone], { perPass: 60, warmUp: 20 });
      ctx.log(`fill: ${counted} waiting, a step that assigns one case: ${stepUs!.toFixed(0)} µs (its capacity write alone ${aloneUs!.toFixed(0)} µs)`);
      rows.push({
        figure: `fill: a step that assigns one case, ${counted} waiting`,
        ms: stepUs! / 1000,
        baseline: 'the step’s capacity write alone, committed',
        baselineMs: aloneUs! / 1000,
        note: 'µs as ms: read, load, assign, save, commit',
      });
      db.$client.close();
    }
    return rows;
  },
} satisfies Bench;
