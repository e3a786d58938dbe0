/**
 * Who is behind a chat case (docs/chat.md "Identity"): a chat joins the customer whose e-mail
 * the visitor gave, but only a visitor the host site identified with its signed token proved
 * the address is theirs. A chat case whose visitor did not is marked "e-mail not verified" on
 * the case page, in the inbox row and in the API's case view, so agents do not take the visitor
 * for the customer of that address (their other cases are not the visitor's to hear about).
 * Read straight from `chat_sessions` (cases never import the chat domain).
 */
import type { Db } from '../db/client.js';
import { statement } from '../db/fast.js';

export interface ChatIdentity {
  /** The chat site's id. */
  site: string;
  /** The case's latest chat: `open` while replies go to the chat, `ended` once they are mailed. */
  state: 'open' | 'ended';
  /** The address the visitor gave (the case's customer's). */
  visitorEmail: string;
  /** Every chat of the case was started with the site's signed identity of that address. */
  emailVerified: boolean;
}

/** The chat identity of a case, or null when no chat belongs to it. */
export function chatIdentity(db: Db, caseId: number): ChatIdentity | null {
  const row = statement<[number], { site_id: string; state: 'open' | 'ended'; email: string; unverified: number }>(
    db,
    `SELECT site_id, state, email, (SELECT count(*) FROM chat_sessions u WHERE u.case_id = s.case_id AND u.verified = 0) AS unverified
     FROM chat_sessions s WHERE s.case_id = ? ORDER BY s.state = 'open' DESC, s.id DESC LIMIT 1`,
  ).get(caseId);
  return row ? { site: row.site_id, state: row.state, visitorEmail: row.email, emailVerified: row.unverified === 0 } : null;
}

/** Of `caseIds`, those with a chat whose visitor the site did not identify (one query, for a page of rows). */
export function unverifiedChatCases(db: Db, caseIds: readonly number[]): Set<number> {
  if (caseIds.length === 0) return new Set();
  const ids = statement<[string], number>(db, 'SELECT DISTINCT case_id FROM chat_sessions WHERE verified = 0 AND case_id IN (SELECT value FROM json_each(?))')
    .pluck()
    .all(JSON.stringify(caseIds));
  return new Set(ids);
}

/**
 * The visitor of a case's open chat when the site did not identify them, or null. While such a
 * chat is open a reply goes to that visitor, not to the customer of the address: what a reply
 * says about "the customer" (a macro's {{customer.name}}) must be what the visitor told us.
 */
export function openUnverifiedVisitor(db: Db, caseId: number): { name: string; email: string } | null {
  return (
    statement<[number], { name: string; email: string }>(db, "SELECT name, email FROM chat_sessions WHERE case_id = ? AND state = 'open' AND verified = 0 ORDER BY id DESC LIMIT 1").get(caseId) ?? null
  );
}

/**
 * The address a public reply on the case would be MAILED to although a chat visitor of the case
 * only typed it, or null: the case has no open chat (a reply is mailed, not shown in the chat)
 * and is marked "e-mail not verified". Staff confirm before such a reply goes out (the case
 * page's composer and macros, bulk "apply macro"); the API leaves it to the integration, which
 * reads `chat.emailVerified` and `chat.state` in the case view (docs/chat.md).
 */
export function unverifiedMailAddress(db: Db, caseId: number): string | null {
  const identity = chatIdentity(db, caseId);
  return identity && identity.state === 'ended' && !identity.emailVerified ? identity.visitorEmail : null;
}
