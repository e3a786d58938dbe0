/**
 * Assignment's candidates (pick-agent.ts): who they are, the same SQL on both dialects
 * (booleans compared with TRUE) that sqlite.ts and pg.ts run, and the order and fit rules.
 */
import { json } from '../db/store/rows.js';

export interface Candidate {
  id: number;
  name: string;
  skills: string[];
  capacity: number;
  load: number;
  lastAssignedAt: number;
  /** Open live chats of cases assigned to them (counted for a chat's assignment and `loadOf`; 0 otherwise), and the most they take at once. */
  chats: number;
  chatLimit: number;
}

export interface CandidateRow {
  id: number;
  name: string;
  skills: unknown;
  capacity: number;
  load: number;
  last_assigned_at: number;
  chats: number;
  chat_limit: number;
}

/** Open chat sessions of cases assigned to `s`. */
export const CHATS_SQL = `(SELECT count(*) FROM chat_sessions cs JOIN cases c ON c.id = cs.case_id WHERE c.assignee_id = s.id AND cs.state = 'open') AS chats`;

// The load is `staff.open_cases`, kept by triggers on `cases`: no count of each candidate's cases.
// Open chats are counted only where they decide (a live chat's assignment, one agent's load):
// for every other intake the per-candidate subquery was most of the query's time.
/**
 * Staff `s` who could take a case now: the reference's condition, the one SQLite's triggers
 * keep `pick_order` to (drizzle/0049_pick_order.sql), and sqlite.ts's check of each entry.
 */
export const PICKABLE = 's.active = TRUE AND s.available = TRUE AND s.open_cases < s.capacity';

const MEMBERS = (chats: string, condition = '') => `
      SELECT s.id, s.name, s.skills, s.capacity, s.last_assigned_at, s.chat_limit, ${chats},
             s.open_cases AS load
      FROM staff_queues sq JOIN staff s ON s.id = sq.staff_id
      WHERE sq.queue_id = ? AND ${PICKABLE}${condition ? ` AND ${condition}` : ''}
      ORDER BY s.open_cases, s.last_assigned_at, s.id`;

/** CANDIDATE_SQL's members' reads with one more condition on `s` (a dialect's test of the skills, with its parameters after the queue). */
export function membersWhere(condition: string): { members: string; membersForChat: string } {
  return { members: MEMBERS('0 AS chats', condition), membersForChat: MEMBERS(CHATS_SQL, condition) };
}

/** The candidates' statements, the same SQL on both dialects (booleans compared with TRUE); run by sqlite.ts / pg.ts. */
export const CANDIDATE_SQL = {
  members: MEMBERS('0 AS chats'),
  membersForChat: MEMBERS(CHATS_SQL),
  one: `
      SELECT s.id, s.name, s.skills, s.capacity, s.last_assigned_at, s.chat_limit, ${CHATS_SQL},
             s.open_cases AS load
      FROM staff s WHERE s.id = ?`,
};

export function toCandidate(row: CandidateRow): Candidate {
  return {
    id: row.id,
    name: row.name,
    skills: json<string[]>(row.skills),
    capacity: row.capacity,
    load: row.load,
    lastAssignedAt: row.last_assigned_at,
    chats: row.chats,
    chatLimit: row.chat_limit,
  };
}

export function hasSkills(candidate: { skills: readonly string[] }, required: readonly string[]): boolean {
  return required.every((skill) => candidate.skills.includes(skill));
}

/** Orders candidates: fewest open cases, then least recently assigned, then id. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  return a.load - b.load || a.lastAssignedAt - b.lastAssignedAt || a.id - b.id;
}

/** Whether the agent can take one more case of this channel: a live chat also needs room under their chat limit. */
export function hasRoomFor(candidate: Pick<Candidate, 'load' | 'capacity' | 'chats' | 'chatLimit'>, channel?: string): boolean {
  return candidate.load < candidate.capacity && (channel !== 'chat' || candidate.chats < candidate.chatLimit);
}

/** The first of `rows` (in `compareCandidates` order) with room and the skills. */
/**
 * The first of `rows` (in fairness order) who fits; with `prefer`, the first who fits among
 * those (a live chat goes to an agent with the workspace open), else the first who fits at all.
 */
export function firstFitting(rows: Iterable<CandidateRow>, requiredSkills: readonly string[], channel?: string, prefer?: ReadonlySet<number>): Candidate | null {
  let fallback: Candidate | null = null;
  for (const row of rows) {
    const candidate = toCandidate(row);
    if (!hasRoomFor(candidate, channel) || !hasSkills(candidate, requiredSkills)) continue;
    if (!prefer || prefer.has(candidate.id)) return candidate;
    fallback ??= candidate;
  }
  return fallback;
}

