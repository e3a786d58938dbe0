/**
 * The one-click CSAT page behind the "Did this solve it? Yes / No" links of the resolved
 * mail: the answer chosen in the mail is preselected, one button records it (a GET never
 * does: mail scanners open links), an optional comment, and a thank-you that lets the
 * customer change their answer while the link is valid.
 */
import { Button, CsrfField, Field, FormError, PageHeader, RadioGroup, type FormState } from '../components.js';
import { Layout } from '../layout.js';
import type { Viewer } from '../viewer.js';

export interface CsatView {
  token: string;
  ref: string;
  subject: string;
  /** Resolved or closed, and the link is the current resolution's: it can be rated. */
  rateable: boolean;
  /** The link came with the mail of an earlier resolution (reopened and resolved again since). */
  earlier?: boolean;
  rating: { satisfied: boolean; comment: string } | null;
  /** Just recorded (after the POST). */
  thanked: boolean;
}

const ANSWERS = [
  { value: 'yes', label: 'Yes, it solved my problem' },
  { value: 'no', label: 'No, it did not' },
];

export function CsatForm(p: { view: CsatView; csrfToken: string; state: FormState }) {
  return (
    <form id="csat-form" class="stack" method="post" action={`/csat/${p.view.token}`}>
      <CsrfField token={p.csrfToken} />
      <FormError state={p.state} />
      <RadioGroup idPrefix="csat-answer" name="answer" legend="Did this solve it?" options={ANSWERS} state={p.state} />
      <Field id="csat-comment" name="comment" label="Anything you want to tell us? (optional)" rows={4} maxlength={2000} state={p.state} />
      <Button id="csat-submit">{p.view.rating ? 'Change my answer' : 'Send my answer'}</Button>
    </form>
  );
}

export function CsatPage(p: { viewer: Viewer | null; csrfToken: string; view: CsatView; state: FormState }) {
  const v = p.view;
  return (
    <Layout title="Did this solve it?" viewer={p.viewer} csrfToken={p.csrfToken}>
      <div class="auth-card panel" id="csat">
        <PageHeader eyebrow={v.ref} title="Did this solve it?" />
        <p>
          Your request <strong>
            “<bdi>{v.subject}</bdi>”
          </strong> ({v.ref}).
        </p>
        {v.thanked && v.rating ? (
          <p class="alert alert-ok" role="status" id="csat-thanks">
            {`Thank you! We recorded your answer: ${v.rating.satisfied ? 'yes, it solved your problem' : 'no, it did not'}.`}
          </p>
        ) : v.rating ? (
          <p class="rating-current" role="status" id="csat-current">
            {`Your answer: ${v.rating.satisfied ? 'yes, it solved your problem' : 'no, it did not'}`}
            {v.rating.comment ? ` (“${v.rating.comment}”)` : ''}
          </p>
        ) : null}
        {v.rateable ? (
          <>
            {v.rating ? null : <p class="muted">Nothing is recorded until you press the button.</p>}
            <CsatForm view={v} csrfToken={p.csrfToken} state={p.state} />
          </>
        ) : v.earlier ? (
          <p class="alert alert-info" role="status" id="csat-not-rateable">
            This link came with the mail about an earlier solution. Your request was reopened and solved again since: please answer from the
            latest mail, or on your request's page.
          </p>
        ) : (
          <p class="alert alert-info" role="status" id="csat-not-rateable">
            This request is being worked on again, so it cannot be rated now. We will ask you once it is resolved.
          </p>
        )}
        <p>
          <a href={`/cases/${v.ref}`}>Follow your request</a> (you may need to sign in).
        </p>
      </div>
    </Layout>
  );
}

export function CsatLinkProblemPage(p: { viewer: Viewer | null; csrfToken: string; expired: boolean; ref: string | null }) {
  return (
    <Layout title={p.expired ? 'Link expired' : 'Link not valid'} viewer={p.viewer} csrfToken={p.csrfToken}>
      <div class="auth-card panel" id="csat-link-problem">
        <PageHeader title={p.expired ? 'This link has expired' : 'This link is not valid'} />
        <p>
          {p.expired
            ? 'Rating links in our mails work for 30 days. You can still tell us how we did on your request’s page.'
            : 'The link may be cut short or changed. Open it again from the mail, or rate your request on its page.'}
        </p>
        <p>
          <a href={p.ref ? `/cases/${p.ref}` : '/portal'}>{p.ref ? `Go to ${p.ref}` : 'Go to your requests'}</a> (you may need to sign in).
        </p>
      </div>
    </Layout>
  );
}
