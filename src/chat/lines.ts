/**
 * A chat's messages in its own sequence (1, 2, 3… per session): the sequence number is the
 * SSE event id, so a stream resumed with Last-Event-ID sends exactly what came after it.
 * Appending runs inside the caller's transaction (with the case's timeline entry). On the
 * storage port; the same SQL on both dialects (cached statements on SQLite: rows.ts).
 */
import { and, asc, eq, gt } from 'drizzle-orm';
import type { ChatAuthor } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { get, run } from '../db/store/rows.js';

export interface ChatLine {
  seq: number;
  author: ChatAuthor;
  name: string;
  body: string;
  at: number;
}

/** Appends one line and returns its sequence number; the session's activity clock restarts. */
export async function appendLine(q: Handle, sessionId: number, line: Omit<ChatLine, 'seq'>, caseEventId: number | null): Promise<number> {
  const row = await get<{ seq: number }>(q, 'UPDATE chat_sessions SET last_seq = last_seq + 1, last_activity_at = ? WHERE id = ? RETURNING last_seq AS seq', [line.at, sessionId]);
  if (row === undefined) throw new Error(`chat session ${sessionId} does not exist`);
  await run(q, 'INSERT INTO chat_messages (session_id, seq, author, author_name, body, at, case_event_id) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    sessionId,
    row.seq,
    line.author,
    line.name,
    line.body,
    line.at,
    caseEventId,
  ]);
  return row.seq;
}

/** The lines after `afterSeq`, oldest first (at most `limit`). */
export async function linesAfter(q: Handle, sessionId: number, afterSeq: number, limit = 500): Promise<ChatLine[]> {
  const t = q.tables.chatMessages;
  return q.db
    .select({ seq: t.seq, author: t.author, name: t.authorName, body: t.body, at: t.at })
    .from(t)
    .where(and(eq(t.sessionId, sessionId), gt(t.seq, afterSeq)))
    .orderBy(asc(t.seq))
    .limit(limit);
}
