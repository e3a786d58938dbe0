import { Hono } from 'hono';
import { TrieRouter } from 'hono/router/trie-router';
import { describe, expect, it } from 'vitest';
import { MemoRouter } from './memo-router.js';

/** A small app in the shape of ours: middleware on every path, static and parameter routes, a sub-app. */
function app(memo = false) {
  const a = memo ? new Hono({ router: new MemoRouter() }) : new Hono();
  a.use(async (c, next) => {
    await next();
    c.header('X-Seen', '1');
  });
  const api = new Hono();
  api.post('/cases', (c) => c.text('created', 201));
  api.get('/cases/:id', (c) => c.text(`case ${c.req.param('id')}`));
  api.get('/cases/:id/messages/:n', (c) => c.json(c.req.param()));
  a.route('/api/v1', api);
  a.get('/cases/:id', (c) => c.text(`page ${c.req.param('id')}`));
  a.get('/static/*', (c) => c.text(`asset ${c.req.path}`));
  return a;
}

const REQUESTS: [string, string][] = [
  ['POST', '/api/v1/cases'],
  ['GET', '/api/v1/cases'],
  ['GET', '/api/v1/cases/C-1'],
  ['GET', '/api/v1/cases/C-2'],
  ['GET', '/api/v1/cases/C-2/messages/7'],
  ['GET', '/cases/C-1'],
  ['GET', '/cases/C%2D9'],
  ['GET', '/static/app.js'],
  ['HEAD', '/cases/C-3'],
  ['DELETE', '/api/v1/cases/C-1'],
  ['GET', '/nowhere'],
];

async function answers(a: Hono, requests = REQUESTS) {
  const out: string[] = [];
  for (const [method, path] of requests) {
    const res = await a.request(path, { method });
    out.push(`${method} ${path} → ${res.status} ${res.headers.get('X-Seen')} ${await res.text()}`);
  }
  return out;
}

describe('MemoRouter', () => {
  it('answers every request as Hono’s own router does, the first time and when it answers from memory', async () => {
    const plain = await answers(app());
    const memo = app(true);
    expect(await answers(memo)).toEqual(plain);
    expect(await answers(memo)).toEqual(plain);
    // Parameters come from the path asked, never from an earlier one.
    expect(await answers(memo, [...REQUESTS].reverse())).toEqual([...plain].reverse());
  });

  it('stays right past its bound: more distinct paths than it keeps, then the first ones again', async () => {
    const memo = app(true);
    const ids = Array.from({ length: 1500 }, (_, i) => `C-${i}`);
    for (const id of ids) expect(await (await memo.request(`/cases/${id}`)).text()).toBe(`page ${id}`);
    for (const id of ids.slice(0, 50)) expect(await (await memo.request(`/api/v1/cases/${id}`)).text()).toBe(`case ${id}`);
    const long = `/cases/${'x'.repeat(500)}`;
    expect(await (await memo.request(long)).text()).toBe(`page ${'x'.repeat(500)}`);
  });

  it('forgets what it answered when a route is added', () => {
    const router = new MemoRouter<string>(new TrieRouter<string>());
    router.add('GET', '/a/:id', 'param');
    expect(router.match('GET', '/a/static')[0].map(([handler]) => handler)).toEqual(['param']);
    router.add('GET', '/a/static', 'static');
    expect(router.match('GET', '/a/static')[0].map(([handler]) => handler)).toEqual(['param', 'static']);
  });
});
