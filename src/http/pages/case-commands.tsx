/**
 * How the case page's forms run (shared by every `/cases/:id/…` route): the case must be
 * visible to the viewer (404 otherwise); a command validates its form (422 re-renders that
 * form alone, with the typed values and the messages), calls one domain verb, settles the
 * rule follow-ups, and answers the refreshed case (htmx) or a 303 back to it. Staff whose
 * case left their reach meanwhile go to the inbox, told where it went.
 */
import type { MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { assertCanSee, canSeeCase } from '../../cases/access.js';
import { caseRef, parseCaseRef } from '../../cases/case-ref.js';
import { loadCase } from '../../cases/case-read.js';
import type { CaseRow } from '../../cases/case-view.js';
import { caseDeparture } from '../../cases/departure.js';
import type { IncomingFile } from '../../attachments/limits.js';
import { DomainError } from '../../errors.js';
import { retryAfterOf } from '../limits.js';
import { readUploads } from '../uploads.js';
import type { Principal } from '../types.js';
import { Alert, withFilesNotSent, type FormErrors, type FormValues } from '../../../views/components.js';
import { CasePageDocument, composerWithDraft, ctxOf, PortalCase, WorkspaceCase, type CaseForms } from '../../../views/pages/case-page.js';
import { CallerEmailForm, Composer, CustomerEditForm, CustomerReply, FollowUpRequest, LogCallForm, RatingForm, ReassignForm, TransitionForm } from '../../../views/partials/case-forms.js';
import { CaseEditForm } from '../../../views/partials/case-edit.js';
import { Timeline } from '../../../views/partials/timeline.js';
import type { ComposerMode, ReplyConfirm } from '../../../views/partials/composer-parts.js';
import type { CaseChange, CustomerMessage } from '../../cases/stale-view.js';
import { loadCasePage, type CasePageData } from './case-data.js';
import { isHtmx, requirePrincipal, type PageContext, type PageEnv } from './env.js';
import { formErrorsOf, parseForm, readForm } from './forms.js';
import { redirectTo, sendForm, sendHtml, viewerOf } from './render.js';

export interface Visible {
  principal: Principal;
  row: CaseRow;
}

/** The case in the path if the signed-in viewer may see it; 404 CASE_NOT_FOUND otherwise. */
export async function visibleCase(c: PageContext): Promise<Visible> {
  const principal = requirePrincipal(c);
  const id = parseCaseRef(c.req.param('id') ?? '');
  if (id === null) throw new DomainError('CASE_NOT_FOUND', `No case ${c.req.param('id')}.`);
  const row = await loadCase(c.get('services'), id);
  assertCanSee(principal, row);
  return { principal, row };
}

export function pollSeconds(c: PageContext): number {
  return c.get('pageOptions').pollSeconds;
}

export function pageFragment(c: PageContext, d: CasePageData, forms?: CaseForms) {
  const props = { csrfToken: c.get('csrfToken'), pollSeconds: pollSeconds(c), forms };
  return d.audience === 'staff' ? <WorkspaceCase d={d} {...props} /> : <PortalCase d={d} {...props} />;
}

export function fullPage(c: PageContext, d: CasePageData, forms?: CaseForms, created = false) {
  return <CasePageDocument d={d} viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} pollSeconds={pollSeconds(c)} forms={forms} created={created} />;
}

export type FormName = 'composer' | 'reply' | 'transition' | 'reassign' | 'rating' | 'customer' | 'edit' | 'call';

/**
 * The one form that failed, re-rendered with its messages (422); with `composerConfirm` the
 * composer asking to confirm a public reply (after a note, or mailed to an address a chat
 * visitor only typed: one prompt for both; 200: nothing was refused).
 */
export async function formFailure(
  c: PageContext,
  v: Visible,
  form: FormName,
  values: FormValues,
  errors: FormErrors,
  status: 200 | 422 | 429 = 422,
  composerConfirm?: Omit<ReplyConfirm, 'label'>,
  composerStale?: { changes: CaseChange[]; then: string; gone?: string },
  /** A transition held back: the customer's messages the page had not shown. */
  transitionHeld?: CustomerMessage[],
) {
  const services = c.get('services');
  const d = await loadCasePage(services, v.principal, await loadCase(services, v.row.id));
  const ctx = ctxOf(d, c.get('csrfToken'));
  const state = { values, errors };
  const forms: CaseForms = {};
  let formId: string;
  let fragment: () => string | Promise<string>;
  switch (form) {
    case 'composer': {
      if (d.audience !== 'staff') throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
      const confirm = composerConfirm && { ...composerConfirm, label: d.transitions.find((t) => t.name === composerConfirm.then)?.label ?? null };
      forms.composer = state;
      if (confirm) forms.composerConfirm = confirm;
      // The "Send and …" first used may be gone with the change (a colleague resolved the case): Send anyway then sends the message alone, and says so.
      const first = composerStale?.then ?? '';
      if (composerStale && first !== '' && !d.transitions.some((t) => t.name === first)) {
        const workflow = services.definitions.workflow(v.row.workflow, v.row.workflowVersion).definition;
        const label = Object.hasOwn(workflow.transitions, first) ? (workflow.transitions[first]?.label ?? first) : first;
        composerStale = { ...composerStale, then: '', gone: `“${label}” is not possible now: the case is ${d.view.statusLabel}. Send anyway sends your message alone.` };
      }
      if (composerStale) forms.composerStale = composerStale;
      formId = 'composer';
      // The composer alone is swapped in: it keeps saying what the page shows (the `seen` it was posted with), unless the timeline comes along.
      const posted = /^\d{1,15}$/.test(values.seen ?? '') ? Number(values.seen) : d.lastEventId;
      const drafts = composerWithDraft(d, state).drafts;
      const composer = () => <Composer ctx={ctx} state={state} transitions={d.transitions} mentionable={d.mentionable} confirm={confirm} seen={composerStale ? d.lastEventId : posted} stale={composerStale} chat={d.chat != null} chatOpen={d.chat?.state === 'open'} drafts={drafts} />;
      // Held back for changes: the timeline comes along (out of band), so what changed is on screen.
      fragment = composerStale
        ? () => (
            <>
              {composer()}
              <Timeline caseRef={d.ref} entries={d.timeline} names={d.timelineNames} oob />
            </>
          )
        : composer;
      break;
    }
    case 'edit':
      if (d.audience !== 'staff') throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
      forms.edit = state;
      formId = 'edit-form';
      fragment = () => <CaseEditForm ctx={ctx} subject={d.row.subject} priority={d.row.priority} tags={d.row.tags} version={d.row.version} state={state} />;
      break;
    case 'call':
      if (d.audience !== 'staff') throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
      forms.call = state;
      formId = 'call-form';
      fragment = () => <LogCallForm ctx={ctx} state={state} />;
      break;
    case 'reply':
      forms.reply = state;
      formId = 'reply-form';
      // A reply to a case closed meanwhile comes back as a new request with its text.
      fragment = () => (d.audience === 'customer' && d.final ? <FollowUpRequest ctx={ctx} subject={d.view.subject} state={state} /> : <CustomerReply ctx={ctx} state={state} />);
      break;
    case 'reassign':
      if (d.audience !== 'staff') throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
      forms.reassign = state;
      formId = 'reassign-form';
      fragment = () => <ReassignForm ctx={ctx} queue={d.row.queueId} queues={d.queues} assignees={d.assignees} assigneeId={d.row.assigneeId} tier={d.row.tier} canOverride={d.canOverrideCapacity} state={state} />;
      break;
    case 'customer':
      if (d.audience !== 'staff') throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
      forms.customer = state;
      formId = 'customer-form';
      fragment = () => (d.canEditCustomer ? <CustomerEditForm ctx={ctx} customer={d.view.customer} state={state} /> : <CallerEmailForm ctx={ctx} customer={d.view.customer} state={state} />);
      break;
    case 'rating':
      forms.rating = state;
      formId = 'rating-form';
      fragment = () => <RatingForm ctx={ctx} rated={d.audience === 'customer' && d.view.rating !== null} state={state} />;
      break;
    case 'transition': {
      const transition = d.transitions.find((t) => t.name === values.transition);
      if (!transition) {
        const workflow = c.get('services').definitions.workflow(v.row.workflow, v.row.workflowVersion).definition;
        const label = workflow.transitions[values.transition ?? '']?.label ?? values.transition ?? '';
        // The workflow's own refusal when there was one (keepTransitionText), else why the form is not offered.
        const message = errors['(form)'] ?? `"${label}" is not possible now: the case is ${d.audience === 'staff' ? d.view.statusLabel : d.view.status}.`;
        // What was typed into the form (a solution, a reason, a note): without JavaScript the page is all there is, so it comes back on it.
        const texts = TRANSITION_TEXT_FIELDS.filter((field) => (values[field] ?? '').trim() !== '').map((field) => ({ field, value: values[field]! }));
        if (isHtmx(c) || d.audience !== 'staff' || texts.length === 0) throw new DomainError('INVALID_TRANSITION', message);
        forms.transitionGone = { message, texts };
        return sendHtml(c, fullPage(c, d, forms), 409);
      }
      forms.transition = { name: transition.name, state, ...(transitionHeld ? { held: transitionHeld } : {}) };
      formId = `transition-${transition.name}`;
      // Staff forms carry `seen`: the one posted (the form alone is swapped in), or, held back, the current one and the timeline out of band, so the new messages are on screen.
      const postedSeen = /^\d{1,15}$/.test(values.seen ?? '') ? Number(values.seen) : undefined;
      const seen = d.audience === 'staff' ? (transitionHeld ? d.lastEventId : (postedSeen ?? d.lastEventId)) : undefined;
      const form = () => <TransitionForm ctx={ctx} transition={transition} state={state} seen={seen} held={transitionHeld} />;
      fragment =
        transitionHeld && d.audience === 'staff'
          ? () => (
              <>
                {form()}
                <Timeline caseRef={d.ref} entries={d.timeline} names={d.timelineNames} oob />
              </>
            )
          : form;
      break;
    }
  }
  return sendForm(c, formId, fragment, () => fullPage(c, d, forms), status);
}

/** The texts a transition form may carry (its `requires` and `allows`). */
const TRANSITION_TEXT_FIELDS = ['solution', 'reason', 'note'] as const;

/** The inbox, telling the viewer where the case went (see `caseDeparture`). */
function toInboxAfterDeparture(c: PageContext, caseId: number) {
  return redirectTo(c, `/inbox?moved=${caseRef(caseId)}`);
}

/**
 * Staff who open, poll or act on a case that has left their reach (escalated or moved out
 * of their queues, reassigned away) go to the inbox and are told where it went, instead of
 * a "not found" over stale buttons. Anyone the move did not concern still gets the 404.
 */
export const departedCase: MiddlewareHandler<PageEnv> = async function departedCase(c, next) {
  const principal = c.get('principal');
  const id = parseCaseRef(c.req.param('id') ?? '');
  if (principal?.actor.type === 'staff' && id !== null && (await c.get('services').store.query((q) => caseDeparture(q, principal, id)))) return toInboxAfterDeparture(c, id);
  await next();
};

/** What a command answers: the flash message, and the mode the composer stays in (a note after a note). */
export interface Done {
  message: string;
  composer?: ComposerMode | undefined;
}

/**
 * The page's forms for a composer that opens in a mode (note: after a note, or `?mode=note`;
 * public: after a reply, or `?mode=public`); without one it opens on the newest draft, if any.
 */
export function composerIn(mode: ComposerMode | undefined): CaseForms | undefined {
  return mode === undefined ? undefined : { composer: { values: { visibility: mode === 'note' ? 'internal' : 'public' } } };
}

/** After a command: settle rule follow-ups, then the refreshed case (htmx) or a redirect to it. */
export async function done(c: PageContext, v: Visible, outcome: string | Done) {
  const { message, composer } = typeof outcome === 'string' ? { message: outcome, composer: undefined } : outcome;
  const services = c.get('services');
  await services.outbox.settle(v.row.id);
  const row = await loadCase(services, v.row.id);
  // The command (or the rules it set off) took the case out of the viewer's reach.
  if (!canSeeCase(v.principal, row)) return toInboxAfterDeparture(c, v.row.id);
  if (!isHtmx(c)) return redirectTo(c, `/cases/${caseRef(v.row.id)}${composer === 'note' ? '?mode=note' : ''}`);
  const d = await loadCasePage(services, v.principal, row);
  c.header('HX-Trigger', 'case-updated');
  return sendHtml(
    c,
    <>
      {pageFragment(c, d, composerIn(composer))}
      <div id="flash" hx-swap-oob="innerHTML">
        <Alert tone="ok">{message}</Alert>
      </div>
    </>,
  );
}

/**
 * Thrown by a command that must ask before it goes on: a public reply after a note (`note`),
 * or one that would be mailed to an address a chat visitor only typed (`mailTo`). The composer
 * asks once for every reason given.
 */
export class ConfirmationNeeded extends Error {
  constructor(
    readonly then: string,
    readonly note: boolean,
    readonly mailTo: string | null,
  ) {
    super('confirmation needed');
  }
}

/** Thrown by a reply or note sent from a stale view: the composer lists what changed and keeps the draft. */
export class StaleView extends Error {
  constructor(
    readonly changes: CaseChange[],
    readonly then: string,
  ) {
    super('stale view');
  }
}

/** Thrown by a transition (answering the customer or closing the loop) from a page that did not show the customer's latest messages. */
export class TransitionHeld extends Error {
  constructor(readonly messages: CustomerMessage[]) {
    super('transition held back');
  }
}

/** A domain error a route turns into a form failure itself, with the values the form should show. */
export type Recover = (error: unknown, values: FormValues) => { values: FormValues; errors: FormErrors } | null | Promise<{ values: FormValues; errors: FormErrors } | null>;

export async function command<T>(
  c: PageContext,
  form: FormName | ((v: Visible) => FormName),
  schema: z.ZodType<T>,
  /** `files`: those sent with a multipart form (only the message forms offer them). */
  run: (v: Visible, input: T, files: IncomingFile[]) => string | Done | Promise<string | Done>,
  /** Who may use this form at all: checked before the form is read, so a refusal is never a 422. */
  allowed: (v: Visible) => boolean = () => true,
  recover?: Recover,
) {
  const v = await visibleCase(c);
  if (!allowed(v)) throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
  const formName = typeof form === 'function' ? form(v) : form;
  const files = await readUploads(c);
  // Whatever form comes back (an error, a question), it says which files were sent along: they must be chosen again.
  const values = withFilesNotSent(await readForm(c), files.map((f) => f.name));
  const parsed = parseForm(schema, values);
  if (!parsed.ok) return formFailure(c, v, formName, values, parsed.errors);
  let outcome: string | Done;
  try {
    outcome = await run(v, parsed.data, files);
  } catch (error) {
    if (error instanceof ConfirmationNeeded) return formFailure(c, v, formName, values, {}, 200, { then: error.then, note: error.note, mailTo: error.mailTo });
    // Nothing was sent: the composer comes back with the changes and the draft (200, as for the note confirmation: nothing was refused).
    if (error instanceof StaleView) return formFailure(c, v, formName, values, {}, 200, undefined, { changes: error.changes, then: error.then });
    // Nothing was done: the transition form comes back with the customer's new messages and what was typed (422).
    if (error instanceof TransitionHeld) return formFailure(c, v, formName, values, {}, 422, undefined, undefined, error.messages);
    if (error instanceof DomainError && error.code === 'TOO_MANY_REQUESTS') {
      c.header('Retry-After', retryAfterOf(error));
      return formFailure(c, v, formName, values, { '(form)': error.message }, 429);
    }
    const recovered = await recover?.(error, values);
    if (recovered) return formFailure(c, v, formName, recovered.values, recovered.errors);
    const errors = formErrorsOf(error);
    if (!errors) throw error;
    return formFailure(c, v, formName, values, errors);
  }
  return done(c, v, outcome);
}

