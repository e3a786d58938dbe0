/**
 * Assignment's candidate reads on SQLite: cached statements read as arrays (fast.ts
 * `objectRows`), iterated only until the first candidate that fits (pick-agent.ts chooses this
 * module or pg.ts by the handle's dialect).
 *
 * Two ways lead to a queue's members who could take a case, in assignment's order, and they
 * cost differently (docs/performance.md, "Assignment's pick"):
 *
 * - **the pick order**: `staff_pick_idx` holds everyone who could take a case now, already in
 *   that order; each entry is probed for membership by the primary key of `staff_queues`. It
 *   stops at the first member that fits, so in a large queue it is a few entries, but it costs
 *   one probe per pickable staff member of other queues passed on the way.
 * - **the membership**: the queue's entries in `staff_queues_queue_idx`, each one's row by the
 *   primary key, the pickable kept and sorted. It costs one probe per member, whoever is free.
 *
 * A pick takes the cheaper way by two counts. A queue of at most TINY members: its membership.
 * Fewer staff pickable than the queue has members: the pick order, whole (it stops at the first
 * fit, so it is never dearer than a walk). Otherwise — a queue smaller than the free desk — it
 * walks the pick order for WALK entries (`WALK_SQL`), where the queue's members are most likely,
 * and reads the membership only when none of those fits and there is more behind; after a pick
 * that went past the walk, the next reads the membership straight away (tier 2 at night: its
 * members away or full behind a large desk that is free, where the walk finds none of them),
 * and walks again once that finds someone. The counts and the last pick's outcome are hints,
 * counted again every RECOUNT picks of the queue: every way gives the members in the same
 * order, so the choice is the same (src/assignment/pick.test.ts); a stale hint costs time only.
 *
 * A pick that requires skills keeps in SQL only the staff who have them (HAS_SKILLS): handing
 * each member without them to JavaScript to be turned down cost ~1.6 µs a member.
 */
import { objectRows } from '../db/fast.js';
import { sqliteOf, type Handle } from '../db/store/index.js';
import { CANDIDATE_SQL, CHATS_SQL, PICKABLE, firstFitting, type Candidate, type CandidateRow } from './candidates.js';

/** Entries of `staff_pick_idx` walked before the rest is read another way. */
export const WALK = 32;

/** A queue of at most this many members is always read from its membership: fewer probes than a walk that finds someone early. */
export const TINY = 8;

/** Picks of a queue between two counts of its hints. */
export const RECOUNT = 64;

const COLUMNS = (chats: string) => `s.id, s.name, s.skills, s.capacity, s.last_assigned_at, s.chat_limit, ${chats}, s.open_cases AS load`;

/**
 * Pickable staff in assignment's order (the first `limit`, or all), those of the queue kept: in
 * the order of `w` (no sort), each probed for membership by the primary key of `staff_queues`
 * before its row is read (CROSS JOIN: SQLite keeps the join order as written).
 */
const WALK_SQL = (chats: string, where: string, limit: number | null) => `
  SELECT ${COLUMNS(chats)}
  FROM (SELECT s.id, s.open_cases, s.last_assigned_at FROM staff s INDEXED BY staff_pick_idx
        WHERE ${PICKABLE} ORDER BY s.open_cases, s.last_assigned_at, s.id${limit === null ? '' : ` LIMIT ${limit}`}) w
  CROSS JOIN staff_queues sq ON sq.staff_id = w.id AND sq.queue_id = ?
  CROSS JOIN staff s ON s.id = w.id${where ? `\n  WHERE ${where}` : ''}
  ORDER BY w.open_cases, w.last_assigned_at, w.id`;

/**
 * The queue's members who could take a case now, from its membership (`staff_queues_queue_idx`,
 * then each one's row by the primary key; CROSS JOIN keeps that order whatever the statistics
 * say of the average queue), sorted into assignment's order.
 */
const MEMBERSHIP_SQL = (chats: string, where: string) => `
  SELECT ${COLUMNS(chats)}
  FROM staff_queues sq INDEXED BY staff_queues_queue_idx
  CROSS JOIN staff s ON s.id = sq.staff_id
  WHERE sq.queue_id = ? AND ${PICKABLE}${where ? ` AND ${where}` : ''}
  ORDER BY s.open_cases, s.last_assigned_at, s.id`;

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

type Way = 'walk' | 'pickOrder' | 'membership';
type Kind = 'members' | 'membersForChat';

function statements(where: string): Record<Way, Record<Kind, string>> {
  const both = (make: (chats: string) => string) => ({ members: make('0 AS chats'), membersForChat: make(CHATS_SQL) });
  return {
    walk: both((chats) => WALK_SQL(chats, where, WALK)),
    pickOrder: both((chats) => WALK_SQL(chats, where, null)),
    membership: both((chats) => MEMBERSHIP_SQL(chats, where)),
  };
}

/** Every way, without and with the skills' condition (one more parameter, after the queue). */
const STATEMENTS = { any: statements(''), skilled: statements(HAS_SKILLS) };

/** Whether the walk stopped at WALK entries with more behind (a covering read of at most WALK + 1 entries). */
const CUT_SQL = `SELECT count(*) AS n FROM (SELECT 1 FROM staff s INDEXED BY staff_pick_idx WHERE ${PICKABLE} LIMIT ${WALK + 1})`;

/** The hints' counts: the queue's members (its entries of `staff_queues_queue_idx`) and the pickable staff (`staff_pick_idx`'s entries). */
const MEMBERS_SQL = 'SELECT count(*) AS n FROM staff_queues INDEXED BY staff_queues_queue_idx WHERE queue_id = ?';
const PICKABLE_SQL = `SELECT count(*) AS n FROM staff s INDEXED BY staff_pick_idx WHERE ${PICKABLE}`;

interface QueueHint {
  members: number;
  pickable: number;
  /** Picks left before the next count. */
  picksLeft: number;
  /** The queue's last pick found no fit in the walk (its members away, full or behind others: the next is likely the same). */
  pastWalk: boolean;
}

/** Per connection (a server's, a test's, a bench's), queue id → its hints. */
const hints = new WeakMap<object, Map<string, QueueHint>>();

type Sqlite = ReturnType<typeof sqliteOf>;

function hintOf(sqlite: Sqlite, queueId: string): QueueHint {
  let byQueue = hints.get(sqlite);
  if (byQueue === undefined) hints.set(sqlite, (byQueue = new Map()));
  let hint = byQueue.get(queueId);
  if (hint === undefined || hint.picksLeft === 0) {
    const count = (sql: string, ...params: string[]) => objectRows<{ n: number }>(sqlite, sql).get(...params)!.n;
    hint = { members: count(MEMBERS_SQL, queueId), pickable: count(PICKABLE_SQL), picksLeft: RECOUNT, pastWalk: hint?.pastWalk ?? false };
    byQueue.set(queueId, hint);
  }
  hint.picksLeft--;
  return hint;
}

/** Reads made by picks since start-up, by way: the property test checks that every way is taken. */
export const pickReads: Record<Way, number> = { walk: 0, pickOrder: 0, membership: 0 };

/** Forgets the hints of `q`'s connection: the next pick of each queue counts again (a test that replaces the desk). */
export function forgetQueueHints(q: Handle): void {
  hints.delete(sqliteOf(q));
}

export function pickAgent(q: Handle, queueId: string, requiredSkills: readonly string[], channel?: string, prefer?: ReadonlySet<number>): Promise<Candidate | null> {
  const sqlite = sqliteOf(q);
  const kind = channel === 'chat' ? 'membersForChat' : 'members';
  const ways = STATEMENTS[requiredSkills.length > 0 ? 'skilled' : 'any'];
  const params = requiredSkills.length > 0 ? [queueId, JSON.stringify(requiredSkills)] : [queueId];
  const read = (way: Way) => {
    pickReads[way]++;
    return firstFitting(objectRows<CandidateRow>(sqlite, ways[way][kind]).iterate(...params), requiredSkills, channel, prefer);
  };
  const hint = hintOf(sqlite, queueId);
  if (hint.members <= TINY) return Promise.resolve(read('membership'));
  // Fewer staff pickable than the queue has members: the whole pick order, which stops at the first fit, costs no more than the membership.
  if (hint.pickable < hint.members) return Promise.resolve(read('pickOrder'));
  // The last pick went past the walk: the membership, unless that finds someone (then the walk may again).
  if (hint.pastWalk) {
    const picked = read('membership');
    hint.pastWalk = picked === null;
    return Promise.resolve(picked);
  }
  const walked = read('walk');
  // A preferred fit (or any fit, with no preference) is the first in the queue's order: the walk is enough.
  hint.pastWalk = walked === null || (prefer !== undefined && !prefer.has(walked.id));
  if (!hint.pastWalk) return Promise.resolve(walked);
  // The walk saw every pickable staff member: what it found (a fit not preferred, or none) is the answer.
  if (objectRows<{ n: number }>(sqlite, CUT_SQL).get()!.n <= WALK) return Promise.resolve(walked);
  return Promise.resolve(read('membership'));
}

export function one(q: Handle, staffId: number): Promise<CandidateRow | undefined> {
  return Promise.resolve(objectRows<CandidateRow>(sqliteOf(q), CANDIDATE_SQL.one).get(staffId));
}
