/**
 * Ways in besides the password: the page a mailed sign-in link opens, "forgot password?",
 * sign-up and its confirmation. A mailed link only ever opens a page with a button; the
 * button's POST is what uses the link (mail scanners fetch links, never press buttons).
 */
import type { PropsWithChildren } from 'hono/jsx';
import { Button, CsrfField, Field, FormError, PageHeader, type FormState } from '../components.js';
import { Layout } from '../layout.js';

function AuthCard(p: PropsWithChildren<{ title: string; csrfToken: string }>) {
  return (
    <Layout title={p.title} viewer={null} csrfToken={p.csrfToken}>
      <div class="auth-card panel">
        <PageHeader title={p.title} />
        {p.children}
      </div>
    </Layout>
  );
}

function Notice({ text }: { text: string | undefined }) {
  return text ? (
    <p class="alert alert-ok" role="status" id="access-notice">
      {text}
    </p>
  ) : null;
}

/** Opened from a mailed sign-in link: who is signing in, and the button that uses the link. */
export function SignInLinkPage(p: { csrfToken: string; token: string; next: string | null; name: string; email: string }) {
  return (
    <AuthCard title="Sign in with your link" csrfToken={p.csrfToken}>
      <p>
        Sign in as <strong>{p.name}</strong> ({p.email}). The link works once.
      </p>
      <form id="sign-in-link-form" class="stack" method="post" action="/login/link/confirm">
        <CsrfField token={p.csrfToken} />
        <input type="hidden" name="token" value={p.token} />
        {p.next ? <input type="hidden" name="next" value={p.next} /> : null}
        <Button id="sign-in-link-submit">Sign in</Button>
      </form>
    </AuthCard>
  );
}

export function ForgotPasswordForm(p: { csrfToken: string; state?: FormState; notice?: string | undefined }) {
  return (
    <form id="forgot-password-form" class="stack" method="post" action="/forgot-password" hx-post="/forgot-password" hx-target="this" hx-swap="outerHTML">
      <CsrfField token={p.csrfToken} />
      <FormError state={p.state} />
      <Notice text={p.notice} />
      <p class="hint">We mail you a link to choose a new password (or a first one). It works once, within an hour.</p>
      <Field id="forgot-email" name="email" type="email" label="Email address" autocomplete="username" required state={p.state} />
      <Button id="forgot-submit">Email me a link</Button>
    </form>
  );
}

export function ForgotPasswordPage(p: { csrfToken: string; state?: FormState; notice?: string | undefined }) {
  return (
    <AuthCard title="Forgot your password?" csrfToken={p.csrfToken}>
      <ForgotPasswordForm csrfToken={p.csrfToken} state={p.state ?? {}} notice={p.notice} />
      <p>
        <a href="/login">Back to sign-in</a>
      </p>
    </AuthCard>
  );
}

export function SignupForm(p: { csrfToken: string; policy: string; state?: FormState; notice?: string | undefined }) {
  return (
    <form id="signup-form" class="stack" method="post" action="/signup" hx-post="/signup" hx-target="this" hx-swap="outerHTML">
      <CsrfField token={p.csrfToken} />
      <FormError state={p.state} />
      <Notice text={p.notice} />
      <p class="hint" id="signup-policy">
        {p.policy}
      </p>
      <Field id="signup-name" name="name" label="Your name" autocomplete="name" maxlength={200} required state={p.state} />
      <Field id="signup-email" name="email" type="email" label="Email address" autocomplete="email" required state={p.state} />
      <Button id="signup-submit">Email me a link</Button>
    </form>
  );
}

export function SignupPage(p: { csrfToken: string; policy: string; state?: FormState; notice?: string | undefined }) {
  return (
    <AuthCard title="Create an account" csrfToken={p.csrfToken}>
      <SignupForm csrfToken={p.csrfToken} policy={p.policy} state={p.state ?? {}} notice={p.notice} />
      <p>
        Already have an account? <a href="/login">Sign in</a>
      </p>
    </AuthCard>
  );
}

export function SignupConfirmForm(p: { csrfToken: string; token: string; email: string; state?: FormState }) {
  const errors = { errors: p.state?.errors ?? {} };
  return (
    <form id="signup-confirm-form" class="stack" method="post" action="/signup/confirm" hx-post="/signup/confirm" hx-target="this" hx-swap="outerHTML">
      <CsrfField token={p.csrfToken} />
      <input type="hidden" name="token" value={p.token} />
      <FormError state={p.state} />
      <p>
        Your address: <strong>{p.email}</strong>
      </p>
      <Field id="signup-confirm-name" name="name" label="Your name" autocomplete="name" maxlength={200} required state={p.state} />
      <Field
        id="signup-confirm-password"
        name="password"
        type="password"
        label="Password (optional)"
        hint="At least 10 characters. Without one, you sign in with a link we mail you."
        autocomplete="new-password"
        state={errors}
      />
      <Field id="signup-confirm-repeat" name="confirm" type="password" label="Repeat the password" autocomplete="new-password" state={errors} />
      <Button id="signup-confirm-submit">Create my account</Button>
    </form>
  );
}

export function SignupConfirmPage(p: { csrfToken: string; token: string; email: string; state?: FormState }) {
  return (
    <AuthCard title="Confirm your account" csrfToken={p.csrfToken}>
      <SignupConfirmForm csrfToken={p.csrfToken} token={p.token} email={p.email} state={p.state ?? {}} />
    </AuthCard>
  );
}
