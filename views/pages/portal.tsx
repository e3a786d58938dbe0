/** The customer portal: my requests, and the form to submit a new one. */
import type { CustomerCaseSummary } from '../../src/cases/customer-view.js';
import { Button, CsrfField, EmptyState, Field, FileField, FormError, PageHeader, Table, Time, type FormState, type UploadLimits } from '../components.js';
import { Layout } from '../layout.js';
import { SuggestionList } from '../partials/suggestions.js';
import { StatusBadge } from '../partials/case-panels.js';
import type { Viewer } from '../viewer.js';

export function PortalCases(p: {
  viewer: Viewer;
  csrfToken: string;
  rows: CustomerCaseSummary[];
  nextCursor: string | null;
  paged: boolean;
}) {
  return (
    <Layout title="My requests" viewer={p.viewer} csrfToken={p.csrfToken} current="portal:cases">
      <PageHeader
        title="My requests"
        actions={
          <a class="button button-primary" href="/portal/new">
            New request
          </a>
        }
      />
      {p.rows.length === 0 ? (
        <EmptyState>{p.paged ? 'No older requests.' : 'You have not sent any requests yet.'}</EmptyState>
      ) : (
        <Table caption="Your requests, most recently updated first" captionHidden stack head={['Request', 'Subject', 'Status', 'Last update']}>
          {p.rows.map((row) => (
            <tr>
              <td data-label="Request">
                <a href={`/cases/${row.id}`}>{row.id}</a>
              </td>
              <td class="cell-subject" data-label="Subject" dir="auto">
                {row.subject}
              </td>
              <td data-label="Status">
                <StatusBadge label={row.status} category={row.statusCategory ?? undefined} />
              </td>
              <td data-label="Last update">
                <Time at={row.updatedAt} relative />
              </td>
            </tr>
          ))}
        </Table>
      )}
      <nav class="pager" aria-label="Pages">
        {p.paged ? <a href="/portal">Newest requests</a> : null}
        {p.nextCursor ? <a href={`/portal?cursor=${p.nextCursor}`}>Older requests</a> : null}
      </nav>
    </Layout>
  );
}

export function NewRequestForm(p: { csrfToken: string; state?: FormState; uploads: UploadLimits }) {
  const suggest = { 'hx-get': '/portal/suggestions', 'hx-target': '#suggestions', 'hx-swap': 'outerHTML', 'hx-sync': 'this:replace' };
  return (
    <form id="new-request-form" class="panel stack" method="post" action="/portal/cases" enctype="multipart/form-data" hx-post="/portal/cases" hx-target="this" hx-swap="outerHTML" data-sending="Sending your request… The form is read-only until it has gone.">
      <CsrfField token={p.csrfToken} />
      <FormError state={p.state} />
      <Field
        id="request-subject"
        name="subject"
        label="Subject"
        required
        maxlength={200}
        state={p.state}
        attrs={{ ...suggest, 'hx-trigger': 'input changed delay:500ms', 'hx-include': '#request-description' }}
      />
      <Field
        id="request-description"
        name="description"
        label="Describe the problem"
        hint="What happened, what you expected, and any error message. Matching solutions from our help library show up as you type."
        rows={8}
        required
        maxlength={20000}
        state={p.state}
        attrs={{ ...suggest, 'hx-trigger': 'input changed delay:500ms', 'hx-include': '#request-subject' }}
      />
      <FileField id="request-files" name="files" label="Attach files (screenshots, documents)" limits={p.uploads} state={p.state} />
      <Button id="request-submit">Send request</Button>
    </form>
  );
}

export function NewRequestPage(p: { viewer: Viewer; csrfToken: string; state?: FormState; uploads: UploadLimits }) {
  return (
    <Layout title="New request" viewer={p.viewer} csrfToken={p.csrfToken} current="portal:new">
      <PageHeader title="How can we help?" />
      <div class="request-layout">
        <NewRequestForm csrfToken={p.csrfToken} state={p.state ?? {}} uploads={p.uploads} />
        <SuggestionList matches={[]} searched={false} />
      </div>
    </Layout>
  );
}
