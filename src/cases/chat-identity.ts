/**
 * Who is behind a chat case (docs/chat.md "Identity"): a chat joins the customer whose e-mail
 * the visitor gave, but only a visitor the host site identified with its signed token proved
 * the address is theirs. A chat case whose visitor did not is marked "e-mail not verified" on
 * the case page, in the inbox row and in the API's case view, so agents do not take the visitor
 * for the customer of that address (their other cases are not the visitor's to hear about).
 * Read straight from `chat_sessions` (cases never import the chat domain): a case's identity
 * through case-read.ts (`readChatIdentity`, per dialect in case-read/).
 */
import { and, desc, eq } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';

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

/**
 * The visitor of a case's open chat when the site did not identify them, or null. While such a
 * chat is open a reply goes to that visitor, not to the customer of the address: what a reply
 * says about "the customer" (a macro's {{customer.name}}) must be what the visitor told us.
 */
export async function openUnverifiedVisitor(q: Handle, caseId: number): Promise<{ name: string; email: string } | null> {
  const s = q.tables.chatSessions;
  const [row] = await q.db
    .select({ name: s.name, email: s.email })
    .from(s)
    .where(and(eq(s.caseId, caseId), eq(s.state, 'open'), eq(s.verified, false)))
    .orderBy(desc(s.id))
    .limit(1);
  return row ?? null;
}
