/** One structured line per request (pino), nothing secret in any line, LOG_FORMAT=pretty. */
import { DrizzleQueryError } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { createLogger, REDACTED } from '../../src/logger.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { setPassword, signedIn, visitor } from '../support/pages.js';

type Line = Record<string, unknown>;

let h: Harness;
let lines: string[];
let customer: TestActor;
let agent: TestActor;
beforeAll(() => {
  h = createHarness({ services: { logger: createLogger('debug', (line) => lines.push(line)) } });
  standardQueues(h);
  customer = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  agent = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'] });
});
beforeEach(() => {
  lines = [];
});
afterAll(() => h.close());

const parsed = (): Line[] => lines.map((l) => JSON.parse(l) as Line);
const requests = (): Line[] => parsed().filter((l) => l.msg === 'request');

describe('request logs', () => {
  it('one line per request: method, route pattern, status, duration, request id, actor and token', async () => {
    const token = h.tokenFor(customer);
    const res = await h.api('POST', '/api/v1/cases', { token, body: { subject: 'Printer', description: 'It jams on page two.' }, headers: { 'X-Request-Id': 'mine-1' } });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    await h.api('GET', `/api/v1/cases/${id}`, { token });
    const [created, read] = requests();
    expect(created).toMatchObject({
      level: 'info',
      msg: 'request',
      method: 'POST',
      route: '/api/v1/cases',
      status: 201,
      requestId: res.headers.get('X-Request-Id'),
      clientRequestId: 'mine-1',
      actor: `customer:${customer.id}`,
      role: 'customer',
      tokenId: expect.any(Number),
      client: 'unknown',
    });
    expect(created!.ms).toEqual(expect.any(Number));
    expect(typeof created!.time).toBe('string');
    expect(read).toMatchObject({ route: '/api/v1/cases/:id', status: 200 });
    expect(JSON.stringify(read)).not.toContain(id); // the pattern, not the path

    await signedIn(h, agent).get('/inbox');
    expect(requests()[2]).toMatchObject({ route: '/inbox', status: 200, actor: `staff:${agent.id}`, role: 'agent' });
    expect(requests()[2]!.tokenId).toBeUndefined();
    await h.api('GET', '/api/v1/queues', { token: ADMIN_TOKEN });
    expect(requests()[3]).toMatchObject({ actor: 'system', role: 'admin' });
  });

  it('probes log at debug, not info', async () => {
    await h.app.request('/healthz');
    await h.app.request('/readyz');
    expect(requests().map((l) => [l.route, l.level])).toEqual([
      ['/healthz', 'debug'],
      ['/readyz', 'debug'],
    ]);
  });

  it('no line holds a password, a token, a cookie or a CSRF token', async () => {
    const password = 'correct-horse-battery-staple';
    await setPassword(h, customer, password);
    const v = visitor(h);
    await v.start();
    const signIn = await v.post('/login', { email: 'chloe@example.com', password });
    expect(signIn.status).toBe(303);
    const session = [...v.cookies.values()].join(';');
    const apiToken = h.tokenFor(agent);
    await h.api('GET', '/api/v1/cases', { token: apiToken });
    await h.api('GET', '/api/v1/cases', { token: 'cb_wrong-token-value-123' });
    await h.app.request('/csat/secret-rating-link-token-xyz');
    // Whatever a log call is handed, credentials come out redacted.
    h.services.logger.warn('something happened', { password, token: apiToken, headers: { authorization: `Bearer ${apiToken}`, cookie: session }, form: { _csrf: v.csrf } });
    const all = lines.join('\n');
    for (const secret of [password, apiToken, 'cb_wrong-token-value-123', 'secret-rating-link-token-xyz', v.csrf, ...v.cookies.values()]) {
      expect(all, `a log line holds ${secret.slice(0, 8)}…`).not.toContain(secret);
    }
    expect(parsed().at(-1)).toMatchObject({ password: REDACTED, token: REDACTED, headers: { authorization: REDACTED, cookie: REDACTED }, form: { _csrf: REDACTED } });
    expect(requests().find((l) => l.route === '/login' && l.method === 'POST')).toMatchObject({ status: 303, actor: null });
  });

  it('logs the client address from X-Forwarded-For only behind trusted proxies (TRUST_PROXY)', async () => {
    const headers = { 'X-Forwarded-For': '203.0.113.7, 10.0.0.2' };
    await h.app.request('/login', { headers });
    await createApp(h.services, { adminToken: null, trustProxy: 1 }).request('/login', { headers });
    await createApp(h.services, { adminToken: null, trustProxy: 2 }).request('/login', { headers });
    expect(requests().map((l) => l.client)).toEqual(['unknown', '10.0.0.2', '203.0.113.7']);
  });
});

describe('log settings', () => {
  it('LOG_FORMAT=pretty writes one readable line with the same (redacted) fields', () => {
    const out: string[] = [];
    const logger = createLogger('info', (line) => out.push(line), 'pretty');
    logger.info('request', { method: 'GET', route: '/inbox', status: 200, ms: 3.1, token: 'abc' });
    logger.debug('hidden');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}request method=GET route=\/inbox status=200 ms=3\.1 token=\[redacted\]$/);
  });

  it('redacts credentials under any field name like one, at any depth, and inside strings, in both formats', () => {
    for (const format of ['json', 'pretty'] as const) {
      const out: string[] = [];
      const logger = createLogger('info', (line) => out.push(line), format);
      logger.warn('mailing via smtp://casebook:mail-pass-1@mail.example.com:587 failed', {
        webhook: { id: 7, signingSecret: 'whsec_webhook-secret-2', target: { headers: { 'X-Api-Key': 'api-key-3' } } },
        sessionToken: 'session-token-4',
        PHONE_WEBHOOK_SECRET: 'phone-secret-5',
        imapUrl: 'imaps://help:imap-pass-6@imap.example.com/INBOX',
        note: 'sent Authorization: Bearer bearer-token-7 and cb_api-token-value-8',
        error: new Error('connect to https://crm:crm-pass-9@crm.example.com refused'),
        tokenId: 12,
        passwordSet: true,
      });
      const line = out.join('\n');
      for (const secret of ['mail-pass-1', 'webhook-secret-2', 'api-key-3', 'session-token-4', 'phone-secret-5', 'imap-pass-6', 'bearer-token-7', 'api-token-value-8', 'crm-pass-9']) {
        expect(line, `${format}: ${secret}`).not.toContain(secret);
      }
      expect(line).toContain('smtp://casebook:[redacted]@mail.example.com:587');
      expect(line).toContain('imaps://help:[redacted]@imap.example.com/INBOX');
      // what only names a credential stays: the token's id, whether a password is set
      expect(line).toMatch(/"?tokenId"?[=:]12/);
      expect(line).toMatch(/"?passwordSet"?[=:]true/);
    }
  });

  it("writes a failed query's SQL and the database's reason, never the values it carried", () => {
    for (const format of ['json', 'pretty'] as const) {
      const out: string[] = [];
      const logger = createLogger('info', (line) => out.push(line), format);
      // As drizzle's PostgreSQL session throws it: the driver's error as the cause.
      const cause = Object.assign(new Error('duplicate key value violates unique constraint "customers_email_idx"'), { code: '23505' });
      logger.error('intake failed', { error: new DrizzleQueryError('INSERT INTO customers (email, name) VALUES ($1, $2)', ['chloe@example.com', 'Chloe Secret'], cause) });
      const line = out.join('\n');
      expect(line).toContain('Failed query: INSERT INTO customers (email, name) VALUES ($1, $2) (2 values, not logged): duplicate key value violates unique constraint');
      expect(line).not.toContain('chloe@example.com');
      expect(line).not.toContain('Chloe Secret');
      expect(line).toContain('request-log.test.ts'); // the stack stays
    }
  });

  it('LOG_FORMAT and LOG_LEVEL are checked at start-up', () => {
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(loadConfig({}).logFormat).toBe('json');
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT must be one of json, pretty/);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN must be at least 16/);
  });
});
