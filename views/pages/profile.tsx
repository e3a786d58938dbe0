/**
 * `/profile`: the signed-in person's own details — name, the time zone every time is shown
 * in (the browser's zone is taken on the first visit with JavaScript while none is set),
 * and their password. Two plain forms; with htmx each re-renders in place.
 */
import type { Profile } from '../../src/users/profile.js';
import { Alert, Button, CsrfField, Field, FormError, PageHeader, SelectField, type FormState } from '../components.js';
import { Layout } from '../layout.js';
import { formatTime, TimeSettingsContext } from '../time.js';
import { displayZone, normalizeTimeZone } from '../../src/text/time-zones.js';
import { useContext } from 'hono/jsx';
import type { Viewer } from '../viewer.js';

export const PROFILE = '/profile';

export function ProfileForm(p: { profile: Profile; zones: string[]; csrfToken: string; state?: FormState | undefined; saved?: boolean }) {
  const { now } = useContext(TimeSettingsContext);
  // A zone stored under its older name (Asia/Calcutta) is the list's current one (Asia/Kolkata).
  const zone = p.state?.values?.timeZone ?? normalizeTimeZone(p.profile.timeZone) ?? p.profile.timeZone ?? 'UTC';
  return (
    <form method="post" action={PROFILE} id="profile-form" class="panel stack" hx-post={PROFILE} hx-target="this" hx-swap="outerHTML" novalidate>
      <h2>Your details</h2>
      {p.saved ? (
        <Alert tone="ok" id="profile-saved">
          <p>Saved. Times are shown in {p.profile.timeZone ?? 'UTC'}.</p>
        </Alert>
      ) : null}
      <FormError state={p.state} />
      <CsrfField token={p.csrfToken} />
      <p class="muted">{`Signed in as ${p.profile.email}`}</p>
      <Field id="profile-name" name="name" label="Name" value={p.profile.name} state={p.state} required autocomplete="name" maxlength={200} />
      <SelectField
        id="profile-time-zone"
        name="timeZone"
        label="Time zone"
        value={zone}
        state={p.state}
        options={p.zones.map((z) => ({ value: z, label: z.replaceAll('_', ' ') }))}
      />
      <p class="hint" id="profile-time-zone-now">
        {p.profile.timeZone === null ? 'Not chosen yet: times are shown in UTC. ' : ''}
        {now !== null ? `Now: ${formatTime(now, displayZone(p.profile.timeZone))}` : ''}
      </p>
      <div class="form-actions">
        <Button id="profile-save">Save</Button>
      </div>
    </form>
  );
}

/** Tokens outlive a password change: say so where the password is changed (a compromised account needs an admin). */
function TokensStay(p: { count: number }) {
  if (p.count === 0) return null;
  const tokens = p.count === 1 ? 'One API token' : `${p.count} API tokens`;
  return (
    <p class="hint" id="password-tokens">
      {tokens} issued for this account {p.count === 1 ? 'keeps' : 'keep'} working after a password change. If someone else may have used your account, ask an admin to revoke {p.count === 1 ? 'it' : 'them'}.
    </p>
  );
}

export function PasswordForm(p: { hasPassword: boolean; liveApiTokens: number; csrfToken: string; state?: FormState | undefined; saved?: boolean }) {
  return (
    <form method="post" action={`${PROFILE}/password`} id="password-form" class="panel stack" hx-post={`${PROFILE}/password`} hx-target="this" hx-swap="outerHTML" novalidate>
      <h2>{p.hasPassword ? 'Change your password' : 'Set a password'}</h2>
      {p.saved ? (
        <Alert tone="ok" id="password-saved">
          <p>Password changed. Your other sessions were signed out, and sign-in links mailed earlier no longer work.</p>
        </Alert>
      ) : null}
      <FormError state={p.state} />
      <TokensStay count={p.liveApiTokens} />
      <CsrfField token={p.csrfToken} />
      {p.hasPassword ? <Field id="password-current" name="current" type="password" label="Current password" state={{ errors: p.state?.errors ?? {} }} required autocomplete="current-password" /> : null}
      <Field id="password-next" name="next" type="password" label="New password" hint="At least 10 characters." state={{ errors: p.state?.errors ?? {} }} required autocomplete="new-password" />
      <div class="form-actions">
        <Button id="password-save" variant="secondary">
          {p.hasPassword ? 'Change password' : 'Set password'}
        </Button>
      </div>
    </form>
  );
}

export function ProfilePage(p: { viewer: Viewer; csrfToken: string; profile: Profile; zones: string[]; profileState?: FormState; passwordState?: FormState; saved?: 'profile' | 'password' }) {
  return (
    <Layout title="Your profile" viewer={p.viewer} csrfToken={p.csrfToken} current="profile">
      <PageHeader title="Your profile" />
      <div class="profile-grid">
        <ProfileForm profile={p.profile} zones={p.zones} csrfToken={p.csrfToken} state={p.profileState} saved={p.saved === 'profile'} />
        <PasswordForm hasPassword={p.profile.hasPassword} liveApiTokens={p.profile.liveApiTokens} csrfToken={p.csrfToken} state={p.passwordState} saved={p.saved === 'password'} />
      </div>
    </Layout>
  );
}
