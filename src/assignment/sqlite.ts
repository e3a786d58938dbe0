/**
 * Assignment's candidate reads on SQLite: cached statements read as arrays (fast.ts
 * `objectRows`), iterated only until the first candidate that fits (pick-agent.ts chooses this
 * module or pg.ts by the handle's dialect).
 *
 * The queue's members in assignment's order cost a read and a sort of every member: ~0.2 µs a
 * member, 70 µs an intake for a queue of 300 (docs/performance.md, "Assignment's pick"). So the
 * pick first walks `staff_pick_idx` — everyone who could take a case now, already in that order
 * — for its first WALK entries, keeping the queue's members: in a large queue the first fitting
 * member is a few entries in. Only when none of those fits (a small queue in a large desk, the
 * skills, a chat's preference) are the queue's members read whole, as before. Both reads give
 * the members in the same order, so the choice is the same (src/assignment/pick.test.ts).
 *
 * A pick that requires skills keeps in SQL only the staff who have them (HAS_SKILLS): when
 * those with the skill are full, nobody fits and the members are read whole, and handing each
 * one to JavaScript to be turned down cost ~1.6 µs a member (2 ms a pick in a queue of 1,000).
 */
import { objectRows } from '../db/fast.js';
import { sqliteOf, type Handle } from '../db/store/index.js';
import { CANDIDATE_SQL, CHATS_SQL, PICKABLE, firstFitting, membersWhere, type Candidate, type CandidateRow } from './candidates.js';

/** Entries of `staff_pick_idx` walked before the queue's members are read whole. */
export const WALK = 32;

/**
 * The first WALK pickable staff in assignment's order, those of the queue kept: in the order of
 * `w` (no sort), each probed for membership by the primary key of `staff_queues` before its row
 * is read (CROSS JOIN: SQLite keeps the join order as written).
 */
const WALK_SQL = (chats: string, where = '') => `
  SELECT s.id, s.name, s.skills, s.capacity, s.last_assigned_at, s.chat_limit, ${chats}, s.open_cases AS load
  FROM (SELECT s.id, s.open_cases, s.last_assigned_at FROM staff s INDEXED BY staff_pick_idx
        WHERE ${PICKABLE} ORDER BY s.open_cases, s.last_assigned_at, s.id LIMIT ${WALK}) w
  CROSS JOIN staff_queues sq ON sq.staff_id = w.id AND sq.queue_id = ?
  CROSS JOIN staff s ON s.id = w.id${where}
  ORDER BY w.open_cases, w.last_assigned_at, w.id`;

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

/** The walk and the members' read, without and with the skills' condition (one more parameter, after the queue). */
const STATEMENTS: Record<'any' | 'skilled', { walk: Record<Kind, string>; members: Record<Kind, string> }> = {
  any: {
    walk: { members: WALK_SQL('0 AS chats'), membersForChat: WALK_SQL(CHATS_SQL) },
    members: CANDIDATE_SQL,
  },
  skilled: {
    walk: { members: WALK_SQL('0 AS chats', `\n  WHERE ${HAS_SKILLS}`), membersForChat: WALK_SQL(CHATS_SQL, `\n  WHERE ${HAS_SKILLS}`) },
    members: membersWhere(HAS_SKILLS),
  },
};

/** Whether the walk stopped at WALK entries with more behind (a covering read of at most WALK + 1 entries). */
const CUT_SQL = `SELECT count(*) AS n FROM (SELECT 1 FROM staff s INDEXED BY staff_pick_idx WHERE ${PICKABLE} LIMIT ${WALK + 1})`;

export function pickAgent(q: Handle, queueId: string, requiredSkills: readonly string[], channel?: string, prefer?: ReadonlySet<number>): Promise<Candidate | null> {
  const sqlite = sqliteOf(q);
  const kind = channel === 'chat' ? 'membersForChat' : 'members';
  const { walk, members } = STATEMENTS[requiredSkills.length > 0 ? 'skilled' : 'any'];
  const params = requiredSkills.length > 0 ? [queueId, JSON.stringify(requiredSkills)] : [queueId];
  const walked = firstFitting(objectRows<CandidateRow>(sqlite, walk[kind]).iterate(...params), requiredSkills, channel, prefer);
  // A preferred fit (or any fit, with no preference) is the first in the queue's order: the walk is enough.
  if (walked !== null && (!prefer || prefer.has(walked.id))) return Promise.resolve(walked);
  // The walk saw every pickable staff member: what it found (a fit not preferred, or none) is the answer.
  if (objectRows<{ n: number }>(sqlite, CUT_SQL).get()!.n <= WALK) return Promise.resolve(walked);
  return Promise.resolve(firstFitting(objectRows<CandidateRow>(sqlite, members[kind]).iterate(...params), requiredSkills, channel, prefer));
}

export function one(q: Handle, staffId: number): Promise<CandidateRow | undefined> {
  return Promise.resolve(objectRows<CandidateRow>(sqliteOf(q), CANDIDATE_SQL.one).get(staffId));
}
