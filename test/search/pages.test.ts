/**
 * The search page without JavaScript (a GET form; a case reference redirects) and with htmx
 * (the results region as a fragment while typing, never a redirect then), the jump box on
 * every signed-in page, and our script served from our origin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedIn, visitor } from '../support/pages.js';
import { addMessage, createDesk, type Desk } from './support.js';

let desk: Desk;
let billing: number;
let technical: number;

beforeAll(async () => {
  desk = createDesk();
  billing = await desk.open(desk.chloe, 'Refund <b>now</b>', 'Charged twice', { queue: 'billing' });
  await addMessage(desk.h.services, billing, { body: 'Refund issued <script>alert(1)</script>', public: true }, desk.alice);
  technical = await desk.open(desk.sam, 'Refund missing', 'x', { queue: 'technical' });
});
afterAll(() => desk.h.close());

describe('the search page', () => {
  it('is a plain page with a GET form, results with the hits marked and escaped', async () => {
    const page = signedIn(desk.h, desk.alice);
    const empty = await page.get('/search');
    expect(empty.status).toBe(200);
    const form = await empty.text();
    expect(form).toMatch(/<form id="search-form"[^>]*method="get" action="\/search"/);
    expect(form).not.toContain('search-hits');

    const res = await page.get('/search?q=refund');
    expect(res.status).toBe(200);
    expect(res.headers.get('Vary')).toContain('HX-Request');
    const html = await res.text();
    expect(html).toContain('<!DOCTYPE html>');
    expect(html).toContain(`href="/cases/C-${billing}"`);
    expect(html).not.toContain(`C-${technical}`);
    expect(html).toContain('<mark>Refund</mark> &lt;b&gt;now&lt;/b&gt;');
    expect(html).toContain('<mark>Refund</mark> issued &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('value="refund"');
  });

  it('answers htmx with the results region only', async () => {
    const res = await signedIn(desk.h, desk.alice).get('/search?q=refund&live=1', { htmx: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('HX-Push-Url')).toBe('/search?q=refund');
    const html = await res.text();
    expect(html).toMatch(/^<section id="search-results"/);
    expect(html).not.toContain('<html');
  });

  it('opens a case named by its reference, except while typing', async () => {
    const page = signedIn(desk.h, desk.alice);
    const plain = await page.get(`/search?q=C-${billing}`);
    expect(plain.status).toBe(303);
    expect(plain.headers.get('Location')).toBe(`/cases/C-${billing}`);
    const submitted = await page.get(`/search?q=C-${billing}`, { htmx: true });
    expect(submitted.headers.get('HX-Redirect')).toBe(`/cases/C-${billing}`);
    const typing = await page.get(`/search?q=C-${billing}&live=1`, { htmx: true });
    expect(typing.status).toBe(200);
    expect(await typing.text()).toContain(`<a href="/cases/C-${billing}">Open C-${billing}</a>`);
    // A case the caller may not see is not revealed.
    const hidden = await page.get(`/search?q=C-${technical}`);
    expect(hidden.status).toBe(200);
    expect(await hidden.text()).not.toContain(`Open C-${technical}`);
  });

  it('shows a refused query with what is wrong (422), as a page and as a fragment', async () => {
    const page = signedIn(desk.h, desk.alice);
    const res = await page.get(`/search?q=${encodeURIComponent('refund created:>foo')}`);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('created:&gt;foo is not a date');
    expect(html).toContain('aria-invalid="true"');
    const fragment = await page.get(`/search?q=${encodeURIComponent('refund status:nope')}&live=1`, { htmx: true });
    expect(fragment.status).toBe(422);
    expect(await fragment.text()).toContain('status:nope — no such state');
  });

  it('serves customers their own search in the portal', async () => {
    const page = signedIn(desk.h, desk.chloe);
    const res = await page.get('/search?q=refund');
    const html = await res.text();
    expect(html).toContain('Search your requests');
    expect(html).toContain(`C-${billing}`);
    expect(html).not.toContain('queue billing');
    expect((await page.get('/search?q=refund%20queue:billing')).status).toBe(422);
    // an empty result speaks the portal's words: requests, not cases
    const none = await (await page.get('/search?q=nothingmatchesthis')).text();
    expect(none).toContain('None of your requests match.');
    expect(none).not.toContain('No cases match');
  });

  it('needs a sign-in', async () => {
    const guest = visitor(desk.h);
    const res = await guest.get('/search?q=refund');
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toMatch(/^\/login/);
  });
});

describe('the jump box', () => {
  it('is on every signed-in page, a GET form to /search', async () => {
    for (const [actor, url] of [
      [desk.alice, '/inbox'],
      [desk.chloe, '/portal'],
      [desk.maria, `/cases/C-${billing}`],
    ] as const) {
      const html = await (await signedIn(desk.h, actor).get(url)).text();
      expect(html, url).toMatch(/<form class="jump-box" role="search" method="get" action="\/search"/);
      expect(html).toContain('aria-keyshortcuts="/"');
      expect(html).toMatch(/<script src="\/assets\/app\.js\?v=[0-9a-f]+" defer/);
    }
    const login = await (await visitor(desk.h).get('/login')).text();
    expect(login).not.toContain('jump-box');
  });

  it('loads its script from our origin', async () => {
    const res = await desk.h.app.request('/assets/app.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8');
    expect(await res.text()).toContain("getElementById('jump-q')");
  });
});
