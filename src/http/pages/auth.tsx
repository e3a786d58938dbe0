/** Sign-in with a password, sign-out, and the one-time set-password page (also reached by "forgot password?" links). */
import { Hono } from 'hono';
import { deleteCookie } from 'hono/cookie';
import { z } from 'zod';
import { endSession, type PrincipalRef } from '../../auth/sessions.js';
import { signIn } from '../../auth/sign-in.js';
import { DomainError } from '../../errors.js';
import type { Services } from '../../services.js';
import { passwordLinkPurpose, setPasswordWithToken } from '../../users/password-tokens.js';
import { LoginForm, LoginPage, SetPasswordForm, SetPasswordPage } from '../../../views/pages/login.js';
import { clientLimitKey, cookieNames, safeNext, type PageContext, type PageEnv } from './env.js';
import { formErrorsOf, parseForm, readForm } from './forms.js';
import { redirectTo, sendForm, sendHtml } from './render.js';
import { cookieOptions } from './session.js';
import { homeFor, startSession } from './start-session.js';
import { waysIn } from './access.js';

const loginSchema = z.object({
  email: z.string().trim().min(1, 'enter your email address').max(254),
  password: z.string().min(1, 'enter your password').max(1024),
  next: z.string().optional(),
});

const setPasswordSchema = z
  .object({ token: z.string().min(1).max(200), password: z.string(), confirm: z.string() })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'the two passwords differ' });

const warnedAboutProxy = new WeakSet<Services>();

/** Behind a proxy without TRUST_PROXY every client has the proxy's address (and shares its sign-in limit): say so once. */
function warnUntrustedProxy(services: Services): void {
  if (warnedAboutProxy.has(services)) return;
  warnedAboutProxy.add(services);
  services.logger.warn('sign-in requests carry X-Forwarded-For but TRUST_PROXY is off: all clients share the proxy address for sign-in throttling; set TRUST_PROXY to the number of proxies in front');
}

export function authPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.get('/login', (c) => {
    const principal = c.get('principal');
    const next = safeNext(c.req.query('next'));
    if (principal && principal.actor.type !== 'system') return redirectTo(c, next ?? (principal.actor.type === 'staff' ? '/inbox' : '/portal'));
    const notice = c.req.query('signed_out') === '1' ? 'You are signed out.' : undefined;
    return sendHtml(c, <LoginPage csrfToken={c.get('csrfToken')} next={next} notice={notice} ways={waysIn(c)} />);
  });

  app.post('/login', async (c) => {
    const values = await readForm(c);
    const next = safeNext(values.next);
    const render = (errors: Record<string, string>, status: 422 | 429) => {
      const state = { values: { email: values.email ?? '' }, errors };
      return sendForm(
        c,
        'login-form',
        () => <LoginForm csrfToken={c.get('csrfToken')} next={next} state={state} ways={waysIn(c)} />,
        () => <LoginPage csrfToken={c.get('csrfToken')} next={next} state={state} ways={waysIn(c)} />,
        status,
      );
    };
    const parsed = parseForm(loginSchema, values);
    if (!parsed.ok) return render(parsed.errors, 422);
    const trustProxy = c.get('pageOptions').trustProxy;
    if (trustProxy === 0 && c.req.header('X-Forwarded-For') !== undefined) warnUntrustedProxy(c.get('services'));
    let ref: PrincipalRef;
    try {
      ref = await signIn(c.get('services'), {
        email: parsed.data.email,
        password: parsed.data.password,
        clientAddress: clientLimitKey(c, trustProxy),
      });
    } catch (error) {
      if (error instanceof DomainError && error.code === 'UNAUTHENTICATED') return render({ '(form)': error.message }, 422);
      if (error instanceof DomainError && error.code === 'TOO_MANY_REQUESTS') {
        c.header('Retry-After', String(error.details.retryAfterSeconds ?? 900));
        return render({ '(form)': error.message }, 429);
      }
      throw error;
    }
    await startSession(c, ref);
    return redirectTo(c, next ?? homeFor(ref));
  });

  app.post('/logout', async (c) => {
    const options = c.get('pageOptions');
    const session = c.get('session');
    if (session) await c.get('services').store.write((q) => endSession(q, session.idHash));
    deleteCookie(c, cookieNames(options.secureCookies).session, cookieOptions(options));
    // On a shared computer nothing of this sign-in stays in the browser for the next person: pages
    // htmx keeps for Back (sessionStorage), a chat kept on this origin (localStorage), cached answers.
    c.header('Clear-Site-Data', '"cache", "storage"');
    return redirectTo(c, '/login?signed_out=1');
  });

  app.get('/set-password', async (c) => {
    const token = c.req.query('token') ?? '';
    const services = c.get('services');
    const purpose = await services.store.query((q) => passwordLinkPurpose(q, token, services.clock.now()));
    if (!purpose) throw new DomainError('NOT_FOUND', 'This link has expired or was already used. Ask for a new one with "Forgot your password?" on the sign-in page.');
    return sendHtml(c, <SetPasswordPage csrfToken={c.get('csrfToken')} token={token} reset={purpose === 'reset'} />);
  });

  app.post('/set-password', async (c) => {
    const values = await readForm(c);
    const token = values.token ?? '';
    const services = c.get('services');
    const reset = (await services.store.query((q) => passwordLinkPurpose(q, token, services.clock.now()))) === 'reset';
    const render = (errors: Record<string, string>) =>
      sendForm(
        c,
        'set-password-form',
        () => <SetPasswordForm csrfToken={c.get('csrfToken')} token={token} state={{ errors }} />,
        () => <SetPasswordPage csrfToken={c.get('csrfToken')} token={token} state={{ errors }} reset={reset} />,
      );
    const parsed = parseForm(setPasswordSchema, values);
    if (!parsed.ok) return render(parsed.errors);
    let ref: PrincipalRef;
    try {
      ref = await setPasswordWithToken(c.get('services'), parsed.data.token, parsed.data.password);
    } catch (error) {
      const errors = formErrorsOf(error);
      if (errors) return render(errors);
      throw error;
    }
    await startSession(c, ref);
    return redirectTo(c, homeFor(ref));
  });

  return app;
}
