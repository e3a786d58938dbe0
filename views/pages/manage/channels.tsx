/**
 * `/manage/channels`: how cases get in. The page is a list of sections — the console
 * mailboxes, the other ways mail gets in (read-only settings), the channel's log — so other
 * channels (live-chat sites) add a section of their own.
 */
import type { Child } from 'hono/jsx';
import type { MailLogFilter, MailLogLine } from '../../../src/channels/email/mail-log-view.js';
import type { MailboxView } from '../../../src/channels/email/mailbox-store.js';
import { Alert, Badge, Button, EmptyState, PageHeader, SelectField, Time, type Option, type Tone } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { ManagePage, ManageTable } from './parts.js';
import { ReportsStyles } from './reports-parts.js';

export const CHANNELS = '/manage/channels';
export const MAILBOXES = `${CHANNELS}/mailboxes`;

/** The console frame of every channels page. */
export function ChannelsFrame(p: { title: string; viewer: Viewer; csrfToken: string; eyebrow?: Child; notice?: string | null; children: Child }) {
  return (
    <ManagePage title={p.title} viewer={p.viewer} csrfToken={p.csrfToken} current={CHANNELS}>
      <ReportsStyles />
      <PageHeader eyebrow={p.eyebrow ?? 'Manage'} title={p.title} />
      {p.notice ? (
        <Alert tone="ok" id="notice">
          <p>{p.notice}</p>
        </Alert>
      ) : null}
      {p.children}
    </ManagePage>
  );
}

/** The channels page: its sections, in order. */
export function ChannelsPage(p: { viewer: Viewer; csrfToken: string; notice: string | null; sections: Child[] }) {
  return (
    <ChannelsFrame title="Channels" viewer={p.viewer} csrfToken={p.csrfToken} notice={p.notice}>
      <p class="lead">How requests reach Casebook: the mailboxes it reads, the other ways mail gets in, and what became of every mail received.</p>
      {p.sections}
    </ChannelsFrame>
  );
}

const STATE_TONE: Record<MailboxView['status']['state'], Tone> = { stopped: 'muted', connecting: 'info', connected: 'ok', idle: 'ok', error: 'danger' };

export function MailboxStatus({ m }: { m: MailboxView }) {
  return (
    <div class="mailbox-status">
      <Badge tone={STATE_TONE[m.status.state]}>{m.status.state}</Badge>
      {m.status.text ? <p class={m.status.state === 'error' ? 'field-error' : 'muted'}>{m.status.text}</p> : null}
      {m.status.at !== null ? (
        <p class="muted">
          {'since '}
          <Time at={m.status.at} />
        </p>
      ) : null}
    </div>
  );
}

export const processedLabel = (processed: string) => (processed === 'seen' ? 'marked read (\\Seen)' : `moved to ${processed.slice('move:'.length)}`);

/**
 * The console mailboxes with their status; polls itself so the status stays current. The poll's
 * answer waits while a press in it is under way (`data-hold-swaps`, public/workspace.js): a link
 * replaced under the mouse would open nothing.
 */
export function MailboxesSection(p: { mailboxes: MailboxView[]; admin: boolean; keySet: boolean; pollSeconds: number }) {
  return (
    <section aria-labelledby="mailboxes-heading" class="panel" id="mailboxes" hx-get={CHANNELS} hx-trigger={`every ${p.pollSeconds}s`} hx-swap="outerHTML" data-hold-swaps>
      <div class="section-head">
        <h2 id="mailboxes-heading">Mailboxes</h2>
        {p.admin && p.keySet ? (
          <a class="button button-secondary" href={`${MAILBOXES}/new`} id="new-mailbox">
            Add mailbox
          </a>
        ) : null}
      </div>
      <p class="muted">IMAP mailboxes read besides IMAP_URL. New cases from a mailbox start in its default queue unless a routing rule sends them elsewhere.</p>
      {p.keySet ? null : (
        <Alert tone="info" id="no-channels-key">
          <p>CHANNELS_KEY is not set on the server, so mailbox passwords cannot be stored (never in plain text): mailboxes cannot be added. Set CHANNELS_KEY (see docs/email.md) and restart Casebook.</p>
        </Alert>
      )}
      {p.mailboxes.length === 0 ? (
        <EmptyState>No mailboxes yet.</EmptyState>
      ) : (
        <ManageTable caption="Mailboxes" captionHidden head={['Mailbox', 'Server and folder', 'Default queue', 'After filing', 'Status', 'Last mail']} id="mailboxes-table">
          {p.mailboxes.map((m) => (
            <tr class={m.enabled ? undefined : 'row-inactive'} id={`mailbox-${m.id}`}>
              <td>
                <a href={`${MAILBOXES}/${m.id}`}>{m.name}</a>
                {m.enabled ? null : <p class="muted">disabled</p>}
              </td>
              <td>
                <code>{m.label}</code>
              </td>
              <td>
                <code>{m.queue}</code>
              </td>
              <td>{processedLabel(m.processed)}</td>
              <td>
                <MailboxStatus m={m} />
              </td>
              <td>
                <Time at={m.status.lastMailAt} />
              </td>
            </tr>
          ))}
        </ManageTable>
      )}
    </section>
  );
}

export interface WaysIn {
  supportAddress: string;
  smtp: { host: string; port: number } | null;
  http: string;
  imapUrl: { label: string; processed: string; pollSeconds: number } | null;
  maxBytes: number;
  ratePerSender: string;
  key: { id: string; source: string } | null;
}

/** The settings that come from the environment, read-only. */
export function WaysInSection({ w }: { w: WaysIn }) {
  return (
    <section aria-labelledby="ways-in-heading" class="panel" id="ways-in">
      <h2 id="ways-in-heading">How mail gets in</h2>
      <p class="muted">Set by environment variables (README, docs/email.md); shown here read-only.</p>
      <dl class="facts">
        <dt>Support address</dt>
        <dd>{`${w.supportAddress} (and its plus-addresses)`}</dd>
        <dt>SMTP receiver</dt>
        <dd>{w.smtp ? `listening on ${w.smtp.host}, port ${w.smtp.port}, for ${w.supportAddress}` : 'off (INBOUND_SMTP_PORT is not set)'}</dd>
        <dt>HTTP inbound</dt>
        <dd>
          <code>{`POST ${w.http}`}</code>
          {' — raw mail as message/rfc822; an admin token or a token with the inbound scope'}
        </dd>
        <dt>IMAP_URL</dt>
        <dd>{w.imapUrl ? `${w.imapUrl.label} — ${processedLabel(w.imapUrl.processed)}, checked every ${w.imapUrl.pollSeconds} s; new cases routed by the rules` : 'not set'}</dd>
        <dt>Largest mail</dt>
        <dd>{`${(w.maxBytes / 1024 / 1024).toFixed(w.maxBytes % (1024 * 1024) === 0 ? 0 : 1)} MB (EMAIL_MAX_BYTES)`}</dd>
        <dt>Mails per sender</dt>
        <dd>{`${w.ratePerSender} (EMAIL_RATE_LIMIT)`}</dd>
        <dt>CHANNELS_KEY</dt>
        <dd>{w.key ? `set (key id ${w.key.id}, ${w.key.source === 'passphrase' ? 'derived from a passphrase' : '32 random bytes'})` : 'not set: mailbox passwords cannot be stored'}</dd>
      </dl>
    </section>
  );
}

const OUTCOME_TONE: Record<MailLogLine['outcome'], Tone> = { created: 'ok', appended: 'info', ignored: 'muted' };
const OUTCOME_OPTIONS: Option[] = [
  { value: '', label: 'Any outcome' },
  { value: 'created', label: 'Created a case' },
  { value: 'appended', label: 'Added to a case' },
  { value: 'ignored', label: 'Ignored' },
];
const VIA_OPTIONS: Option[] = [
  { value: '', label: 'Any way in' },
  { value: 'imap', label: 'IMAP' },
  { value: 'smtp', label: 'SMTP receiver' },
  { value: 'http', label: 'HTTP inbound' },
];

function query(filter: MailLogFilter, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  if (filter.outcome) q.set('outcome', filter.outcome);
  if (filter.via) q.set('via', filter.via);
  if (filter.mailboxId !== null) q.set('mailbox', String(filter.mailboxId));
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function MailLogResults(p: { lines: MailLogLine[]; older: number | null; filter: MailLogFilter }) {
  return (
    <div id="mail-log-results" aria-live="polite">
      {p.lines.length === 0 ? (
        <EmptyState>No mail matches.</EmptyState>
      ) : (
        <ManageTable caption="Inbound mail" captionHidden head={['Received', 'Way in', 'From', 'Subject', 'Outcome', 'Reason', 'Case']} id="mail-log-table">
          {p.lines.map((l) => (
            <tr>
              <td>
                <Time at={l.at} />
              </td>
              <td>{l.mailbox ? `${l.via} · ${l.mailbox}` : l.via}</td>
              <td>{l.from ?? '—'}</td>
              <td class="cell-note">{l.subject ?? '—'}</td>
              <td>
                <Badge tone={OUTCOME_TONE[l.outcome]}>{l.outcome}</Badge>
              </td>
              <td>{l.reason ? <Badge tone={l.reason === 'malformed' || l.reason === 'too-large' || l.reason.startsWith('failed') ? 'warning' : 'neutral'}>{l.reason}</Badge> : '—'}</td>
              <td>{l.case ? <a href={`/cases/${l.case}`}>{l.case}</a> : '—'}</td>
            </tr>
          ))}
        </ManageTable>
      )}
      {p.older !== null ? (
        <p>
          <a href={`${CHANNELS}${query(p.filter, { before: String(p.older) })}#mail-log`} id="mail-log-older">
            Older mail
          </a>
        </p>
      ) : null}
    </div>
  );
}

/** The channel's log: what became of every mail received (inbound_mail), newest first. */
export function MailLogSection(p: { lines: MailLogLine[]; older: number | null; filter: MailLogFilter; mailboxes: MailboxView[] }) {
  const mailboxOptions: Option[] = [{ value: '', label: 'Any mailbox' }, ...p.mailboxes.map((m) => ({ value: String(m.id), label: m.name }))];
  return (
    <section aria-labelledby="mail-log-heading" class="panel" id="mail-log">
      <h2 id="mail-log-heading">Inbound mail log</h2>
      <p class="muted">Every mail received, duplicates and refusals included (malformed, too large, auto-replies, bounces…), newest first, 50 at a time.</p>
      <form class="search-form" method="get" action={CHANNELS} role="search" hx-get={CHANNELS} hx-target="#mail-log-results" hx-swap="outerHTML" hx-trigger="change, submit" hx-push-url="true" data-url-fields>
        <SelectField id="mail-log-outcome" name="outcome" label="Outcome" options={OUTCOME_OPTIONS} value={p.filter.outcome ?? ''} />
        <SelectField id="mail-log-via" name="via" label="Way in" options={VIA_OPTIONS} value={p.filter.via ?? ''} />
        <SelectField id="mail-log-mailbox" name="mailbox" label="Mailbox" options={mailboxOptions} value={p.filter.mailboxId === null ? '' : String(p.filter.mailboxId)} />
        <Button variant="secondary" id="mail-log-filter">
          Show
        </Button>
      </form>
      <MailLogResults lines={p.lines} older={p.older} filter={p.filter} />
    </section>
  );
}
