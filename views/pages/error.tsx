/** Error pages (inside the layout) and the alert htmx swaps into #flash; both show the request id. */
import { Alert, PageHeader } from '../components.js';
import { Layout } from '../layout.js';
import type { Viewer } from '../viewer.js';
import { KeptTexts, type KeptText } from './login.js';

export interface ErrorInfo {
  status: number;
  title: string;
  message: string;
  requestId: string;
}

export function ErrorAlert({ error }: { error: ErrorInfo }) {
  return (
    <Alert tone="error">
      <p>
        <strong>{error.title}.</strong> {error.message}
      </p>
      <p class="request-id">
        Request id: <code>{error.requestId}</code>
      </p>
    </Alert>
  );
}

export function ErrorPage(p: { error: ErrorInfo; viewer: Viewer | null; csrfToken: string }) {
  const home = p.viewer === null ? '/login' : p.viewer.kind === 'staff' ? '/inbox' : '/portal';
  return (
    <Layout title={p.error.title} viewer={p.viewer} csrfToken={p.csrfToken}>
      <PageHeader eyebrow={`Error ${p.error.status}`} title={p.error.title} />
      <section class="panel error-panel">
        <p>{p.error.message}</p>
        <p class="request-id">
          Request id: <code>{p.error.requestId}</code>
        </p>
        <p>
          <a href={home}>{p.viewer === null ? 'Go to sign-in' : 'Back to the start page'}</a>
        </p>
      </section>
    </Layout>
  );
}

/**
 * Swapped into #flash when a form (or the live poll of a page being typed on) arrives after the
 * session ended: the page stays as it is, with what was typed in its form.
 */
export function SessionEndedAlert(p: { signIn: string; sent: boolean }) {
  return (
    <Alert tone="error" id="session-ended">
      <p>
        <strong>Your session has ended.</strong>{' '}
        {p.sent
          ? 'Nothing was sent: what you wrote is still in the form. Copy it, sign in again, then send it once more.'
          : 'Sign in again to go on; copy anything you are writing first.'}
      </p>
      <p>
        <a href={p.signIn}>Sign in again</a>
      </p>
    </Alert>
  );
}

/**
 * A form sent from a page opened before the latest sign-in (or sign-out) in this browser, in
 * another tab: the session, and with it the page's CSRF token, changed since. Nothing was done.
 * With htmx the page stays, its form keeps the text, and the answer carries the current token
 * (app.js puts it in the page): sending again works. `who` is who is signed in now, which may
 * not be who opened the page.
 */
export function StalePageAlert(p: { who: string | null; sent: boolean }) {
  return (
    <Alert tone="error" id="page-out-of-date">
      <p>
        <strong>This page was opened before you last signed in or out.</strong>{' '}
        {p.sent ? 'Nothing was sent: what you wrote is still in the form. Send it again to send it now.' : 'Nothing was done: try again to do it now.'}
      </p>
      {p.who ? <p>{`You are signed in as ${p.who}.`}</p> : null}
    </Alert>
  );
}

/** The same without htmx: what the form carried is shown to copy, and a link leads back to the page it was on, loaded again. */
export function StalePage(p: { viewer: Viewer | null; csrfToken: string; who: string | null; kept: KeptText[]; back: string | null }) {
  const home = p.viewer === null ? '/login' : p.viewer.kind === 'staff' ? '/inbox' : '/portal';
  return (
    <Layout title="Nothing was sent" viewer={p.viewer} csrfToken={p.csrfToken}>
      <PageHeader title="Nothing was sent" />
      <section class="panel stack">
        <Alert tone="error" id="page-out-of-date">
          <p>
            {p.kept.length > 0
              ? 'The page you sent this from was opened before you last signed in or out, so nothing was sent. Here is what you wrote: copy it, go back to the page, and send it again.'
              : 'The page you sent this from was opened before you last signed in or out, so nothing was done. Go back to the page and try again.'}
          </p>
          {p.who ? <p>{`You are signed in as ${p.who}.`}</p> : null}
        </Alert>
        <KeptTexts kept={p.kept} />
        <p>
          <a href={p.back ?? home}>{p.back ? 'Back to the page' : 'Back to the start page'}</a>
        </p>
      </section>
    </Layout>
  );
}
