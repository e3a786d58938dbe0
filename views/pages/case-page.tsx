/**
 * The case page, in two versions: the workspace view for staff and the portal view for
 * the case's customer. Parts that change while the page is open (header, timeline,
 * actions, "why" panel) have ids and are refreshed out-of-band by the live poll.
 */
import { ChatPanel, LeftMessagePanel } from '../partials/chat-panel.js';
import type { CasePageData, CustomerCasePageData, StaffCasePageData } from '../../src/http/pages/case-data.js';
import { Alert, Badge, PageHeader, Time, type FormState } from '../components.js';
import { Layout } from '../layout.js';
import { Composer, composerMode, CustomerReply, FollowUpRequest, LogCallDisclosure, RatingForm, ReassignDisclosure, TransitionForms, TransitionGone, TransitionSeenField, type FormContext, type GoneTransition } from '../partials/case-forms.js';
import { CaseEditDisclosure } from '../partials/case-edit.js';
import { ComposerActions, type ComposerDrafts, type ComposerMode, type ReplyConfirm } from '../partials/composer-parts.js';
import type { Draft } from '../../src/cases/drafts.js';
import { CustomerPanel, PriorityBadge, StatusBadge, Suggestions } from '../partials/case-panels.js';
import { WhyPanel } from '../partials/why-panel.js';
import { SlaBadge } from '../partials/sla.js';
import { PresencePanel, SeenField } from '../partials/collision.js';
import type { CaseChange, CustomerMessage } from '../../src/cases/stale-view.js';
import type { MacroPanelState } from '../partials/macro-picker.js';
import { SolutionOfferPanel } from '../partials/solution-offer.js';
import { CustomerTimeline, Timeline } from '../partials/timeline.js';
import type { Viewer } from '../viewer.js';

export interface CaseForms {
  composer?: FormState;
  /** The composer held a reply or note back: the case changed since the page showed it. */
  composerStale?: { changes: CaseChange[]; then: string; gone?: string };
  /** The composer asks to confirm a public reply (after a note, mailed to an unverified chat address). */
  composerConfirm?: ReplyConfirm;
  edit?: FormState;
  reply?: FormState;
  /** A transition form that came back: its values and messages; `held`: the customer's messages the page had not shown. */
  transition?: { name: string; state: FormState; held?: CustomerMessage[] };
  /** A transition form sent after the case moved on (no JavaScript): why nothing was done, and what was typed. */
  transitionGone?: GoneTransition;
  reassign?: FormState;
  rating?: FormState;
  offer?: FormState;
  customer?: FormState;
  /** *Log a call*. */
  call?: FormState;
  macro?: MacroPanelState;
}

export function ctxOf(d: CasePageData, csrfToken: string): FormContext {
  return { ref: d.ref, csrfToken, uploads: d.uploads };
}

function Poller({ d, pollSeconds, oob }: { d: CasePageData; pollSeconds: number; oob?: boolean }) {
  return (
    <div
      id="case-poll"
      hidden
      hx-get={`/cases/${d.ref}/live?stamp=${d.stamp}`}
      hx-trigger={`every ${pollSeconds}s`}
      hx-swap="none"
      hx-swap-oob={oob ? 'true' : undefined}
    ></div>
  );
}

export function CaseHeader({ d, oob }: { d: CasePageData; oob?: boolean }) {
  if (d.audience === 'customer') {
    return (
      <div id="case-header" hx-swap-oob={oob ? 'true' : undefined}>
        <PageHeader eyebrow={d.ref} title={d.view.subject} />
        <ul class="badges" aria-label="Case status">
          <li>
            <StatusBadge label={d.view.status} category={d.category} />
          </li>
        </ul>
      </div>
    );
  }
  const v = d.view;
  return (
    <div id="case-header" hx-swap-oob={oob ? 'true' : undefined}>
      <PageHeader eyebrow={`${d.ref} · ${d.timelineNames.queues?.[v.queue] ?? v.queue} queue · tier ${v.tier}`} title={v.subject} />
      <ul class="badges" aria-label="Case status">
        <li>
          <StatusBadge label={v.statusLabel} category={d.category} />
        </li>
        <li>
          <PriorityBadge priority={v.priority} />
        </li>
        <li>
          <Badge tone="neutral">{v.assignee ? `Assigned to ${v.assignee.name}` : 'Unassigned'}</Badge>
        </li>
        {v.tags.map((tag) => (
          <li>
            <Badge tone="muted">{`#${tag}`}</Badge>
          </li>
        ))}
      </ul>
      {d.timers.length > 0 ? (
        <div class="sla-row" role="group" aria-label="SLA clocks">
          {d.timers.map((t) => (
            <SlaBadge status={t} withMetric />
          ))}
        </div>
      ) : null}
    </div>
  );
}

function Description({ d }: { d: CasePageData }) {
  return (
    <section class="panel" aria-labelledby="description-heading">
      <h2 id="description-heading">{d.audience === 'staff' ? 'Request' : 'Your request'}</h2>
      <p class="event-meta">
        <span>{d.audience === 'staff' ? `From ${d.view.customer.name} via ${d.view.channel}` : 'You wrote'}</span>
        <Time at={d.view.createdAt} relative />
      </p>
      <div class="message-body" dir="auto">{d.view.description}</div>
    </section>
  );
}

export function StaffActions({ d, csrfToken, forms, oob }: { d: StaffCasePageData; csrfToken: string; forms?: CaseForms | undefined; oob?: boolean }) {
  const ctx = ctxOf(d, csrfToken);
  return (
    <section class="panel" id="case-actions" aria-labelledby="actions-heading" hx-swap-oob={oob ? 'true' : undefined}>
      <h2 id="actions-heading">Actions</h2>
      {forms?.transitionGone ? <TransitionGone gone={forms.transitionGone} /> : null}
      {d.transitions.length === 0 ? <p class="muted">No transitions are open to you in this state.</p> : null}
      <TransitionForms ctx={ctx} transitions={d.transitions} failed={forms?.transition} seen={d.lastEventId} />
      {d.row.open ? (
        <ReassignDisclosure ctx={ctx} queue={d.row.queueId} queues={d.queues} assignees={d.assignees} assigneeId={d.row.assigneeId} tier={d.row.tier} canOverride={d.canOverrideCapacity} state={forms?.reassign} />
      ) : null}
      {/* A closed case takes no call; the form comes back only to say so (closed while it was filled in). */}
      {!d.final || forms?.call ? <LogCallDisclosure ctx={ctx} state={forms?.call} /> : null}
      {d.final ? null : <CaseEditDisclosure ctx={ctx} subject={d.row.subject} priority={d.row.priority} tags={d.row.tags} version={d.row.version} state={forms?.edit} />}
      {/* A duplicate of another case: merged into it on its own page (a choice, then a confirmation). */}
      {d.final || d.view.mergedInto !== null ? null : (
        <p class="merge-action">
          <a href={`/cases/${d.ref}/merge`} id="merge-link" class="button button-secondary">
            Merge into…
          </a>
        </p>
      )}
    </section>
  );
}

/** Whose draft opens when no mode is asked for: the one saved last (a reply when there is none). */
function newestDraftMode(drafts: StaffCasePageData['drafts']): ComposerMode {
  const { reply, note } = drafts;
  return note && (!reply || note.updatedAt > reply.updatedAt) ? 'note' : 'public';
}

/**
 * The composer's state with the viewer's draft restored (src/cases/drafts.ts) — the draft of
 * the mode asked for (`visibility`), else the newest — and its drafts line. A state that
 * carries a text (a form that came back) keeps it. `error`: a draft save that was refused.
 */
export function composerWithDraft(d: StaffCasePageData, state: FormState | undefined, error?: string): { state: FormState | undefined; drafts: ComposerDrafts } {
  const saved = (draft: Draft | undefined) => draft && { body: draft.body, updatedAt: draft.updatedAt };
  const base = { public: saved(d.drafts.reply), note: saved(d.drafts.note), error };
  if (state?.values?.body !== undefined) return { state, drafts: { ...base, mode: composerMode(state) } };
  const asked = state?.values?.visibility;
  const mode: ComposerMode = asked === 'internal' ? 'note' : asked === 'public' ? 'public' : newestDraftMode(d.drafts);
  const draft = mode === 'note' ? d.drafts.note : d.drafts.reply;
  if (!draft) return { state, drafts: { ...base, mode } };
  return { state: { ...state, values: { ...state?.values, visibility: mode === 'note' ? 'internal' : 'public', body: draft.body } }, drafts: { ...base, mode } };
}

export function WorkspaceCase(p: { d: StaffCasePageData; csrfToken: string; pollSeconds: number; forms?: CaseForms | undefined }) {
  const { d } = p;
  const composer = composerWithDraft(d, p.forms?.composer);
  return (
    <div id="case-page" class="case-page" hx-target="this" hx-swap="outerHTML">
      <Poller d={d} pollSeconds={p.pollSeconds} />
      <CaseHeader d={d} />
      <PresencePanel caseRef={d.ref} others={d.presence} drafting={d.colleagueDrafts} pollSeconds={p.pollSeconds} />
      <div class="case-grid">
        <div class="case-main">
          <Description d={d} />
          {d.chat ? <ChatPanel caseRef={d.ref} chat={d.chat} csrfToken={p.csrfToken} /> : null}
          {d.left ? <LeftMessagePanel caseRef={d.ref} left={d.left} csrfToken={p.csrfToken} /> : null}
          <Timeline caseRef={d.ref} entries={d.timeline} names={d.timelineNames} csrfToken={d.final ? undefined : p.csrfToken} />
          {d.view.mergedInto !== null ? (
            <p class="muted panel" id="merged-notice">
              {'Merged into '}
              <a href={`/cases/${d.view.mergedInto}`}>{d.view.mergedInto}</a>
              {': this case is closed; its messages were copied there, and mail to its thread goes there.'}
            </p>
          ) : d.final ? (
            <p class="muted panel">This case is closed.</p>
          ) : null}
          {/* A closed case has no composer, unless a draft comes back (the case closed while it was written, or one is saved): it is not lost. */}
          {!d.final || composer.state?.values?.body ? (
            <Composer ctx={ctxOf(d, p.csrfToken)} state={composer.state} transitions={d.transitions} mentionable={d.mentionable} confirm={p.forms?.composerConfirm} macros={d.macros} macro={p.forms?.macro} seen={d.lastEventId} stale={p.forms?.composerStale} chat={d.chat != null} chatOpen={d.chat?.state === 'open'} drafts={composer.drafts} />
          ) : null}
        </div>
        <aside class="case-side" aria-label="Case details">
          <StaffActions d={d} csrfToken={p.csrfToken} forms={p.forms} />
          <WhyPanel d={d} csrfToken={p.csrfToken} />
          <CustomerPanel d={d} csrfToken={p.csrfToken} state={p.forms?.customer} />
          <Suggestions d={d} />
        </aside>
      </div>
    </div>
  );
}

export function CustomerActions({ d, csrfToken, forms, oob }: { d: CustomerCasePageData; csrfToken: string; forms?: CaseForms | undefined; oob?: boolean }) {
  const ctx = ctxOf(d, csrfToken);
  const rateable = d.category === 'resolved' || d.category === 'closed';
  const rating = d.view.rating;
  return (
    <section class="panel" id="case-actions" aria-labelledby="actions-heading" hx-swap-oob={oob ? 'true' : undefined}>
      <h2 id="actions-heading">{rateable ? 'How did we do?' : 'Your case'}</h2>
      {d.view.solution ? (
        <div class="solution">
          <h3>Solution</h3>
          <div class="message-body" dir="auto">{d.view.solution}</div>
        </div>
      ) : null}
      <TransitionForms ctx={ctx} transitions={d.transitions} failed={forms?.transition} />
      {rateable ? (
        <>
          {rating ? (
            <p class="rating-current" role="status">
              {`You rated this: ${rating.satisfied ? 'satisfied' : 'not satisfied'}`}
              {rating.comment ? ` (“${rating.comment}”)` : ''}
            </p>
          ) : null}
          <RatingForm
            ctx={ctx}
            rated={rating !== null}
            state={forms?.rating ?? (rating ? { values: { satisfied: rating.satisfied ? 'yes' : 'no', comment: rating.comment } } : undefined)}
          />
        </>
      ) : null}
    </section>
  );
}

export function PortalCase(p: { d: CustomerCasePageData; csrfToken: string; pollSeconds: number; forms?: CaseForms | undefined; created?: boolean }) {
  const { d } = p;
  return (
    <div id="case-page" class="case-page" hx-target="this" hx-swap="outerHTML">
      <Poller d={d} pollSeconds={p.pollSeconds} />
      {p.created ? (
        <Alert tone="ok" id="created-notice">
          <p>
            We received your request. Its reference is <strong id="created-ref">{d.ref}</strong>; we will reply here and by email.
          </p>
        </Alert>
      ) : null}
      <CaseHeader d={d} />
      <div class="case-grid">
        <div class="case-main">
          <Description d={d} />
          <SolutionOfferPanel ctx={ctxOf(d, p.csrfToken)} offer={d.view.offer} canAnswer={d.category !== 'resolved' && d.category !== 'closed'} state={p.forms?.offer} />
          <CustomerTimeline caseRef={d.ref} entries={d.timeline} current={{ solution: d.view.solution !== null, rating: d.view.rating !== null }} />
          {d.final ? (
            p.forms?.reply ? (
              <FollowUpRequest ctx={ctxOf(d, p.csrfToken)} subject={d.view.subject} state={p.forms.reply} />
            ) : d.view.mergedInto !== null ? (
              <p class="muted panel" id="merged-notice">
                {'This request was merged into your request '}
                <a href={`/cases/${d.view.mergedInto}`}>{d.view.mergedInto}</a>
                {' about the same problem: we continue there.'}
              </p>
            ) : (
              <p class="muted panel">This case is closed. Please open a new request if you need more help.</p>
            )
          ) : (
            <CustomerReply ctx={ctxOf(d, p.csrfToken)} state={p.forms?.reply} />
          )}
        </div>
        <aside class="case-side" aria-label="Case actions">
          <CustomerActions d={d} csrfToken={p.csrfToken} forms={p.forms} />
        </aside>
      </div>
    </div>
  );
}

/**
 * What the live poll sends: the changing parts, out-of-band, and a poller with the new
 * stamp; with `clearFlash` an empty flash area too, so no message about an earlier state
 * of the case stays on screen.
 */
export function CaseLive(p: { d: CasePageData; csrfToken: string; pollSeconds: number; withActions: boolean; clearFlash?: boolean }) {
  const { d } = p;
  return (
    <>
      <Poller d={d} pollSeconds={p.pollSeconds} oob />
      {p.clearFlash ? <div id="flash" aria-live="polite" hx-swap-oob="true"></div> : null}
      <CaseHeader d={d} oob />
      {d.audience === 'staff' ? (
        <>
          <Timeline caseRef={d.ref} entries={d.timeline} names={d.timelineNames} csrfToken={d.final ? undefined : p.csrfToken} oob />
          <WhyPanel d={d} oob csrfToken={p.csrfToken} />
          {p.withActions ? <StaffActions d={d} csrfToken={p.csrfToken} oob /> : null}
          {p.withActions && d.chat ? <ChatPanel caseRef={d.ref} chat={d.chat} csrfToken={p.csrfToken} oob /> : null}
          {p.withActions && d.left ? <LeftMessagePanel caseRef={d.ref} left={d.left} csrfToken={p.csrfToken} oob /> : null}
          {/* The composer's "Send and …" buttons follow the transitions; its text is never replaced. */}
          {p.withActions && !d.final ? <ComposerActions transitions={d.transitions} oob /> : null}
          {/* What the timeline shows now: a send from this page is not stale. */}
          {d.final ? null : <SeenField seen={d.lastEventId} oob />}
          {/* Likewise the transition forms' `seen` (the forms themselves come along when what they offer changed). */}
          {p.withActions ? null : d.transitions.map((t) => <TransitionSeenField name={t.name} seen={d.lastEventId} oob />)}
        </>
      ) : (
        <>
          <CustomerTimeline caseRef={d.ref} entries={d.timeline} current={{ solution: d.view.solution !== null, rating: d.view.rating !== null }} oob />
          {p.withActions ? <CustomerActions d={d} csrfToken={p.csrfToken} oob /> : null}
        </>
      )}
    </>
  );
}

export function CasePageDocument(p: { d: CasePageData; viewer: Viewer; csrfToken: string; pollSeconds: number; forms?: CaseForms | undefined; created?: boolean }) {
  const title = `${p.d.ref}: ${p.d.view.subject}`;
  return (
    <Layout title={title} viewer={p.viewer} csrfToken={p.csrfToken} current={p.d.audience === 'staff' ? 'case' : 'portal:case'}>
      {p.d.audience === 'staff' ? (
        <WorkspaceCase d={p.d} csrfToken={p.csrfToken} pollSeconds={p.pollSeconds} forms={p.forms} />
      ) : (
        <PortalCase d={p.d} csrfToken={p.csrfToken} pollSeconds={p.pollSeconds} forms={p.forms} created={p.created ?? false} />
      )}
    </Layout>
  );
}
