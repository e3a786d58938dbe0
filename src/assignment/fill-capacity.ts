/**
 * When an agent frees capacity (a case resolved, they became available, joined a queue
 * or got more capacity), waiting cases in their queues that they have the skills for are
 * assigned to them: by priority (urgent, high, normal, low), then oldest first. A queue
 * set to plain FIFO (`waiting_order = 'fifo'`) ignores priority: its cases are taken
 * oldest first, and rank as `normal` against cases of the agent's other queues. Runs
 * inside the caller's transaction.
 */
import type { Handle } from '../db/store/index.js';
import { all, get } from '../db/store/rows.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext } from '../workflow/context.js';
import { assignTo } from './assign.js';
import * as pgRows from './pg.js';
import { hasRoomFor, loadOf } from './pick-agent.js';
import * as sqliteRows from './sqlite.js';

/** Waiting cases read at a time (those the agent can take: the first that is still waiting once locked is assigned). */
export const SCAN = 200;

/** A waiting case's rank (lower is taken first); `c` is the case, `q` its queue. */
export const WAITING_RANK_SQL = `CASE WHEN q.waiting_order = 'fifo' THEN 2 ELSE
  CASE c.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END END`;

/**
 * The agent's next waiting cases, in the order they are taken: only those the agent can take
 * (the skills, per dialect; a live chat only with room under their chat limit), so that cases
 * they cannot take, however many wait ahead, never hide one they can behind the LIMIT.
 * The limit is written into the SQL: a bound LIMIT makes SQLite prepare the statement again on
 * every call (src/db/fast.ts, withLimit).
 */
const waitingSql = (skillsFit: string) => `
    SELECT c.id FROM cases c JOIN queues q ON q.id = c.queue_id
    WHERE c.waiting_since IS NOT NULL
      AND c.queue_id IN (SELECT queue_id FROM staff_queues WHERE staff_id = ?)
      AND ${skillsFit}
      AND (c.channel <> 'chat' OR ? = 1)
    ORDER BY ${WAITING_RANK_SQL}, c.waiting_since, c.id
    LIMIT ${SCAN}`;

const WAITING = { sqlite: waitingSql(sqliteRows.SKILLS_FIT), postgres: waitingSql(pgRows.SKILLS_FIT) };

/** Inside the caller's transaction (`q`): offers the agent waiting cases until their capacity is full; how many were assigned. */
export async function fillCapacity(q: Handle, services: Services, staffId: number, actor: Actor): Promise<number> {
  let assigned = 0;
  if (!(await get(q, 'SELECT 1 AS ok FROM staff WHERE id = ? AND active = TRUE AND available = TRUE', [staffId]))) return 0;
  /** Waiting cases found taken once locked (below): not offered again in this fill. */
  const taken = new Set<number>();
  for (;;) {
    const agent = await loadOf(q, staffId);
    if (!agent || agent.load >= agent.capacity) break;
    // Every row is a case the agent can take (the query's conditions): the first not found taken.
    const waiting = await all<{ id: number }>(q, WAITING[q.dialect], [staffId, JSON.stringify(agent.skills), hasRoomFor(agent, 'chat') ? 1 : 0]);
    const next = waiting.find((row) => !taken.has(row.id));
    if (!next) break;
    // Loading locks the case (PostgreSQL: another agent's fill may have chosen it too, and
    // this one then reads what that one committed): only a case still waiting is taken.
    const ctx = await CaseContext.load(q, services, next.id, actor);
    if (!ctx.case.open || ctx.case.assigneeId !== null || ctx.case.waitingSince === null) {
      taken.add(next.id);
      continue;
    }
    await assignTo(ctx, agent, 'capacity freed');
    await ctx.save();
    assigned++;
  }
  return assigned;
}
