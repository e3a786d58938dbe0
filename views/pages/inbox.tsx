/** The agent inbox: filters, the case table sorted by SLA due, keyset paging, live refresh. */
import type { BulkSummary } from '../../src/cases/bulk-update.js';
import { INBOX_PAGE_SIZE, type InboxQuery, type InboxRow, type InboxView } from '../../src/cases/inbox.js';
import type { SavedView } from '../../src/cases/inbox-views.js';
import { listedValue } from '../../src/cases/bulk-listed.js';
import { caseRef } from '../../src/cases/case-ref.js';
import { caseSlaStatus } from '../../src/http/pages/sla-status.js';
import type { StateCategory } from '../../src/workflow/definition.js';
import { Alert, Badge, Button, CsrfField, EmptyState, Field, PageHeader, SelectField, Table, type FormState, type Option } from '../components.js';
import { Layout } from '../layout.js';
import { Time } from '../time.js';
import { BulkBar, BulkResult, HiddenFilters, SavedViews, SaveViewForm, type InboxTools } from '../partials/inbox-tools.js';
import { InboxNav } from '../partials/staff-nav.js';
import { SlaBadge } from '../partials/sla.js';
import { PriorityBadge, StatusBadge } from '../partials/case-panels.js';
import { viewLabel, type Viewer } from '../viewer.js';

export interface InboxData {
  query: InboxQuery;
  rows: InboxRow[];
  nextCursor: string | null;
  stamp: string;
  /** The newest timeline entry when the list was read: each row's `listed` carries it (src/cases/bulk-listed.ts). */
  seen?: number;
  now: number;
  states: Record<string, { label: string; category: StateCategory }>;
  queueOptions: Option[];
  statusOptions: Option[];
  /** Saved views with their counts, and the list's filters as a view's query string. */
  views: SavedView[];
  viewQuery: string;
  tools: InboxTools;
}

/** After a bulk action, a refused form (without JavaScript the inbox page carries them). */
export interface InboxForms {
  /** `ticked`: the cases a refused request had ticked, ticked again (without JavaScript the page is all there is). */
  bulk?: { summary?: BulkSummary | null; error?: string | null; state?: FormState; ticked?: readonly string[] };
  saveView?: FormState;
}

/** The list's filters (no page), as form fields. */
export function filterFields(q: InboxQuery): Record<string, string | undefined> {
  return { view: q.view, queue: q.queue, status: q.status, priority: q.priority, tag: q.tag };
}

/** The page size asked for, as a field: none for the default (the URL stays short). */
export function pageSizeField(q: Pick<InboxQuery, 'limit'>): string | undefined {
  return q.limit === INBOX_PAGE_SIZE ? undefined : String(q.limit);
}

/** What "Per page" offers (a size given in the URL is offered too). */
const PAGE_SIZES = [25, 50, 100];

/** The query string of the current list (view, filters, page size, page), without empty values. */
export function inboxParams(query: InboxQuery, overrides: Partial<Record<keyof InboxQuery, string | undefined>> = {}): string {
  const params = new URLSearchParams();
  const merged: Record<string, unknown> = { ...query, limit: pageSizeField(query), ...overrides };
  for (const key of ['view', 'queue', 'status', 'priority', 'tag', 'limit', 'cursor'] as const) {
    const value = merged[key];
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  return params.toString();
}

export function InboxResults(p: { data: InboxData; role: Viewer['role']; pollSeconds: number; ticked?: readonly string[] | undefined }) {
  const { data } = p;
  const q = data.query;
  const label = viewLabel(q.view, p.role);
  return (
    <section
      id="inbox-results"
      aria-label="Cases"
      hx-get={`/inbox?${inboxParams(q)}&stamp=${data.stamp}`}
      hx-trigger={`every ${p.pollSeconds}s, case-updated from:body`}
      hx-target="this"
      hx-swap="outerHTML"
    >
      {data.rows.length === 0 ? (
        <EmptyState>{q.cursor ? 'No more cases.' : 'No open cases here. Nice.'}</EmptyState>
      ) : (
        <Table
          caption={`${label}: open cases, the most urgent SLA first`}
          captionHidden
          stack
          head={[
            <>
              <span class="visually-hidden">Select</span>
              <input type="checkbox" id="select-all" class="select-all" aria-label="Select every case on this page" hidden />
            </>,
            'Case',
            'Subject',
            'Customer',
            'Status',
            'Priority',
            'Queue',
            'Assignee',
            'SLA',
          ]}
        >
          {data.rows.map((r) => {
            const ref = caseRef(r.case.id);
            const state = data.states[r.case.status];
            return (
              <tr>
                <td class="cell-select" data-label="Select">
                  {/* hx-preserve: a refresh of the list keeps what is ticked. */}
                  <input type="checkbox" name="cases" value={ref} id={`select-${ref}`} class="select-case" aria-label={`Select ${ref}`} hx-preserve="true" checked={p.ticked?.includes(ref) === true} />
                  {/* What this row shows (assignee, state, queue): a bulk action is not applied over a change the list has not shown yet. Refreshed with the list. */}
                  <input type="hidden" name="listed" value={listedValue(ref, r.case, p.data.seen)} />
                </td>
                <td class="cell-ref" data-label="Case">
                  <a href={`/cases/${ref}`} id={`row-${ref}`}>
                    {ref}
                  </a>
                </td>
                <td class="cell-subject" data-label="Subject">
                  <bdi>{r.case.subject}</bdi>
                  <span class="cell-activity">
                    {'Last activity '}
                    <Time at={r.case.updatedAt} short relative />
                  </span>
                </td>
                <td data-label="Customer">
                  {r.customerName}
                  {r.chatUnverified ? (
                    <>
                      {' '}
                      <Badge tone="warning" title="A chat visitor typed this customer’s address; the site did not verify it">
                        e-mail not verified
                      </Badge>
                    </>
                  ) : null}
                </td>
                <td data-label="Status">
                  <StatusBadge label={state?.label ?? r.case.status} category={state?.category} />
                </td>
                <td data-label="Priority">
                  <PriorityBadge priority={r.case.priority} short />
                </td>
                <td data-label="Queue">{data.queueOptions.find((o) => o.value === r.case.queueId)?.label ?? r.case.queueId}</td>
                <td data-label="Assignee">{r.assigneeName ?? <span class="muted">Unassigned</span>}</td>
                <td data-label="SLA">
                  <SlaBadge status={caseSlaStatus(r.timers, r.case.slaDueAt, data.now)} />
                </td>
              </tr>
            );
          })}
        </Table>
      )}
      <nav class="pager" aria-label="Pages">
        {q.cursor ? (
          <a href={`/inbox?${inboxParams(q, { cursor: undefined })}`} hx-get={`/inbox?${inboxParams(q, { cursor: undefined })}`} hx-push-url="true">
            First page
          </a>
        ) : null}
        {data.nextCursor ? (
          <a href={`/inbox?${inboxParams(q, { cursor: data.nextCursor })}`} hx-get={`/inbox?${inboxParams(q, { cursor: data.nextCursor })}`} hx-push-url="true" id="next-page">
            Next page
          </a>
        ) : null}
      </nav>
    </section>
  );
}

function Filters({ data }: { data: InboxData }) {
  const q = data.query;
  const values = { queue: q.queue ?? '', status: q.status ?? '', priority: q.priority ?? '', tag: q.tag ?? '' };
  return (
    <form id="inbox-filters" class="filters" method="get" action="/inbox" data-url-fields hx-get="/inbox" hx-target="#inbox-results" hx-swap="outerHTML" hx-push-url="true" hx-trigger="change, submit">
      <input type="hidden" name="view" value={q.view} />
      <SelectField id="filter-queue" name="queue" label="Queue" value={values.queue} options={[{ value: '', label: 'All queues' }, ...data.queueOptions]} />
      <SelectField id="filter-status" name="status" label="Status" value={values.status} options={[{ value: '', label: 'Any status' }, ...data.statusOptions]} />
      <SelectField
        id="filter-priority"
        name="priority"
        label="Priority"
        value={values.priority}
        options={[
          { value: '', label: 'Any priority' },
          { value: 'urgent', label: 'Urgent' },
          { value: 'high', label: 'High' },
          { value: 'normal', label: 'Normal' },
          { value: 'low', label: 'Low' },
        ]}
      />
      <Field id="filter-tag" name="tag" label="Tag" value={values.tag} maxlength={64} />
      <SelectField
        id="filter-limit"
        name="limit"
        label="Per page"
        value={String(q.limit)}
        attrs={{ 'data-url-default': String(INBOX_PAGE_SIZE) }}
        options={[...new Set([...PAGE_SIZES, q.limit])].sort((a, b) => a - b).map((n) => ({ value: String(n), label: String(n) }))}
      />
      <Button variant="secondary" id="filter-apply">
        Apply filters
      </Button>
    </form>
  );
}

/** `notice`: where a case the viewer just worked on went (it left their queues). */
export function InboxPage(p: { data: InboxData; viewer: Viewer; csrfToken: string; pollSeconds: number; notice?: string | null; forms?: InboxForms }) {
  const view: InboxView = p.data.query.view;
  return (
    <Layout title={`Inbox: ${viewLabel(view, p.viewer.role)}`} viewer={p.viewer} csrfToken={p.csrfToken} current={`inbox:${view}`}>
      {p.notice ? (
        <Alert tone="info" id="moved-notice">
          <p>{p.notice}</p>
        </Alert>
      ) : null}
      <PageHeader eyebrow="Inbox" title={viewLabel(view, p.viewer.role)} />
      <SavedViews views={p.data.views} current={p.data.viewQuery} csrfToken={p.csrfToken} />
      <Filters data={p.data} />
      <SaveViewForm filters={filterFields(p.data.query)} csrfToken={p.csrfToken} canShare={p.data.tools.canShare} state={p.forms?.saveView} />
      <form id="bulk-form" class="bulk-form" method="post" action="/inbox/bulk" hx-post="/inbox/bulk" hx-target="#bulk-summary" hx-swap="outerHTML">
        <CsrfField token={p.csrfToken} />
        <HiddenFilters id="bulk-filters" filters={{ ...filterFields(p.data.query), limit: pageSizeField(p.data.query), cursor: p.data.query.cursor }} />
        <BulkBar tools={p.data.tools} state={p.forms?.bulk?.state} />
        <BulkResult summary={p.forms?.bulk?.summary} error={p.forms?.bulk?.error} />
        <InboxResults data={p.data} role={p.viewer.role} pollSeconds={p.pollSeconds} ticked={p.forms?.bulk?.error ? p.forms.bulk.ticked : undefined} />
      </form>
    </Layout>
  );
}

/**
 * htmx answer for the list: the results and, out-of-band, the sidebar counts and the filters
 * of the forms beside the list; after a change of filters (`withViews`) the saved views too
 * (which one is current). InboxData's `views` are only read then.
 */
export function InboxFragment(p: { data: InboxData; viewer: Viewer; csrfToken: string; pollSeconds: number; withViews: boolean }) {
  return (
    <>
      <InboxResults data={p.data} role={p.viewer.role} pollSeconds={p.pollSeconds} />
      {p.viewer.staff ? <InboxNav nav={p.viewer.staff} role={p.viewer.role} current={`inbox:${p.data.query.view}`} oob /> : null}
      {p.withViews ? <SavedViews views={p.data.views} current={p.data.viewQuery} csrfToken={p.csrfToken} oob /> : null}
      <HiddenFilters id="save-view-filters" filters={filterFields(p.data.query)} oob />
      <HiddenFilters id="bulk-filters" filters={{ ...filterFields(p.data.query), limit: pageSizeField(p.data.query), cursor: p.data.query.cursor }} oob />
    </>
  );
}
