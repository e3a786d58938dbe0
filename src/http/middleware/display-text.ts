/**
 * Removes bidi formatting controls from every HTML page and fragment (see src/text/display.ts),
 * so no view, present or future, can show user text reordered ("gnp.exe" as "exe.png").
 */
import type { MiddlewareHandler } from 'hono';
import { displayText, hasBidiControls } from '../../text/display.js';
import type { AppEnv } from '../types.js';

const TEXT_TYPES = /^(text\/html|image\/svg\+xml|text\/csv|text\/plain)\b/i;

export function displayTextOnly(): MiddlewareHandler<AppEnv> {
  return async function displayTextMiddleware(c, next) {
    await next();
    const type = c.res.headers.get('Content-Type') ?? '';
    // The type first: reading `body` makes @hono/node-server build a web Response and its stream (JSON answers need neither).
    if (!TEXT_TYPES.test(type) || !c.res.body) return;
    const body = await c.res.clone().text();
    if (!hasBidiControls(body)) return;
    const headers = new Headers(c.res.headers);
    headers.delete('Content-Length');
    c.res = new Response(displayText(body), { status: c.res.status, statusText: c.res.statusText, headers });
  };
}
