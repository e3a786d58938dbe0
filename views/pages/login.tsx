/** Sign-in and set-password pages. */
import { Alert, Button, CsrfField, Field, FormError, PageHeader, type FormState } from '../components.js';
import { Layout } from '../layout.js';

/** What the sign-in page offers besides the password: mailed links (needs SMTP_URL) and sign-up (PORTAL_SIGNUP). */
export interface WaysIn {
  mail: boolean;
  signup: boolean;
}

export function LoginForm(p: { csrfToken: string; next: string | null; state?: FormState; notice?: string | undefined; ways: WaysIn }) {
  return (
    <form id="login-form" class="stack" method="post" action="/login" hx-post="/login" hx-target="this" hx-swap="outerHTML">
      <CsrfField token={p.csrfToken} />
      {p.next ? <input type="hidden" name="next" value={p.next} /> : null}
      <FormError state={p.state} />
      {p.notice ? (
        <p class="alert alert-ok" role="status" id="login-notice">
          {p.notice}
        </p>
      ) : null}
      <Field id="login-email" name="email" type="email" label="Email address" autocomplete="username" required state={p.state} />
      <Field id="login-password" name="password" type="password" label="Password" autocomplete="current-password" required state={{ errors: p.state?.errors ?? {} }} />
      <div class="form-actions">
        <Button id="login-submit">Sign in</Button>
        {p.ways.mail ? (
          <Button id="login-link" variant="secondary" attrs={{ formaction: '/login/link', formnovalidate: '' }}>
            Email me a sign-in link
          </Button>
        ) : null}
      </div>
      <p class="hint" id="login-link-hint">
        {p.ways.mail
          ? 'No password? Customers can sign in with a link we mail them: enter your address and choose "Email me a sign-in link".'
          : 'Sign-in links and password resets are mailed, and this server cannot send mail (no SMTP_URL is set): sign in with your password, or ask the support team.'}
      </p>
    </form>
  );
}

export function LoginPage(p: { csrfToken: string; next: string | null; state?: FormState; notice?: string | undefined; ways: WaysIn }) {
  return (
    <Layout title="Sign in" viewer={null} csrfToken={p.csrfToken}>
      <div class="auth-card panel">
        <PageHeader title="Sign in to Casebook" />
        <LoginForm csrfToken={p.csrfToken} next={p.next} state={p.state ?? {}} notice={p.notice} ways={p.ways} />
        <ul class="auth-links">
          {p.ways.mail ? (
            <li>
              <a href="/forgot-password">Forgot your password, or never had one?</a>
            </li>
          ) : null}
          {p.ways.signup ? (
            <li>
              New here? <a href="/signup">Create an account</a>
            </li>
          ) : null}
        </ul>
      </div>
    </Layout>
  );
}

/** A text typed into a form that arrived after the session ended, shown to be copied. */
export interface KeptText {
  label: string;
  text: string;
}

/** The texts a form carried that was not acted on, read-only, to be copied. */
export function KeptTexts(p: { kept: KeptText[] }) {
  return (
    <>
      {p.kept.map((k, i) => (
        <div class="field">
          <label for={`kept-${i}`}>{k.label}</label>
          <textarea id={`kept-${i}`} class="kept-text" rows={Math.min(12, Math.max(2, k.text.split('\n').length + 1))} readonly dir="auto">
            {k.text}
          </textarea>
        </div>
      ))}
    </>
  );
}

/**
 * The answer to a form sent (without htmx) after the session ended: nothing was done, what was
 * typed is shown to copy, and signing in leads back to the page the form was on.
 */
export function SessionEndedPage(p: { csrfToken: string; next: string | null; kept: KeptText[]; ways: WaysIn }) {
  return (
    <Layout title="Your session has ended" viewer={null} csrfToken={p.csrfToken}>
      <div class="auth-card panel stack">
        <PageHeader title="Your session has ended" />
        <Alert tone="error" id="session-ended">
          <p>
            {p.kept.length > 0
              ? 'Nothing was sent. Here is what you wrote: copy it, sign in again, then send it once more.'
              : 'Nothing was done. Sign in again, then try once more.'}
          </p>
        </Alert>
        <KeptTexts kept={p.kept} />
        <LoginForm csrfToken={p.csrfToken} next={p.next} ways={p.ways} />
      </div>
    </Layout>
  );
}

export function SetPasswordForm(p: { csrfToken: string; token: string; state?: FormState }) {
  return (
    <form id="set-password-form" class="stack" method="post" action="/set-password" hx-post="/set-password" hx-target="this" hx-swap="outerHTML">
      <CsrfField token={p.csrfToken} />
      <input type="hidden" name="token" value={p.token} />
      <FormError state={p.state} />
      <Field
        id="new-password"
        name="password"
        type="password"
        label="New password"
        hint="At least 10 characters."
        autocomplete="new-password"
        minlength={10}
        required
        state={{ errors: p.state?.errors ?? {} }}
      />
      <Field id="confirm-password" name="confirm" type="password" label="Repeat the password" autocomplete="new-password" required state={{ errors: p.state?.errors ?? {} }} />
      <Button id="set-password-submit">Set password and sign in</Button>
    </form>
  );
}

export function SetPasswordPage(p: { csrfToken: string; token: string; state?: FormState; reset?: boolean }) {
  const title = p.reset ? 'Choose a new password' : 'Set your password';
  return (
    <Layout title={title} viewer={null} csrfToken={p.csrfToken}>
      <div class="auth-card panel">
        <PageHeader title={title} />
        {p.reset ? <p class="hint">Your other sessions are signed out once the new password is set.</p> : null}
        <SetPasswordForm csrfToken={p.csrfToken} token={p.token} state={p.state ?? {}} />
      </div>
    </Layout>
  );
}
