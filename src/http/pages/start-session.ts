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
export async function startSession(c: PageContext, ref: PrincipalRef): Promise<void> {
  const services = c.get('services');
  const options = c.get('pageOptions');
  const names = cookieNames(options.secureCookies);
  const previous = c.get('session');
  const now = services.clock.now();
  const session = await services.store.write(async (q) => {
    if (previous) await endSession(q, previous.idHash);
    await purgeSessions(q, now);
    return createSession(q, ref, now, c.req.header('User-Agent') ?? null);
  });
  setCookie(c, names.session, session.id, { ...cookieOptions(options), maxAge: Math.floor(SESSION_MAX_AGE_MS / 1000) });
  deleteCookie(c, names.csrf, cookieOptions(options));
}
