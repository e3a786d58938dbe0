/**
 * The visitor's side of live chat, called by the widget's iframe (public/chat-frame.js):
 *
 *   GET  /chat/api/sites/:site/status?host=   the site's name, greeting and whether anyone is there
 *   POST /chat/api/sites/:site/sessions       { host, name, email } or { host, email, name?, signature } → { token, session }
 *   POST /chat/api/sites/:site/offline        { host, name, email, message }: nobody there → a case answered by mail
 *   GET  /chat/api/session                    the session (state, case, lines so far)
 *   GET  /chat/api/stream                     SSE (Last-Event-ID / ?after=; ?replaces= the stream given up on); at most VISITOR_STREAMS at once per session
 *   GET  /chat/api/messages?after=            the same lines for polling
 *   GET  /chat/api/files/:id                  a file an agent sent in this chat (a line's `files`)
 *   POST /chat/api/messages                   { body, clientId? } (clientId: the same when sent again: written once)
 *   POST /chat/api/typing                     the visitor is typing (ephemeral)
 *   POST /chat/api/seen                       { seq }: the window has shown the lines up to seq
 *   POST /chat/api/end ({ seen, answerBy: "email" }?) | /transcript ({ timeZone }?) | /rating
 *
 * A poll's `after`, a stream's Last-Event-ID / `?after=` and `POST /chat/api/seen` move the
 * session's "seen up to" (src/chat/seen.ts): agents' replies after it are mailed when the chat ends.
 *
 * Session routes take `Authorization: Bearer <visitor token>`. Every request passes the
 * origin check (guard.ts); no cookie is ever set.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { caseRef } from '../../cases/case-ref.js';
import { canonicalEmail } from '../../text/email-address.js';
import { DomainError, ValidationError } from '../../errors.js';
import { attachmentResponse } from '../attachment-download.js';
import { chatAvailability } from '../../chat/availability.js';
import { endChat } from '../../chat/end-chat.js';
import { chatFile, linesAfter, type ChatLine } from '../../chat/lines.js';
import { leaveMessage, leaveMessageSchema } from '../../chat/leave-message.js';
import { rateChat } from '../../chat/rate-chat.js';
import { markSeen } from '../../chat/seen.js';
import { startSchema, startSession, type ChatSession } from '../../chat/sessions.js';
import { requestTranscript } from '../../chat/transcript.js';
import { CLIENT_ID, sendVisitorMessage } from '../../chat/visitor-message.js';
import { clientLimitKey } from '../pages/env.js';
import { jsonBody, parseWith, readJson } from '../json-body.js';
import { limitBody } from '../limits.js';
import type { AppEnv } from '../types.js';
import { assertOwnOrigin, messageLimits, siteFor, takeChatLimits, visitorChat, visitorMayListen } from './guard.js';
import { chatStream, resumeFrom } from './stream.js';

export interface ChatRouteOptions {
  publicOrigin: string;
  trustProxy: number;
}

/**
 * Streams one visitor session may hold open at once (the chat in several tabs of the host
 * site). Each is a connection held for as long as it lasts and a read of the chat on every
 * signal: unbounded, one anonymous token could hold thousands. A window refused falls back to
 * polling (public/chat-frame.js).
 */
export const VISITOR_STREAMS = 5;

const hostOnly = z.object({ host: z.string().max(300) });
const seenSchema = z.object({ seq: z.number().int().min(0) });

function sessionView(session: ChatSession) {
  return { state: session.state, case: session.caseId === null ? null : caseRef(session.caseId), name: session.name, email: session.email, verified: session.verified, lastSeq: session.lastSeq, endedBy: session.endedBy };
}

/** A line as the visitor sees it: agents by name, no internal ids; their own messages with the window's id of each (`clientId`). */
export const visitorLine = (l: ChatLine) => ({
  seq: l.seq,
  author: l.author,
  name: l.name,
  body: l.body,
  at: new Date(l.at).toISOString(),
  ...(l.files ? { files: l.files } : {}),
  ...(l.offer ? { offer: l.offer } : {}),
  ...(l.clientId ? { clientId: l.clientId } : {}),
});

export function chatVisitorRoutes(options: ChatRouteOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('/chat/api/*', limitBody(64 * 1024, 'A chat request'));
  app.use('/chat/api/*', async function chatOrigin(c, next) {
    assertOwnOrigin(c, options.publicOrigin);
    c.header('Cache-Control', 'no-store');
    await next();
  });

  app.get('/chat/api/sites/:site/status', async (c) => {
    const services = c.get('services');
    const site = await siteFor(c, c.req.param('site'), c.req.query('host'));
    return c.json({ name: site.name, greeting: site.greeting, availability: await chatAvailability(services, site), maxMessageChars: services.chat.settings.maxMessageChars });
  });

  /**
   * A request that opens something on a site (a chat, a left message): the site checked against
   * the `host` the body names, the site's and the client's session limits taken, the rest of the body.
   */
  async function siteRequest(c: Context<AppEnv>, what: string) {
    const services = c.get('services');
    const body = (await readJson(c)) as Record<string, unknown> | null;
    const { host, ...input } = { ...body, ...parseWith(hostOnly, body ?? {}) };
    const site = await siteFor(c, c.req.param('site')!, host);
    const s = services.chat.settings;
    await takeChatLimits(c, [
      { key: `chat:sessions:site:${site.id}`, rate: s.sessionsPerSite, what: `${what} on this website` },
      { key: `chat:sessions:client:${clientLimitKey(c, options.trustProxy)}`, rate: s.sessionsPerClient, what: `${what} from your address` },
    ]);
    return { services, site, host, input };
  }

  app.post('/chat/api/sites/:site/sessions', async (c) => {
    const { services, site, host, input } = await siteRequest(c, 'new chats');
    const started = await startSession(services, site, host, parseWith(startSchema, input));
    return c.json({ token: started.token, session: sessionView(started.session), availability: await chatAvailability(services, site) }, 201);
  });

  app.post('/chat/api/sites/:site/offline', async (c) => {
    const { services, site, input } = await siteRequest(c, 'messages');
    const message = parseWith(leaveMessageSchema, input);
    // Each left message mails the typed address at once: not a way to mail anyone over and over.
    await takeChatLimits(c, [{ key: `chat:left:address:${canonicalEmail(message.email)}`, rate: services.chat.settings.leftMessagesPerAddress, what: 'messages left for this e-mail address' }]);
    const row = await leaveMessage(services, site, message);
    return c.json({ case: caseRef(row.id), answeredBy: 'email' }, 201);
  });

  app.get('/chat/api/session', async (c) => {
    const { session } = await visitorChat(c);
    const lines = await c.get('services').store.query((q) => linesAfter(q, session.id, 0, 500, { withClientIds: true }));
    return c.json({ session: sessionView(session), lines: lines.map(visitorLine) });
  });

  app.get('/chat/api/stream', async (c) => {
    const services = c.get('services');
    const { session } = await visitorChat(c);
    // Taken before any further await (the bound holds for concurrent requests), given back when the stream closes.
    const slot = services.chat.hub.takeStream(`visitor:${session.id}`, VISITOR_STREAMS, c.req.query('replaces'));
    if (!slot) {
      throw new DomainError('TOO_MANY_REQUESTS', `This chat is already open in ${VISITOR_STREAMS} windows: this one checks for new messages every few seconds instead.`, { retryAfterSeconds: 60 });
    }
    try {
      await markSeen(services, session, resumeFrom(c));
    } catch (error) {
      slot.release();
      throw error;
    }
    return chatStream(c, services, {
      sessionId: session.id,
      ownSide: 'visitor',
      subscribe: (l) => services.chat.hub.subscribe(session.id, l),
      present: visitorLine,
      withClientIds: true,
      mayListen: () => visitorMayListen(c, session),
      slot,
    });
  });

  app.get('/chat/api/messages', async (c) => {
    const services = c.get('services');
    const { session } = await visitorChat(c);
    const after = resumeFrom(c);
    await markSeen(services, session, after);
    const lines = await services.store.query((q) => linesAfter(q, session.id, after, 500, { withClientIds: true }));
    return c.json({ session: sessionView(session), lines: lines.map(visitorLine) });
  });

  // A file an agent sent in this chat (a line's `files`): downloaded with the visitor's token, like the API's attachments.
  app.get('/chat/api/files/:id', async (c) => {
    const services = c.get('services');
    const { session } = await visitorChat(c);
    const id = Number(c.req.param('id'));
    const row = Number.isSafeInteger(id) && id > 0 ? await services.store.query((q) => chatFile(q, session.id, id)) : undefined;
    if (!row) throw new DomainError('NOT_FOUND', 'No such file in this chat.');
    return attachmentResponse(c, services, row);
  });

  app.post('/chat/api/messages', async (c) => {
    const chat = await visitorChat(c);
    // `clientId`: the window's id of this message, the same when it sends it again after a dropped connection (written once).
    const { body, clientId } = await jsonBody(c, z.object({ body: z.unknown(), clientId: z.string().regex(CLIENT_ID, '8 to 64 letters, digits, - or _').optional() }));
    await takeChatLimits(c, messageLimits(c, chat));
    const sent = await sendVisitorMessage(c.get('services'), chat.site, chat.session, body, clientId);
    return c.json({ seq: sent.seq, case: caseRef(sent.caseId) }, 201);
  });

  app.post('/chat/api/typing', async (c) => {
    const services = c.get('services');
    const { session } = await visitorChat(c);
    await takeChatLimits(c, [{ key: `chat:typing:${session.id}`, rate: { count: 30, windowMs: 60_000 }, what: 'typing signals' }]);
    if (session.state === 'open') services.chat.hub.publish(session.id, session.caseId, { kind: 'typing', who: 'visitor', name: session.name });
    return c.body(null, 204);
  });

  // The window has shown the lines up to `seq` (a stream's or a poll's): they count as seen.
  app.post('/chat/api/seen', async (c) => {
    const { session } = await visitorChat(c);
    const { seq } = await jsonBody(c, seenSchema);
    await markSeen(c.get('services'), session, seq);
    return c.body(null, 204);
  });

  app.post('/chat/api/end', async (c) => {
    const { session } = await visitorChat(c);
    // The window says what it has shown as it ends the chat (an acknowledgement may still be on its way).
    const body = (await c.req.raw.clone().text()).trim() === '' ? null : ((await readJson(c)) as Record<string, unknown> | null);
    if (body && typeof body === 'object' && body.seen !== undefined) await markSeen(c.get('services'), session, parseWith(seenSchema, { seq: body.seen }).seq);
    // `answerBy: "email"`: the visitor stops waiting for an agent and is answered by e-mail instead (src/chat/waiting.ts).
    const answerBy = body && typeof body === 'object' && body.answerBy !== undefined ? parseWith(z.object({ answerBy: z.literal('email') }), { answerBy: body.answerBy }).answerBy : null;
    // Nothing written yet: there is no request to answer by e-mail.
    if (answerBy === 'email' && session.caseId === null) throw new ValidationError([{ path: 'answerBy', message: 'write your message first' }], 'There is nothing to answer yet: write your message first.');
    await endChat(c.get('services'), session.id, 'visitor', { type: 'customer', id: null, role: 'customer', name: session.name }, { answerByEmail: answerBy === 'email' });
    return c.json({ state: 'ended' });
  });

  app.post('/chat/api/transcript', async (c) => {
    const { session } = await visitorChat(c);
    await takeChatLimits(c, [{ key: `chat:transcript:${session.id}`, rate: { count: 3, windowMs: 3_600_000 }, what: 'transcripts of this chat' }]);
    // The visitor's time zone as their browser names it (optional): the transcript's times are in it.
    const body = (await c.req.raw.clone().text()).trim() === '' ? {} : parseWith(z.object({ timeZone: z.string().max(64).optional() }), await readJson(c));
    await requestTranscript(c.get('services'), session, body.timeZone);
    return c.json({ to: session.email }, 202);
  });

  app.post('/chat/api/rating', async (c) => {
    const { session } = await visitorChat(c);
    const input = await jsonBody(c, z.object({ satisfied: z.boolean(), comment: z.string().max(2_000).optional() }));
    await rateChat(c.get('services'), session, input);
    return c.json({ rated: true });
  });
  return app;
}
