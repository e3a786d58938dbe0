/**
 * Assignment's candidate reads on SQLite: the prepared statements cached per connection, the
 * queue's members iterated only until the first that fits (pick-agent.ts chooses this module
 * or pg.ts by the handle's dialect).
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/client.js';
import { perConnection } from '../db/fast.js';
import { sqliteOf, type Handle } from '../db/store/index.js';
import { CANDIDATE_SQL, firstFitting, type Candidate, type CandidateRow } from './candidates.js';

// Read as arrays: a queue's members are many rows, and better-sqlite3's object rows cost more
// than arrays (20 candidates 21 → 15 µs, bench/rows.bench.ts). All three read the same columns.
const stmts = perConnection((db: Db) => ({
  members: byPosition(db.$client.prepare<[string], unknown[]>(CANDIDATE_SQL.members)),
  membersForChat: byPosition(db.$client.prepare<[string], unknown[]>(CANDIDATE_SQL.membersForChat)),
  one: byPosition(db.$client.prepare<[number], unknown[]>(CANDIDATE_SQL.one)),
}));

/** The columns `candidateRow` reads, by position. */
const COLUMNS = ['id', 'name', 'skills', 'capacity', 'last_assigned_at', 'chat_limit', 'chats', 'load'];

function byPosition<P extends unknown[]>(stmt: Statement<P, unknown[]>): Statement<P, unknown[]> {
  const names = stmt.columns().map((c) => c.name);
  if (names.join() !== COLUMNS.join()) throw new Error(`candidate SQL reads ${names.join(', ')}, not ${COLUMNS.join(', ')}`);
  return stmt.raw(true);
}

/** A candidate statement's row (`CANDIDATE_SQL`'s column order) as the object both dialects read. */
function candidateRow(v: unknown[]): CandidateRow {
  return {
    id: v[0] as number,
    name: v[1] as string,
    skills: v[2],
    capacity: v[3] as number,
    last_assigned_at: v[4] as number,
    chat_limit: v[5] as number,
    chats: v[6] as number,
    load: v[7] as number,
  };
}

function* candidateRows(rows: Iterable<unknown[]>): Generator<CandidateRow> {
  for (const v of rows) yield candidateRow(v);
}

export function pickAgent(q: Handle, queueId: string, requiredSkills: readonly string[], channel?: string, prefer?: ReadonlySet<number>): Promise<Candidate | null> {
  const { members, membersForChat } = stmts(sqliteOf(q));
  return Promise.resolve(firstFitting(candidateRows((channel === 'chat' ? membersForChat : members).iterate(queueId)), requiredSkills, channel, prefer));
}

export function one(q: Handle, staffId: number): Promise<CandidateRow | undefined> {
  const v = stmts(sqliteOf(q)).one.get(staffId);
  return Promise.resolve(v === undefined ? undefined : candidateRow(v));
}
