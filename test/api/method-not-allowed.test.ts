/**
 * A known path asked with a method it does not take answers 405 with `Allow` (the methods
 * derived from the route specs the OpenAPI document describes; for pages, from the app's
 * route table), not 404; unknown paths and missing resources stay 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDocument } from '../../src/http/api/index.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';
import { signedIn } from '../support/pages.js';

let h: Harness;
beforeAll(() => {
  h = createHarness();
  standardQueues(h);
});
afterAll(() => h.close());

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

describe('the API', () => {
  it('answers 405 problem+json with Allow for a wrong method on a known path', async () => {
    const res = await h.api('DELETE', '/api/v1/cases', { token: ADMIN_TOKEN });
    expect(res.status).toBe(405);
    expect(res.headers.get('Content-Type')).toContain('application/problem+json');
    expect(res.headers.get('Allow')).toBe('GET, HEAD, POST');
    const problem = (await res.json()) as { status: number; code: string; detail: string; requestId: string };
    expect(problem).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED', detail: 'DELETE is not allowed on /api/v1/cases; it takes GET, HEAD, POST.' });
    expect(problem.requestId).not.toBe('');
    const one = await h.api('PUT', '/api/v1/cases/C-1/transitions', { token: ADMIN_TOKEN, body: {} });
    expect(one.status).toBe(405);
    expect(one.headers.get('Allow')).toBe('POST');
  });

  it('lists, for every path of the OpenAPI document, the methods the document gives it', async () => {
    const doc = apiDocument();
    let checked = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      const declared = Object.keys(operations).filter((m) => (METHODS as readonly string[]).includes(m));
      const wrong = METHODS.find((m) => !declared.includes(m));
      if (!wrong) continue;
      const url = `/api/v1${path.replace(/\{[^}]+\}/g, 'x1')}`;
      const res = await h.app.request(url, { method: wrong.toUpperCase(), headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.status, `${wrong} ${url}`).toBe(405);
      const allow = res.headers.get('Allow')!.split(', ');
      for (const m of declared) expect(allow, `${wrong} ${url}`).toContain(m.toUpperCase());
      expect(allow).not.toContain(wrong.toUpperCase());
      if (declared.includes('get')) expect(allow).toContain('HEAD');
      checked++;
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('keeps 404 for unknown paths and for missing resources, and 401 before either without a token', async () => {
    expect((await h.api('DELETE', '/api/v1/nothing-here', { token: ADMIN_TOKEN })).status).toBe(404);
    const missing = await h.api('GET', '/api/v1/cases/C-99999', { token: ADMIN_TOKEN });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('Allow')).toBeNull();
    expect((await h.api('DELETE', '/api/v1/cases')).status).toBe(401);
  });
});

describe('pages', () => {
  it('a known page path with another method is 405 with Allow; unknown pages stay 404', async () => {
    const staff = signedIn(h, h.agent({ name: 'Pia' }));
    const get = await staff.get('/logout');
    expect(get.status).toBe(405);
    expect(get.headers.get('Allow')).toBe('POST');
    expect(get.headers.get('Content-Type')).toContain('text/html');
    const post = await staff.post('/inbox');
    expect(post.status).toBe(405);
    expect(post.headers.get('Allow')).toContain('GET');
    expect((await staff.get('/no-such-page')).status).toBe(404);
  });
});
