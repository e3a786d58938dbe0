/**
 * When an agent frees capacity (a case resolved, they became available, joined a queue
 * or got more capacity), waiting cases in their queues that they have the skills for are
 * assigned to them: by priority (urgent, high, normal, low), then oldest first. A queue
 * set to plain FIFO (`waiting_order = 'fifo'`) ignores priority: its cases are taken
 * oldest first, and rank as `normal` against cases of the agent's other queues. Runs
 * inside the caller's transaction.
 */
import { statement } from '../db/fast.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext } from '../workflow/context.js';
import { assignTo } from './assign.js';
import { hasRoomFor, hasSkills, loadOf } from './pick-agent.js';

interface WaitingRow {
  id: number;
  skills: string;
  channel: string;
}

const SCAN = 200;

/** A waiting case's rank (lower is taken first); `c` is the case, `q` its queue. */
export const WAITING_RANK_SQL = `CASE WHEN q.waiting_order = 'fifo' THEN 2 ELSE
  CASE c.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END END`;

export function fillCapacity(services: Services, staffId: number, actor: Actor): number {
  const db = services.db;
  // The limit is written into the SQL: a bound LIMIT makes SQLite prepare the statement again on every call (src/db/fast.ts, withLimit).
  const waiting = statement<[number], WaitingRow>(db, `
    SELECT c.id, c.skills, c.channel FROM cases c JOIN queues q ON q.id = c.queue_id
    WHERE c.waiting_since IS NOT NULL
      AND c.queue_id IN (SELECT queue_id FROM staff_queues WHERE staff_id = ?)
    ORDER BY ${WAITING_RANK_SQL}, c.waiting_since, c.id
    LIMIT ${SCAN}`);
  const available = statement<[number], { ok: number }>(db, 'SELECT 1 AS ok FROM staff WHERE id = ? AND active = 1 AND available = 1');
  let assigned = 0;
  if (!available.get(staffId)) return 0;
  for (;;) {
    const agent = loadOf(db, staffId);
    if (!agent || agent.load >= agent.capacity) break;
    const next = waiting.all(staffId).find((row) => hasRoomFor(agent, row.channel) && hasSkills(agent, JSON.parse(row.skills) as string[]));
    if (!next) break;
    const ctx = CaseContext.load(services, next.id, actor);
    assignTo(ctx, agent, 'capacity freed');
    ctx.save();
    assigned++;
  }
  return assigned;
}
