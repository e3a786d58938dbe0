/**
 * The agent's side of a chat: every public staff reply on a chat case with an open chat
 * session (the composer, a macro, the API: whichever path raised `staff.replied`) becomes a
 * chat line in the same transaction, and the visitor's stream is told after the commit. Such
 * a reply was delivered live, so the email channel does not mail it too (outbound.ts checks
 * `chat_messages`); a reply after the chat ended is mailed as usual. A case that is closed
 * (a state of category `closed`) ends its open chat in the same transaction; one resolved while
 * the chat is open says so in the chat, with the solution.
 */
import { get } from '../db/store/rows.js';
import type { Subscribers } from '../workflow/subscribers.js';
import { endChatsOfClosedCase } from './end-chat.js';
import { appendLine } from './lines.js';
import { RESOLVED_TEXT } from './system-lines.js';

export function registerChatSubscribers(subscribers: Subscribers): Subscribers {
  subscribers.on('staff.replied', async (ctx, { data }) => {
    if (ctx.case.channel !== 'chat') return;
    const session = await get<{ id: number }>(ctx.q, "SELECT id FROM chat_sessions WHERE case_id = ? AND state = 'open' ORDER BY id DESC LIMIT 1", [ctx.case.id]);
    if (!session) return;
    const eventId = (await get<{ id: number | null }>(ctx.q, "SELECT max(id) AS id FROM case_events WHERE case_id = ? AND type = 'staff.replied'", [ctx.case.id]))?.id ?? null;
    const body = typeof data.body === 'string' ? data.body : '';
    await appendLine(ctx.q, session.id, { author: 'agent', name: ctx.actor.name, body, at: ctx.now }, eventId);
    ctx.services.chat.hub.afterCommit(session.id, ctx.case.id, { kind: 'messages' });
  });
  // A closed case takes no more messages: its open chat ends with it (the visitor is told, may start a new one).
  subscribers.on('case.transitioned', async (ctx, { data }) => {
    if (ctx.case.channel === 'chat' && data.category === 'closed') await endChatsOfClosedCase(ctx);
    // A visitor still in the chat is told their request was resolved, with the solution (the
    // resolved mail may be held: an address the visitor only typed waits for the agent).
    if (ctx.case.channel === 'chat' && data.category === 'resolved') {
      const session = await get<{ id: number }>(ctx.q, "SELECT id FROM chat_sessions WHERE case_id = ? AND state = 'open' ORDER BY id DESC LIMIT 1", [ctx.case.id]);
      if (!session) return;
      const solution = typeof data.solution === 'string' && data.solution.trim() !== '' ? `\nSolution: ${data.solution.trim()}` : '';
      await appendLine(ctx.q, session.id, { author: 'system', name: 'Casebook', body: `${RESOLVED_TEXT}${solution}\nWrite here if you still need help.`, at: ctx.now }, null);
      ctx.services.chat.hub.afterCommit(session.id, ctx.case.id, { kind: 'messages' });
    }
  });
  return subscribers;
}
