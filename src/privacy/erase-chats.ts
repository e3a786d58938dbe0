/**
 * The live-chat part of an erasure (inside the erasing transaction; src/chat/, docs/chat.md):
 * of each chat session, the visitor's name and e-mail are erased and the token hash replaced
 * (the visitor's token no longer opens the chat); of each chat line, the text, and the
 * visitor's name as its author. Ids, the site, the host page's origin (one of the site's
 * allowed origins), states, the verified flag, sequence numbers, authors (visitor, agent,
 * system), staff names and every time stay: chat counts and SLA figures add up as before.
 */
import type { Db } from '../db/client.js';
import { ERASED } from './redact.js';

/** The address an erased chat session keeps (the column is required; `.invalid` is never delivered). */
export const ERASED_CHAT_EMAIL = 'erased@erased.invalid';

/**
 * Erases the chat sessions `where` selects (an SQL condition on `chat_sessions`, with its
 * parameters) and their lines; returns how many sessions and lines.
 */
export function eraseChatSessions(db: Db, where: string, ...params: unknown[]): { chatSessions: number; chatLines: number } {
  const sql = db.$client;
  const chatLines = sql
    .prepare(
      `UPDATE chat_messages SET body = @erased, author_name = CASE WHEN author = 'visitor' THEN @erased ELSE author_name END
       WHERE session_id IN (SELECT id FROM chat_sessions WHERE ${where})`,
    )
    .run(...params, { erased: ERASED }).changes;
  const chatSessions = sql
    .prepare(`UPDATE chat_sessions SET name = @erased, email = @email, token_hash = 'erased:' || id WHERE ${where}`)
    .run(...params, { erased: ERASED, email: ERASED_CHAT_EMAIL }).changes;
  return { chatSessions, chatLines };
}
