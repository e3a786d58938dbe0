/**
 * Ways in besides the password (src/auth/): "Email me a sign-in link" and the page its link
 * opens, "Forgot password?", and self sign-up with its confirmation link.
 *
 * Asking for a link answers the same for every address — known, unknown, staff — and never
 * looks the address up (src/auth/request-access-mail.ts): "If we know this address, a link
 * is on its way." The asks are limited per address and per client address (429). A mailed
 * link opens a page (GET: nothing is used up); its button posts, and that uses the link and
 * starts a new session.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { requestAccessMail, accessMailLimits, NO_MAIL_MESSAGE, type AccessMailPurpose } from '../../auth/request-access-mail.js';
import { DEAD_SIGN_IN_LINK, peekSignInLink, signInWithLink } from '../../auth/sign-in-link.js';
import { confirmSignUp, DEAD_SIGN_UP_LINK, peekSignUp } from '../../auth/sign-up.js';
import { describeSignupPolicy } from '../../auth/signup-policy.js';
import { DomainError } from '../../errors.js';
import { retryAfterOf } from '../limits.js';
import { LoginForm, LoginPage, type WaysIn } from '../../../views/pages/login.js';
import { ForgotPasswordForm, ForgotPasswordPage, SignInLinkPage, SignupConfirmForm, SignupConfirmPage, SignupForm, SignupPage } from '../../../views/pages/access.js';
import { clientLimitKey, safeNext, type PageContext, type PageEnv } from './env.js';
import { formErrorsOf, parseForm, readForm } from './forms.js';
import { redirectTo, sendForm, sendHtml } from './render.js';
import { homeFor, startSession } from './start-session.js';

export const LINK_ON_ITS_WAY = 'If we know this address, a link is on its way. It works once, so open it soon. Nothing arrived? Look in your spam folder.';
export const SIGNUP_LINK_ON_ITS_WAY = 'If this address can have an account, a link is on its way. It works once, so open it soon. Nothing arrived? Look in your spam folder.';
const SIGNUP_OFF = 'Sign-up is off here. If you have written to us before, ask for a sign-in link on the sign-in page.';

const email = z
  .string()
  .trim()
  .min(1, 'enter your email address')
  .max(254, 'use at most 254 characters')
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'enter an email address such as name@example.com');
const emailSchema = z.object({ email });
const signupSchema = z.object({ name: z.string().trim().min(1, 'enter your name').max(200, 'use at most 200 characters'), email });
const confirmSchema = z
  .object({ token: z.string().min(1).max(200), name: z.string(), password: z.string().max(200).default(''), confirm: z.string().max(200).default('') })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'the two passwords differ' });

/** What the sign-in page offers besides the password. */
export function waysIn(c: PageContext): WaysIn {
  const services = c.get('services');
  const mail = services.mailer !== null;
  return { mail, signup: mail && services.access.signup.mode !== 'off' };
}

type Refusal = { errors: Record<string, string>; status: 429 | 503 };

/** Counts the ask against the link limits and queues the mail; a refusal says why (the same for every address). */
async function askForLink(c: PageContext, purpose: AccessMailPurpose, address: string, extra: { name?: string; next?: string | null } = {}): Promise<Refusal | null> {
  const services = c.get('services');
  if (!services.mailer) return { errors: { '(form)': NO_MAIL_MESSAGE }, status: 503 };
  const { limiter, rates } = c.get('limits');
  try {
    await limiter.take(accessMailLimits(rates, address, clientLimitKey(c, c.get('pageOptions').trustProxy)));
  } catch (error) {
    if (!(error instanceof DomainError) || error.code !== 'TOO_MANY_REQUESTS') throw error;
    c.header('Retry-After', retryAfterOf(error));
    return { errors: { '(form)': error.message }, status: 429 };
  }
  await requestAccessMail(services, { purpose, email: address, ...extra });
  return null;
}

function signupOpen(c: PageContext): void {
  if (c.get('services').access.signup.mode === 'off') throw new DomainError('NOT_FOUND', SIGNUP_OFF);
}

export function accessPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  // "Email me a sign-in link": the sign-in form's second button.
  app.post('/login/link', async (c) => {
    const values = await readForm(c);
    const next = safeNext(values.next);
    const render = (state: { errors?: Record<string, string>; notice?: string }, status: 200 | 422 | 429 | 503) => {
      const form = { values: { email: values.email ?? '' }, errors: state.errors ?? {} };
      return sendForm(
        c,
        'login-form',
        () => <LoginForm csrfToken={c.get('csrfToken')} next={next} state={form} notice={state.notice} ways={waysIn(c)} />,
        () => <LoginPage csrfToken={c.get('csrfToken')} next={next} state={form} notice={state.notice} ways={waysIn(c)} />,
        status,
      );
    };
    const parsed = parseForm(emailSchema, values);
    if (!parsed.ok) return render({ errors: parsed.errors }, 422);
    const refused = await askForLink(c, 'sign-in', parsed.data.email, { next });
    return refused ? render({ errors: refused.errors }, refused.status) : render({ notice: LINK_ON_ITS_WAY }, 200);
  });

  // The page a mailed sign-in link opens: nothing is used up until its button is pressed.
  app.get('/login/link', async (c) => {
    const token = c.req.query('token') ?? '';
    if (token === '') return redirectTo(c, '/login');
    const target = await peekSignInLink(c.get('services'), token);
    if (!target) throw new DomainError('NOT_FOUND', DEAD_SIGN_IN_LINK);
    return sendHtml(c, <SignInLinkPage csrfToken={c.get('csrfToken')} token={token} next={safeNext(c.req.query('next'))} name={target.name} email={target.email} />);
  });

  app.post('/login/link/confirm', async (c) => {
    const values = await readForm(c);
    const ref = await signInWithLink(c.get('services'), (values.token ?? '').slice(0, 300));
    await startSession(c, ref);
    return redirectTo(c, safeNext(values.next) ?? homeFor(ref));
  });

  app.get('/forgot-password', (c) => sendHtml(c, <ForgotPasswordPage csrfToken={c.get('csrfToken')} state={c.get('services').mailer ? {} : { errors: { '(form)': NO_MAIL_MESSAGE } }} />));

  app.post('/forgot-password', async (c) => {
    const values = await readForm(c);
    const render = (state: { errors?: Record<string, string>; notice?: string }, status: 200 | 422 | 429 | 503) => {
      const form = { values: { email: values.email ?? '' }, errors: state.errors ?? {} };
      return sendForm(
        c,
        'forgot-password-form',
        () => <ForgotPasswordForm csrfToken={c.get('csrfToken')} state={form} notice={state.notice} />,
        () => <ForgotPasswordPage csrfToken={c.get('csrfToken')} state={form} notice={state.notice} />,
        status,
      );
    };
    const parsed = parseForm(emailSchema, values);
    if (!parsed.ok) return render({ errors: parsed.errors }, 422);
    const refused = await askForLink(c, 'reset', parsed.data.email);
    return refused ? render({ errors: refused.errors }, refused.status) : render({ notice: LINK_ON_ITS_WAY }, 200);
  });

  app.get('/signup', (c) => {
    signupOpen(c);
    const principal = c.get('principal');
    if (principal && principal.actor.type !== 'system') return redirectTo(c, principal.actor.type === 'staff' ? '/inbox' : '/portal');
    const services = c.get('services');
    const state = services.mailer ? {} : { errors: { '(form)': NO_MAIL_MESSAGE } };
    return sendHtml(c, <SignupPage csrfToken={c.get('csrfToken')} policy={describeSignupPolicy(services.access.signup)} state={state} />);
  });

  app.post('/signup', async (c) => {
    signupOpen(c);
    const values = await readForm(c);
    const policy = describeSignupPolicy(c.get('services').access.signup);
    const render = (state: { errors?: Record<string, string>; notice?: string }, status: 200 | 422 | 429 | 503) => {
      const form = { values: { name: values.name ?? '', email: values.email ?? '' }, errors: state.errors ?? {} };
      return sendForm(
        c,
        'signup-form',
        () => <SignupForm csrfToken={c.get('csrfToken')} policy={policy} state={form} notice={state.notice} />,
        () => <SignupPage csrfToken={c.get('csrfToken')} policy={policy} state={form} notice={state.notice} />,
        status,
      );
    };
    const parsed = parseForm(signupSchema, values);
    if (!parsed.ok) return render({ errors: parsed.errors }, 422);
    const refused = await askForLink(c, 'sign-up', parsed.data.email, { name: parsed.data.name });
    return refused ? render({ errors: refused.errors }, refused.status) : render({ notice: SIGNUP_LINK_ON_ITS_WAY }, 200);
  });

  // The page the confirmation link opens (GET uses nothing up).
  app.get('/signup/confirm', async (c) => {
    const token = c.req.query('token') ?? '';
    const pending = await peekSignUp(c.get('services'), token);
    if (!pending) throw new DomainError('NOT_FOUND', DEAD_SIGN_UP_LINK);
    return sendHtml(c, <SignupConfirmPage csrfToken={c.get('csrfToken')} token={token} email={pending.email} state={{ values: { name: pending.name } }} />);
  });

  app.post('/signup/confirm', async (c) => {
    const values = await readForm(c);
    const token = (values.token ?? '').slice(0, 300);
    const pending = await peekSignUp(c.get('services'), token);
    if (!pending) throw new DomainError('NOT_FOUND', DEAD_SIGN_UP_LINK);
    const render = (errors: Record<string, string>) => {
      const state = { values: { name: values.name ?? '' }, errors };
      return sendForm(
        c,
        'signup-confirm-form',
        () => <SignupConfirmForm csrfToken={c.get('csrfToken')} token={token} email={pending.email} state={state} />,
        () => <SignupConfirmPage csrfToken={c.get('csrfToken')} token={token} email={pending.email} state={state} />,
      );
    };
    const parsed = parseForm(confirmSchema, values);
    if (!parsed.ok) return render(parsed.errors);
    try {
      const ref = await confirmSignUp(c.get('services'), { token: parsed.data.token, name: parsed.data.name, password: parsed.data.password });
      await startSession(c, ref);
      return redirectTo(c, homeFor(ref));
    } catch (error) {
      const errors = formErrorsOf(error);
      if (errors) return render(errors);
      throw error;
    }
  });

  return app;
}
