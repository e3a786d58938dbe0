/**
 * Ending a chat: by the visitor (or, waiting for an agent, to be answered by e-mail instead:
 * waiting.ts), by the agent (case page), or by the chat sweep after CHAT_INACTIVITY_MINUTES
 * in which the visitor owed an answer and wrote nothing. The session is closed, a last line says who
 * ended it, and `chat.ended` goes on the case's timeline, a change of the case like any other
 * (its version goes up, so open case pages re-render). The case's state stays as it is: the
 * agent resolves it as any other. The agent's chat slot is free again: a chat case waiting in
 * their queues is assigned to them (fillCapacity). Ending twice is harmless (nothing happens the
 * second time). Agents' replies the visitor's window never acknowledged are mailed to them in
 * one mail (missed-replies.ts). A case that is closed ends its open chat in the same transaction
 * (`endChatsOfClosedCase`, src/chat/subscribers.ts): a closed case takes no more messages.
 */
import type { Handle } from '../db/store/index.js';
import { all, run } from '../db/store/rows.js';
import { SYSTEM_ACTOR, type Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext } from '../workflow/context.js';
import { appendLine } from './lines.js';
import { queueMissedReplies } from './missed-replies.js';
import { findSession, type ChatSession } from './sessions.js';
import { VISITOR_WAITS } from './waiting.js';

export type EndedBy = 'visitor' | 'agent' | 'inactivity' | 'closed';

const ENDED_TEXT: Record<EndedBy, (name: string) => string> = {
  visitor: (name) => `${name} ended the chat.`,
  agent: (name) => `${name} ended the chat.`,
  inactivity: () => 'The chat ended after a while without messages.',
  closed: () => 'The chat ended: this request is closed. Start a new chat to write again.',
};

/** How a chat ended beyond who ended it: the visitor chose to be answered by e-mail (waiting.ts). */
export interface EndOptions {
  answerByEmail?: boolean;
}

/** Inside the caller's write: ends the session with its last line; the session, or null when it had ended already. */
async function closeSession(q: Handle, services: Services, sessionId: number, by: EndedBy, actor: Actor, options: EndOptions = {}): Promise<ChatSession | null> {
  const now = services.clock.now();
  const changed = await run(q, "UPDATE chat_sessions SET state = 'ended', ended_at = ?, ended_by = ? WHERE id = ? AND state = 'open'", [now, by, sessionId]);
  if (changed === 0) return null;
  const session = (await findSession(q, sessionId))!;
  // Agents' replies the visitor's window never had are mailed (missed-replies.ts).
  await queueMissedReplies(q, session, now);
  const body = options.answerByEmail ? `${actor.name} ended the chat to be answered by e-mail at ${session.email}. The request stays with our team.` : ENDED_TEXT[by](actor.name);
  await appendLine(q, sessionId, { author: 'system', name: 'Casebook', body, at: now }, null);
  return session;
}

/**
 * Inside the unit of work that closed a chat case: its open chat ends too (`chat.ended` with
 * `by: "closed"`), and the visitor's window is told after the commit.
 */
export async function endChatsOfClosedCase(ctx: CaseContext): Promise<void> {
  const open = await all<{ id: number }>(ctx.q, "SELECT id FROM chat_sessions WHERE case_id = ? AND state = 'open'", [ctx.case.id]);
  for (const { id } of open) {
    const session = await closeSession(ctx.q, ctx.services, id, 'closed', ctx.actor);
    if (!session) continue;
    await ctx.record('chat.ended', { by: 'closed', name: ctx.actor.name, messages: session.lastSeq });
    ctx.services.chat.hub.afterCommit(id, ctx.case.id, { kind: 'messages' });
    ctx.services.chat.hub.afterCommit(id, ctx.case.id, { kind: 'state' });
  }
}

/** Ends an open session; false when it had already ended. */
export async function endChat(services: Services, sessionId: number, by: EndedBy, actor: Actor, options: EndOptions = {}): Promise<boolean> {
  const ended = await services.store.write(async (q) => {
    const session = await closeSession(q, services, sessionId, by, actor, options);
    if (!session) return null;
    if (session.caseId !== null) {
      const ctx = await CaseContext.load(q, services, session.caseId, actor);
      await ctx.record('chat.ended', { by, name: actor.name, messages: session.lastSeq, ...(options.answerByEmail ? { answerBy: 'email' } : {}) });
      await ctx.save();
      // The agent has room for one more chat: a chat waiting in their queues is theirs now, before
      // any newer one (the oldest waiting first, as when capacity frees). Assigned by the system,
      // not by whoever ended this chat (a visitor has nothing to do with the other case).
      if (ctx.case.assigneeId !== null) await services.subscribers.capacityFreed(q, services, ctx.case.assigneeId, SYSTEM_ACTOR);
    }
    return session;
  });
  if (!ended) return false;
  services.outbox.kick();
  services.chat.hub.publish(ended.id, ended.caseId, { kind: 'messages' });
  services.chat.hub.publish(ended.id, ended.caseId, { kind: 'state' });
  return true;
}

/**
 * The chat sweep: ends every open chat whose visitor owes an answer (waiting.ts) and has not
 * written for longer than the inactivity timeout, counted from the last line; returns how many.
 * A visitor waiting for an agent is never ended here.
 */
export async function endInactiveChats(services: Services): Promise<number> {
  const cutoff = services.clock.now() - services.chat.settings.inactivityMinutes * 60_000;
  // A visitor waiting for an agent is not inactive (waiting.ts): their clock runs only once they owe an answer.
  const idle = await services.store.query((q) => all<{ id: number }>(q, `SELECT s.id FROM chat_sessions s WHERE s.state = 'open' AND s.last_activity_at <= ? AND NOT ${VISITOR_WAITS} LIMIT 500`, [cutoff]));
  let ended = 0;
  for (const { id } of idle) if (await endChat(services, id, 'inactivity', SYSTEM_ACTOR)) ended++;
  return ended;
}

export function isOpen(session: ChatSession): boolean {
  return session.state === 'open';
}
