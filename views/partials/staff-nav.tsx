/** The staff sidebar pieces that change at run time: inbox counts and the availability switch. */
import { COUNT_CAP } from '../../src/cases/inbox.js';
import type { Role } from '../../src/roles.js';
import { CsrfField } from '../components.js';
import { viewLabel, type StaffNav } from '../viewer.js';

/** Inbox views with their counts; swapped out-of-band when the inbox refreshes. Async: it reads the counts as it renders. */
export async function InboxNav(p: { nav: StaffNav; role: Role; current: string | undefined; oob?: boolean }) {
  const counts = await p.nav.counts();
  return (
    <ul
      class="nav-list"
      id="inbox-counts"
      hx-get={`/inbox/counts?current=${encodeURIComponent(p.current ?? '')}`}
      hx-trigger="case-updated from:body"
      hx-target="this"
      hx-swap="outerHTML"
      hx-swap-oob={p.oob ? 'true' : undefined}
    >
      {p.nav.views.map((view) => (
        <li>
          <a href={`/inbox?view=${view}`} aria-current={p.current === `inbox:${view}` ? 'page' : undefined}>
            <span>{viewLabel(view, p.role)}</span>
            <span class="count">
              {formatCount(counts[view] ?? 0)}
              <span class="visually-hidden">{(counts[view] ?? 0) === 1 ? ' case' : ' cases'}</span>
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}

/** The sidebar's switch: reads the viewer's availability as it renders. */
export async function NavAvailability(p: { nav: StaffNav; csrfToken: string }) {
  return <Availability available={await p.nav.available()} csrfToken={p.csrfToken} />;
}

/** Available / away: assignment only offers cases to available people. */
export function Availability(p: { available: boolean; csrfToken: string }) {
  return (
    <form id="availability" class="availability" method="post" action="/availability" hx-post="/availability" hx-target="this" hx-swap="outerHTML">
      <CsrfField token={p.csrfToken} />
      <input type="hidden" name="available" value={p.available ? 'false' : 'true'} />
      <p class="availability-state">
        <span class={p.available ? 'dot dot-ok' : 'dot dot-away'} aria-hidden="true"></span>
        {p.available ? 'Available for new cases' : 'Away: no new cases'}
      </p>
      <button type="submit" class="button button-secondary" id="availability-toggle">
        {p.available ? 'Set me away' : 'Set me available'}
      </button>
    </form>
  );
}

/** Counts are capped (COUNT_CAP): the cap reads as "1,000+". */
export function formatCount(n: number): string {
  return n >= COUNT_CAP ? `${COUNT_CAP.toLocaleString('en')}+` : String(n);
}

/**
 * The jump box in the top bar: a plain GET form to /search (a case reference opens the case).
 * `/` focuses it (public/app.js); without JavaScript it is an ordinary search field.
 */
export function JumpBox({ customer }: { customer: boolean }) {
  return (
    <form class="jump-box" role="search" method="get" action="/search" id="jump-box">
      <label class="visually-hidden" for="jump-q">
        {customer ? 'Search your requests' : 'Search cases, customers and the library, or go to a case'}
      </label>
      <input id="jump-q" type="search" name="q" maxlength={500} autocomplete="off" placeholder={customer ? 'Search your requests (/)' : 'Search or go to C-1042 (/)'} aria-keyshortcuts="/" />
      <button type="submit" class="button button-link jump-submit">
        Search
      </button>
    </form>
  );
}
