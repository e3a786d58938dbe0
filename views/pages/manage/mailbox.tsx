/**
 * One console mailbox: the form (admins; the password is never written back into it — "•••
 * set" and an empty field to replace it), "Test connection", enable/disable and delete, and
 * the same settings read-only for managers.
 */
import type { MailboxView } from '../../../src/channels/email/mailbox-store.js';
import type { ConnectionTest } from '../../../src/channels/email/test-mailbox.js';
import { Alert, Button, CsrfField, Field, FormError, SelectField, Time, type FormState, type Option } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { CHANNELS, ChannelsFrame, MAILBOXES, MailboxStatus, processedLabel } from './channels.js';

const TLS_OPTIONS: Option[] = [
  { value: 'tls', label: 'TLS (imaps, 993)' },
  { value: 'starttls', label: 'STARTTLS or plain (143)' },
];
const PROCESSED_OPTIONS: Option[] = [
  { value: 'seen', label: 'Mark it read (\\Seen)' },
  { value: 'move', label: 'Move it to a folder' },
];

/** The form's fields from a stored mailbox. */
export function mailboxFormValues(m: MailboxView): Record<string, string> {
  return {
    name: m.name,
    host: m.host,
    port: String(m.port),
    tls: m.tls ? 'tls' : 'starttls',
    username: m.username,
    path: m.path,
    queue: m.queue,
    processed: m.processed === 'seen' ? 'seen' : 'move',
    moveFolder: m.processed.startsWith('move:') ? m.processed.slice('move:'.length) : '',
    pollSeconds: String(m.pollSeconds),
    enabled: m.enabled ? 'on' : '',
  };
}

export function TestResult({ result }: { result: ConnectionTest | null }) {
  return (
    <div id="mailbox-test-result" aria-live="polite">
      {result ? (
        <Alert tone={result.ok ? 'ok' : 'error'} id="mailbox-test">
          <p>{result.ok ? `Connection works. ${result.text}` : `Connection failed: ${result.text}`}</p>
        </Alert>
      ) : null}
    </div>
  );
}

export interface MailboxFormData {
  mailbox: MailboxView | null;
  queues: Option[];
  test?: ConnectionTest | null;
}

export function MailboxForm(p: { csrfToken: string; state: FormState; data: MailboxFormData }) {
  const m = p.data.mailbox;
  const values = { ...(m ? mailboxFormValues(m) : { tls: 'tls', path: 'INBOX', processed: 'seen', pollSeconds: '60', enabled: 'on' }), ...(p.state.values ?? {}) };
  // A password typed is never sent back: the form is re-rendered without it.
  delete values.password;
  const state: FormState = { values, errors: p.state.errors ?? {} };
  const action = m ? `${MAILBOXES}/${m.id}` : MAILBOXES;
  const passwordHint = m?.passwordSet ? '••• set. Leave empty to keep it; type a new one to replace it.' : 'An app password where the provider offers them. Stored encrypted with CHANNELS_KEY.';
  return (
    <form id="mailbox-form" class="panel stack" method="post" action={action} hx-post={action} hx-target="this" hx-swap="outerHTML">
      <CsrfField token={p.csrfToken} />
      <FormError state={state} />
      <div class="form-grid">
        <Field id="mailbox-name" name="name" label="Name" hint="Shown in the log; rules see it as event.mailbox." required maxlength={100} state={state} />
        <SelectField id="mailbox-queue" name="queue" label="Default queue for new cases" options={[{ value: '', label: 'Choose a queue' }, ...p.data.queues]} state={state} />
        <Field id="mailbox-host" name="host" label="IMAP server" hint="e.g. imap.gmail.com" required maxlength={253} state={state} attrs={{ autocomplete: 'off', spellcheck: 'false' }} />
        <SelectField id="mailbox-tls" name="tls" label="Connection" options={TLS_OPTIONS} state={state} />
        <Field id="mailbox-port" name="port" label="Port" hint="Empty: 993 with TLS, 143 without." maxlength={5} state={state} attrs={{ inputmode: 'numeric' }} />
        <Field id="mailbox-username" name="username" label="User name" required maxlength={254} state={state} attrs={{ autocomplete: 'off', spellcheck: 'false' }} />
        <Field id="mailbox-password" name="password" type="password" label="Password" hint={passwordHint} required={!m?.passwordSet} maxlength={1000} autocomplete="new-password" state={state} />
        <Field id="mailbox-path" name="path" label="Folder" hint="INBOX, or another folder." required maxlength={200} state={state} />
        <SelectField id="mailbox-processed" name="processed" label="After a mail is filed" options={PROCESSED_OPTIONS} state={state} />
        <Field id="mailbox-move-folder" name="moveFolder" label="Folder to move it to" hint="With “Move it to a folder”; created when missing." maxlength={190} state={state} />
        <Field id="mailbox-poll" name="pollSeconds" label="Check every (seconds)" hint="Servers with IDLE announce new mail at once; this is the safety net (and the only way on servers without IDLE)." maxlength={5} state={state} attrs={{ inputmode: 'numeric' }} />
        <label class="check" for="mailbox-enabled">
          <input type="checkbox" id="mailbox-enabled" name="enabled" value="on" checked={values.enabled === 'on'} />
          Read this mailbox
        </label>
      </div>
      <TestResult result={p.data.test ?? null} />
      <div class="button-row">
        <Button id="mailbox-save">{m ? 'Save mailbox' : 'Add mailbox'}</Button>
        <Button variant="secondary" id="mailbox-test-button" name="intent" value="test" attrs={{ 'hx-post': action, 'hx-target': '#mailbox-test-result', 'hx-swap': 'outerHTML' }}>
          Test connection
        </Button>
      </div>
    </form>
  );
}

export function NewMailboxPage(p: { viewer: Viewer; csrfToken: string; state: FormState; data: MailboxFormData }) {
  return (
    <ChannelsFrame title="New mailbox" viewer={p.viewer} csrfToken={p.csrfToken} eyebrow={<a href={CHANNELS}>Channels</a>}>
      <MailboxForm csrfToken={p.csrfToken} state={p.state} data={p.data} />
    </ChannelsFrame>
  );
}

function ReadOnly({ m }: { m: MailboxView }) {
  return (
    <section class="panel" aria-labelledby="mailbox-settings-heading" id="mailbox-settings">
      <h2 id="mailbox-settings-heading">Settings</h2>
      <dl class="facts">
        <dt>Server and folder</dt>
        <dd>
          <code>{m.label}</code>
        </dd>
        <dt>Connection</dt>
        <dd>{m.tls ? 'TLS' : 'STARTTLS when offered, else plain'}</dd>
        <dt>Password</dt>
        <dd>{m.passwordSet ? '••• set' : 'not set'}</dd>
        <dt>Default queue</dt>
        <dd>
          <code>{m.queue}</code>
        </dd>
        <dt>After filing</dt>
        <dd>{processedLabel(m.processed)}</dd>
        <dt>Checked every</dt>
        <dd>{`${m.pollSeconds} s`}</dd>
        <dt>Read</dt>
        <dd>{m.enabled ? 'yes' : 'no (disabled)'}</dd>
      </dl>
      <p class="muted">Only admins change mailboxes.</p>
    </section>
  );
}

export function MailboxPage(p: { viewer: Viewer; csrfToken: string; admin: boolean; state: FormState; data: MailboxFormData & { mailbox: MailboxView }; notice: string | null }) {
  const m = p.data.mailbox;
  const base = `${MAILBOXES}/${m.id}`;
  return (
    <ChannelsFrame title={m.name} viewer={p.viewer} csrfToken={p.csrfToken} eyebrow={<a href={CHANNELS}>Channels</a>} notice={p.notice}>
      <section class="panel" aria-labelledby="mailbox-status-heading" id="mailbox-state">
        <h2 id="mailbox-status-heading">Status</h2>
        <MailboxStatus m={m} />
        <p>
          {'Last mail: '}
          <Time at={m.status.lastMailAt} />
          {' · '}
          <a href={`${CHANNELS}?mailbox=${m.id}#mail-log`}>its mail in the log</a>
        </p>
        {p.admin ? (
          <div class="button-row">
            <form method="post" action={`${base}/test`} hx-post={`${base}/test`} hx-target="#mailbox-test-result" hx-swap="outerHTML">
              <CsrfField token={p.csrfToken} />
              <Button variant="secondary" id="mailbox-test-saved">
                Test connection
              </Button>
            </form>
            <form method="post" action={`${base}/${m.enabled ? 'disable' : 'enable'}`}>
              <CsrfField token={p.csrfToken} />
              <Button variant="secondary" id={m.enabled ? 'mailbox-disable' : 'mailbox-enable'}>
                {m.enabled ? 'Disable' : 'Enable'}
              </Button>
            </form>
          </div>
        ) : null}
      </section>
      {p.admin ? <MailboxForm csrfToken={p.csrfToken} state={p.state} data={p.data} /> : <ReadOnly m={m} />}
      {p.admin ? (
        <section class="panel" aria-labelledby="mailbox-delete-heading">
          <h2 id="mailbox-delete-heading">Delete</h2>
          <p>Stops reading the mailbox and forgets its password. Its lines in the log stay; mail in the mailbox is left as it is.</p>
          <form method="post" action={`${base}/delete`}>
            <CsrfField token={p.csrfToken} />
            <Button variant="danger" id="mailbox-delete">
              Delete mailbox
            </Button>
          </form>
        </section>
      ) : null}
    </ChannelsFrame>
  );
}
