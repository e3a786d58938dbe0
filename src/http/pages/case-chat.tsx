/**
 * The agent's side of a live chat on the case page (staff who may see the case):
 *
 *   GET  /cases/:id/chat/stream   SSE: the chat's lines (ids = sequence numbers) and the visitor's typing;
 *                                 at most STAFF_STREAMS at once per sign-in (?replaces= the one given up on)
 *   POST /cases/:id/chat/typing   the agent is typing (the visitor's widget shows it)
 *   POST /cases/:id/chat/end      ends the chat (the case stays open for the agent to resolve)
 *   POST /cases/:id/chat/held-mail the agent confirms the typed address: the mails held for it are sent
 *
 * Replies go through the page's normal composer (and macros): src/chat/subscribers.ts turns
 * them into chat lines.
 */
import { Hono } from 'hono';
import { findSessionByHash } from '../../auth/sessions.js';
import { canSeeCase } from '../../cases/access.js';
import { loadCase } from '../../cases/case-read.js';
import { leftMessageIdentity } from '../../cases/chat-identity.js';
import { endChat } from '../../chat/end-chat.js';
import { sessionOfCase } from '../../chat/sessions.js';
import { DomainError } from '../../errors.js';
import { releaseHeldMails } from '../../notifications/held-mail.js';
import { chatStream } from '../chat/stream.js';
import { visibleCase } from './case-commands.js';
import { requireStaff, type PageContext, type PageEnv } from './env.js';
import { redirectTo, timeSettingsOf } from './render.js';
import { formatTimeShort } from '../../../views/time.js';

/**
 * Streams one staff sign-in may hold open at once, over every case: an agent with a chat case in
 * each of several tabs, a few windows. Each is a connection held for as long as it lasts and a
 * read of the chat (and of the case, to re-check access) on every signal and heartbeat: without
 * a bound one session cookie could hold thousands. As for visitors (VISITOR_STREAMS), the next
 * one is refused (429) and the open ones keep going; closing a tab gives its place back, and so
 * does a window that names the stream it gave up on as it connects again (`?replaces=`).
 */
export const STAFF_STREAMS = 20;

async function staffChat(c: PageContext) {
  requireStaff(c);
  const v = await visibleCase(c);
  const session = await c.get('services').store.query((q) => sessionOfCase(q, v.row.id));
  if (!session) throw new DomainError('NOT_FOUND', 'This case has no chat.');
  return { ...v, session };
}

export function caseChatPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  app.get('/cases/:id/chat/stream', async (c) => {
    const services = c.get('services');
    const { principal, row, session } = await staffChat(c);
    // Taken before any further await (the bound holds for concurrent requests), given back when the stream closes.
    const sessionHash = c.get('session')?.idHash ?? null;
    const holder = sessionHash ?? `staff-${principal.staffId ?? 0}`;
    const slot = services.chat.hub.takeStream(`staff:${holder}`, STAFF_STREAMS, c.req.query('replaces'));
    if (!slot) {
      throw new DomainError('TOO_MANY_REQUESTS', `Live chat is already open in ${STAFF_STREAMS} windows of this sign-in: close one, then reload this page for its live chat.`, { retryAfterSeconds: 60 });
    }
    // A line's time as the page shows it (views/time.tsx): in the agent's zone, named.
    const { zone } = timeSettingsOf(c);
    return chatStream(c, services, {
      sessionId: session.id,
      ownSide: 'agent',
      present: (line) => ({ ...line, time: formatTimeShort(line.at, zone, services.clock.now()) }),
      subscribe: (l) => services.chat.hub.subscribeCase(row.id, l),
      // Authorized once at the start would keep a case moved to a queue the agent does not work
      // streaming to them, and a sign-in that ended (signed out, a new password, deactivated,
      // access revoked, expired) streaming the customer's words to whoever holds the window: the
      // sign-in and the case are read again before every read of the chat, and the agent's
      // current queues and role decide.
      // Each check (every signal and heartbeat) also says the agent is still there (src/chat/agent-presence.ts).
      mayListen: async () => {
        const now = services.clock.now();
        const current = sessionHash === null ? null : await services.store.query((q) => findSessionByHash(q, sessionHash, now));
        if (!current) return false;
        if (current.principal.staffId !== null) await services.chat.agents.beat(current.principal.staffId, now);
        return canSeeCase(current.principal, await loadCase(services, row.id));
      },
      slot,
    });
  });
  app.post('/cases/:id/chat/typing', async (c) => {
    const { principal, row, session } = await staffChat(c);
    if (session.state === 'open') c.get('services').chat.hub.publish(session.id, row.id, { kind: 'typing', who: 'agent', name: principal.actor.name });
    return c.body(null, 204);
  });
  app.post('/cases/:id/chat/end', async (c) => {
    const { principal, row, session } = await staffChat(c);
    await endChat(c.get('services'), session.id, 'agent', principal.actor);
    return redirectTo(c, `/cases/C-${row.id}`);
  });
  // Mail held for an address the visitor only typed (src/notifications/held-mail.ts): the agent confirmed it.
  // Also a message left in the chat window (no chat session: chat-identity.ts `leftMessageIdentity`).
  app.post('/cases/:id/chat/held-mail', async (c) => {
    requireStaff(c);
    const { principal, row } = await visibleCase(c);
    const typed = await c.get('services').store.query(async (q) => (await sessionOfCase(q, row.id)) !== null || (await leftMessageIdentity(q, row.id)) !== null);
    if (!typed) throw new DomainError('NOT_FOUND', 'This case has no chat and no message left in the chat.');
    await releaseHeldMails(c.get('services'), row.id, principal.actor);
    return redirectTo(c, `/cases/C-${row.id}`);
  });
  return app;
}
