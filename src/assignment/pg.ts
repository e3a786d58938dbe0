/**
 * Assignment's candidate reads on PostgreSQL: the same SQL as SQLite's (pick-agent.ts), its
 * rows read at once (a queue's available members: a few).
 *
 * On SQLite a write transaction holds the database's only write lock, so a load read there is
 * still true when the case is assigned. Here writes overlap at READ COMMITTED: two intakes
 * would read the same loads and both give the last free place to the same agent. So the
 * staff rows a choice depends on are locked first (`FOR NO KEY UPDATE`, the lock the
 * `open_cases` triggers' UPDATE takes; foreign keys to the row are not held up), in id order,
 * and read after: the read is a new statement, so it sees every assignment committed by
 * whoever held them before, and nobody changes their load until this transaction ends. A pick
 * that needs skills locks and reads only the members who have them (jsonb containment).
 */
import type { Handle } from '../db/store/index.js';
import { all, get } from '../db/store/rows.js';
import { CANDIDATE_SQL, firstFitting, membersWhere, type Candidate, type CandidateRow } from './candidates.js';

/** A waiting case `c` needs no skill the agent lacks (their skills bound as a JSON array): jsonb containment, exact as hasSkills. */
export const SKILLS_FIT = 'c.skills <@ ?::jsonb';

/** `s` has every skill of the JSON array bound here: jsonb containment, exact as hasSkills. */
const HAS_SKILLS = 's.skills @> ?::jsonb';

/**
 * The queue's members who could take a case now, locked (re-checked after any wait); for a pick
 * that needs skills only those who have them: the others' loads cannot change its choice, and
 * intakes needing a skill no longer wait for the locks of everyone in the queue.
 */
const lockMembers = (skills: string) => `
  SELECT s.id FROM staff_queues sq JOIN staff s ON s.id = sq.staff_id
  WHERE sq.queue_id = ? AND s.active = TRUE AND s.available = TRUE AND s.open_cases < s.capacity${skills}
  ORDER BY s.id FOR NO KEY UPDATE OF s`;

const STATEMENTS = {
  any: { lock: lockMembers(''), members: CANDIDATE_SQL.members, membersForChat: CANDIDATE_SQL.membersForChat },
  skilled: { lock: lockMembers(` AND ${HAS_SKILLS}`), ...membersWhere(HAS_SKILLS) },
};

export async function pickAgent(q: Handle, queueId: string, requiredSkills: readonly string[], channel?: string, prefer?: ReadonlySet<number>): Promise<Candidate | null> {
  const statements = STATEMENTS[requiredSkills.length > 0 ? 'skilled' : 'any'];
  const params = requiredSkills.length > 0 ? [queueId, JSON.stringify(requiredSkills)] : [queueId];
  const locked = new Set((await all<{ id: number }>(q, statements.lock, params)).map((row) => Number(row.id)));
  if (locked.size === 0) return null;
  const rows = await all<CandidateRow>(q, channel === 'chat' ? statements.membersForChat : statements.members, params);
  // One who became available between the two statements is not locked: left for the next case.
  return firstFitting(
    rows.filter((row) => locked.has(Number(row.id))),
    requiredSkills,
    channel,
    prefer,
  );
}

/** One staff member with their load, their row locked (a capacity check, then an assignment). */
export async function one(q: Handle, staffId: number): Promise<CandidateRow | undefined> {
  if (!(await get(q, 'SELECT id FROM staff WHERE id = ? FOR NO KEY UPDATE', [staffId]))) return undefined;
  return get<CandidateRow>(q, CANDIDATE_SQL.one, [staffId]);
}
