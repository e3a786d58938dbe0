/**
 * Checks every visitor request to `/chat/api/*` makes: its Origin (or Sec-Fetch-Site) is
 * Casebook's own (the widget's iframe is served by us; the host page never calls us
 * directly), the visitor's token names a session, the session's site is active and still
 * allows the host origin the chat started on, and the rate limits.
 */
import type { Context } from 'hono';
import type { Limit } from '../../auth/rate-limit.js';
import { findSession, sessionByToken, type ChatSession } from '../../chat/sessions.js';
import { getSite, type ChatSite } from '../../chat/sites.js';
import { DomainError } from '../../errors.js';
import type { AppEnv } from '../types.js';

export type ChatContext = Context<AppEnv>;

/** Origins a visitor request may come from: the request's own and PUBLIC_URL's. */
export function assertOwnOrigin(c: ChatContext, publicOrigin: string): void {
  const origin = c.req.header('Origin');
  if (origin !== undefined) {
    if (origin !== publicOrigin && origin !== new URL(c.req.url).origin) {
      throw new DomainError('CHAT_ORIGIN_REJECTED', 'Chat requests come from the chat window only.');
    }
    return;
  }
  const site = c.req.header('Sec-Fetch-Site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new DomainError('CHAT_ORIGIN_REJECTED', 'Chat requests come from the chat window only.');
}

/** An active site that allows `host` (an origin), or CHAT_ORIGIN_REJECTED / NOT_FOUND. */
export async function siteFor(c: ChatContext, id: string, host: string | undefined | null): Promise<ChatSite> {
  const site = await getSite(c.get('services'), id);
  if (!site || !site.active) throw new DomainError('NOT_FOUND', 'No such chat.');
  if (!host || !site.allowedOrigins.includes(host)) throw new DomainError('CHAT_ORIGIN_REJECTED', 'This website may not show this chat.');
  return site;
}

export interface VisitorChat {
  site: ChatSite;
  session: ChatSession;
}

/** The visitor's session from `Authorization: Bearer <token>`, with its site. */
export async function visitorChat(c: ChatContext): Promise<VisitorChat> {
  const header = c.req.header('Authorization') ?? '';
  const token = header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  const session = await sessionByToken(c.get('services'), token);
  const site = await siteFor(c, session.siteId, session.hostOrigin);
  return { site, session };
}

/**
 * Whether a visitor's open stream may still hear its chat, asked before every read (as the
 * agent's stream asks): the token it opened with still names the session (an erasure replaces
 * it), and the site is still active and still allows the host origin the chat started on.
 * Checked once at the start only, a site switched off or an origin removed would go on
 * streaming the agents' replies to a window that can no longer send or poll.
 */
export async function visitorMayListen(c: ChatContext, opened: ChatSession): Promise<boolean> {
  const services = c.get('services');
  const session = await services.store.query((q) => findSession(q, opened.id));
  if (!session || session.tokenHash !== opened.tokenHash) return false;
  const site = await getSite(services, session.siteId);
  return site !== null && site.active && site.allowedOrigins.includes(session.hostOrigin);
}

/** Takes from every chat limit named; TOO_MANY_REQUESTS when one is used up. */
export async function takeChatLimits(c: ChatContext, limits: Limit[]): Promise<void> {
  await c.get('limits').limiter.take(limits);
}

export function messageLimits(c: ChatContext, chat: VisitorChat): Limit[] {
  const s = c.get('services').chat.settings;
  return [
    { key: `chat:visitor:${chat.session.id}`, rate: s.messagesPerVisitor, what: 'chat messages from you' },
    { key: `chat:site:${chat.site.id}`, rate: s.messagesPerSite, what: 'chat messages on this website' },
  ];
}
