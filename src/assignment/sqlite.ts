/**
 * Assignment's candidate reads on SQLite: cached statements read as arrays (fast.ts
 * `objectRows`), iterated only until the first candidate that fits (pick-agent.ts chooses this
 * module or pg.ts by the handle's dialect).
 *
 * `pick_order` (drizzle/0049_pick_order.sql) holds, per queue, the members who could take a
 * case now — active, available, below capacity — keyed in assignment's order (fewest open
 * cases, then least recently assigned, then id), kept by triggers on `staff` and
 * `staff_queues`. The pick reads the queue's entries from the first, each one's staff row by the
 * primary key, until one fits: one seek and a row for a plain pick, whoever else in the desk is
 * free; a pick that needs skills or a chat's room reads on past those who lack them, the queue's
 * free members at most. The reference — every member of the queue read and sorted
 * (`CANDIDATE_SQL`, what pg.ts does under its locks) — gives the same answer
 * (src/assignment/pick.test.ts), and `pick_order` holds exactly the pairs it derives from.
 *
 * A pick that requires skills keeps in SQL only the staff who have them (HAS_SKILLS): handing
 * each one without them to JavaScript to be turned down cost ~1.6 µs a member.
 */
import { objectRows } from '../db/fast.js';
import { sqliteOf, type Handle } from '../db/store/index.js';
import { CANDIDATE_SQL, CHATS_SQL, PICKABLE, firstFitting, type Candidate, type CandidateRow } from './candidates.js';

/**
 * The queue's entries of `pick_order` in its key's order (no sort), each one's staff row by the
 * primary key (CROSS JOIN: SQLite keeps the join order as written). The row is checked against
 * PICKABLE too, the columns at hand: an entry the triggers failed to remove is never chosen
 * (the triggers themselves are held to the derived pairs by pick.test.ts).
 */
const PICK_SQL = (chats: string, where: string) => `
  SELECT s.id, s.name, s.skills, s.capacity, s.last_assigned_at, s.chat_limit, ${chats}, s.open_cases AS load
  FROM pick_order p CROSS JOIN staff s ON s.id = p.staff_id
  WHERE p.queue_id = ? AND ${PICKABLE}${where ? ` AND ${where}` : ''}
  ORDER BY p.open_cases, p.last_assigned_at, p.staff_id`;

/**
 * `s` has every skill of the (non-empty) JSON array bound here, exact text equality as hasSkills:
 * no required skill missing from the staff member's list. An empty list, most staff's, is turned
 * down by its text before any JSON is read.
 */
const HAS_SKILLS = "(s.skills <> '[]' AND NOT EXISTS (SELECT 1 FROM json_each(?) r WHERE r.value NOT IN (SELECT h.value FROM json_each(s.skills) h)))";

/**
 * A waiting case `c` needs no skill the agent lacks (the agent's skills bound as a JSON array):
 * fill-capacity.ts's WAITING, so that its LIMIT counts only cases the agent can take.
 */
export const SKILLS_FIT = "(c.skills = '[]' OR NOT EXISTS (SELECT 1 FROM json_each(c.skills) r WHERE r.value NOT IN (SELECT h.value FROM json_each(?) h)))";

type Kind = 'members' | 'membersForChat';

/** The pick without and with the skills' condition (one more parameter, after the queue). */
const STATEMENTS: Record<'any' | 'skilled', Record<Kind, string>> = {
  any: { members: PICK_SQL('0 AS chats', ''), membersForChat: PICK_SQL(CHATS_SQL, '') },
  skilled: { members: PICK_SQL('0 AS chats', HAS_SKILLS), membersForChat: PICK_SQL(CHATS_SQL, HAS_SKILLS) },
};

export function pickAgent(q: Handle, queueId: string, requiredSkills: readonly string[], channel?: string, prefer?: ReadonlySet<number>): Promise<Candidate | null> {
  const sql = STATEMENTS[requiredSkills.length > 0 ? 'skilled' : 'any'][channel === 'chat' ? 'membersForChat' : 'members'];
  const params = requiredSkills.length > 0 ? [queueId, JSON.stringify(requiredSkills)] : [queueId];
  return Promise.resolve(firstFitting(objectRows<CandidateRow>(sqliteOf(q), sql).iterate(...params), requiredSkills, channel, prefer));
}

export function one(q: Handle, staffId: number): Promise<CandidateRow | undefined> {
  return Promise.resolve(objectRows<CandidateRow>(sqliteOf(q), CANDIDATE_SQL.one).get(staffId));
}
