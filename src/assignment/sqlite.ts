/**
 * Assignment's candidate reads on SQLite: the prepared statements cached per connection, the
 * queue's members iterated only until the first that fits (pick-agent.ts chooses this module
 * or pg.ts by the handle's dialect).
 */
import type { Db } from '../db/client.js';
import { perConnection } from '../db/fast.js';
import { sqliteOf, type Handle } from '../db/store/index.js';
import { CANDIDATE_SQL, firstFitting, type Candidate, type CandidateRow } from './candidates.js';

const stmts = perConnection((db: Db) => ({
  members: db.$client.prepare<[string], CandidateRow>(CANDIDATE_SQL.members),
  membersForChat: db.$client.prepare<[string], CandidateRow>(CANDIDATE_SQL.membersForChat),
  one: db.$client.prepare<[number], CandidateRow>(CANDIDATE_SQL.one),
}));

export function pickAgent(q: Handle, queueId: string, requiredSkills: readonly string[], channel?: string, prefer?: ReadonlySet<number>): Promise<Candidate | null> {
  const { members, membersForChat } = stmts(sqliteOf(q));
  return Promise.resolve(firstFitting((channel === 'chat' ? membersForChat : members).iterate(queueId), requiredSkills, channel, prefer));
}

export function one(q: Handle, staffId: number): Promise<CandidateRow | undefined> {
  return Promise.resolve(stmts(sqliteOf(q)).one.get(staffId));
}
