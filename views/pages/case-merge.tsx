/**
 * `/cases/:id/merge` (staff): merging a duplicate into the case that goes on, in two steps —
 * choose the case to keep (the same customer's open cases, or any reference), then read what
 * will happen and confirm. Plain forms: a GET to choose, a POST (with the CSRF token) to merge;
 * with htmx the confirmation comes back in place when refused, and a merge leads to the kept case.
 */
import type { CaseRow } from '../../src/cases/case-view.js';
import { caseRef } from '../../src/cases/case-ref.js';
import { Alert, Button, CsrfField, Field, FormError, PageHeader, type FormState } from '../components.js';
import { Layout } from '../layout.js';
import type { Viewer } from '../viewer.js';

export interface MergeCaseSummary {
  ref: string;
  subject: string;
  status: string;
  customer: string;
}

export interface MergeConfirmation {
  into: MergeCaseSummary;
  differentCustomer: boolean;
  entries: number;
}

export interface MergePageProps {
  viewer: Viewer;
  csrfToken: string;
  source: MergeCaseSummary;
  /** The same customer's open cases the agent may see. */
  candidates: MergeCaseSummary[];
  /** Set once a case to keep was chosen and can receive the merge. */
  confirm: MergeConfirmation | null;
  state?: FormState | undefined;
}

export function mergeSummary(row: CaseRow, status: string, customer: string): MergeCaseSummary {
  return { ref: caseRef(row.id), subject: row.subject, status, customer };
}

function ChooseForm(p: MergePageProps) {
  const action = `/cases/${p.source.ref}/merge`;
  const typed = p.state?.values?.into ?? '';
  return (
    <form method="get" action={action} id="merge-choose" class="panel stack" novalidate>
      <h2>Which case goes on?</h2>
      <FormError state={p.confirm ? undefined : p.state} />
      {p.candidates.length > 0 ? (
        <fieldset class="field radios">
          <legend>{`${p.source.customer}’s other open cases`}</legend>
          {p.candidates.map((c) => (
            <label class="radio" for={`merge-into-${c.ref}`}>
              <input type="radio" id={`merge-into-${c.ref}`} name="into" value={c.ref} checked={typed === c.ref} />
              {` ${c.ref} · ${c.subject} (${c.status})`}
            </label>
          ))}
        </fieldset>
      ) : (
        <p class="muted">{`${p.source.customer} has no other open case you can see.`}</p>
      )}
      <Field id="merge-into" name="into" label="Or a case reference" hint="For example C-1042." value={p.candidates.some((c) => c.ref === typed) ? '' : typed} maxlength={32} />
      <div class="form-actions">
        <Button id="merge-continue" variant="secondary">
          Continue
        </Button>
        <a href={`/cases/${p.source.ref}`}>Cancel</a>
      </div>
    </form>
  );
}

function ConfirmForm(p: MergePageProps & { confirm: MergeConfirmation }) {
  const { source, confirm } = p;
  const action = `/cases/${source.ref}/merge`;
  const into = confirm.into;
  return (
    <form method="post" action={action} id="merge-confirm" class="panel stack" hx-post={action} hx-target="#merge-page" hx-select="#merge-page" hx-swap="outerHTML" novalidate>
      <h2>{`Merge ${source.ref} into ${into.ref}?`}</h2>
      <FormError state={p.state} />
      <CsrfField token={p.csrfToken} />
      <input type="hidden" name="into" value={into.ref} />
      <p>
        {`${into.ref} · ${into.subject} (${into.status}, ${into.customer}) goes on. `}
        {`${source.ref} · ${source.subject} is the duplicate.`}
      </p>
      <ul id="merge-effects">
        <li>{`${source.ref}’s request, messages and notes (${confirm.entries}) and their files are copied onto ${into.ref}’s timeline, with their authors and original times.`}</li>
        <li>{`${source.ref} is closed, marked “Merged into ${into.ref}”; its SLA clocks stop. ${into.ref}’s clocks are not changed.`}</li>
        <li>{`Mail answering ${source.ref} goes on in ${into.ref}; those copied on ${source.ref}’s mail are copied on ${into.ref}.`}</li>
        <li>Nothing is sent to the customer. To tell them, reply on {into.ref}.</li>
      </ul>
      {confirm.differentCustomer ? (
        <div class={p.state?.errors?.confirmDifferentCustomer ? 'field has-error' : 'field'}>
          <Alert tone="info" id="merge-different-customer">
            <p>{`These are cases of two different customers (${source.customer} and ${into.customer}). Merged, the copies are internal notes: neither customer sees the other’s messages.`}</p>
          </Alert>
          <label for="merge-confirm-customer">
            <input type="checkbox" id="merge-confirm-customer" name="confirmDifferentCustomer" value="yes" checked={p.state?.values?.confirmDifferentCustomer === 'yes'} />
            {' Yes, merge cases of different customers'}
          </label>
          {p.state?.errors?.confirmDifferentCustomer ? <p class="field-error">{p.state.errors.confirmDifferentCustomer}</p> : null}
        </div>
      ) : null}
      <Field id="merge-note" name="note" label="Note (internal, optional)" rows={2} maxlength={2000} state={p.state} />
      <div class="form-actions">
        <Button id="merge-submit" variant="danger">
          {`Merge ${source.ref} into ${into.ref}`}
        </Button>
        <a href={`/cases/${source.ref}/merge`}>Choose another case</a>
      </div>
    </form>
  );
}

export function MergePage(p: MergePageProps) {
  return (
    <Layout title={`Merge ${p.source.ref}`} viewer={p.viewer} csrfToken={p.csrfToken}>
      <div id="merge-page" class="stack">
        <PageHeader title={`Merge ${p.source.ref} into another case`} eyebrow={<a href={`/cases/${p.source.ref}`}>{`${p.source.ref} · ${p.source.subject}`}</a>} />
        {p.confirm ? <ConfirmForm {...p} confirm={p.confirm} /> : <ChooseForm {...p} />}
      </div>
    </Layout>
  );
}
