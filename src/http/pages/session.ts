/**
 * Sessions and CSRF for the pages (never for /api, which uses bearer tokens only).
 *
 * - The session cookie (HttpOnly, SameSite=Lax, Secure behind https) names a row in
 *   `sessions`; a valid one sets `principal` and `session`.
 * - Every page gets a CSRF token: the session's, or for visitors who are not signed in a
 *   random one in its own HttpOnly cookie (double submit), so the sign-in, mailed-link,
 *   reset and sign-up forms are protected too. Forms carry it in `_csrf`, htmx sends it as
 *   `X-CSRF-Token` (from `hx-headers` on <body>).
 * - State-changing requests must carry the token, and their Origin (when the browser
 *   sends one; else Sec-Fetch-Site) must be this site.
 */
import type { MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { findSession } from '../../auth/sessions.js';
import { randomToken, safeEqual } from '../../auth/tokens.js';
import { DomainError } from '../../errors.js';
import { cookieNames, isHtmx, type PageContext, type PageEnv, type PageOptions } from './env.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Forms for people who are not signed in (protected by the visitor's CSRF cookie); `/csat/…` is the one-click rating from a mail. */
const VISITOR_FORMS = new Set(['/login', '/set-password', '/login/link', '/login/link/confirm', '/forgot-password', '/signup', '/signup/confirm']);
const isVisitorForm = (path: string) => VISITOR_FORMS.has(path) || path.startsWith('/csat/');
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function isPagePath(path: string): boolean {
  // `/chat/…` is the live chat's widget, window and visitor API: no sessions, no cookies (src/http/chat/).
  return !(path === '/api' || path.startsWith('/api/') || path.startsWith('/assets/') || path === '/health' || path === '/healthz' || path === '/readyz' || path === '/metrics' || path.startsWith('/chat/'));
}

export function cookieOptions(options: PageOptions) {
  return { path: '/', httpOnly: true, sameSite: 'Lax' as const, secure: options.secureCookies };
}

function originAllowed(c: PageContext, origin: string, options: PageOptions): boolean {
  if (origin === 'null') return false;
  return origin === new URL(c.req.url).origin || options.allowedOrigins.includes(origin);
}

async function sentToken(c: PageContext): Promise<string | undefined> {
  const header = c.req.header('X-CSRF-Token');
  if (header) return header;
  const type = c.req.header('Content-Type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return undefined;
  const body = await c.req.parseBody();
  return typeof body._csrf === 'string' ? body._csrf : undefined;
}

/** A request from another site (its Origin, or without one its Sec-Fetch-Site, says so): CSRF_REJECTED. */
function verifySameSite(c: PageContext, options: PageOptions): void {
  const origin = c.req.header('Origin');
  if (origin !== undefined) {
    if (!originAllowed(c, origin, options)) throw new DomainError('CSRF_REJECTED', 'This request came from another site and was refused.');
  } else {
    const site = c.req.header('Sec-Fetch-Site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      throw new DomainError('CSRF_REJECTED', 'This request came from another site and was refused.');
    }
  }
}

async function verifyCsrf(c: PageContext, expected: string, options: PageOptions): Promise<void> {
  verifySameSite(c, options);
  const sent = await sentToken(c);
  if (!sent || !TOKEN_SHAPE.test(sent)) throw new DomainError('CSRF_REJECTED', 'This form is not from this site and was refused.');
  if (!safeEqual(sent, expected)) {
    // From this site (the checks above), with a token that is not the current one: a page opened
    // before the latest sign-in or sign-out in another tab (a new session, a new token). Nothing
    // is done, and nothing typed is lost (session-ended.tsx stalePageResponse).
    throw new DomainError('CSRF_REJECTED', 'This page was opened before you last signed in or out: nothing was done.', { stalePage: true });
  }
}

export function pageSession(options: PageOptions): MiddlewareHandler<PageEnv> {
  const names = cookieNames(options.secureCookies);
  return async function pageSessionMiddleware(c, next) {
    if (!isPagePath(c.req.path)) return next();
    const services = c.get('services');
    c.set('pageOptions', options);
    c.set('session', null);
    const cookie = getCookie(c, names.session);
    // Live-update polls carry `stamp`: they read the session without counting as activity.
    const background = c.req.method === 'GET' && c.req.query('stamp') !== undefined;
    const session = cookie ? await services.store.query((q) => findSession(q, cookie, services.clock.now(), { touch: !background })) : null;
    // An ended session's cookie goes with the next page load, not with a form, a poll or another
    // htmx request: a form sent from that page (again) is then known as sent after the session
    // ended (its text kept: session-ended.tsx), not refused as forged.
    if (cookie && !session && c.req.method === 'GET' && !background && !isHtmx(c)) deleteCookie(c, names.session, cookieOptions(options));
    if (session) {
      // An agent with the workspace open (any request, the live polls too): the chat counts them as there (src/chat/agent-presence.ts).
      if (session.principal.staffId !== null) await services.chat.agents.beat(session.principal.staffId, services.clock.now());
      c.set('session', session);
      c.set('principal', session.principal);
    }
    let csrf = session?.csrfToken ?? getCookie(c, names.csrf);
    if (!csrf || !TOKEN_SHAPE.test(csrf)) {
      csrf = randomToken();
      if (!session) setCookie(c, names.csrf, csrf, cookieOptions(options));
    }
    c.set('csrfToken', csrf);
    await next();
  };
}

/**
 * The CSRF check of state-changing page requests (after `pageSession`, and after the body
 * limit: the token may be in the body, and a body over the limit is never read — its 413 page
 * still knows who is signed in).
 */
export function pageCsrf(options: PageOptions): MiddlewareHandler<PageEnv> {
  const names = cookieNames(options.secureCookies);
  return async function pageCsrfMiddleware(c, next) {
    if (!isPagePath(c.req.path) || SAFE_METHODS.has(c.req.method)) return next();
    const ended = getCookie(c, names.session) !== undefined && !c.get('session');
    if (ended && c.req.path === '/logout') return next(); // nothing left to sign out of
    // The ended session's token is gone, so its form cannot be checked by it; but it came from
    // this site, as every form does: another site's post carrying a dead cookie (a sibling
    // subdomain, a script) is refused, not answered with our sign-in page showing its text.
    if (ended && !isVisitorForm(c.req.path)) {
      verifySameSite(c, options);
      throw new DomainError('UNAUTHENTICATED', 'Your session has ended. Please sign in again.');
    }
    await verifyCsrf(c, c.get('csrfToken'), options);
    await next();
  };
}
