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
 */
import { objectRows } from '../db/fast.js';
import { sqliteOf, type Handle } from '../db/store/index.js';
import { CANDIDATE_SQL, CHATS_SQL, PICKABLE, firstFitting, type Candidate, type CandidateRow } from './candidates.js';

/** Entries of `staff_pick_idx` walked before the queue's members are read whole. */
export const WALK = 32;

/**
 * The first WALK pickable staff in assignment's order, those of the queue kept: in the order of
 * `w` (no sort), each probed for membership by the primary key of `staff_queues` before its row
 * is read (CROSS JOIN: SQLite keeps the join order as written).
 */
const WALK_SQL = (chats: string) => `
  SELECT s.id, s.name, s.skills, s.capacity, s.last_assigned_at, s.chat_limit, ${chats}, s.open_cases AS load
  FROM (SELECT s.id, s.open_cases, s.last_assigned_at FROM staff s INDEXED BY staff_pick_idx
        WHERE ${PICKABLE} ORDER BY s.open_cases, s.last_assigned_at, s.id LIMIT ${WALK}) w
  CROSS JOIN staff_queues sq ON sq.staff_id = w.id AND sq.queue_id = ?
  CROSS JOIN staff s ON s.id = w.id
  ORDER BY w.open_cases, w.last_assigned_at, w.id`;

const WALK_STATEMENTS = {
  members: WALK_SQL('0 AS chats'),
  membersForChat: WALK_SQL(CHATS_SQL),
};

/** Whether the walk stopped at WALK entries with more behind (a covering read of at most WALK + 1 entries). */
const CUT_SQL = `SELECT count(*) AS n FROM (SELECT 1 FROM staff s INDEXED BY staff_pick_idx WHERE ${PICKABLE} LIMIT ${WALK + 1})`;

export function pickAgent(q: Handle, queueId: string, requiredSkills: readonly string[], channel?: string, prefer?: ReadonlySet<number>): Promise<Candidate | null> {
  const sqlite = sqliteOf(q);
  const kind = channel === 'chat' ? 'membersForChat' : 'members';
  const walked = firstFitting(objectRows<CandidateRow>(sqlite, WALK_STATEMENTS[kind]).iterate(queueId), requiredSkills, channel, prefer);
  // A preferred fit (or any fit, with no preference) is the first in the queue's order: the walk is enough.
  if (walked !== null && (!prefer || prefer.has(walked.id))) return Promise.resolve(walked);
  // The walk saw every pickable staff member: what it found (a fit not preferred, or none) is the answer.
  if (objectRows<{ n: number }>(sqlite, CUT_SQL).get()!.n <= WALK) return Promise.resolve(walked);
  const members = objectRows<CandidateRow>(sqlite, CANDIDATE_SQL[kind]);
  return Promise.resolve(firstFitting(members.iterate(queueId), requiredSkills, channel, prefer));
}

export function one(q: Handle, staffId: number): Promise<CandidateRow | undefined> {
  return Promise.resolve(objectRows<CandidateRow>(sqliteOf(q), CANDIDATE_SQL.one).get(staffId));
}
