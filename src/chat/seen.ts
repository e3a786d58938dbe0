/**
 * What the visitor's window has: the highest line it acknowledged (`chat_sessions.seen_seq`).
 * The window acknowledges by asking for what comes after it (a poll's `after`, a stream's
 * `Last-Event-ID` / `?after=`) and, for lines a stream or a poll delivered, by `POST
 * /chat/api/seen` once it has shown them on a visible page (public/chat-frame.js: a background
 * tab's lines are acknowledged when it is visible again). A line written to a stream is
 * not taken as seen: a closed tab's socket may still take it. When the chat ends, agents'
 * replies after it are mailed (missed-replies.ts).
 */
import { and, eq, lt, sql } from 'drizzle-orm';
import type { Services } from '../services.js';
import type { ChatSession } from './sessions.js';

/** Moves the session's "seen up to" forward to `seq` (never past its last line, never back). */
export async function markSeen(services: Services, session: ChatSession, seq: number): Promise<void> {
  if (!Number.isSafeInteger(seq) || seq <= session.seenSeq || session.seenSeq >= session.lastSeq) return;
  await services.store.write(async (q) => {
    const t = q.tables.chatSessions;
    await q.db
      .update(t)
      .set({ seenSeq: sql`CASE WHEN ${t.lastSeq} < ${seq} THEN ${t.lastSeq} ELSE ${seq} END` })
      .where(and(eq(t.id, session.id), lt(t.seenSeq, seq)));
  });
}
