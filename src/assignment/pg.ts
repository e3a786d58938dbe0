/**
 * Assignment's candidate reads on PostgreSQL: the same SQL as SQLite's (pick-agent.ts), its
 * rows read at once (a queue's available members: a few).
 */
import type { Handle } from '../db/store/index.js';
import { all, get } from '../db/store/rows.js';
import { CANDIDATE_SQL, firstFitting, type Candidate, type CandidateRow } from './candidates.js';

export async function pickAgent(q: Handle, queueId: string, requiredSkills: readonly string[], channel?: string): Promise<Candidate | null> {
  const rows = await all<CandidateRow>(q, channel === 'chat' ? CANDIDATE_SQL.membersForChat : CANDIDATE_SQL.members, [queueId]);
  return firstFitting(rows, requiredSkills, channel);
}

export function one(q: Handle, staffId: number): Promise<CandidateRow | undefined> {
  return get<CandidateRow>(q, CANDIDATE_SQL.one, [staffId]);
}
