/**
 * The live-chat part of an erasure (inside the erasing transaction; src/chat/, docs/chat.md):
 * of each chat session, the visitor's name and e-mail are erased and the token hash replaced
 * (the visitor's token no longer opens the chat); of each chat line, the text, and the
 * visitor's name as its author. Ids, the site, the host page's origin (one of the site's
 * allowed origins), states, the verified flag, sequence numbers, authors (visitor, agent,
 * system), staff names and every time stay: chat counts and SLA figures add up as before.
 * A chat still open ends (`ended_by: "erased"`, no line added): its visitor's token opens
 * nothing any more, so nobody could read what an agent writes there, and it no longer takes a
 * place of the agent's chat limit nor shows the agent a live chat to answer.
 */
import { inArray, sql, type SQL } from 'drizzle-orm';
import type { Handle, Tables } from '../db/store/index.js';
import { ERASED } from './redact.js';

/** The address an erased chat session keeps (the column is required; `.invalid` is never delivered). */
export const ERASED_CHAT_EMAIL = 'erased@erased.invalid';

/**
 * Erases the chat sessions `where` selects (a condition on `chat_sessions`, built from the
 * handle's table) and their lines; returns how many sessions and lines.
 */
export async function eraseChatSessions(q: Handle, where: (sessions: Tables['chatSessions']) => SQL | undefined, now: number): Promise<{ chatSessions: number; chatLines: number }> {
  const { chatMessages: lines, chatSessions: sessions } = q.tables;
  const condition = where(sessions);
  const erasedLines = await q.db
    .update(lines)
    .set({ body: ERASED, authorName: sql`CASE WHEN ${lines.author} = 'visitor' THEN ${ERASED} ELSE ${lines.authorName} END` })
    .where(inArray(lines.sessionId, q.db.select({ id: sessions.id }).from(sessions).where(condition)))
    .returning({ id: lines.id });
  const erasedSessions = await q.db
    .update(sessions)
    .set({
      name: ERASED,
      email: ERASED_CHAT_EMAIL,
      tokenHash: sql`'erased:' || ${sessions.id}`,
      state: 'ended',
      endedAt: sql`coalesce(${sessions.endedAt}, ${now})`,
      endedBy: sql`CASE WHEN ${sessions.state} = 'open' THEN 'erased' ELSE ${sessions.endedBy} END`,
    })
    .where(condition)
    .returning({ id: sessions.id });
  return { chatSessions: erasedSessions.length, chatLines: erasedLines.length };
}
