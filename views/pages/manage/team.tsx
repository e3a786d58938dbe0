/**
 * `/manage/team`: queues and staff — the lists; the queue create and edit forms, deactivating
 * and reactivating. Staff forms are in team-staff.tsx; the problem library and customers in
 * team-library.tsx.
 */
import type { Child } from 'hono/jsx';
import type { StaffRole } from '../../../src/db/schema/index.js';
import { channelsText, type QueueChannels, type QueueListRow, type QueueRow, type QueueUse } from '../../../src/team/queues.js';
import type { StaffListRow } from '../../../src/team/staff.js';
import { Alert, Badge, Button, CsrfField, EmptyState, Field, FormError, PageHeader, SelectField, type FormState, type Option } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { ManagePage, ManageTable } from './parts.js';
import { CHAT_SITES } from './chat-sites.js';
import { MAILBOXES } from './channels.js';
import { ReportsStyles } from './reports-parts.js';

export const TEAM = '/manage/team';

export const ROLE_LABELS: Record<StaffRole, string> = { agent: 'Agent (tier 1)', advanced: 'Advanced agent (tier 2)', manager: 'Manager', admin: 'Admin' };
const TIER_OPTIONS: Option[] = [
  { value: '1', label: 'Tier 1 (first line)' },
  { value: '2', label: 'Tier 2 (advanced support)' },
];
const WAITING_ORDER_OPTIONS: Option[] = [
  { value: 'priority', label: 'By priority, then oldest first' },
  { value: 'fifo', label: 'First come, first served (ignore priority)' },
];

export function TeamNav({ current }: { current: 'people' | 'problems' | 'customers' }) {
  const link = (href: string, key: typeof current, label: string) => (
    <li>
      <a href={href} aria-current={current === key ? 'page' : undefined}>
        {label}
      </a>
    </li>
  );
  return (
    <nav aria-label="Team">
      <ul class="subnav">
        {link(TEAM, 'people', 'Queues and staff')}
        {link(`${TEAM}/problems`, 'problems', 'Problem library')}
        {link(`${TEAM}/customers`, 'customers', 'Customers')}
      </ul>
    </nav>
  );
}

/** Every team page: the console frame, the stylesheets, the team navigation, a notice. */
export function TeamFrame(p: { title: string; viewer: Viewer; csrfToken: string; nav: 'people' | 'problems' | 'customers'; eyebrow?: Child; actions?: Child; notice?: string | null; children: Child }) {
  return (
    <ManagePage title={p.title} viewer={p.viewer} csrfToken={p.csrfToken} current={TEAM}>
      <ReportsStyles />
      <PageHeader eyebrow={p.eyebrow ?? 'Manage · Team'} title={p.title} actions={p.actions} />
      <TeamNav current={p.nav} />
      {p.notice ? (
        <Alert tone="ok" id="notice">
          <p>{p.notice}</p>
        </Alert>
      ) : null}
      {p.children}
    </ManagePage>
  );
}

export function StatusBadge({ active }: { active: boolean }) {
  return active ? <Badge tone="ok">active</Badge> : <Badge tone="muted">inactive</Badge>;
}

export function TeamPage(p: { viewer: Viewer; csrfToken: string; queues: QueueListRow[]; staff: StaffListRow[]; notice: string | null }) {
  return (
    <TeamFrame title="Team" viewer={p.viewer} csrfToken={p.csrfToken} nav="people" notice={p.notice}>
      <section aria-labelledby="queues-heading" class="panel">
        <div class="section-head">
          <h2 id="queues-heading">Queues</h2>
          <a class="button button-secondary" href={`${TEAM}/queues/new`} id="new-queue">
            New queue
          </a>
        </div>
        <ManageTable caption="Queues" captionHidden head={['Queue', 'Id', 'Tier', 'Open cases', 'Waiting', 'Waiting order and alert', 'Members', 'Status']} id="queues-table">
          {p.queues.map((q) => (
            <tr class={q.active ? undefined : 'row-inactive'}>
              <td>
                <a href={`${TEAM}/queues/${q.id}`}>{q.name}</a>
                {q.description ? <p class="muted">{q.description}</p> : null}
              </td>
              <td>
                <code>{q.id}</code>
              </td>
              <td>{`Tier ${q.tier}`}</td>
              <td class="num">{String(q.openCases)}</td>
              <td class="num">{String(q.waiting)}</td>
              <td>{`${q.waitingOrder === 'fifo' ? 'First come, first served' : 'By priority'} · ${q.waitAlertMinutes === null ? 'alert: server default' : q.waitAlertMinutes === 0 ? 'no alert' : `alert after ${q.waitAlertMinutes} min`}`}</td>
              <td class="num">{String(q.members)}</td>
              <td>
                <StatusBadge active={q.active} />
              </td>
            </tr>
          ))}
        </ManageTable>
      </section>
      <section aria-labelledby="staff-heading" class="panel">
        <div class="section-head">
          <h2 id="staff-heading">Staff</h2>
          <a class="button button-secondary" href={`${TEAM}/staff/new`} id="new-staff">
            Add staff member
          </a>
        </div>
        {p.staff.length === 0 ? (
          <EmptyState>No staff yet.</EmptyState>
        ) : (
          <ManageTable caption="Staff" captionHidden head={['Name', 'Role', 'Queues', 'Skills', 'Open cases / capacity', 'Availability', 'Status']} id="staff-table">
            {p.staff.map((s) => (
              <tr class={s.active ? undefined : 'row-inactive'}>
                <td>
                  <a href={`${TEAM}/staff/${s.id}`}>{s.name}</a>
                  <p class="muted">{s.email}</p>
                </td>
                <td>{ROLE_LABELS[s.role]}</td>
                <td>{s.queues.join(', ') || '—'}</td>
                <td>{s.skills.join(', ') || '—'}</td>
                <td class="num">{`${s.load} / ${s.capacity}`}</td>
                <td>{s.active ? s.available ? <Badge tone="ok">available</Badge> : <Badge tone="muted">away</Badge> : '—'}</td>
                <td>
                  <StatusBadge active={s.active} />
                </td>
              </tr>
            ))}
          </ManageTable>
        )}
      </section>
    </TeamFrame>
  );
}

/* Queues */

/** The queue form; `defaultWaitAlert` is the server's QUEUE_WAIT_ALERT_MINUTES. */
export function QueueForm(p: { csrfToken: string; state: FormState; queue: QueueRow | null; defaultWaitAlert: number }) {
  const serverDefault = p.defaultWaitAlert === 0 ? 'never' : `${p.defaultWaitAlert} min`;
  const action = p.queue ? `${TEAM}/queues/${p.queue.id}` : `${TEAM}/queues`;
  return (
    <form id="queue-form" class="panel stack" method="post" action={action} hx-post={action} hx-target="this" hx-swap="outerHTML">
      <CsrfField token={p.csrfToken} />
      <FormError state={p.state} />
      <div class="form-grid">
        {p.queue ? null : (
          <Field id="queue-id" name="id" label="Id" hint="Used by rules, e.g. returns. Lower-case letters, digits, - and _. It cannot change later." required maxlength={40} state={p.state} />
        )}
        <Field id="queue-name" name="name" label="Name" required maxlength={100} state={p.state} value={p.queue?.name ?? ''} />
        <SelectField id="queue-tier" name="tier" label="Tier" options={TIER_OPTIONS} state={p.state} value={String(p.queue?.tier ?? 1)} />
        <SelectField id="queue-waiting-order" name="waitingOrder" label="Waiting cases are taken" options={WAITING_ORDER_OPTIONS} state={p.state} value={p.queue?.waitingOrder ?? 'priority'} />
        <Field
          id="queue-wait-alert"
          name="waitAlertMinutes"
          label="Alert managers when a case waits longer than (minutes)"
          hint={`Empty: the server default (${serverDefault}); 0: never.`}
          maxlength={5}
          attrs={{ inputmode: 'numeric' }}
          state={p.state}
          value={p.queue?.waitAlertMinutes === null || p.queue?.waitAlertMinutes === undefined ? '' : String(p.queue.waitAlertMinutes)}
        />
        <Field id="queue-slack" name="slackWebhookUrl" label="Slack / Mattermost incoming webhook" hint="For notify rules with the slack target; empty: none." maxlength={2000} state={p.state} value={p.queue?.slackWebhookUrl ?? ''} />
        <Field id="queue-teams" name="teamsWebhookUrl" label="Microsoft Teams incoming webhook" hint="For notify rules with the teams target; empty: none." maxlength={2000} state={p.state} value={p.queue?.teamsWebhookUrl ?? ''} />
        <div class="wide">
          <Field id="queue-description" name="description" label="Description" rows={3} maxlength={500} state={p.state} value={p.queue?.description ?? ''} />
        </div>
      </div>
      <Button id="queue-save">{p.queue ? 'Save queue' : 'Create queue'}</Button>
    </form>
  );
}

export function NewQueuePage(p: { viewer: Viewer; csrfToken: string; state: FormState; defaultWaitAlert: number }) {
  return (
    <TeamFrame title="New queue" viewer={p.viewer} csrfToken={p.csrfToken} nav="people" eyebrow={<a href={TEAM}>Team</a>}>
      <QueueForm csrfToken={p.csrfToken} state={p.state} queue={null} defaultWaitAlert={p.defaultWaitAlert} />
    </TeamFrame>
  );
}

export interface QueuePageData {
  queue: QueueRow;
  openCases: number;
  /** Mailboxes and chat sites whose new cases start in the queue. */
  channels: QueueChannels;
  /** Workflow versions of the (tier-2) queue's open cases without a transition on `case.deescalated`. */
  noDeescalation: string[];
  uses: QueueUse[];
  /** The published escalations that need this (active) queue: deactivating it is refused while there are any. */
  neededBy: string[];
  targets: Option[];
  fallback: boolean;
  /** QUEUE_WAIT_ALERT_MINUTES, for queues without their own wait alert. */
  defaultWaitAlert: number;
}

/** The mailboxes and chat sites whose default queue this is, linked, and the queue they take instead. */
function QueueChannelsPart(p: { channels: QueueChannels; targets: Option[]; state: FormState }) {
  const { mailboxes, chatSites } = p.channels;
  const n = mailboxes.length + chatSites.length;
  if (n === 0) return null;
  const what = channelsText({ mailboxes: mailboxes.length, chatSites: chatSites.length });
  return (
    <>
      <p>{`New cases from ${what} start in this queue; ${n === 1 ? 'it starts' : 'they start'} in the queue you choose instead (their settings are changed with the deactivation, in the audit log):`}</p>
      <ul class="plain-list" id="queue-channels">
        {mailboxes.map((m) => (
          <li>
            {'Mailbox '}
            <a href={`${MAILBOXES}/${m.id}`}>{m.name}</a>
            {m.enabled ? '' : ' (disabled)'}
          </li>
        ))}
        {chatSites.map((site) => (
          <li>
            {'Chat site '}
            <a href={`${CHAT_SITES}/${site.id}`}>{site.name}</a>
            {site.active ? '' : ' (inactive)'}
          </li>
        ))}
      </ul>
      <SelectField id="queue-channels-to" name="channelsTo" label="New cases from them start in" options={[{ value: '', label: 'Choose a queue' }, ...p.targets]} state={p.state} />
    </>
  );
}

export function DeactivateQueueForm(p: { csrfToken: string; data: QueuePageData; state: FormState }) {
  const { queue, openCases } = p.data;
  const action = `${TEAM}/queues/${queue.id}/deactivate`;
  return (
    <form id="deactivate-queue-form" class="stack" method="post" action={action} hx-post={action} hx-target="this" hx-swap="outerHTML">
      <CsrfField token={p.csrfToken} />
      <FormError state={p.state} />
      {p.data.neededBy.length > 0 && !p.state.errors?.['(form)'] ? (
        <p id="queue-needed-by">{`Published escalations need this queue: ${p.data.neededBy.join('; ')}. Publish them without it first, or the deactivation is refused.`}</p>
      ) : null}
      <p>{openCases === 0 ? 'No open cases are in this queue.' : `${openCases} open case${openCases === 1 ? ' is' : 's are'} in this queue; ${openCases === 1 ? 'it moves' : 'they move'} to the queue you choose (and are reassigned there).`}</p>
      {openCases > 0 && p.data.noDeescalation.length > 0 ? (
        <p id="queue-no-deescalation">{`Moved to a tier-1 queue, cases leave their escalation state through their workflow's transition on case.deescalated; ${p.data.noDeescalation.join(', ')} ${p.data.noDeescalation.length === 1 ? 'has' : 'have'} none, so ${p.data.noDeescalation.length === 1 ? 'its' : 'their'} cases would keep their state (escalated). Publish a version with one (the shipped support workflow's deescalateAutomatically) and re-apply it first, or move them to another tier-2 queue.`}</p>
      ) : null}
      {openCases > 0 ? <SelectField id="queue-move-to" name="moveTo" label="Move open cases to" options={[{ value: '', label: 'Choose a queue' }, ...p.data.targets]} state={p.state} /> : null}
      <QueueChannelsPart channels={p.data.channels} targets={p.data.targets} state={p.state} />
      <Button variant="danger" id="queue-deactivate">
        Deactivate queue
      </Button>
    </form>
  );
}

export function QueuePage(p: { viewer: Viewer; csrfToken: string; data: QueuePageData; state: FormState; deactivate?: FormState; notice: string | null }) {
  const { queue, uses } = p.data;
  return (
    <TeamFrame title={`Queue: ${queue.name}`} viewer={p.viewer} csrfToken={p.csrfToken} nav="people" eyebrow={<a href={TEAM}>Team</a>} notice={p.notice} actions={<StatusBadge active={queue.active} />}>
      <p class="muted">
        Id <code>{queue.id}</code>
      </p>
      <QueueForm csrfToken={p.csrfToken} state={p.state} queue={queue} defaultWaitAlert={p.data.defaultWaitAlert} />
      <section class="panel danger-zone" aria-labelledby="queue-status-heading">
        <h2 id="queue-status-heading">{queue.active ? 'Deactivate' : 'Reactivate'}</h2>
        {uses.length > 0 ? (
          <>
            <p>Published definitions that send cases here{queue.active ? ' (after deactivating, routing falls back to the general queue)' : ''}:</p>
            <ul class="plain-list" id="queue-uses">
              {uses.map((u) => (
                <li>{`${u.definition}: ${u.where}`}</li>
              ))}
            </ul>
          </>
        ) : null}
        {p.data.fallback ? (
          <p>This is the fallback queue of routing: it stays active.</p>
        ) : queue.active ? (
          <DeactivateQueueForm csrfToken={p.csrfToken} data={p.data} state={p.deactivate ?? {}} />
        ) : (
          <form method="post" action={`${TEAM}/queues/${queue.id}/reactivate`} id="reactivate-queue-form" hx-boost="true" hx-push-url="false">
            <CsrfField token={p.csrfToken} />
            <p>Members keep their membership while the queue is inactive; reactivating lets routing and agents use it again.</p>
            <Button id="queue-reactivate">Reactivate queue</Button>
          </form>
        )}
      </section>
    </TeamFrame>
  );
}

/* Staff */
