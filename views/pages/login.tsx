/** Sign-in and set-password pages. */
import { Button, CsrfField, Field, FormError, PageHeader, type FormState } from '../components.js';
import { Layout } from '../layout.js';

export function LoginForm(p: { csrfToken: string; next: string | null; state?: FormState }) {
  return (
    <form id="login-form" class="stack" method="post" action="/login" hx-post="/login" hx-target="this" hx-swap="outerHTML">
      <CsrfField token={p.csrfToken} />
      {p.next ? <input type="hidden" name="next" value={p.next} /> : null}
      <FormError state={p.state} />
      <Field id="login-email" name="email" type="email" label="Email address" autocomplete="username" required state={p.state} />
      <Field id="login-password" name="password" type="password" label="Password" autocomplete="current-password" required state={{ errors: p.state?.errors ?? {} }} />
      <Button id="login-submit">Sign in</Button>
    </form>
  );
}

export function LoginPage(p: { csrfToken: string; next: string | null; state?: FormState; notice?: string }) {
  return (
    <Layout title="Sign in" viewer={null} csrfToken={p.csrfToken}>
      <div class="auth-card panel">
        <PageHeader title="Sign in to Casebook" />
        {p.notice ? (
          <p class="alert alert-ok" role="status">
            {p.notice}
          </p>
        ) : null}
        <LoginForm csrfToken={p.csrfToken} next={p.next} state={p.state ?? {}} />
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

export function SetPasswordPage(p: { csrfToken: string; token: string; state?: FormState }) {
  return (
    <Layout title="Set your password" viewer={null} csrfToken={p.csrfToken}>
      <div class="auth-card panel">
        <PageHeader title="Set your password" />
        <SetPasswordForm csrfToken={p.csrfToken} token={p.token} state={p.state ?? {}} />
      </div>
    </Layout>
  );
}
