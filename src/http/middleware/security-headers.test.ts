import { Hono, type MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../app.js';
import { securityHeaderList, securityHeaders, type HeaderList } from './security-headers.js';

/** The headers an answer gets through `middleware`, from a handler that sets `own` itself. */
async function answerHeaders(middleware: MiddlewareHandler, own: Record<string, string> = {}): Promise<Record<string, string>> {
  const app = new Hono();
  app.use(middleware);
  app.get('/', (c) => {
    for (const [name, value] of Object.entries(own)) c.header(name, value);
    return c.json({ ok: true });
  });
  app.get('/raw', () => new Response('raw', { headers: { 'X-Powered-By': 'something', ...own } }));
  const headers: Record<string, string> = {};
  (await app.request(own['x-raw'] ? '/raw' : '/')).headers.forEach((value, name) => (headers[name] = value));
  return headers;
}

const PAGE = { contentSecurityPolicy: CONTENT_SECURITY_POLICY, xFrameOptions: 'DENY', referrerPolicy: 'same-origin' } as const;
const CHAT = { xFrameOptions: false, referrerPolicy: 'no-referrer', crossOriginResourcePolicy: 'cross-origin' } as const;
const fixed = (list: HeaderList) => securityHeaders(() => list);

describe('security headers from lists built once', () => {
  it.each([
    ['pages and the API', PAGE, securityHeaderList({ ...PAGE, crossOriginResourcePolicy: 'same-origin' })],
    ['the live chat', CHAT, securityHeaderList(CHAT)],
  ])('sets exactly what hono/secure-headers sets, for %s', async (_, options, list) => {
    const hono = secureHeaders({ ...options, strictTransportSecurity: false, overwrite: false });
    expect(await answerHeaders(fixed(list))).toEqual(await answerHeaders(hono));
    const own = { 'Content-Security-Policy': "sandbox; default-src 'none'", 'Referrer-Policy': 'no-referrer', 'x-raw': '1' };
    expect(await answerHeaders(fixed(list), own)).toEqual(await answerHeaders(hono, own));
    expect(await answerHeaders(fixed(list), { 'X-Frame-Options': 'SAMEORIGIN' })).toEqual(await answerHeaders(hono, { 'X-Frame-Options': 'SAMEORIGIN' }));
  });

  it('keeps a header the handler set, adds the rest and removes X-Powered-By', async () => {
    const headers = await answerHeaders(fixed(securityHeaderList({ ...PAGE, crossOriginResourcePolicy: 'same-origin' })), { 'Content-Security-Policy': "sandbox; default-src 'none'", 'x-raw': '1' });
    expect(headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['x-powered-by']).toBeUndefined();
  });

  it('freezes the lists', () => {
    const list = securityHeaderList(CHAT);
    expect(Object.isFrozen(list) && list.every((entry) => Object.isFrozen(entry))).toBe(true);
    expect(list.map(([name]) => name).every((name) => name === name.toLowerCase())).toBe(true);
  });
});
