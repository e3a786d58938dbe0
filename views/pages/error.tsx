/** Error pages (inside the layout) and the alert htmx swaps into #flash; both show the request id. */
import { Alert, PageHeader } from '../components.js';
import { Layout } from '../layout.js';
import type { Viewer } from '../viewer.js';

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
