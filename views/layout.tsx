/**
 * The page layout: skip link, top bar (the search / jump box, who is signed in, sign out), the navigation for
 * staff (inbox views with counts, availability, a "Manage" section for managers) or for
 * customers (my cases, new request), and the main region with a flash area that htmx
 * error fragments and status messages are swapped into.
 */
import type { Child, PropsWithChildren } from 'hono/jsx';
import { raw } from 'hono/html';
import { assetUrl } from '../src/http/pages/assets.js';
import { InboxNav, JumpBox, NavAvailability } from './partials/staff-nav.js';
import { CsrfField } from './components.js';
import type { Viewer } from './viewer.js';

/**
 * htmx settings compatible with our CSP: no eval, no inline indicator styles, no copying
 * of `style` attributes while settling (a resized textarea would trip style-src), 422
 * swapped, other errors into #flash.
 */
export const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  attributesToSettle: ['class', 'width', 'height'],
  allowEval: false,
  allowScriptTags: false,
  selfRequestsOnly: true,
  historyRestoreAsHxRequest: false,
  responseHandling: [
    { code: '204', swap: false },
    { code: '[23]..', swap: true },
    { code: '422', swap: true },
    { code: '[45]..', swap: true, error: true, target: '#flash', swapOverride: 'innerHTML' },
    { code: '...', swap: false },
  ],
});

export interface LayoutProps {
  title: string;
  viewer: Viewer | null;
  csrfToken: string;
  /** Key of the current navigation entry, e.g. "inbox:mine", "portal:cases". */
  current?: string;
}

function NavItem(p: { href: string; current: boolean; children: Child }) {
  return (
    <li>
      <a href={p.href} aria-current={p.current ? 'page' : undefined}>
        {p.children}
      </a>
    </li>
  );
}

function CustomerNav({ current }: { current: string | undefined }) {
  return (
    <nav class="sidebar" aria-label="Portal">
      <ul class="nav-list">
        <NavItem href="/portal" current={current === 'portal:cases'}>
          My requests
        </NavItem>
        <NavItem href="/portal/new" current={current === 'portal:new'}>
          New request
        </NavItem>
      </ul>
    </nav>
  );
}

function StaffSidebar({ viewer, current, csrfToken }: { viewer: Viewer; current: string | undefined; csrfToken: string }) {
  const manager = viewer.role === 'manager' || viewer.role === 'admin';
  return (
    <nav class="sidebar" aria-label="Workspace">
      <h2 class="nav-heading">Inbox</h2>
      {viewer.staff ? <InboxNav nav={viewer.staff} role={viewer.role} current={current} /> : null}
      {viewer.staff ? <NavAvailability nav={viewer.staff} csrfToken={csrfToken} /> : null}
      <ul class="nav-list">
        <NavItem href="/cases/new" current={current === 'cases:new'}>
          Log a call or visit
        </NavItem>
        <NavItem href="/macros" current={current === 'macros'}>
          Macros
        </NavItem>
      </ul>
      {manager && viewer.manage.length > 0 ? (
        <>
          <h2 class="nav-heading">Manage</h2>
          <ul class="nav-list">
            {viewer.manage.map((link) => (
              <NavItem href={link.href} current={current === `manage:${link.href}`}>
                {link.label}
              </NavItem>
            ))}
          </ul>
        </>
      ) : null}
    </nav>
  );
}

export function Layout(p: PropsWithChildren<LayoutProps>) {
  const { viewer } = p;
  const home = viewer === null ? '/login' : viewer.kind === 'staff' ? '/inbox' : '/portal';
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="htmx-config" content={HTMX_CONFIG} />
          <title>{`${p.title} · Casebook`}</title>
          <link rel="icon" href="/favicon.ico" sizes="48x48" />
          <link rel="icon" href={assetUrl('favicon.svg')} type="image/svg+xml" />
          <link rel="stylesheet" href={assetUrl('app.css')} />
          <script src={assetUrl('htmx.min.js')} defer></script>
          <script src={assetUrl('app.js')} defer></script>
          {viewer?.kind === 'staff' ? (
            <>
              <link rel="stylesheet" href={assetUrl('workspace.css')} />
              <script src={assetUrl('workspace.js')} defer></script>
              <script src={assetUrl('chat-agent.js')} defer></script>
            </>
          ) : null}
        </head>
        <body
          hx-headers={JSON.stringify({ 'X-CSRF-Token': p.csrfToken })}
          class={viewer ? `as-${viewer.kind}` : 'as-guest'}
          data-time-zone={viewer ? (viewer.timeZone ?? '') : undefined}
        >
          <a class="skip-link" href="#main">
            Skip to main content
          </a>
          <header class="topbar">
            <a class="brand" href={home}>
              Casebook
            </a>
            {viewer ? <JumpBox customer={viewer.kind === 'customer'} /> : null}
            {viewer ? (
              <div class="account">
                <span class="account-name">
                  {viewer.name}
                  <span class="account-role"> · {viewer.kind === 'staff' ? viewer.role : 'customer'}</span>
                </span>
                <a href="/profile" class="account-profile" id="profile-link" aria-current={p.current === 'profile' ? 'page' : undefined}>
                  Profile
                </a>
                <form method="post" action="/logout" class="inline-form">
                  <CsrfField token={p.csrfToken} />
                  <button type="submit" class="button button-link" id="sign-out">
                    Sign out
                  </button>
                </form>
              </div>
            ) : null}
          </header>
          <div class={viewer ? 'shell' : 'shell shell-single'}>
            {viewer?.kind === 'staff' ? <StaffSidebar viewer={viewer} current={p.current} csrfToken={p.csrfToken} /> : null}
            {viewer?.kind === 'customer' ? <CustomerNav current={p.current} /> : null}
            <main id="main" tabindex={-1}>
              <div id="flash" aria-live="polite"></div>
              {p.children}
            </main>
          </div>
        </body>
      </html>
    </>
  );
}
