/**
 * Intake, message and change rate limits: per API token and per customer, 429 with Retry-After
 * (problem+json for the API, the re-rendered form for the portal), on the injected clock.
 */
import { count, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS, type RateLimits } from '../../src/auth/rate-limit.js';
import { loadConfig } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from './sign-in.js';
import { csrfFrom, visitor } from '../support/pages.js';
import { CSAT_LINK_DAYS, csatKey, makeCsatToken } from '../../src/channels/email/csat-link.js';

let h: Harness;
let chloe: TestActor;
let alice: TestActor;

function withLimits(rates: Partial<RateLimits>): void {
  h.app = createApp(h.services, { adminToken: ADMIN_TOKEN, rateLimits: { ...DEFAULT_RATE_LIMITS, ...rates } });
}

beforeEach(() => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], capacity: 500 });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
});
afterEach(() => h.close());

/** Like h.api, but through h.app (which withLimits replaces). */
async function api(method: string, url: string, o: { token: string; body: unknown }): Promise<Response> {
  return h.app.request(url, { method, headers: { Authorization: `Bearer ${o.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(o.body) });
}

const casesOf = async (customerId: number) => (await h.query((q) => q.db.select({ n: count() }).from(q.tables.cases).where(eq(q.tables.cases.customerId, customerId))))[0]!.n;
const newCase = (token: string, i: number, customer?: string) =>
  api('POST', '/api/v1/cases', { token, body: { subject: `Printer ${i}`, description: 'It jams.', ...(customer ? { customer: { email: customer } } : {}) } });

describe('intake over the API', () => {
  it('a customer gets 10 new cases per 10 minutes by default, then 429 problem+json with Retry-After; nothing is created', async () => {
    const token = h.tokenFor(chloe);
    for (let i = 0; i < 10; i++) expect((await newCase(token, i)).status).toBe(201);
    const refused = await newCase(token, 10);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('Content-Type')).toBe('application/problem+json');
    expect(Number(refused.headers.get('Retry-After'))).toBe(60);
    const problem = (await refused.json()) as { code: string; requestId: string; detail: string };
    expect(problem).toMatchObject({ code: 'TOO_MANY_REQUESTS', requestId: refused.headers.get('X-Request-Id') });
    expect(problem.detail).toContain('at most 10 per 10 minutes');
    expect(await casesOf(chloe.id)).toBe(10);
    h.clock.advance(60_000);
    expect((await newCase(token, 11)).status).toBe(201);
    expect((await newCase(token, 12)).status).toBe(429);
  });

  it('answers say how much of each limit is left (RateLimit-Policy, RateLimit), so a client paces itself before a 429', async () => {
    // (The list's order is not part of the fields' meaning: compared sorted.)
    const items = (res: Response, name: string) => (res.headers.get(name) ?? '').split(', ').sort();
    const token = h.tokenFor(chloe);
    const first = await newCase(token, 1);
    expect(first.status).toBe(201);
    expect(items(first, 'RateLimit-Policy')).toEqual(['"customer";q=10;w=600', '"token";q=60;w=60']);
    // One taken from each: the token's bucket is whole again in 1 s (60 a minute), the customer's in 60 s (10 in 10 minutes).
    expect(items(first, 'RateLimit')).toEqual(['"customer";r=9;t=60', '"token";r=59;t=1']);
    h.clock.advance(30_000);
    const second = await newCase(token, 2);
    expect(items(second, 'RateLimit')).toEqual(['"customer";r=8;t=90', '"token";r=59;t=1']);
    // A message counts against the message limits; the ADMIN_TOKEN has none, and gets no such headers.
    const ref = ((await first.json()) as { id: string }).id;
    const reply = await api('POST', `/api/v1/cases/${ref}/messages`, { token, body: { body: 'Any news?' } });
    expect(items(reply, 'RateLimit-Policy')).toEqual(['"customer";q=30;w=600', '"token";q=120;w=60']);
    const admin = await newCase(ADMIN_TOKEN, 3, 'pat@example.com');
    expect(admin.status).toBe(201);
    expect(admin.headers.get('RateLimit')).toBeNull();
  });

  it('the customer limit holds across all of the customer’s tokens and the portal', async () => {
    withLimits({ casesPerCustomer: { count: 2, windowMs: 60_000 } });
    expect((await newCase(h.tokenFor(chloe), 1)).status).toBe(201);
    expect((await newCase(h.tokenFor(chloe), 2)).status).toBe(201);
    expect((await newCase(h.tokenFor(chloe), 3)).status).toBe(429);
    const portal = await signedIn(h, chloe);
    const res = await portal.post('/portal/cases', { subject: 'One more', description: 'Please' });
    expect(res.status).toBe(429);
    const sam = h.customer({ email: 'sam@example.org' });
    expect((await newCase(h.tokenFor(sam), 1)).status).toBe(201);
  });

  it('a staff token is limited per token; another token and the ADMIN_TOKEN are not affected', async () => {
    withLimits({ casesPerToken: { count: 3, windowMs: 60_000 } });
    const token = h.tokenFor(alice);
    for (let i = 0; i < 3; i++) expect((await newCase(token, i, `c${i}@example.com`)).status).toBe(201);
    const refused = await newCase(token, 3, 'c3@example.com');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('Retry-After'))).toBe(20);
    expect((await newCase(h.tokenFor(alice), 4, 'c4@example.com')).status).toBe(201);
    for (let i = 0; i < 5; i++) expect((await newCase(ADMIN_TOKEN, i, `admin${i}@example.com`)).status).toBe(201);
  });
});

describe('messages', () => {
  it('over the API: per customer and per token, 429 with Retry-After', async () => {
    withLimits({ messagesPerCustomer: { count: 3, windowMs: 60_000 } });
    const token = h.tokenFor(chloe);
    const created = (await (await newCase(token, 1)).json()) as { id: string };
    const say = (t: string) => api('POST', `/api/v1/cases/${created.id}/messages`, { token: t, body: { body: 'any news?' } });
    for (let i = 0; i < 3; i++) expect((await say(token)).status).toBe(201);
    const refused = await say(h.tokenFor(chloe));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('Retry-After'))).toBe(20);
    expect(((await refused.json()) as { code: string }).code).toBe('TOO_MANY_REQUESTS');
    h.clock.advance(20_000);
    expect((await say(token)).status).toBe(201);
    // staff replies are not limited by the customer's limit
    const staffToken = h.tokenFor(alice);
    for (let i = 0; i < 5; i++) expect((await api('POST', `/api/v1/cases/${created.id}/messages`, { token: staffToken, body: { body: 'on it', public: true } })).status).toBe(201);
  });

  it('in the portal: the reply form comes back with the message (429, Retry-After), plain and htmx', async () => {
    withLimits({ messagesPerCustomer: { count: 1, windowMs: 60_000 } });
    const created = (await (await newCase(h.tokenFor(chloe), 1)).json()) as { id: string };
    const portal = await signedIn(h, chloe);
    expect((await portal.post(`/cases/${created.id}/messages`, { body: 'first' })).status).toBe(303);
    const plain = await portal.post(`/cases/${created.id}/messages`, { body: 'second, typed text kept' });
    expect(plain.status).toBe(429);
    expect(plain.headers.get('Retry-After')).toBe('60');
    const html = await plain.text();
    expect(html).toContain('Too many messages from your account: at most 1 per minute.');
    expect(html).toContain('second, typed text kept');
    const htmx = await portal.post(`/cases/${created.id}/messages`, { body: 'third' }, { htmx: true });
    expect(htmx.status).toBe(429);
    expect(htmx.headers.get('HX-Retarget')).toBe('#reply-form');
    expect(await htmx.text()).toMatch(/^<form[^>]*id="reply-form"/);
  });
});

describe('changes by a customer (transitions, ratings)', () => {
  const timeline = async (caseId: number) => (await h.query((q) => q.db.select({ n: count() }).from(q.tables.caseEvents).where(eq(q.tables.caseEvents.caseId, caseId))))[0]!.n;

  it('over the API: marking solved and reopening take from a bucket of their own at the messages rate, 429 with Retry-After, nothing done; staff are not limited', async () => {
    withLimits({ messagesPerCustomer: { count: 4, windowMs: 60_000 } });
    const token = h.tokenFor(chloe);
    const created = (await (await newCase(token, 1)).json()) as { id: string };
    const id = Number(created.id.slice(2));
    const use = (transition: string, t = token) => api('POST', `/api/v1/cases/${created.id}/transitions`, { token: t, body: { transition, ...(transition === 'resolve' ? { solution: 'Cleared the jam.' } : {}) } });
    // Messages do not use up changes, nor changes messages.
    for (let i = 0; i < 4; i++) expect((await api('POST', `/api/v1/cases/${created.id}/messages`, { token, body: { body: 'any news?' } })).status).toBe(201);
    for (const transition of ['markSolved', 'reopen', 'markSolved', 'reopen']) {
      const res = await use(transition);
      expect(res.status, await res.clone().text()).toBe(200);
      expect(res.headers.get('RateLimit-Policy')).toBe('"customer";q=4;w=60');
    }
    const before = await timeline(id);
    const refused = await use('markSolved', h.tokenFor(chloe)); // every token of the customer: one bucket
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('Retry-After'))).toBe(15);
    expect(((await refused.json()) as { detail: string }).detail).toContain('Too many changes to your requests: at most 4 per minute.');
    expect(await timeline(id)).toBe(before);
    // Staff move the case as often as they need.
    const staffToken = h.tokenFor(h.agent({ name: 'Maria', role: 'manager', queues: ['general', 'advanced'] }));
    for (const transition of ['resolve', 'reopen', 'resolve', 'reopen', 'resolve']) expect((await use(transition, staffToken)).status).toBe(200);
    h.clock.advance(15_000);
    expect((await use('reopen')).status).toBe(200);
  });

  it('in the portal: the change is refused (429, Retry-After) with the message, plain and htmx', async () => {
    withLimits({ messagesPerCustomer: { count: 1, windowMs: 60_000 } });
    const created = (await (await newCase(h.tokenFor(chloe), 1)).json()) as { id: string };
    const portal = await signedIn(h, chloe);
    expect((await portal.post(`/cases/${created.id}/transitions`, { transition: 'markSolved' })).status).toBe(303);
    const plain = await portal.post(`/cases/${created.id}/transitions`, { transition: 'reopen' });
    expect(plain.status).toBe(429);
    expect(plain.headers.get('Retry-After')).toBe('60');
    expect(await plain.text()).toContain('Too many changes to your requests: at most 1 per minute.');
    const htmx = await portal.post(`/cases/${created.id}/transitions`, { transition: 'reopen' }, { htmx: true });
    expect(htmx.status).toBe(429);
    expect(await htmx.text()).toContain('Too many changes to your requests');
    const [row] = await h.query((q) => q.db.select({ status: q.tables.cases.status }).from(q.tables.cases).where(eq(q.tables.cases.id, Number(created.id.slice(2)))));
    expect(row!.status).toBe('resolved');
  });

  it('ratings take from the same bucket, in the portal and by the mailed one-click link (its customer, without a session)', async () => {
    withLimits({ messagesPerCustomer: { count: 3, windowMs: 60_000 } });
    const created = (await (await newCase(h.tokenFor(chloe), 1)).json()) as { id: string };
    const id = Number(created.id.slice(2));
    const portal = await signedIn(h, chloe);
    expect((await portal.post(`/cases/${created.id}/transitions`, { transition: 'markSolved' })).status).toBe(303);
    expect((await portal.post(`/cases/${created.id}/rating`, { satisfied: 'yes', comment: 'Great' })).status).toBe(303);
    const link = `/csat/${makeCsatToken(await csatKey(h.services), id, chloe.id, h.clock.now() + CSAT_LINK_DAYS * 86_400_000)}`;
    const mail = visitor(h);
    mail.csrf = csrfFrom(await (await mail.get(link)).text());
    expect((await mail.post(link, { answer: 'no', comment: 'Changed my mind' })).status).toBe(303);
    const before = await timeline(id);
    const refused = await mail.post(link, { answer: 'yes', comment: 'Again' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('Retry-After')).toBe('20');
    expect(await refused.text()).toContain('Too many changes to your requests: at most 3 per minute.');
    const again = await portal.post(`/cases/${created.id}/rating`, { satisfied: 'yes', comment: 'Again' });
    expect(again.status).toBe(429);
    expect(await timeline(id)).toBe(before);
    h.clock.advance(20_000);
    expect((await mail.post(link, { answer: 'yes', comment: 'Fine after all' })).status).toBe(303);
  });
});

describe('the portal form', () => {
  it('re-renders with the message and the typed text (429, Retry-After) and creates nothing', async () => {
    withLimits({ casesPerCustomer: { count: 1, windowMs: 5 * 60_000 } });
    const portal = await signedIn(h, chloe);
    expect((await portal.post('/portal/cases', { subject: 'First', description: 'Works' })).status).toBe(303);
    const res = await portal.post('/portal/cases', { subject: 'Second subject', description: 'Second text' });
    expect(res.status).toBe(429);
    expect(res.headers.get('Retry-After')).toBe('300');
    const html = await res.text();
    expect(html).toContain('Too many new requests from your account: at most 1 per 5 minutes. Try again in 5 minutes.');
    expect(html).toContain('value="Second subject"');
    const htmx = await portal.post('/portal/cases', { subject: 'Third', description: 'Third' }, { htmx: true });
    expect(htmx.status).toBe(429);
    expect(htmx.headers.get('HX-Retarget')).toBe('#new-request-form');
    expect(await casesOf(chloe.id)).toBe(1);
    h.clock.advance(5 * 60_000);
    expect((await portal.post('/portal/cases', { subject: 'Later', description: 'Fine' })).status).toBe(303);
  });

  it('invalid forms do not count', async () => {
    withLimits({ casesPerCustomer: { count: 1, windowMs: 60_000 } });
    const portal = await signedIn(h, chloe);
    for (let i = 0; i < 3; i++) expect((await portal.post('/portal/cases', { subject: '', description: '' })).status).toBe(422);
    expect((await portal.post('/portal/cases', { subject: 'Now', description: 'Complete' })).status).toBe(303);
  });
});

describe('configuration', () => {
  it('reads RATE_LIMIT_* as count/window or off, and refuses anything else', () => {
    const config = loadConfig({ RATE_LIMIT_CASES_PER_CUSTOMER: '5/1h', RATE_LIMIT_MESSAGES_PER_TOKEN: 'off' }, '/srv');
    expect(config.rateLimits).toEqual({
      ...DEFAULT_RATE_LIMITS,
      casesPerCustomer: { count: 5, windowMs: 3_600_000 },
      messagesPerToken: { count: 0, windowMs: 60_000 },
    });
    expect(() => loadConfig({ RATE_LIMIT_CASES_PER_TOKEN: 'lots' }, '/srv')).toThrow(/RATE_LIMIT_CASES_PER_TOKEN/);
  });
});
