/**
 * Responses for pages: the full document on a normal request, the fragment on an htmx
 * request (`Vary: HX-Request`, never cached), redirects that work for both.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { eq } from 'drizzle-orm';
import { inboxCounts, viewsFor } from '../../cases/inbox.js';
import type { Viewer } from '../../../views/viewer.js';
import { isHtmx, type PageContext } from './env.js';
import { jsx } from 'hono/jsx';
import { TimeSettingsContext, type TimeSettings } from '../../../views/time.js';
import { displayZone } from '../../text/time-zones.js';

type Html = string | Promise<string>;

function noStore(c: Context): void {
  c.header('Vary', 'HX-Request');
  c.header('Cache-Control', 'no-store');
}

/** The viewer's zone (UTC until they set one or their browser told us) and the clock's "now", for every `<Time>`. */
export function timeSettingsOf(c: Context): TimeSettings {
  const principal = (c as PageContext).get('principal');
  const services = (c as PageContext).get('services');
  return { zone: displayZone(principal?.timeZone), now: services ? services.clock.now() : null };
}

export function sendHtml(c: Context, html: Html, status: ContentfulStatusCode = 200): Response | Promise<Response> {
  noStore(c);
  // A page or fragment (a JSX node) renders inside the time settings; a ready string is sent as it is.
  if (typeof html === 'string' || html instanceof Promise) return c.html(html, status);
  return c.html(jsx(TimeSettingsContext.Provider, { value: timeSettingsOf(c) }, html) as unknown as Html, status);
}

/**
 * Re-rendered form (422 and friends): on htmx requests the fragment replaces the form
 * itself wherever the request came from; otherwise the whole page is sent.
 */
export function sendForm(c: Context, formId: string, fragment: () => Html, page: () => Html, status: ContentfulStatusCode = 422): Response | Promise<Response> {
  if (isHtmx(c)) {
    c.header('HX-Retarget', `#${formId}`);
    c.header('HX-Reswap', 'outerHTML');
    return sendHtml(c, fragment(), status);
  }
  return sendHtml(c, page(), status);
}

/** 303 See Other for plain forms; `HX-Redirect` (a full page load) for htmx requests. */
export function redirectTo(c: Context, url: string): Response {
  noStore(c);
  if (isHtmx(c)) {
    c.header('HX-Redirect', url);
    return c.body(null, 200);
  }
  return c.redirect(url, 303);
}

/** The signed-in person as the layout shows them (null for visitors). */
export function viewerOf(c: PageContext): Viewer | null {
  const principal = c.get('principal');
  if (!principal || principal.actor.type === 'system') return null;
  const services = c.get('services');
  const options = c.get('pageOptions');
  if (principal.actor.type === 'customer') {
    return { kind: 'customer', name: principal.actor.name, role: 'customer', staff: null, manage: [], timeZone: principal.timeZone ?? null };
  }
  const available = () =>
    services.store.query(async (q) => {
      const { staff } = q.tables;
      const [row] = await q.db.select({ available: staff.available }).from(staff).where(eq(staff.id, principal.staffId!)).limit(1);
      return row?.available ?? false;
    });
  return {
    kind: 'staff',
    name: principal.actor.name,
    role: principal.actor.role,
    staff: { available, views: viewsFor(principal), counts: () => inboxCounts(services, principal) },
    manage: (options?.manageLinks ?? []).filter((link) => !link.adminOnly || principal.actor.role === 'admin'),
    timeZone: principal.timeZone ?? null,
  };
}
