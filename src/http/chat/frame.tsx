/**
 * `GET /chat/frame/:site?host=<origin>`: the chat window the widget (public/chat-widget.js)
 * puts in an iframe. `host` must be one of the site's allowed origins, and so must the
 * Referer's origin when the browser sends one. Its Content-Security-Policy lets only the
 * site's origins frame it (`frame-ancestors`), and its scripts and styles are our own files.
 */
import { Hono } from 'hono';
import { ChatFrameDocument } from '../../../views/pages/chat-frame.js';
import { DomainError } from '../../errors.js';
import type { AppEnv } from '../types.js';
import { siteFor } from './guard.js';

export function frameCsp(origins: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    `frame-ancestors ${origins.join(' ')}`,
    "base-uri 'none'",
  ].join('; ');
}

export function chatFrameRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/chat/frame/:site', async (c) => {
    const host = c.req.query('host');
    const site = await siteFor(c, c.req.param('site'), host);
    const referer = c.req.header('Referer');
    if (referer) {
      let from: string | null = null;
      try {
        from = new URL(referer).origin;
      } catch {
        from = null;
      }
      if (from !== host) throw new DomainError('CHAT_ORIGIN_REJECTED', 'This website may not show this chat.');
    }
    c.header('Content-Security-Policy', frameCsp(site.allowedOrigins));
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    return c.html(<ChatFrameDocument siteId={site.id} siteName={site.name} host={host!} />);
  });
  return app;
}
