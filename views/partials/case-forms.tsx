/**
 * Forms on a case page. Each works as a plain form (POST, then 303 back to the case) and
 * with htmx (the case page is swapped in place; a 422 swaps just the form back with its
 * messages). Form ids are stable so htmx can retarget and restore focus.
 */
import type { CaseChange, CustomerMessage } from '../../src/cases/stale-view.js';
import { clipText } from '../../src/text/clip-text.js';
import { SeenField, StaleWarning } from './collision.js';
import type { AvailableTransition } from '../../src/workflow/transition.js';
import { Alert, Button, CsrfField, SENDING, Time, Field, FileField, FILES_NOT_SENT, FormError, RadioGroup, SelectField, type FormState, type UploadLimits } from '../components.js';
import { ComposerActions, DraftAutosave, DraftStatus, MentionHelp, ModeBanner, ModeTabs, ReplyConfirmation, type ComposerDrafts, type ComposerMode, type ReplyConfirm } from './composer-parts.js';
import { MacroPicker, type MacroOption, type MacroPanelState } from './macro-picker.js';

export interface FormContext {
  ref: string;
  csrfToken: string;
  /** The attachment limits the message forms state. */
  uploads: UploadLimits;
}

/**
 * A form of the case page posted by htmx. While its answer is on its way it is read-only and
 * says so (`data-sending`, public/app.js): text typed into it meanwhile (more call notes, the
 * rest of a solution) would be replaced by the answer, the case page again, and lost.
 */
function actionAttrs(url: string) {
  return { method: 'post' as const, action: url, 'hx-post': url, 'data-sending': SENDING };
}

/** Forms with a file field: multipart, for plain posts and htmx alike. */
function uploadAttrs(url: string) {
  return { ...actionAttrs(url), enctype: 'multipart/form-data' as const };
}

const REQUIREMENT_LABELS: Record<string, string> = {
  solution: 'Solution (the customer sees it)',
  reason: 'Reason',
  note: 'Note',
};

/** Fields a transition takes without requiring them (its `allows`), shown in forms that open anyway. */
const OPTIONAL_LABELS: Record<string, string> = {
  note: 'Note (staff only)',
  reason: 'Reason',
  solution: 'Solution (the customer sees it)',
};

/** What a transition form held when it came back unused: its label and the texts typed into it. */
export interface GoneTransition {
  message: string;
  texts: { field: string; value: string }[];
}

/**
 * A transition form used from a page the case has moved on from (no JavaScript: htmx keeps the
 * form on screen and says why in #flash): the transition is no longer offered, so its form is
 * not there to keep the text — this says why and gives back what was typed, to copy.
 */
export function TransitionGone({ gone }: { gone: GoneTransition }) {
  return (
    <div class="alert alert-error stack" id="transition-gone" role="alert">
      <p>{`Nothing was done: ${gone.message}`}</p>
      {gone.texts.map((t) => (
        <div class="field">
          <label for={`transition-gone-${t.field}`}>{`What you wrote (${(OPTIONAL_LABELS[t.field] ?? t.field).replace(/ \(.*\)$/, '').toLowerCase()})`}</label>
          <textarea id={`transition-gone-${t.field}`} rows={4} readonly>
            {t.value}
          </textarea>
        </div>
      ))}
    </div>
  );
}

/** Staff: a public reply or an internal note (the mode, buttons and mentions: composer-parts.tsx). */
export interface ComposerProps {
  ctx: FormContext;
  state?: FormState | undefined;
  /** The transitions the viewer may use now: "Send and …" buttons. */
  transitions?: readonly AvailableTransition[];
  /** Colleagues a note may mention. */
  mentionable?: readonly { handle: string; name: string }[];
  /** Asking to confirm a public reply (after an internal note, mailed to an unverified chat address). */
  confirm?: ReplyConfirm | undefined;
  /** The macros the viewer may use: the picker (macro-picker.tsx). */
  macros?: readonly MacroOption[] | undefined;
  macro?: MacroPanelState | undefined;
  /** The newest timeline entry the page shows: a send from an older view is held back (collision.tsx). */
  seen?: number | undefined;
  /** Held back: what changed since, and the button that was used. */
  /** `gone`: why the "Send and …" first used is not offered now (then `then` is empty: Send anyway sends the message alone). */
  stale?: { changes: CaseChange[]; then: string; gone?: string | undefined } | undefined;
  /** A chat case: public replies go to the live chat while it is open. */
  chat?: boolean;
  /** The chat is open as the composer is shown: a public reply sent after it ended (it would be mailed) is held back to say so. */
  chatOpen?: boolean;
  /** The viewer's drafts (composer-parts.tsx DraftStatus): saved while typing, restored, and their buttons. */
  drafts?: ComposerDrafts | undefined;
}

/** The mode the composer opens in: the one last posted (it stays in note mode after a note). */
export function composerMode(state: FormState | undefined): ComposerMode {
  return state?.values?.visibility === 'internal' ? 'note' : 'public';
}

export function Composer(p: ComposerProps) {
  const mode = composerMode(p.state);
  return (
    <form id="composer" class={`panel stack composer composer-${mode}`} {...uploadAttrs(`/cases/${p.ctx.ref}/messages`)} data-sending={SENDING}>
      <h2 id="composer-heading">Reply or add a note</h2>
      <CsrfField token={p.ctx.csrfToken} />
      {p.seen !== undefined ? <SeenField seen={p.seen} /> : null}
      {p.chatOpen ? <input type="hidden" name="chatOpen" value="1" /> : null}
      <ModeTabs mode={mode} />
      <ModeBanner chat={p.chat === true} />
      <FormError state={p.state} />
      {p.stale ? <StaleWarning changes={p.stale.changes} then={p.stale.then} gone={p.stale.gone} /> : null}
      <Field id="composer-body" name="body" label="Message" rows={5} maxlength={20000} state={p.state} attrs={mentionPreviewAttrs(p.ctx.ref)} />
      {p.macros ? <MacroPicker caseRef={p.ctx.ref} macros={p.macros} state={p.macro} /> : null}
      <MentionHelp colleagues={p.mentionable ?? []} ref={p.ctx.ref} />
      {p.confirm ? <ReplyConfirmation confirm={p.confirm} /> : null}
      <FileField id="composer-files" name="files" label="Attach files (the customer sees them with a public reply)" limits={p.ctx.uploads} state={p.state} />
      {p.drafts ? <DraftStatus caseRef={p.ctx.ref} drafts={p.drafts} /> : null}
      {p.drafts ? <DraftAutosave caseRef={p.ctx.ref} drafts={p.drafts} /> : null}
      <ComposerActions transitions={p.transitions ?? []} />
    </form>
  );
}

/** htmx: while typing, the server says who the mentions will notify (composer-parts.tsx MentionPreview). */
function mentionPreviewAttrs(ref: string) {
  return {
    'hx-post': `/cases/${ref}/mentions`,
    'hx-trigger': 'input changed delay:500ms, change from:.composer-modes',
    'hx-target': '#composer-mentions',
    'hx-swap': 'outerHTML',
    'hx-sync': 'this:replace',
  };
}

/** Customer: reply on their own case. */
export function CustomerReply(p: { ctx: FormContext; state?: FormState | undefined }) {
  return (
    <form id="reply-form" class="panel stack" {...uploadAttrs(`/cases/${p.ctx.ref}/messages`)} data-sending="Sending your reply… The form is read-only until it has gone.">
      <h2>Reply</h2>
      <CsrfField token={p.ctx.csrfToken} />
      <input type="hidden" name="visibility" value="public" />
      <FormError state={p.state} />
      <Field id="reply-body" name="body" label="Your message" rows={5} maxlength={20000} state={p.state} hint="Or send only files: attach them below and leave this empty." />
      <FileField id="reply-files" name="files" label="Attach files" limits={p.ctx.uploads} state={p.state} />
      <Button id="reply-submit">Send reply</Button>
    </form>
  );
}

/**
 * A customer's reply to a case that was closed before it was sent (the page was open while the
 * case closed): it was not sent, and comes back as a new request — the subject naming the
 * closed case, the text as typed — in a plain form to `/portal/cases`, so nothing typed is
 * lost, with or without JavaScript. It stands where the reply form was (`#reply-form`).
 */
export function FollowUpRequest(p: { ctx: FormContext; subject: string; state: FormState }) {
  const values = p.state.values ?? {};
  const state: FormState = {
    values: {
      subject: clipText(`Follow-up to ${p.ctx.ref}: ${p.subject}`, 200),
      description: values.body ?? '',
      ...(values[FILES_NOT_SENT] ? { [FILES_NOT_SENT]: values[FILES_NOT_SENT] } : {}),
    },
  };
  return (
    <form id="reply-form" class="panel stack" method="post" action="/portal/cases" enctype="multipart/form-data">
      <h2>Your message was not sent</h2>
      <CsrfField token={p.ctx.csrfToken} />
      <p class="form-error" role="alert">
        {`${p.ctx.ref} was closed before your message reached us, so it was not sent. Send it as a new request: your text is below.`}
      </p>
      <Field id="followup-subject" name="subject" label="Subject" required maxlength={200} state={state} />
      <Field id="followup-description" name="description" label="Your message" rows={5} required maxlength={20000} state={state} />
      <FileField id="followup-files" name="files" label="Attach files" limits={p.ctx.uploads} state={state} />
      <Button id="followup-submit">Send as a new request</Button>
    </form>
  );
}

/** The hidden `seen` of a transition form (staff): the live poll keeps it current, out of band, like `#composer-seen`. */
export function TransitionSeenField({ name, seen, oob }: { name: string; seen: number; oob?: boolean }) {
  return <input type="hidden" name="seen" id={`transition-${name}-seen`} value={String(seen)} hx-swap-oob={oob ? 'true' : undefined} />;
}

/**
 * A transition held back: the customer wrote after the page was loaded (`seen`). Their
 * messages, what was typed kept in the form, and the button again as "… anyway" (the form
 * now carries a `seen` that includes them).
 */
function HeldWarning({ messages }: { messages: CustomerMessage[] }) {
  return (
    <Alert tone="error" id="transition-held">
      <p>
        <strong>{`Not done yet: the customer wrote since you opened this case (${messages.length === 1 ? '1 new message' : `${messages.length} new messages`}).`}</strong>
      </p>
      <ul class="stale-changes">
        {messages.map((m) => (
          <li>
            <a href={`#event-${m.id}`}>{`${m.name} wrote`}</a> <Time at={m.at} relative />
            <div class="message-body" dir="auto">{m.body}</div>
          </li>
        ))}
      </ul>
      <p>What you typed is kept below. Read it first; if it still stands, go ahead:</p>
    </Alert>
  );
}

/**
 * One transition's form: a button, plus fields for what the transition requires (and, when
 * it asks for something anyway, the optional fields it allows). Staff forms carry `seen`
 * (the newest timeline entry the page shows): a customer message after it holds back a
 * transition that answers the customer or closes the loop (`held`: the form comes back).
 */
export function TransitionForm(p: { ctx: FormContext; transition: AvailableTransition; state?: FormState | undefined; seen?: number | undefined; held?: CustomerMessage[] | undefined }) {
  const t = p.transition;
  const plain = t.requires.length === 0;
  const held = p.held !== undefined && p.held.length > 0;
  return (
    <form id={`transition-${t.name}`} class={plain && !held ? 'inline-form' : 'stack'} {...actionAttrs(`/cases/${p.ctx.ref}/transitions`)}>
      <CsrfField token={p.ctx.csrfToken} />
      <input type="hidden" name="transition" value={t.name} />
      {p.seen !== undefined ? <TransitionSeenField name={t.name} seen={p.seen} /> : null}
      <FormError state={p.state} />
      {held ? <HeldWarning messages={p.held!} /> : null}
      {t.requires.map((field) => (
        <Field id={`transition-${t.name}-${field}`} name={field} label={REQUIREMENT_LABELS[field] ?? field} rows={4} required maxlength={20000} state={p.state} />
      ))}
      {plain
        ? null
        : t.allows
            .filter((field) => !t.requires.includes(field))
            .map((field) => (
              <Field id={`transition-${t.name}-${field}`} name={field} label={`${OPTIONAL_LABELS[field] ?? field} (optional)`} rows={2} maxlength={20000} state={p.state} />
            ))}
      <Button variant={plain && !held ? 'secondary' : 'primary'} id={`transition-${t.name}-submit`}>
        {held ? `${t.label} anyway` : t.label}
      </Button>
    </form>
  );
}

/**
 * Buttons for exactly the transitions the workflow allows this role now; a transition
 * that requires a solution, reason or note opens a small form asking for it.
 */
export function TransitionForms(p: {
  ctx: FormContext;
  transitions: AvailableTransition[];
  failed?: { name: string; state: FormState; held?: CustomerMessage[] | undefined } | undefined;
  /** Staff: the newest timeline entry the page shows (each form's `seen`). */
  seen?: number | undefined;
}) {
  if (p.transitions.length === 0) return null;
  return (
    <ul class="transition-list">
      {p.transitions.map((t) => {
        const failed = p.failed?.name === t.name ? p.failed : undefined;
        const form = <TransitionForm ctx={p.ctx} transition={t} state={failed?.state} seen={p.seen} held={failed?.held} />;
        const state = failed?.state;
        if (t.requires.length === 0) return <li>{form}</li>;
        return (
          <li>
            <details class="disclosure" open={state !== undefined}>
              <summary class="button button-secondary">{`${t.label}…`}</summary>
              {form}
            </details>
          </li>
        );
      })}
    </ul>
  );
}

export interface ReassignProps {
  ctx: FormContext;
  queue: string;
  queues: { id: string; name: string; tier: number }[];
  assignees: { id: number; name: string; load: number; capacity: number }[];
  assigneeId: number | null;
  /** The case's tier: a queue of a higher tier means escalating. */
  tier: number;
  /** The viewer may assign beyond capacity (managers). */
  canOverride: boolean;
  state?: FormState | undefined;
}

function assigneeLabel(a: { name: string; load: number; capacity: number }): string {
  return `${a.name} (${a.load}/${a.capacity}${a.load >= a.capacity ? ', at capacity' : ''})`;
}

export function ReassignForm(p: ReassignProps) {
  // The queue by the name people know it by (an inactive queue is not in the list: its id then).
  const queueName = p.queues.find((q) => q.id === p.queue)?.name ?? p.queue;
  return (
    <form id="reassign-form" class="stack" {...actionAttrs(`/cases/${p.ctx.ref}/assignment`)}>
      <CsrfField token={p.ctx.csrfToken} />
      {/* Where the case was when the form was shown: a reassignment made since is not overridden (refreshed with the actions). */}
      <input type="hidden" name="shown" value={`${p.queue} ${p.assigneeId ?? '-'}`} />
      <FormError state={p.state} />
      <SelectField
        id="reassign-queue"
        name="queue"
        label="Queue"
        state={p.state}
        options={[
          { value: '', label: `Keep ${queueName}` },
          ...p.queues
            .filter((q) => q.id !== p.queue)
            .map((q) => ({ value: q.id, label: `${q.name} (tier ${q.tier})${q.tier > p.tier ? ': escalation, reason required' : ''}` })),
        ]}
      />
      <SelectField
        id="reassign-assignee"
        name="assignee"
        label={`Assignee (members of ${queueName})`}
        state={p.state}
        options={[
          { value: '', label: 'Keep as it is' },
          { value: 'auto', label: 'Automatic: the next available agent' },
          ...p.assignees.filter((a) => a.id !== p.assigneeId).map((a) => ({ value: String(a.id), label: assigneeLabel(a) })),
        ]}
      />
      {p.canOverride ? (
        <div class="field">
          <label for="reassign-override">
            <input type="checkbox" id="reassign-override" name="overrideCapacity" value="on" checked={p.state?.values?.overrideCapacity === 'on'} />
            {' Override capacity: assign even if they are at capacity (recorded on the timeline)'}
          </label>
        </div>
      ) : null}
      <Field
        id="reassign-reason"
        name="reason"
        label={p.queues.some((q) => q.tier > p.tier) ? 'Reason (required when moving to a higher tier: that is an escalation)' : 'Reason (optional)'}
        maxlength={2000}
        state={p.state}
      />
      <Button id="reassign-submit">Reassign</Button>
    </form>
  );
}

export function ReassignDisclosure(p: ReassignProps) {
  return (
    <details class="disclosure" open={p.state !== undefined}>
      <summary class="button button-secondary">Reassign…</summary>
      <ReassignForm {...p} />
    </details>
  );
}

export function RatingForm(p: { ctx: FormContext; rated: boolean; state?: FormState | undefined }) {
  return (
    <form id="rating-form" class="stack" {...actionAttrs(`/cases/${p.ctx.ref}/rating`)}>
      <CsrfField token={p.ctx.csrfToken} />
      <FormError state={p.state} />
      <RadioGroup
        idPrefix="rating-satisfied"
        name="satisfied"
        legend="Did we solve your problem?"
        state={p.state}
        options={[
          { value: 'yes', label: 'Yes, I am satisfied' },
          { value: 'no', label: 'No, I am not satisfied' },
        ]}
      />
      <Field id="rating-comment" name="comment" label="Comment (optional)" rows={3} maxlength={2000} state={p.state} />
      <Button id="rating-submit">{p.rated ? 'Change my rating' : 'Send rating'}</Button>
    </form>
  );
}

export interface CustomerEditProps {
  ctx: FormContext;
  customer: { name: string; email: string; tier: string; organization: string | null; phone: string | null };
  state?: FormState | undefined;
}

/** The customer who already has the address typed (`email-owner`: their console page, `email-owner-name`): a link under the form's error. */
function EmailOwner({ state }: { state?: FormState | undefined }) {
  const path = state?.errors?.['email-owner'];
  return path ? (
    <p class="hint" id="customer-email-owner">
      {'That address is '}
      <a href={path}>{state?.errors?.['email-owner-name'] ?? 'another customer'}</a>
      {'’s: open their profile, or give another address. Customers are never merged here.'}
    </p>
  ) : null;
}

const EMAIL_HINT = 'Their sign-in and reply address from now on: mail goes there, and their open sign-in links and sessions end.';

/** Managers and admins: change the customer's profile (recorded with who changed what). */
export function CustomerEditForm(p: CustomerEditProps) {
  return (
    <form id="customer-form" class="stack" {...actionAttrs(`/cases/${p.ctx.ref}/customer`)}>
      <CsrfField token={p.ctx.csrfToken} />
      {/* What the form shows: only the fields changed here are saved, so a colleague's change to another stays. */}
      <input type="hidden" name="shownName" value={p.state?.values?.shownName ?? p.customer.name} />
      <input type="hidden" name="shownEmail" value={p.state?.values?.shownEmail ?? p.customer.email} />
      <input type="hidden" name="shownTier" value={p.state?.values?.shownTier ?? p.customer.tier} />
      <input type="hidden" name="shownOrganization" value={p.state?.values?.shownOrganization ?? p.customer.organization ?? ''} />
      <input type="hidden" name="shownPhone" value={p.state?.values?.shownPhone ?? p.customer.phone ?? ''} />
      <FormError state={p.state} />
      <Field id="customer-name" name="name" label="Name" required maxlength={200} value={p.customer.name} state={p.state} />
      <Field id="customer-email" name="email" label="E-mail" type="email" hint={EMAIL_HINT} required maxlength={254} value={p.customer.email} state={p.state} autocomplete="off" />
      <EmailOwner state={p.state} />
      <Field id="customer-tier" name="tier" label="Tier" hint="Routing rules and SLA policies use it for new cases." required maxlength={40} value={p.customer.tier} state={p.state} />
      <Field id="customer-organization" name="organization" label="Organization" maxlength={200} value={p.customer.organization ?? ''} state={p.state} />
      <Field id="customer-phone" name="phone" label="Phone" type="tel" hint="With the country code, e.g. +49 30 1234567; calls are matched to the customer by it." maxlength={40} value={p.customer.phone ?? ''} state={p.state} autocomplete="off" />
      <Field id="customer-reason" name="reason" label="Reason (kept with the change)" maxlength={2000} state={p.state} />
      <Button id="customer-submit">Save profile</Button>
    </form>
  );
}

/** An agent on their own case of a caller known only by phone: the real address instead of the stand-in. */
export function CallerEmailForm(p: CustomerEditProps) {
  return (
    <form id="customer-form" class="stack" {...actionAttrs(`/cases/${p.ctx.ref}/customer`)}>
      <CsrfField token={p.ctx.csrfToken} />
      <FormError state={p.state} />
      <Field id="customer-email" name="email" label="The caller’s e-mail address" type="email" hint={`Replaces the stand-in ${p.customer.email}. ${EMAIL_HINT}`} required maxlength={254} state={p.state} autocomplete="off" />
      <EmailOwner state={p.state} />
      <Field id="customer-reason" name="reason" label="Reason (kept with the change)" maxlength={2000} state={p.state} />
      <Button id="customer-submit">Save address</Button>
    </form>
  );
}

export function CallerEmailDisclosure(p: CustomerEditProps) {
  return (
    <details class="disclosure" open={p.state !== undefined}>
      <summary class="button button-secondary">Add their e-mail address…</summary>
      <CallerEmailForm {...p} />
    </details>
  );
}

export function CustomerEditDisclosure(p: CustomerEditProps) {
  return (
    <details class="disclosure" open={p.state !== undefined}>
      <summary class="button button-secondary">Edit profile…</summary>
      <CustomerEditForm {...p} />
    </details>
  );
}

/** *Log a call* (staff): a phone call or visit with the customer, on the timeline (docs/ui.md, *Phone and walk-in*). */
export function LogCallForm(p: { ctx: FormContext; state?: FormState | undefined }) {
  const state = p.state;
  return (
    <form id="call-form" class="stack" {...actionAttrs(`/cases/${p.ctx.ref}/calls`)} novalidate>
      <CsrfField token={p.ctx.csrfToken} />
      <FormError state={state} />
      <RadioGroup
        name="direction"
        legend="Who got in touch?"
        idPrefix="call-direction"
        value="inbound"
        state={state}
        options={[
          { value: 'inbound', label: 'The customer called or came in' },
          { value: 'outbound', label: 'We called them' },
        ]}
      />
      <RadioGroup
        name="channel"
        legend="How?"
        idPrefix="call-channel"
        value="phone"
        state={state}
        options={[
          { value: 'phone', label: 'Phone call' },
          { value: 'walk-in', label: 'Walk-in' },
        ]}
      />
      <Field id="call-duration" name="duration" label="Duration" hint="Minutes, or minutes:seconds (12:30)." maxlength={8} attrs={{ inputmode: 'numeric' }} state={state} />
      <Field id="call-notes" name="notes" label="Notes (staff only)" hint="What was said. The customer does not see the call; it answers their waiting message, as a reply does." required rows={4} maxlength={20000} state={state} />
      <Button id="call-submit">Log the call</Button>
    </form>
  );
}

export function LogCallDisclosure(p: { ctx: FormContext; state?: FormState | undefined }) {
  return (
    <details class="disclosure" open={p.state !== undefined}>
      <summary class="button button-secondary">Log a call…</summary>
      <LogCallForm {...p} />
    </details>
  );
}
