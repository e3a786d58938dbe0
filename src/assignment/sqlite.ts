/**
 * Assignment's candidate reads on SQLite: cached statements read as arrays (fast.ts
 * `objectRows`: a queue's members are many rows), the queue's members iterated only until the
 * first that fits (pick-agent.ts chooses this module or pg.ts by the handle's dialect).
 */
import { objectRows } from '../db/fast.js';
import { sqliteOf, type Handle } from '../db/store/index.js';
import { CANDIDATE_SQL, firstFitting, type Candidate, type CandidateRow } from './candidates.js';

export function pickAgent(q: Handle, queueId: string, requiredSkills: readonly string[], channel?: string, prefer?: ReadonlySet<number>): Promise<Candidate | null> {
  const members = objectRows<CandidateRow>(sqliteOf(q), channel === 'chat' ? CANDIDATE_SQL.membersForChat : CANDIDATE_SQL.members);
  return Promise.resolve(firstFitting(members.iterate(queueId), requiredSkills, channel, prefer));
}

export function one(q: Handle, staffId: number): Promise<CandidateRow | undefined> {
  return Promise.resolve(objectRows<CandidateRow>(sqliteOf(q), CANDIDATE_SQL.one).get(staffId));
}
