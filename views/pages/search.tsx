/**
 * The search page: the search form (results as you type with htmx; a plain GET form
 * without), then the matching cases newest first, each with the subject and one snippet
 * with the hits marked; beside them, on the first page of a search by words, matching
 * customers (staff) and known problems from the library.
 */
import type { CaseResult, SearchResults as Results } from '../../src/search/present-results.js';
import { segmentsOf, type Marked } from '../../src/search/highlight.js';
import { Alert, EmptyState, PageHeader, Time } from '../components.js';
import { Layout } from '../layout.js';
import { PriorityBadge, StatusBadge } from '../partials/case-panels.js';
import type { Viewer } from '../viewer.js';

export interface SearchData {
  q: string;
  results: Results | null;
  /** A query refused (422): what is wrong with it. */
  error: string | null;
}

/** Text with its hits in <mark>; every segment goes through the usual escaping. */
export function Hl({ value }: { value: Marked }) {
  return (
    <>
      {segmentsOf(value).map((s) => (s.hit ? <mark>{s.text}</mark> : s.text))}
    </>
  );
}

export function searchUrl(q: string, cursor?: string | null): string {
  const params = new URLSearchParams({ q });
  if (cursor) params.set('cursor', cursor);
  return `/search?${params.toString()}`;
}

const MATCH_LABELS = { description: 'Description', reply: 'Reply', note: 'Internal note' } as const;

function CaseItem({ item, staff }: { item: CaseResult; staff: boolean }) {
  const m = item.match;
  return (
    <li class="search-hit">
      <p class="search-hit-title">
        <a href={`/cases/${item.id}`} class="search-ref">
          {item.id}
        </a>{' '}
        <span class="search-subject" dir="auto">
          <Hl value={item.subject} />
        </span>
      </p>
      <p class="search-hit-meta">
        <StatusBadge label={item.statusLabel} category={item.statusCategory ?? undefined} />
        {staff && item.priority ? <PriorityBadge priority={item.priority} short /> : null}
        {staff ? <span>{item.customer?.name}</span> : null}
        {staff ? <span>queue {item.queue}</span> : null}
        {staff ? <span>{item.assignee ? item.assignee.name : 'unassigned'}</span> : null}
        <span>
          opened <Time at={item.createdAt} />
        </span>
      </p>
      <blockquote class={m.in === 'note' ? 'search-snippet search-snippet-note' : 'search-snippet'}>
        <p class="search-snippet-source">
          {MATCH_LABELS[m.in]}
          {m.author ? ` from ${m.author.name}` : ''}
          {m.in === 'description' ? null : (
            <>
              {', '}
              <Time at={m.at} />
            </>
          )}
        </p>
        <p>
          <Hl value={m.snippet} />
        </p>
      </blockquote>
      {item.moreMatches > 0 ? <p class="muted search-more">{item.moreMatches === 1 ? '1 more message with all the searched words' : `${item.moreMatches} more messages with all the searched words`}</p> : null}
    </li>
  );
}

function Pager({ results }: { results: Results }) {
  const next = results.cases.nextCursor;
  if (!next) return null;
  const url = searchUrl(results.q, next);
  return (
    <nav class="pager" aria-label="Pages">
      {results.cases.partial ? <p class="muted">Only the most recent matches were searched so far.</p> : null}
      <a href={url} hx-get={url} hx-target="#search-results" hx-swap="outerHTML" hx-push-url="true" id="search-next">
        {results.cases.partial ? 'Search older cases' : 'More results'}
      </a>
    </nav>
  );
}

function Groups({ results, manager }: { results: Results; manager: boolean }) {
  const customers = results.customers ?? [];
  if (customers.length === 0 && results.library.length === 0) return null;
  return (
    <aside class="search-groups" aria-label="Customers and library">
      {customers.length > 0 ? (
        <section class="panel" aria-labelledby="search-customers">
          <h2 id="search-customers">Customers</h2>
          <ul class="search-list">
            {customers.map((cu) => (
              <li>
                <a href={searchUrl(`customer:${cu.email}`)}>
                  <Hl value={cu.name} />
                </a>
                <span class="muted">
                  {' '}
                  · {cu.cases === 1 ? '1 case' : `${cu.cases} cases`}
                </span>
                <br />
                <span class="search-small">
                  <Hl value={cu.details} />
                </span>
                {manager ? (
                  <>
                    {' '}
                    <a class="search-small" href={`/manage/team/customers/${cu.id}`}>
                      profile
                    </a>
                  </>
                ) : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {results.library.length > 0 ? (
        <section class="panel" aria-labelledby="search-library">
          <h2 id="search-library">Problem library</h2>
          <ul class="search-list">
            {results.library.map((p) => (
              <li>
                {manager ? (
                  <a href={`/manage/team/problems/${p.id}`}>
                    <Hl value={p.title} />
                  </a>
                ) : (
                  <strong>
                    <Hl value={p.title} />
                  </strong>
                )}
                <br />
                <span class="search-small">
                  <Hl value={p.solution} />
                </span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </aside>
  );
}

/** The results region, swapped by htmx as the query changes. */
export function SearchResultsRegion(p: { data: SearchData; viewer: Viewer }) {
  const { results, error } = p.data;
  const staff = p.viewer.kind === 'staff';
  const manager = p.viewer.role === 'manager' || p.viewer.role === 'admin';
  return (
    <section id="search-results" aria-live="polite" aria-label="Search results">
      {error ? (
        <Alert tone="error" id="search-error">
          <p>{error}</p>
        </Alert>
      ) : null}
      {results ? (
        <div class="search-layout">
          <div>
            {results.jump ? (
              <p class="alert alert-info" id="search-jump">
                <a href={`/cases/${results.jump.id}`}>Open {results.jump.id}</a>
              </p>
            ) : null}
            <h2 class="visually-hidden">Cases</h2>
            {results.cases.items.length === 0 ? (
              <EmptyState>
                {!staff
                  ? 'None of your requests match.'
                  : results.cases.partial
                    ? 'No matches among the most recent cases searched so far.'
                    : (results.customers?.length ?? 0) > 0
                      ? 'No case text matches. A customer’s name opens their cases.'
                      : 'No cases match.'}
              </EmptyState>
            ) : (
              <ol class="search-hits" id="search-hits">
                {results.cases.items.map((item) => (
                  <CaseItem item={item} staff={staff} />
                ))}
              </ol>
            )}
            <Pager results={results} />
          </div>
          <Groups results={results} manager={manager} />
        </div>
      ) : null}
    </section>
  );
}

function SearchHelp({ staff }: { staff: boolean }) {
  return (
    <details class="search-help" id="search-help">
      <summary>How to search</summary>
      <ul>
        <li>
          Words find cases with all of them, in any form (<code>charged</code> finds “charges”), newest case first.
        </li>
        <li>
          <code>"exact phrase"</code>, <code>-word</code> to leave out.
        </li>
        {staff ? (
          <li>
            Filters: <code>status:open</code>, <code>queue:billing</code>, <code>assignee:me</code> (or <code>none</code>, an email), <code>tag:vip</code>,{' '}
            <code>priority:urgent</code>, <code>customer:pat@example.com</code> (or <code>@example.com</code>, a name), <code>created:&gt;2026-11-01</code> (<code>&lt;</code>, <code>&gt;=</code>, a
            day, <code>2026-11-01..2026-11-30</code>). Several values: <code>status:new,open</code>.
          </li>
        ) : (
          <li>
            <code>created:&gt;2026-11-01</code> for requests sent after a day.
          </li>
        )}
        <li>
          A reference such as <code>C-1042</code> opens the case. Press <kbd>/</kbd> anywhere to search.
        </li>
      </ul>
    </details>
  );
}

export function SearchPage(p: { data: SearchData; viewer: Viewer; csrfToken: string }) {
  const staff = p.viewer.kind === 'staff';
  return (
    <Layout title={p.data.q ? `Search: ${p.data.q}` : 'Search'} viewer={p.viewer} csrfToken={p.csrfToken} current="search">
      <PageHeader title={staff ? 'Search' : 'Search your requests'} />
      <form id="search-form" class="search-form" role="search" method="get" action="/search" data-url-fields>
        <label for="search-q">Search for</label>
        <div class="search-row">
          <input
            id="search-q"
            type="search"
            name="q"
            value={p.data.q}
            maxlength={500}
            autocomplete="off"
            aria-describedby="search-help"
            aria-invalid={p.data.error ? 'true' : undefined}
            hx-get="/search"
            hx-trigger="input changed delay:300ms, search"
            hx-target="#search-results"
            hx-swap="outerHTML"
            hx-sync="this:replace"
            hx-vals={JSON.stringify({ live: '1' })}
          />
          <button type="submit" class="button button-primary" id="search-submit">
            Search
          </button>
        </div>
      </form>
      <SearchHelp staff={staff} />
      <SearchResultsRegion data={p.data} viewer={p.viewer} />
    </Layout>
  );
}
