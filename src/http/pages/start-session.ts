/** Signing a person in on the pages: a fresh session, and where they land. */
import { deleteCookie, setCookie } from 'hono/cookie';
import { createSession, endSession, purgeSessions, SESSION_MAX_AGE_MS, type PrincipalRef } from '../../auth/sessions.js';
import { cookieNames, type PageContext } from './env.js';
import { cookieOptions } from './session.js';

export function homeFor(ref: PrincipalRef): string {
  return ref.type === 'staff' ? '/inbox' : '/portal';
}

/**
 * Starts a fresh session (a new id at every sign-in, whatever the way in: password, mailed
 * link, new password, sign-up; any session the browser had is ended, so a planted session id
 * never becomes a signed-in one).
 */
export function startSession(c: PageContext, ref: PrincipalRef): void {
  const services = c.get('services');
  const options = c.get('pageOptions');
  const names = cookieNames(options.secureCookies);
  const previous = c.get('session');
  if (previous) endSession(services.db, previous.idHash);
  const now = services.clock.now();
  purgeSessions(services.db, now);
  const session = createSession(services.db, ref, now, c.req.header('User-Agent') ?? null);
  setCookie(c, names.session, session.id, { ...cookieOptions(options), maxAge: Math.floor(SESSION_MAX_AGE_MS / 1000) });
  deleteCookie(c, names.csrf, cookieOptions(options));
}
