/**
 * Who owes the next line. A visitor who wrote and has had no answer since is **waiting for an
 * agent**: that is not inactivity, so the chat sweep never ends such a chat (end-chat.ts). The
 * visitor's inactivity clock runs only while they owe an answer: from an agent's line, or from
 * the line saying the request is resolved, whichever came after the visitor's last line (and,
 * before the visitor wrote anything, from the start of the chat).
 *
 * Waiting has its own handling: once a visitor has waited CHAT_WAIT_OFFER_MINUTES (5) for an
 * answer to their oldest unanswered line, the sweep writes one line to the chat saying nobody
 * has answered yet and offering to end the chat and be answered by e-mail instead (the window
 * shows *Answer me by e-mail* on that line: `offer: "email"`; `POST /chat/api/end
 * { answerBy: "email" }`). The case stays where it is, in its queue, and a reply written after
 * the chat ended is mailed. A visitor who keeps waiting keeps the chat open; one more offer
 * comes only after an agent answered and the visitor waits again.
 *
 * Lines are told apart by author and, for the system's own lines, by how they begin (the
 * texts below): no schema change, and erasure (which replaces every text) ends the chat anyway.
 */
import type { Handle } from '../db/store/index.js';
import { all } from '../db/store/rows.js';
import type { Services } from '../services.js';
import { appendLine } from './lines.js';
import { RESOLVED_TEXT, WAIT_OFFER_TEXT, waitOfferLine } from './system-lines.js';


/** SQL over `chat_sessions s`: the sequence number of the last line the visitor owes an answer to (0: none). Same text on both dialects. */
const answeredUpTo = `COALESCE((SELECT max(a.seq) FROM chat_messages a WHERE a.session_id = s.id AND (a.author = 'agent' OR (a.author = 'system' AND a.body LIKE '${RESOLVED_TEXT}%'))), 0)`;

/** SQL over `chat_sessions s`: the visitor has written since the last answer, i.e. waits for an agent. */
export const VISITOR_WAITS = `(s.case_id IS NOT NULL AND EXISTS (SELECT 1 FROM chat_messages v WHERE v.session_id = s.id AND v.author = 'visitor' AND v.seq > ${answeredUpTo}))`;

/**
 * The chat sweep: every open chat whose visitor has waited CHAT_WAIT_OFFER_MINUTES for an
 * answer to their oldest unanswered line and has not been offered yet gets the offer line;
 * returns how many.
 */
export async function offerMailToWaiting(services: Services): Promise<number> {
  const now = services.clock.now();
  const since = now - services.chat.settings.waitOfferMinutes * 60_000;
  const due = await services.store.query((q) =>
    all<{ id: number; case_id: number; email: string }>(
      q,
      `SELECT s.id, s.case_id, s.email FROM chat_sessions s WHERE s.state = 'open' AND s.case_id IS NOT NULL
        AND (SELECT min(v.at) FROM chat_messages v WHERE v.session_id = s.id AND v.author = 'visitor' AND v.seq > ${answeredUpTo}) <= ?
        AND NOT EXISTS (SELECT 1 FROM chat_messages o WHERE o.session_id = s.id AND o.author = 'system' AND o.body LIKE ? AND o.seq > ${answeredUpTo})
        LIMIT 500`,
      [since, `${WAIT_OFFER_TEXT}%`],
    ),
  );
  let offered = 0;
  for (const row of due) {
    const written = await services.store.write((q) => offerOnce(q, row.id, row.email, now));
    if (!written) continue;
    offered++;
    services.chat.hub.publish(row.id, row.case_id, { kind: 'messages' });
  }
  return offered;
}

/** Writes the offer unless the chat ended or was answered meanwhile (re-checked in the write). */
async function offerOnce(q: Handle, sessionId: number, email: string, now: number): Promise<boolean> {
  const still = await all<{ id: number }>(q, `SELECT s.id FROM chat_sessions s WHERE s.id = ? AND s.state = 'open' AND ${VISITOR_WAITS}`, [sessionId]);
  if (still.length === 0) return false;
  await appendLine(q, sessionId, { author: 'system', name: 'Casebook', body: waitOfferLine(email), at: now }, null);
  return true;
}
