/**
 * A request that needs a session, after the session ended (idle for SESSION_IDLE_MS, signed out
 * on another device, a new password): nothing is done, and nothing typed is lost.
 *
 * - A page load goes to sign-in and back (`/login?next=`); so does an htmx fragment asked for by
 *   a click (`HX-Redirect`).
 * - A form sent with htmx, and the live poll of an open page (`stamp`), leave the page as it is:
 *   an alert in #flash says the session ended and links to sign-in, and the form keeps its text;
 *   the poll stops (286).
 * - A form sent without htmx gets the sign-in page (401) showing the text it carried, to be
 *   copied, with `next` the page the form was on. Only a form from this site gets here (its
 *   Origin is checked, session.ts `pageCsrf`): another site's text is never shown on our page.
 *
 * A form sent from a page opened before the latest sign-in or sign-out in this browser (in
 * another tab: a new session, so the page's CSRF token is no longer the session's) is refused
 * the same way (403): nothing is done, and nothing typed is lost. With htmx the page stays with
 * an alert, its form keeps the text, and the answer's `X-CSRF-Token` header carries the current
 * token, which app.js puts in the page: sending again then works (as who is signed in now, which
 * the alert names). Without htmx a page shows the text back and links to the page it came from.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { SessionEndedAlert, StalePage, StalePageAlert } from '../../../views/pages/error.js';
import { SessionEndedPage, type KeptText } from '../../../views/pages/login.js';
import { waysIn } from './access.js';
import { isHtmx, safeNext, type PageContext } from './env.js';
import { readForm } from './forms.js';
import { redirectTo, sendHtml, viewerOf } from './render.js';

/** htmx cancels the polling of an element whose request is answered with 286 (and swaps the answer). */
const STOP_POLLING = 286 as ContentfulStatusCode;

/** The free-text fields of our forms, as the page shows them back: the words someone wrote. */
const TEXT_FIELDS: readonly (readonly [string, string])[] = [
  ['subject', 'Subject'],
  ['description', 'Description'],
  ['body', 'Your message'],
  ['comment', 'Comment'],
  ['solution', 'Solution'],
  ['reason', 'Reason'],
  ['note', 'Note'],
  ['notes', 'Notes'],
];

/** The local page (path and query) the request came from: htmx's `HX-Current-URL`, else the Referer; only from this origin. */
function pageOf(c: Context): string | null {
  const own = new URL(c.req.url).origin;
  for (const header of [isHtmx(c) ? c.req.header('HX-Current-URL') : undefined, c.req.header('Referer')]) {
    if (!header) continue;
    try {
      const url = new URL(header);
      if (url.origin === own) return safeNext(url.pathname + url.search);
    } catch {
      // not a URL: nothing to go back to
    }
  }
  return null;
}

async function keptTexts(c: Context): Promise<KeptText[]> {
  let values: Record<string, string>;
  try {
    values = await readForm(c);
  } catch {
    return []; // a body that cannot be read holds nothing to show back
  }
  return TEXT_FIELDS.filter(([name]) => (values[name] ?? '').trim() !== '').map(([name, label]) => ({ label, text: values[name]! }));
}

export async function sessionEndedResponse(c: Context): Promise<Response> {
  const url = new URL(c.req.url);
  const read = c.req.method === 'GET' || c.req.method === 'HEAD';
  const poll = read && url.searchParams.has('stamp');
  if (read && !(poll && isHtmx(c))) {
    const next = !isHtmx(c) ? safeNext(url.pathname + url.search) : null;
    return redirectTo(c, next ? `/login?next=${encodeURIComponent(next)}` : '/login');
  }
  const back = pageOf(c);
  const signIn = back ? `/login?next=${encodeURIComponent(back)}` : '/login';
  if (isHtmx(c)) {
    c.header('HX-Retarget', '#flash');
    c.header('HX-Reswap', 'innerHTML');
    // A poll is answered with htmx's 286 "stop polling": the alert is said once, not every few seconds.
    return sendHtml(c, <SessionEndedAlert signIn={signIn} sent={!read} />, read ? STOP_POLLING : 401);
  }
  const pc = c as PageContext;
  return sendHtml(c, <SessionEndedPage csrfToken={pc.get('csrfToken') ?? ''} next={back} kept={await keptTexts(c)} ways={waysIn(pc)} />, 401);
}

/** Who is signed in now, by name. */
function signedInAs(c: PageContext): string | null {
  const principal = c.get('principal');
  return principal && principal.actor.type !== 'system' ? principal.actor.name : null;
}

export async function stalePageResponse(c: Context): Promise<Response> {
  const pc = c as PageContext;
  const token = pc.get('csrfToken') ?? '';
  const who = signedInAs(pc);
  if (isHtmx(c)) {
    c.header('X-CSRF-Token', token);
    c.header('HX-Retarget', '#flash');
    c.header('HX-Reswap', 'innerHTML');
    return sendHtml(c, <StalePageAlert who={who} sent={(await keptTexts(c)).length > 0} />, 403);
  }
  let viewer = null;
  try {
    viewer = viewerOf(pc);
  } catch {
    viewer = null;
  }
  return sendHtml(c, <StalePage viewer={viewer} csrfToken={token} who={who} kept={await keptTexts(c)} back={pageOf(c)} />, 403);
}
