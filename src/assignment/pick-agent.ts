/**
 * Fair assignment: among the active, available members of a queue who have every
 * required skill and spare capacity (for a live chat: also room under their concurrent-chat
 * limit, `chat_limit`; chats count toward capacity as the open cases they are), the one with the fewest open cases; ties go to
 * whoever was assigned least recently, then to the lowest id (deterministic). A live chat goes
 * to an agent with the workspace open now (src/chat/agent-presence.ts) when one fits, so the
 * visitor is not left with someone who went home; when none does, to the first who fits, as any
 * case (it is theirs when they are back, rather than waiting for no one).
 */
import type { Handle } from '../db/store/index.js';
import { toCandidate, type Candidate } from './candidates.js';
import * as pgRows from './pg.js';
import * as sqliteRows from './sqlite.js';

export { compareCandidates, hasRoomFor, hasSkills, type Candidate } from './candidates.js';

const rowsOf = (q: Handle) => (q.dialect === 'sqlite' ? sqliteRows : pgRows);

/** `prefer`: staff to choose first when one of them fits (a live chat: those with the workspace open). */
export function pickAgent(q: Handle, queueId: string, requiredSkills: readonly string[], channel?: string, prefer?: ReadonlySet<number>): Promise<Candidate | null> {
  return rowsOf(q).pickAgent(q, queueId, requiredSkills, channel, prefer);
}

/** One staff member with their current load, or null. */
export async function loadOf(q: Handle, staffId: number): Promise<Candidate | null> {
  const row = await rowsOf(q).one(q, staffId);
  return row ? toCandidate(row) : null;
}
