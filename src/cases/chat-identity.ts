/**
 * Who is behind a chat case (docs/chat.md "Identity"): a chat joins the customer whose e-mail
 * the visitor gave, but only a visitor the host site identified with its signed token proved
 * the address is theirs. A chat case whose visitor did not is marked "e-mail not verified" on
 * the case page, in the inbox row and in the API's case view, so agents do not take the visitor
 * for the customer of that address (their other cases are not the visitor's to hear about).
 * Read straight from `chat_sessions` (cases never import the chat domain): a case's identity
 * through case-read.ts (`readChatIdentity`, per dialect in case-read/).
 *
 * A message left in the chat window when nobody was available (docs/chat.md "Nobody available")
 * is a typed address as well: its case (channel `email`) has the same identity, `state: "ended"`
 * (replies are mailed), unverified until an agent confirms the address (`email.released`, the
 * held-mail confirmation); one the host site signed is verified (`leftMessageIdentity`).
 */
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { RoutingRecord } from '../db/schema/index.js';
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

/** What a left message keeps on its `case.created` entry (leave-message.ts). */
export interface LeftMessageMark {
  via: 'chat-offline';
  chatSite: string;
  /** The address the visitor typed (or the site signed). */
  visitorEmail: string;
  /** The host site signed the address (identity.ts): nothing is held. */
  emailVerified: boolean;
}

/**
 * Whether the case may have been opened by a left message (its routing kept the event fact):
 * the case view and the inbox read nothing more for every other case.
 */
export function mayBeLeftMessage(row: { channel: string; routing: RoutingRecord | null }): boolean {
  return row.channel === 'email' && row.routing?.input.event?.via === 'chat-offline';
}

/** The agent's confirmation of a typed address (held-mail.ts `RELEASED_MAIL`). */
const CONFIRMED = 'email.released';

/**
 * The identity of a case opened by a message left in the chat window, or null for any other
 * case. Unverified (its mail held, its replies asked about) until an agent confirms the address;
 * then it is a verified case like any other. Left messages stored before this mark are verified
 * (their acknowledgement went out at once).
 */
export async function leftMessageIdentity(q: Handle, caseId: number): Promise<ChatIdentity | null> {
  const e = q.tables.caseEvents;
  const rows = await q.db
    .select({ type: e.type, data: e.data })
    .from(e)
    .where(and(eq(e.caseId, caseId), inArray(e.type, ['case.created', CONFIRMED])))
    .orderBy(asc(e.id));
  const created = rows.find((r) => r.type === 'case.created')?.data as Partial<LeftMessageMark> | undefined;
  if (created?.via !== 'chat-offline' || typeof created.visitorEmail !== 'string' || typeof created.chatSite !== 'string') return null;
  const confirmed = rows.some((r) => r.type === CONFIRMED);
  return { site: created.chatSite, state: 'ended', visitorEmail: created.visitorEmail, emailVerified: created.emailVerified !== false || confirmed };
}

/** Of `caseIds` (cases answered by mail), those opened by a left message whose address no agent confirmed yet. */
export async function unverifiedLeftMessages(q: Handle, caseIds: readonly number[]): Promise<Set<number>> {
  if (caseIds.length === 0) return new Set();
  const e = q.tables.caseEvents;
  const rows = await q.db
    .select({ caseId: e.caseId, type: e.type, data: e.data })
    .from(e)
    .where(and(inArray(e.caseId, [...caseIds]), inArray(e.type, ['case.created', CONFIRMED])));
  const confirmed = new Set(rows.filter((r) => r.type === CONFIRMED).map((r) => r.caseId));
  return new Set(
    rows
      .filter((r) => r.type === 'case.created' && !confirmed.has(r.caseId))
      .filter((r) => {
        const d = r.data as Partial<LeftMessageMark>;
        return d.via === 'chat-offline' && d.emailVerified === false;
      })
      .map((r) => r.caseId),
  );
}
