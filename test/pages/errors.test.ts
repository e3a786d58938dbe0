import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from '../support/pages.js';

let h: Harness;
let chloe: TestActor;
beforeEach(() => {
  h = createHarness();
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
});
afterEach(() => h.close());

describe('error pages', () => {
  it('unknown pages: 404 inside the layout with the request id', async () => {
    const res = await signedIn(h, chloe).get('/no/such/page');
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('Page not found');
    expect(html).toContain('aria-label="Portal"');
    expect(html).toContain(`<code>${res.headers.get('X-Request-Id')}</code>`);
  });

  it('for visitors too, and as an alert fragment for htmx (into #flash)', async () => {
    const res = await h.app.request('http://localhost/nowhere');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('Go to sign-in');
    const frag = await signedIn(h, chloe).get('/cases/C-4242', { htmx: true });
    expect(frag.status).toBe(404);
    expect(frag.headers.get('HX-Retarget')).toBe('#flash');
    expect(frag.headers.get('HX-Reswap')).toBe('innerHTML');
    const html = await frag.text();
    expect(html).toMatch(/^<div class="alert alert-error"[^>]*role="alert"/);
    expect(html).toContain(frag.headers.get('X-Request-Id')!);
    expect(html).not.toContain('<html');
  });

  it('a form over the size limit (413): the page knows who is signed in, without reading the body', async () => {
    const big = { body: 'x'.repeat(70 * 1024) };
    const customerPage = await (await signedIn(h, chloe).post('/portal/cases', big)).text();
    expect(customerPage).toContain('The form is larger than 64 KB.');
    expect(customerPage).toContain('aria-label="Portal"');
    expect(customerPage).toContain('<a href="/portal">Back to the start page</a>');
    expect(customerPage).not.toContain('Go to sign-in');
    const agent = h.agent({ name: 'Alice', queues: ['general'] });
    const res = await signedIn(h, agent).post('/inbox/bulk', big);
    expect(res.status).toBe(413);
    const staffPage = await res.text();
    expect(staffPage).toContain('<a href="/inbox">Back to the start page</a>');
    expect(staffPage).toContain('Alice');
    // Nobody signed in: sign-in, as before.
    const visitor = await h.app.request('http://localhost/login', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `email=${'x'.repeat(70 * 1024)}` });
    expect(visitor.status).toBe(413);
    expect(await visitor.text()).toContain('Go to sign-in');
  });

  it('keeps problem+json for the API', async () => {
    const res = await h.app.request('http://localhost/api/v1/nothing-here');
    expect(res.status).toBe(401);
    expect(res.headers.get('Content-Type')).toContain('application/problem+json');
    const missing = await h.app.request('http://localhost/api/nothing');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('Content-Type')).toContain('application/problem+json');
  });

  it('unexpected failures: 500 page with the request id, no details', async () => {
    const client = signedIn(h, chloe);
    await client.ready;
    // The database goes away under the app: SQLite's file closed, PostgreSQL's pool ended.
    if (h.dialect === 'postgres') await h.services.store.close();
    else h.db.$client.close();
    const res = await client.get('/portal');
    expect(res.status).toBe(500);
    const html = await res.text();
    expect(html).toContain('Something went wrong');
    expect(html).toContain(res.headers.get('X-Request-Id')!);
    expect(html).not.toMatch(/sqlite|stack|database connection/i);
    h.close = () => h.services.outbox.stop();
  });
});

describe('assets', () => {
  it('serves htmx from node_modules and our CSS, with long caching for versioned URLs', async () => {
    const page = await (await h.app.request('http://localhost/login')).text();
    const htmx = /src="(\/assets\/htmx\.min\.js\?v=[a-f0-9]+)"/.exec(page)![1]!;
    const css = /href="(\/assets\/app\.css\?v=[a-f0-9]+)"/.exec(page)![1]!;
    const js = await h.app.request(`http://localhost${htmx}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('Content-Type')).toContain('text/javascript');
    expect(js.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toContain('htmx');
    const style = await h.app.request(`http://localhost${css}`);
    expect(style.headers.get('Content-Type')).toContain('text/css');
    expect(await style.text()).toContain(':focus-visible');
    expect((await h.app.request('http://localhost/assets/app.css')).headers.get('Cache-Control')).toBe('public, max-age=300');
    expect((await h.app.request('http://localhost/assets/secret.txt')).status).toBe(404);
    expect((await h.app.request('http://localhost/assets/..%2Fpackage.json')).status).toBe(404);
  });
});
