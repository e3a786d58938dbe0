/** Request ids are ours (a client's X-Request-Id is only logged beside them); API answers are never cached. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createHarness, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;
let lines: Record<string, unknown>[];
let token: string;
beforeEach(() => {
  lines = [];
  h = createHarness({ services: { logger: createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>)) } });
  standardQueues(h);
  token = h.tokenFor(h.customer({ email: 'chloe@example.com' }));
});
afterEach(() => h.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request ids', () => {
  it('a client-chosen X-Request-Id never becomes the request id; it is logged as clientRequestId', async () => {
    const chosen = 'C-1001-admin-login';
    const res = await h.api('GET', '/api/v1/cases/C-9999', { token, headers: { 'X-Request-Id': chosen } });
    expect(res.status).toBe(404);
    const ours = res.headers.get('X-Request-Id')!;
    expect(ours).toMatch(UUID);
    expect(ours).not.toBe(chosen);
    const problem = (await res.json()) as { requestId: string };
    expect(problem.requestId).toBe(ours);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', requestId: ours, clientRequestId: chosen, status: 404 }));
  });

  it('pages get our id too, and two requests with the same client id get different ids', async () => {
    const a = await h.app.request('http://localhost/nowhere', { headers: { 'X-Request-Id': 'same' } });
    const b = await h.app.request('http://localhost/nowhere', { headers: { 'X-Request-Id': 'same' } });
    expect(a.headers.get('X-Request-Id')).toMatch(UUID);
    expect(a.headers.get('X-Request-Id')).not.toBe(b.headers.get('X-Request-Id'));
    expect(await a.text()).toContain(a.headers.get('X-Request-Id')!);
  });

  it('a client id that is not printable ASCII is not logged', async () => {
    const res = await h.api('GET', '/api/v1/cases', { token, headers: { 'X-Request-Id': 'x'.repeat(200) } });
    expect(lines).toContainEqual(expect.objectContaining({ requestId: res.headers.get('X-Request-Id'), clientRequestId: null }));
  });
});

describe('API answers are not cached', () => {
  it.each([
    ['GET', '/api/v1/cases'],
    ['POST', '/api/v1/cases'],
    ['GET', '/api/v1/cases/C-9999'],
    ['GET', '/api/v1/nothing-here'],
  ])('%s %s answers Cache-Control: no-store', async (method, url) => {
    const body = method === 'POST' ? { subject: 'Printer', description: 'It jams.' } : undefined;
    const res = await h.api(method, url, { token, ...(body ? { body } : {}) });
    expect(res.status).toBeLessThan(500);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
  });

  it('also without a token (401) and for a malformed body (400)', async () => {
    expect((await h.api('GET', '/api/v1/cases')).headers.get('Cache-Control')).toBe('no-store');
    const bad = await h.api('POST', '/api/v1/cases', { token, body: '{nope' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('Cache-Control')).toBe('no-store');
  });
});
