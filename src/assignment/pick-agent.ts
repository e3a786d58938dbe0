/**
 * Fair assignment: among the active, available members of a queue who have every
 * required skill and spare capacity, the one with the fewest open cases; ties go to
 * whoever was assigned least recently, then to the lowest id (deterministic).
 */
import type { Db } from '../db/client.js';
import { perConnection } from '../db/fast.js';

export interface Candidate {
  id: number;
  name: string;
  skills: string[];
  capacity: number;
  load: number;
  lastAssignedAt: number;
}

interface CandidateRow {
  id: number;
  name: string;
  skills: string;
  capacity: number;
  load: number;
  last_assigned_at: number;
}

// The load is `staff.open_cases`, kept by triggers on `cases`: no count of each candidate's cases.
const stmts = perConnection((db: Db) => ({
    members: db.$client.prepare<[string], CandidateRow>(`
      SELECT s.id, s.name, s.skills, s.capacity, s.last_assigned_at, s.open_cases AS load
      FROM staff_queues sq JOIN staff s ON s.id = sq.staff_id
      WHERE sq.queue_id = ? AND s.active = 1 AND s.available = 1 AND s.open_cases < s.capacity`),
    one: db.$client.prepare<[number], CandidateRow>(`
      SELECT s.id, s.name, s.skills, s.capacity, s.last_assigned_at, s.open_cases AS load
      FROM staff s WHERE s.id = ?`),
}));

function toCandidate(row: CandidateRow): Candidate {
  return {
    id: row.id,
    name: row.name,
    skills: JSON.parse(row.skills) as string[],
    capacity: row.capacity,
    load: row.load,
    lastAssignedAt: row.last_assigned_at,
  };
}

export function hasSkills(candidate: { skills: readonly string[] }, required: readonly string[]): boolean {
  return required.every((skill) => candidate.skills.includes(skill));
}

/** Orders candidates: fewest open cases, then least recently assigned, then id. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  return a.load - b.load || a.lastAssignedAt - b.lastAssignedAt || a.id - b.id;
}

export function pickAgent(db: Db, queueId: string, requiredSkills: readonly string[]): Candidate | null {
  const eligible = stmts(db)
    .members.all(queueId)
    .map(toCandidate)
    .filter((c) => c.load < c.capacity && hasSkills(c, requiredSkills));
  eligible.sort(compareCandidates);
  return eligible[0] ?? null;
}

/** One staff member with their current load, or null. */
export function loadOf(db: Db, staffId: number): Candidate | null {
  const row = stmts(db).one.get(staffId);
  return row ? toCandidate(row) : null;
}
