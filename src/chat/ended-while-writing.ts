/**
 * A reply written for a live chat that ended before it was sent: the composer was shown with
 * the chat open (its `chatOpen`), and the case's latest chat has ended since — the visitor left,
 * the inactivity timeout, a colleague's *End chat*. Such a reply is no longer a chat line but a
 * mail, so the composer holds it back once to say so (the stale-view warning, *Send anyway*).
 */
import type { CaseChange } from '../cases/stale-view.js';
import type { Handle } from '../db/store/index.js';
import { get } from '../db/store/rows.js';
import { sessionOfCase } from './sessions.js';

/** The change to show when the case's chat ended (no new one open); null while a chat is open. */
export async function chatEndedSinceShown(q: Handle, caseId: number): Promise<CaseChange | null> {
  const session = await sessionOfCase(q, caseId);
  if (!session || session.state === 'open') return null;
  const event = await get<{ id: number | null }>(q, "SELECT max(id) AS id FROM case_events WHERE case_id = ? AND type = 'chat.ended'", [caseId]);
  return { id: event?.id ?? 0, type: 'chat.ended', text: `The live chat ended before you sent this: your reply will be e-mailed to ${session.email} instead.` };
}
