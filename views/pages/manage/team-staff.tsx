/**
 * `/manage/team`, the staff half: the create and edit forms of a staff member (role, queues,
 * skills, capacity, chat limit), the one-time set-password link shown after creating one, and
 * deactivating. The lists and queues are in team.tsx.
 */
import type { StaffRow } from '../../../src/team/staff.js';
import { DEFAULT_CHAT_LIMIT } from '../../../src/users/create-user.js';
import { Button, CsrfField, Field, FormError, SelectField, Time, type FormState, type Option } from '../../components.js';
import type { Viewer } from '../../viewer.js';
import { ROLE_LABELS, StatusBadge, TeamFrame, TEAM } from './team.js';

export interface QueueChoice {
  id: string;
  name: string;
  tier: number;
}

function QueueChecks(p: { name: string; queues: QueueChoice[]; selected: string[]; state: FormState; idPrefix: string }) {
  const error = p.state.errors?.[p.name];
  return (
    <fieldset class={error ? 'field has-error' : 'field'} aria-describedby={error ? `${p.idPrefix}-error` : `${p.idPrefix}-hint`}>
      <legend>Queues</legend>
      <p class="hint" id={`${p.idPrefix}-hint`}>
        Plain agents work tier-1 queues only.
      </p>
      <div class="checks">
        {p.queues.map((q) => (
          <label class="check" for={`${p.idPrefix}-${q.id}`}>
            <input type="checkbox" id={`${p.idPrefix}-${q.id}`} name={p.name} value={q.id} checked={p.selected.includes(q.id)} />
            {`${q.name} (tier ${q.tier})`}
          </label>
        ))}
      </div>
      {error ? (
        <p class="field-error" id={`${p.idPrefix}-error`}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

export interface StaffFormData {
  roles: Option[];
  queues: QueueChoice[];
  /** Queues checked. */
  selected: string[];
}

export function StaffForm(p: { csrfToken: string; state: FormState; member: StaffRow | null; data: StaffFormData; inactiveMemberships?: string[] }) {
  const m = p.member;
  const action = m ? `${TEAM}/staff/${m.id}` : `${TEAM}/staff`;
  const availableChecked = p.state.values ? p.state.values.available === 'on' : (m?.available ?? false);
  return (
    <form id="staff-form" class="panel stack" method="post" action={action} hx-post={action} hx-target="this" hx-swap="outerHTML">
      <CsrfField token={p.csrfToken} />
      <FormError state={p.state} />
      <div class="form-grid">
        {m ? null : <Field id="staff-email" name="email" label="Email address" type="email" required maxlength={254} autocomplete="off" state={p.state} />}
        <Field id="staff-name" name="name" label="Name" required maxlength={200} state={p.state} value={m?.name ?? ''} />
        <SelectField id="staff-role" name="role" label="Role" options={p.data.roles} state={p.state} value={m?.role ?? 'agent'} />
        <Field id="staff-capacity" name="capacity" label="Capacity (open cases at once)" type="number" required state={p.state} value={String(m?.capacity ?? 10)} attrs={{ min: 0, max: 1000, inputmode: 'numeric' }} />
        <Field id="staff-chat-limit" name="chatLimit" label="Chat limit (live chats at once)" hint="Chats count toward capacity too." type="number" required state={p.state} value={String(m?.chatLimit ?? DEFAULT_CHAT_LIMIT)} attrs={{ min: 0, max: 100, inputmode: 'numeric' }} />
        <div class="wide">
          <Field id="staff-skills" name="skills" label="Skills" hint="Separated by commas, e.g. refunds, vat." maxlength={2000} state={p.state} value={m?.skills.join(', ') ?? ''} />
        </div>
        <div class="wide">
          <QueueChecks name="queues" queues={p.data.queues} selected={p.data.selected} state={p.state} idPrefix="staff-queue" />
          {p.inactiveMemberships?.length ? <p class="hint">{`Also a member of the inactive queue${p.inactiveMemberships.length === 1 ? '' : 's'} ${p.inactiveMemberships.join(', ')} (kept).`}</p> : null}
        </div>
        {m ? (
          <div class="wide">
            <label class="check" for="staff-available">
              <input type="checkbox" id="staff-available" name="available" value="on" checked={availableChecked} />
              Available for new cases
            </label>
          </div>
        ) : null}
      </div>
      <Button id="staff-save">{m ? 'Save' : 'Add staff member'}</Button>
    </form>
  );
}

export function NewStaffPage(p: { viewer: Viewer; csrfToken: string; state: FormState; data: StaffFormData }) {
  return (
    <TeamFrame title="Add a staff member" viewer={p.viewer} csrfToken={p.csrfToken} nav="people" eyebrow={<a href={TEAM}>Team</a>}>
      <p class="lead">They get a one-time link to choose a password (valid for 7 days) and start away until they switch themselves to available.</p>
      <StaffForm csrfToken={p.csrfToken} state={p.state} member={null} data={p.data} />
    </TeamFrame>
  );
}

export interface CreatedStaff {
  id: number;
  name: string;
  email: string;
  link: { url: string; expiresAt: number } | null;
}

/** What adding a staff member answers: the one-time link, shown only now. */
export function StaffCreatedPanel({ created }: { created: CreatedStaff }) {
  return (
    <section class="panel stack" id="staff-created" aria-labelledby="staff-created-heading">
      <h2 id="staff-created-heading">{`${created.name} was added`}</h2>
      {created.link ? (
        <>
          <p>
            {`Send ${created.name} (${created.email}) this link to choose a password. It works once and expires on `}
            <Time at={created.link.expiresAt} />
            {'; it is shown only now.'}
          </p>
          <p class="link-box" id="set-password-link">
            {created.link.url}
          </p>
        </>
      ) : null}
      <p>
        <a href={`${TEAM}/staff/${created.id}`}>{`Open ${created.name}’s page`}</a> · <a href={TEAM}>Back to the team</a>
      </p>
    </section>
  );
}

export function StaffCreatedPage(p: { viewer: Viewer; csrfToken: string; created: CreatedStaff }) {
  return (
    <TeamFrame title="Staff member added" viewer={p.viewer} csrfToken={p.csrfToken} nav="people" eyebrow={<a href={TEAM}>Team</a>}>
      <StaffCreatedPanel created={p.created} />
    </TeamFrame>
  );
}

export function StaffPage(p: { viewer: Viewer; csrfToken: string; member: StaffRow; state: FormState; data: StaffFormData; inactiveMemberships: string[]; openCases: number; self: boolean; notice: string | null }) {
  const m = p.member;
  return (
    <TeamFrame title={m.name} viewer={p.viewer} csrfToken={p.csrfToken} nav="people" eyebrow={<a href={TEAM}>Team</a>} notice={p.notice} actions={<StatusBadge active={m.active} />}>
      <p class="muted">{`${m.email} · ${ROLE_LABELS[m.role]} · ${p.openCases} open case${p.openCases === 1 ? '' : 's'} assigned`}</p>
      {m.active ? <StaffForm csrfToken={p.csrfToken} state={p.state} member={m} data={p.data} inactiveMemberships={p.inactiveMemberships} /> : null}
      <section class="panel danger-zone" aria-labelledby="staff-status-heading">
        <h2 id="staff-status-heading">{m.active ? 'Deactivate' : 'Reactivate'}</h2>
        {p.self ? (
          <p>You cannot deactivate yourself.</p>
        ) : m.active ? (
          <form method="post" action={`${TEAM}/staff/${m.id}/deactivate`} id="deactivate-staff-form" class="stack" hx-boost="true" hx-push-url="false">
            <CsrfField token={p.csrfToken} />
            <p>{`${m.name} will not be able to sign in; ${p.openCases === 0 ? 'no cases are assigned to them' : p.openCases === 1 ? 'their open case goes back to automatic assignment' : `their ${p.openCases} open cases go back to automatic assignment`}.`}</p>
            <Button variant="danger" id="staff-deactivate">
              Deactivate
            </Button>
          </form>
        ) : (
          <form method="post" action={`${TEAM}/staff/${m.id}/reactivate`} id="reactivate-staff-form" class="stack" hx-boost="true" hx-push-url="false">
            <CsrfField token={p.csrfToken} />
            <p>They can sign in again and start away.</p>
            <Button id="staff-reactivate">Reactivate</Button>
          </form>
        )}
      </section>
    </TeamFrame>
  );
}
