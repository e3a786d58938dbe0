/**
 * `/profile` for everyone signed in (staff and customers): name and time zone, password.
 * `POST /profile/time-zone` is what the page script sends on a first visit (the browser's
 * `Intl…resolvedOptions().timeZone`): kept only while the account has no zone; 204.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { PrincipalRef } from '../../auth/sessions.js';
import { DomainError } from '../../errors.js';
import { timeZoneNames } from '../../text/time-zones.js';
import { changePassword, loadProfile, profileSchema, setBrowserTimeZone, updateProfile, type Profile } from '../../users/profile.js';
import { PasswordForm, PROFILE, ProfileForm, ProfilePage } from '../../../views/pages/profile.js';
import type { FormState } from '../../../views/components.js';
import { requirePrincipal, type PageContext, type PageEnv } from './env.js';
import { formErrorsOf, parseForm, readForm } from './forms.js';
import { redirectTo, sendForm, sendHtml, viewerOf } from './render.js';
import { isHtmx } from './env.js';

const passwordForm = z.object({ current: z.string().max(1024).default(''), next: z.string().max(1024).default('') });

function accountOf(c: PageContext): PrincipalRef {
  const principal = requirePrincipal(c);
  if (principal.actor.type === 'staff') return { type: 'staff', id: principal.staffId! };
  if (principal.actor.type === 'customer') return { type: 'customer', id: principal.customerId! };
  throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
}

function page(c: PageContext, profile: Profile, extra: { profileState?: FormState; passwordState?: FormState; saved?: 'profile' | 'password' } = {}) {
  return <ProfilePage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} profile={profile} zones={timeZoneNames()} {...extra} />;
}

export function profilePages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.get(PROFILE, async (c) => {
    const profile = await loadProfile(c.get('services'), accountOf(c));
    const saved = c.req.query('saved');
    return sendHtml(c, page(c, profile, saved === 'profile' || saved === 'password' ? { saved } : {}));
  });

  app.post(PROFILE, async (c) => {
    const ref = accountOf(c);
    const services = c.get('services');
    const values = await readForm(c);
    const parsed = parseForm(profileSchema, values);
    const fail = async (errors: Record<string, string>) => {
      const state = { values, errors };
      const current = await loadProfile(services, ref);
      return sendForm(c, 'profile-form', () => <ProfileForm profile={current} zones={timeZoneNames()} csrfToken={c.get('csrfToken')} state={state} />, () => page(c, current, { profileState: state }));
    };
    if (!parsed.ok) return fail(parsed.errors);
    const profile = await updateProfile(services, ref, parsed.data, requirePrincipal(c).actor);
    if (!isHtmx(c)) return redirectTo(c, `${PROFILE}?saved=profile`);
    // The new zone applies to this answer already.
    const principal = c.get('principal')!;
    c.set('principal', { ...principal, timeZone: profile.timeZone, actor: { ...principal.actor, name: profile.name } });
    return sendHtml(c, <ProfileForm profile={profile} zones={timeZoneNames()} csrfToken={c.get('csrfToken')} saved />);
  });

  app.post(`${PROFILE}/password`, async (c) => {
    const ref = accountOf(c);
    const services = c.get('services');
    const values = await readForm(c);
    const input = passwordForm.parse(values);
    const before = await loadProfile(services, ref);
    try {
      await changePassword(services, ref, input, c.get('session')?.idHash ?? null);
    } catch (error) {
      const errors = formErrorsOf(error);
      if (!errors) throw error;
      const state = { errors };
      return sendForm(c, 'password-form', () => <PasswordForm hasPassword={before.hasPassword} liveApiTokens={before.liveApiTokens} csrfToken={c.get('csrfToken')} state={state} />, () => page(c, before, { passwordState: state }));
    }
    if (!isHtmx(c)) return redirectTo(c, `${PROFILE}?saved=password`);
    return sendHtml(c, <PasswordForm hasPassword liveApiTokens={before.liveApiTokens} csrfToken={c.get('csrfToken')} saved />);
  });

  app.post(`${PROFILE}/time-zone`, async (c) => {
    const ref = accountOf(c);
    const values = await readForm(c);
    await setBrowserTimeZone(c.get('services'), ref, values.timeZone ?? '');
    c.header('Cache-Control', 'no-store');
    return c.body(null, 204);
  });

  return app;
}
