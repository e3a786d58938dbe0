/**
 * `/manage/team/problems` (the problem library diagnosis searches) and
 * `/manage/team/customers` (search, and marking customers churned or not with a date).
 */
import type { ChurnMarkRow, CustomerListRow, CustomerRow } from '../../../src/team/churn.js';
import type { ProblemRow } from '../../../src/team/problems.js';
import { Badge, Button, CsrfField, EmptyState, Field, FormError, Time, type FormState } from '../../components.js';
import type { Child } from 'hono/jsx';
import type { Viewer } from '../../viewer.js';
import { ManageTable } from './parts.js';
import { TEAM, TeamFrame } from './team.js';

const PROBLEMS = `${TEAM}/problems`;
const CUSTOMERS = `${TEAM}/customers`;

function excerpt(text: string, max = 140): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function ProblemsPage(p: { viewer: Viewer; csrfToken: string; rows: ProblemRow[]; q: string; notice: string | null }) {
  return (
    <TeamFrame
      title="Problem library"
      viewer={p.viewer}
      csrfToken={p.csrfToken}
      nav="problems"
      notice={p.notice}
      actions={
        <a class="button button-primary" href={`${PROBLEMS}/new`} id="new-problem">
          New problem
        </a>
      }
    >
      <p class="lead">Known problems and their solutions. Diagnosis matches new requests against the active ones and suggests their solutions to customers and agents.</p>
      <form class="search-form" method="get" action={PROBLEMS} role="search" data-url-fields>
        <Field id="problem-search" name="q" label="Search titles, symptoms and synonyms" value={p.q} maxlength={200} />
        <Button variant="secondary" id="problem-search-button">
          Search
        </Button>
      </form>
      {p.rows.length === 0 ? (
        <EmptyState>{p.q ? 'No problem matches.' : 'The library is empty.'}</EmptyState>
      ) : (
        <ManageTable caption="Problem library" captionHidden head={['Title', 'Symptoms', 'Status', 'Updated']} id="problems-table">
          {p.rows.map((r) => (
            <tr class={r.active ? undefined : 'row-inactive'}>
              <td class="cell-subject">
                <a href={`${PROBLEMS}/${r.id}`}>{r.title}</a>
              </td>
              <td class="cell-text">{excerpt(r.symptoms)}</td>
              <td>{r.active ? <Badge tone="ok">active</Badge> : <Badge tone="muted">inactive</Badge>}</td>
              <td>
                <Time at={r.updatedAt} />
              </td>
            </tr>
          ))}
        </ManageTable>
      )}
    </TeamFrame>
  );
}

export function ProblemForm(p: { csrfToken: string; state: FormState; problem: ProblemRow | null }) {
  const action = p.problem ? `${PROBLEMS}/${p.problem.id}` : PROBLEMS;
  return (
    <form id="problem-form" class="panel stack" method="post" action={action} hx-post={action} hx-target="this" hx-swap="outerHTML">
      <CsrfField token={p.csrfToken} />
      <FormError state={p.state} />
      <Field id="problem-title" name="title" label="Title" required maxlength={200} state={p.state} value={p.problem?.title ?? ''} />
      <Field id="problem-symptoms" name="symptoms" label="Symptoms" hint="The words customers use: error messages, what they see." rows={4} required maxlength={5000} state={p.state} value={p.problem?.symptoms ?? ''} />
      <Field
        id="problem-synonyms"
        name="synonyms"
        label="Synonyms"
        hint="Other ways customers say it, one per line: “billed 2 times”, “locked out of my account”. Diagnosis searches them like the symptoms."
        rows={3}
        maxlength={5000}
        state={p.state}
        value={p.problem?.synonyms ?? ''}
      />
      <Field id="problem-solution" name="solution" label="Solution" rows={6} required maxlength={20000} state={p.state} value={p.problem?.solution ?? ''} />
      <Button id="problem-save">{p.problem ? 'Save problem' : 'Add to the library'}</Button>
    </form>
  );
}

export function NewProblemPage(p: { viewer: Viewer; csrfToken: string; state: FormState }) {
  return (
    <TeamFrame title="New problem" viewer={p.viewer} csrfToken={p.csrfToken} nav="problems" eyebrow={<a href={PROBLEMS}>Problem library</a>}>
      <ProblemForm csrfToken={p.csrfToken} state={p.state} problem={null} />
    </TeamFrame>
  );
}

export function ProblemPage(p: { viewer: Viewer; csrfToken: string; problem: ProblemRow; state: FormState; notice: string | null }) {
  const r = p.problem;
  return (
    <TeamFrame
      title={r.title}
      viewer={p.viewer}
      csrfToken={p.csrfToken}
      nav="problems"
      eyebrow={<a href={PROBLEMS}>Problem library</a>}
      notice={p.notice}
      actions={r.active ? <Badge tone="ok">active</Badge> : <Badge tone="muted">inactive</Badge>}
    >
      <ProblemForm csrfToken={p.csrfToken} state={p.state} problem={r} />
      <section class="panel danger-zone" aria-labelledby="problem-status-heading">
        <h2 id="problem-status-heading">{r.active ? 'Deactivate' : 'Reactivate'}</h2>
        <form method="post" action={`${PROBLEMS}/${r.id}/${r.active ? 'deactivate' : 'reactivate'}`} id="problem-status-form" class="stack" hx-boost="true" hx-push-url="false">
          <CsrfField token={p.csrfToken} />
          <p>{r.active ? 'Inactive problems are kept but never suggested.' : 'Diagnosis suggests it again.'}</p>
          <Button variant={r.active ? 'danger' : 'primary'} id="problem-status">
            {r.active ? 'Deactivate' : 'Reactivate'}
          </Button>
        </form>
      </section>
    </TeamFrame>
  );
}

/* Customers */

export function CustomerResults(p: { rows: CustomerListRow[]; searched: boolean }) {
  return (
    <div id="customer-results" aria-live="polite">
      {p.rows.length === 0 ? (
        <EmptyState>{p.searched ? 'No customer matches.' : 'No customers yet.'}</EmptyState>
      ) : (
        <ManageTable caption="Customers" captionHidden head={['Name', 'Email', 'Organization', 'Tier', 'Cases', 'Churned']} id="customers-table">
          {p.rows.map((r) => (
            <tr>
              <td>
                <a href={`${CUSTOMERS}/${r.id}`}>{r.name}</a>
              </td>
              <td>{r.email}</td>
              <td>{r.organization ?? ''}</td>
              <td>{r.tier}</td>
              <td class="num">{String(r.cases)}</td>
              <td>{r.churnedAt === null ? '—' : <Badge tone="warning">{`since ${new Date(r.churnedAt).toISOString().slice(0, 10)}`}</Badge>}</td>
            </tr>
          ))}
        </ManageTable>
      )}
    </div>
  );
}

export function CustomersPage(p: { viewer: Viewer; csrfToken: string; rows: CustomerListRow[]; q: string; churnedOnly: boolean }) {
  return (
    <TeamFrame title="Customers" viewer={p.viewer} csrfToken={p.csrfToken} nav="customers">
      <form
        class="search-form"
        method="get"
        action={CUSTOMERS}
        role="search"
        hx-get={CUSTOMERS}
        hx-trigger="input changed delay:400ms from:#customer-search, change from:#customer-churned, submit"
        hx-target="#customer-results"
        hx-swap="outerHTML"
        hx-push-url="true"
        data-url-fields
      >
        <Field id="customer-search" name="q" label="Name, email or organization" value={p.q} maxlength={200} />
        <label class="check" for="customer-churned">
          <input type="checkbox" id="customer-churned" name="churned" value="1" checked={p.churnedOnly} />
          Churned only
        </label>
        <Button variant="secondary" id="customer-search-button">
          Search
        </Button>
      </form>
      <CustomerResults rows={p.rows} searched={p.q !== '' || p.churnedOnly} />
      <p class="muted">The first 50 matches, by name.</p>
    </TeamFrame>
  );
}

export function ChurnForm(p: { csrfToken: string; customer: CustomerRow; state: FormState; today: string }) {
  const churned = p.customer.churnedAt !== null;
  const action = `${CUSTOMERS}/${p.customer.id}/churn`;
  return (
    <form id="churn-form" class="stack" method="post" action={action} hx-post={action} hx-target="this" hx-swap="outerHTML">
      <CsrfField token={p.csrfToken} />
      <input type="hidden" name="churned" value={churned ? 'false' : 'true'} />
      <FormError state={p.state} />
      <Field id="churn-at" name="at" label={churned ? 'Back since (UTC date)' : 'Churned since (UTC date)'} type="date" required state={p.state} value={p.today} />
      <Field id="churn-note" name="note" label="Note (optional)" maxlength={500} state={p.state} />
      <Button variant={churned ? 'primary' : 'danger'} id="churn-submit">
        {churned ? 'Un-mark churned' : 'Mark as churned'}
      </Button>
    </form>
  );
}

export function CustomerPage(p: { viewer: Viewer; csrfToken: string; customer: CustomerRow; history: ChurnMarkRow[]; actors: Map<number, string>; cases: number; state: FormState; today: string; notice: string | null; privacy?: Child }) {
  const c = p.customer;
  return (
    <TeamFrame
      title={c.name}
      viewer={p.viewer}
      csrfToken={p.csrfToken}
      nav="customers"
      eyebrow={<a href={CUSTOMERS}>Customers</a>}
      notice={p.notice}
      actions={c.churnedAt === null ? <Badge tone="ok">customer</Badge> : <Badge tone="warning">churned</Badge>}
    >
      <section class="panel">
        <dl class="facts">
          <dt>Email</dt>
          <dd>{c.email}</dd>
          <dt>Phone</dt>
          <dd>{c.phone ? <a href={`tel:${c.phone}`}>{c.phone}</a> : '—'}</dd>
          <dt>Organization</dt>
          <dd>{c.organization ?? '—'}</dd>
          <dt>Tier</dt>
          <dd>{c.tier}</dd>
          <dt>Cases</dt>
          <dd>{String(p.cases)}</dd>
          <dt>Churned</dt>
          <dd>{c.churnedAt === null ? 'no' : `since ${new Date(c.churnedAt).toISOString().slice(0, 10)}`}</dd>
        </dl>
      </section>
      <section class="panel" aria-labelledby="churn-heading">
        <h2 id="churn-heading">{c.churnedAt === null ? 'Mark as churned' : 'Un-mark churned'}</h2>
        <ChurnForm csrfToken={p.csrfToken} customer={c} state={p.state} today={p.today} />
      </section>
      <section class="panel" aria-labelledby="churn-history-heading">
        <h2 id="churn-history-heading">Churn history</h2>
        {p.history.length === 0 ? (
          <EmptyState>Never marked churned.</EmptyState>
        ) : (
          <ManageTable caption="Churn marks, newest first" captionHidden head={['Date', 'Mark', 'By', 'Note']} id="churn-history">
            {p.history.map((m) => (
              <tr>
                <td>{new Date(m.at).toISOString().slice(0, 10)}</td>
                <td>{m.churned ? 'churned' : 'back'}</td>
                <td>{m.actorId === null ? 'Casebook' : (p.actors.get(m.actorId) ?? `staff ${m.actorId}`)}</td>
                <td class="cell-text">{m.note ?? ''}</td>
              </tr>
            ))}
          </ManageTable>
        )}
      </section>
      {p.privacy ?? null}
    </TeamFrame>
  );
}
