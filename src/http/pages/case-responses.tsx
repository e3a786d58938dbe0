/**
 * What the case routes answer with: the case the viewer may see (404 otherwise), the case
 * page (full document) or its fragment (htmx), and a form that failed re-rendered with its
 * messages (422) — the page for plain posts, just the form for htmx.
 */
import { DomainError } from '../../errors.js';
import { parseCaseRef } from '../../cases/case-ref.js';
import { assertCanSee } from '../../cases/access.js';
import { loadCase, type CaseRow } from '../../cases/case-view.js';
import type { Principal } from '../types.js';
import type { FormErrors, FormValues } from '../../../views/components.js';
import { CasePageDocument, ctxOf, PortalCase, WorkspaceCase, type CaseForms } from '../../../views/pages/case-page.js';
import { Composer, CustomerEditForm, CustomerReply, RatingForm, ReassignForm, TransitionForm } from '../../../views/partials/case-forms.js';
import { loadCasePage, type CasePageData } from './case-data.js';
import { requirePrincipal, type PageContext } from './env.js';
import { sendForm, viewerOf } from './render.js';

export interface Visible {
  principal: Principal;
  row: CaseRow;
}

/** The case in the path if the signed-in viewer may see it; 404 CASE_NOT_FOUND otherwise. */
export function visibleCase(c: PageContext): Visible {
  const principal = requirePrincipal(c);
  const id = parseCaseRef(c.req.param('id') ?? '');
  if (id === null) throw new DomainError('CASE_NOT_FOUND', `No case ${c.req.param('id')}.`);
  const row = loadCase(c.get('services'), id);
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

export type FormName = 'composer' | 'reply' | 'transition' | 'reassign' | 'rating' | 'customer';

/** The one form that failed, re-rendered with its messages (422). */
export function formFailure(c: PageContext, v: Visible, form: FormName, values: FormValues, errors: FormErrors, status: 422 | 429 = 422) {
  const d = loadCasePage(c.get('services'), v.principal, loadCase(c.get('services'), v.row.id));
  const ctx = ctxOf(d, c.get('csrfToken'));
  const state = { values, errors };
  const forms: CaseForms = {};
  let formId: string;
  let fragment: () => string | Promise<string>;
  switch (form) {
    case 'composer':
      forms.composer = state;
      formId = 'composer';
      fragment = () => <Composer ctx={ctx} state={state} />;
      break;
    case 'reply':
      forms.reply = state;
      formId = 'reply-form';
      fragment = () => <CustomerReply ctx={ctx} state={state} />;
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
      fragment = () => <CustomerEditForm ctx={ctx} customer={d.view.customer} state={state} />;
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
        throw new DomainError('INVALID_TRANSITION', `"${label}" is not possible now: the case is ${d.audience === 'staff' ? d.view.statusLabel : d.view.status}.`);
      }
      forms.transition = { name: transition.name, state };
      formId = `transition-${transition.name}`;
      fragment = () => <TransitionForm ctx={ctx} transition={transition} state={state} />;
      break;
    }
  }
  return sendForm(c, formId, fragment, () => fullPage(c, d, forms), status);
}
