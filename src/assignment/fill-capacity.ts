/**
 * When an agent frees capacity (a case resolved, they became available, joined a queue
 * or got more capacity), waiting cases in their queues that they have the skills for are
 * assigned to them: by priority (urgent, high, normal, low), then oldest first. A queue
 * set to plain FIFO (`waiting_order = 'fifo'`) ignores priority: its cases are taken
 * oldest first, and rank as `normal` against cases of the agent's other queues. Runs
 * inside the caller's transaction.
 */
import { PRIORITY_RANK_SQL } from '../db/schema/cases.js';
import type { Handle } from '../db/store/index.js';
import { all, get } from '../db/store/rows.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext } from '../workflow/context.js';
import { assignTo } from './assign.js';
import * as pgRows from './pg.js';
import { hasRoomFor, loadOf } from './pick-agent.js';
import * as sqliteRows from './sqlite.js';

/** A queue the agent takes waiting cases from, and the order it gives them. */
export interface AgentQueue {
  id: string;
  order: 'priority' | 'fifo';
}

/** A queue's next waiting case the agent can take: its rank across the agent's queues (lower first), then its age. */
interface Head {
  id: number;
  rank: number;
  waitingSince: number;
}

/** The SQL that differs per dialect in the next-case read: the index to walk, a skills test, the cases already found taken. */
interface NextParts {
  indexedBy: (index: string) => string;
  skillsFit: string;
  notTaken: string;
}

const PARTS: Record<'sqlite' | 'postgres', NextParts> = {
  sqlite: {
    // Named, so the plan never depends on statistics (a sort of the whole queue would be a valid plan).
    indexedBy: (index) => `INDEXED BY ${index}`,
    skillsFit: sqliteRows.SKILLS_FIT,
    notTaken: 'c.id NOT IN (SELECT value FROM json_each(?))',
  },
  postgres: { indexedBy: () => '', skillsFit: pgRows.SKILLS_FIT, notTaken: 'NOT (?::jsonb @> to_jsonb(c.id))' },
};

/**
 * A queue's next waiting case that the agent can take (the skills, per dialect; a live chat only
 * with room under their chat limit; not one found taken), read from the index in the queue's
 * order and stopping at the first that fits: cases they cannot take, however many wait ahead,
 * never hide one they can, and the read costs the same with 20 or 20,000 waiting (a sort of
 * every waiting case of the agent's queues took 19–27 ms at 20,000: docs/performance.md, "The
 * waiting queue's fill"). A `priority` queue: `cases_waiting_rank_idx` (the priority's rank, then
 * oldest); a `fifo` queue: `cases_waiting_idx` (oldest; its cases rank as `normal` against the
 * agent's other queues). Parameters: queue, skills (JSON), room for a chat (1/0), taken ids (JSON).
 */
function nextSql(parts: NextParts, order: AgentQueue['order']): string {
  const byPriority = order === 'priority';
  const rank = byPriority ? `(${PRIORITY_RANK_SQL})` : '2';
  return `
    SELECT c.id, ${rank} AS rank, c.waiting_since AS "waitingSince"
    FROM cases c ${parts.indexedBy(byPriority ? 'cases_waiting_rank_idx' : 'cases_waiting_idx')}
    WHERE c.queue_id = ? AND c.waiting_since IS NOT NULL
      AND ${parts.skillsFit}
      AND (c.channel <> 'chat' OR ? = 1)
      AND ${parts.notTaken}
    ORDER BY ${byPriority ? `(${PRIORITY_RANK_SQL}), ` : ''}c.waiting_since, c.id
    LIMIT 1`;
}

export const NEXT_WAITING = {
  sqlite: { priority: nextSql(PARTS.sqlite, 'priority'), fifo: nextSql(PARTS.sqlite, 'fifo') },
  postgres: { priority: nextSql(PARTS.postgres, 'priority'), fifo: nextSql(PARTS.postgres, 'fifo') },
};

const AGENT_QUEUES = 'SELECT q.id, q.waiting_order AS "order" FROM staff_queues sq JOIN queues q ON q.id = sq.queue_id WHERE sq.staff_id = ?';

/** The case the agent takes next: the best of their queues' next cases (rank, then the oldest, then the lowest id); null when none waits. */
export async function nextWaiting(q: Handle, queues: readonly AgentQueue[], params: { skills: string; chat: number; taken: string }): Promise<number | null> {
  let best: Head | undefined;
  for (const queue of queues) {
    const head = await get<Head>(q, NEXT_WAITING[q.dialect][queue.order === 'fifo' ? 'fifo' : 'priority'], [queue.id, params.skills, params.chat, params.taken]);
    if (head && (!best || (head.rank - best.rank || head.waitingSince - best.waitingSince || head.id - best.id) < 0)) best = head;
  }
  return best ? best.id : null;
}

/** Inside the caller's transaction (`q`): offers the agent waiting cases until their capacity is full; how many were assigned. */
export async function fillCapacity(q: Handle, services: Services, staffId: number, actor: Actor): Promise<number> {
  let assigned = 0;
  if (!(await get(q, 'SELECT 1 AS ok FROM staff WHERE id = ? AND active = TRUE AND available = TRUE', [staffId]))) return 0;
  const queues = await all<AgentQueue>(q, AGENT_QUEUES, [staffId]);
  /** Waiting cases found taken once locked (below): not offered again in this fill. */
  const taken: number[] = [];
  for (;;) {
    const agent = await loadOf(q, staffId);
    if (!agent || agent.load >= agent.capacity) break;
    const next = await nextWaiting(q, queues, { skills: JSON.stringify(agent.skills), chat: hasRoomFor(agent, 'chat') ? 1 : 0, taken: JSON.stringify(taken) });
    if (next === null) break;
    if (taken.includes(next)) throw new Error(`fillCapacity: case ${next} offered again after it was found taken`);
    // Loading locks the case (PostgreSQL: another agent's fill may have chosen it too, and
    // this one then reads what that one committed): only a case still waiting is taken.
    const ctx = await CaseContext.load(q, services, next, actor);
    if (!ctx.case.open || ctx.case.assigneeId !== null || ctx.case.waitingSince === null) {
      taken.push(next);
      continue;
    }
    await assignTo(ctx, agent, 'capacity freed');
    await ctx.save();
    assigned++;
  }
  return assigned;
}
