/**
 * `/manage/webhooks` (admins): webhook subscriptions, the form to add one (its signing
 * secret shown once, right after), and a subscription's page with its delivery log, replay,
 * enable and delete. Plain forms: everything works without JavaScript.
 */
import type { Child } from 'hono/jsx';
import type { DeliveryView } from '../../../src/webhooks/delivery-log.js';
import type { WebhookView } from '../../../src/webhooks/subscriptions.js';
import { Alert, Badge, Button, CsrfField, EmptyState, Field, FormError, PageHeader, Time, type FormState, type Tone } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { ManagePage, ManageTable } from './parts.js';

export const WEBHOOKS = '/manage/webhooks';

function Frame(p: { title: string; viewer: Viewer; csrfToken: string; eyebrow?: Child; notice?: string | null; children: Child }) {
  return (
    <ManagePage title={p.title} viewer={p.viewer} csrfToken={p.csrfToken} current={WEBHOOKS}>
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

function StateBadge({ w }: { w: WebhookView }) {
  if (!w.enabled) return <Badge tone="danger">disabled</Badge>;
  if (w.failingSince) return <Badge tone="warning">failing</Badge>;
  return <Badge tone="ok">active</Badge>;
}

export interface EventOption {
  type: string;
  description: string;
}

function NewWebhookForm(p: { csrfToken: string; state: FormState; events: EventOption[]; chosen: string[] }) {
  // A bad event type is an issue at `events.<n>`: shown on the events fieldset too.
  const error = p.state.errors?.events ?? Object.entries(p.state.errors ?? {}).find(([path]) => path.startsWith('events.'))?.[1];
  return (
    <form id="webhook-form" class="panel stack" method="post" action={WEBHOOKS}>
      <h2>Add a webhook</h2>
      <CsrfField token={p.csrfToken} />
      <FormError state={p.state} />
      <Field id="webhook-url" name="url" label="Endpoint URL" hint="https://… — private and loopback addresses are refused." required maxlength={2000} state={p.state} />
      <Field id="webhook-description" name="description" label="Description" maxlength={200} state={p.state} />
      <fieldset class={error ? 'field has-error' : 'field'}>
        <legend>Events</legend>
        {error ? (
          <p class="field-error" id="webhook-events-error">
            {error}
          </p>
        ) : null}
        {p.events.map((e) => (
          <label class="checkbox">
            <input type="checkbox" name="events" value={e.type} checked={p.chosen.includes(e.type)} /> <code>{e.type}</code> <span class="muted">{e.description}</span>
          </label>
        ))}
      </fieldset>
      <Button id="webhook-save">Add webhook</Button>
    </form>
  );
}

export function WebhooksPage(p: { viewer: Viewer; csrfToken: string; webhooks: WebhookView[]; events: EventOption[]; state: FormState; chosen: string[]; notice: string | null }) {
  return (
    <Frame title="Webhooks" viewer={p.viewer} csrfToken={p.csrfToken} notice={p.notice}>
      <p class="lead">Casebook POSTs events to these endpoints, signed with the Standard Webhooks scheme (docs/integrations.md). Failed deliveries are retried for a day; an endpoint that keeps failing is disabled and admins are mailed.</p>
      <section class="panel" aria-labelledby="webhooks-heading">
        <h2 id="webhooks-heading">Subscriptions</h2>
        {p.webhooks.length === 0 ? (
          <EmptyState>
            <p>No webhooks yet.</p>
          </EmptyState>
        ) : (
          <ManageTable caption="Webhook subscriptions" captionHidden head={['Endpoint', 'Events', 'State', 'Added']} id="webhooks">
            {p.webhooks.map((w) => (
              <tr>
                <td>
                  <a href={`${WEBHOOKS}/${w.id}`}>{w.url}</a>
                  {w.description ? <p class="muted">{w.description}</p> : null}
                </td>
                <td>{w.events.join(', ')}</td>
                <td>
                  <StateBadge w={w} />
                </td>
                <td>
                  <Time at={w.createdAt} /> <span class="muted">by {w.createdBy}</span>
                </td>
              </tr>
            ))}
          </ManageTable>
        )}
      </section>
      <NewWebhookForm csrfToken={p.csrfToken} state={p.state} events={p.events} chosen={p.chosen} />
    </Frame>
  );
}

const STATUS_TONE: Record<string, Tone> = { succeeded: 'ok', retrying: 'warning', pending: 'info', failed: 'danger' };

function DeliveryRow(p: { d: DeliveryView; webhookId: number; csrfToken: string; enabled: boolean }) {
  return (
    <tr id={`delivery-${p.d.id}`}>
      <td>
        <code>{p.d.eventType}</code>
        <p class="muted">
          <Time at={p.d.createdAt} />
          {p.d.replayOf !== null ? ` · replay of #${p.d.replayOf}` : ''}
        </p>
      </td>
      <td>
        <Badge tone={STATUS_TONE[p.d.status] ?? 'muted'}>{p.d.status}</Badge>
        {p.d.nextAttemptAt ? (
          <p class="muted">
            next attempt <Time at={p.d.nextAttemptAt} />
          </p>
        ) : null}
      </td>
      <td>
        {p.d.log.length === 0 ? (
          <span class="muted">not tried yet</span>
        ) : (
          <ul class="plain-list attempts">
            {p.d.log.map((a) => (
              <li>
                {`#${a.attempt} `}
                <Time at={a.at} />
                {` · ${a.responseStatus ?? 'no answer'} · ${a.durationMs} ms`}
                {a.retryAfter ? ` · Retry-After: ${a.retryAfter}` : null}
                {a.error ? <span class="field-error">{` · ${a.error}`}</span> : null}
              </li>
            ))}
          </ul>
        )}
      </td>
      <td>
        {p.enabled ? (
          <form method="post" action={`${WEBHOOKS}/${p.webhookId}/deliveries/${p.d.id}/replay`}>
            <CsrfField token={p.csrfToken} />
            <Button variant="secondary" id={`replay-${p.d.id}`}>
              Replay
            </Button>
          </form>
        ) : null}
      </td>
    </tr>
  );
}

/** The grace periods the rotation form offers (hours; the API takes any whole number 0–168). */
const GRACE_CHOICES: [number, string][] = [
  [1, '1 hour'],
  [24, '24 hours'],
  [72, '3 days'],
  [168, '7 days'],
  [0, 'none: the old secret stops at once'],
];

/**
 * The signing secret: rotating it, whether the old one still signs, and how a receiver checks
 * a signature (docs/integrations.md, *Rotating the secret*).
 */
function SecretPanel(p: { w: WebhookView; csrfToken: string; now: number }) {
  const until = p.w.previousSecretUntil;
  const overlapping = until !== null && Date.parse(until) > p.now;
  return (
    <section class="panel stack" aria-labelledby="secret-heading">
      <h2 id="secret-heading">Signing secret</h2>
      {overlapping ? (
        <p id="secret-overlap">
          Rotated: deliveries are signed with the new and the old secret until <Time at={until} />, then with the new one only. Switch the receiver to the new
          secret before then.
        </p>
      ) : (
        <p id="secret-single">Deliveries are signed with one secret.</p>
      )}
      <p class="muted">
        The <code>webhook-signature</code> header lists one <code>v1,&lt;signature&gt;</code> per secret that signs, separated by spaces (two during a
        rotation, the new one first). A receiver accepts a request when any one of them matches the secret it holds, so it keeps working with the old secret
        until it is given the new one, and with the new one from then on.
      </p>
      <form method="post" action={`${WEBHOOKS}/${p.w.id}/rotate-secret`} class="stack">
        <CsrfField token={p.csrfToken} />
        <label for="grace-hours">The old secret also signs for</label>
        <select id="grace-hours" name="graceHours">
          {GRACE_CHOICES.map(([hours, label]) => (
            <option value={String(hours)} selected={hours === 24}>
              {label}
            </option>
          ))}
        </select>
        <div class="actions">
          <Button id="webhook-rotate">Rotate secret</Button>
        </div>
      </form>
    </section>
  );
}

export function WebhookPage(p: {
  viewer: Viewer;
  csrfToken: string;
  webhook: WebhookView;
  deliveries: DeliveryView[];
  olderBefore?: number | null;
  secret: string | null;
  /** The secret is a rotation's (the old one still signs), not a new subscription's. */
  rotated?: boolean;
  now: number;
  notice: string | null;
}) {
  const w = p.webhook;
  return (
    <Frame title={`Webhook ${w.id}`} viewer={p.viewer} csrfToken={p.csrfToken} notice={p.notice} eyebrow={<a href={WEBHOOKS}>Webhooks</a>}>
      {p.secret ? (
        <Alert tone="info" id="webhook-secret">
          <p>
            {p.rotated ? 'The new signing secret' : 'The signing secret'}, shown this once — store it with the receiver now: <code id="secret-value">{p.secret}</code>
          </p>
        </Alert>
      ) : null}
      {!w.enabled ? (
        <Alert tone="error" id="webhook-disabled">
          <p>Disabled{w.disabledReason ? `: ${w.disabledReason}` : ''}. Nothing is sent until it is enabled again.</p>
        </Alert>
      ) : null}
      <section class="panel stack" aria-labelledby="webhook-heading">
        <h2 id="webhook-heading">Endpoint</h2>
        <dl class="facts">
          <dt>URL</dt>
          <dd>
            <code>{w.url}</code>
          </dd>
          <dt>Events</dt>
          <dd>{w.events.join(', ')}</dd>
          <dt>State</dt>
          <dd>
            <StateBadge w={w} />
          </dd>
          {w.description ? (
            <>
              <dt>Description</dt>
              <dd>{w.description}</dd>
            </>
          ) : null}
        </dl>
        <div class="actions">
          {!w.enabled ? (
            <form method="post" action={`${WEBHOOKS}/${w.id}/enable`}>
              <CsrfField token={p.csrfToken} />
              <Button id="webhook-enable">Enable again</Button>
            </form>
          ) : null}
          <form method="post" action={`${WEBHOOKS}/${w.id}/delete`}>
            <CsrfField token={p.csrfToken} />
            <Button variant="danger" id="webhook-delete">
              Delete webhook
            </Button>
          </form>
        </div>
      </section>
      <SecretPanel w={w} csrfToken={p.csrfToken} now={p.now} />
      <section class="panel" aria-labelledby="deliveries-heading">
        <h2 id="deliveries-heading">Deliveries</h2>
        {p.deliveries.length === 0 ? (
          <EmptyState>
            <p>Nothing delivered yet.</p>
          </EmptyState>
        ) : (
          <ManageTable caption="Deliveries, newest first" captionHidden head={['Event', 'Status', 'Attempts', '']} id="deliveries">
            {p.deliveries.map((d) => (
              <DeliveryRow d={d} webhookId={w.id} csrfToken={p.csrfToken} enabled={w.enabled} />
            ))}
          </ManageTable>
        )}
        {p.olderBefore != null ? (
          <p>
            <a id="deliveries-older" href={`${WEBHOOKS}/${w.id}?before=${p.olderBefore}#deliveries-heading`}>
              Older deliveries
            </a>
          </p>
        ) : null}
        {w.enabled ? (
          <form method="post" action={`${WEBHOOKS}/${w.id}/deliveries/replay`}>
            <CsrfField token={p.csrfToken} />
            <p class="muted">After an outage: every message whose delivery failed and that has not reached the endpoint since is sent again, once each.</p>
            <Button id="deliveries-replay-failed">Send failed messages again</Button>
          </form>
        ) : null}
      </section>
    </Frame>
  );
}
