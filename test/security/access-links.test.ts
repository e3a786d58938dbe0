/**
 * The mailed ways in, as an attacker sees them: asking for links reveals nothing about an
 * address (same answer, same work, same time), is limited per address and per client
 * address, every form needs the CSRF token from this site, and a server without SMTP says so
 * the same way for everyone.
 */
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS, type RateLimits } from '../../src/auth/rate-limit.js';
import { NO_MAIL_MESSAGE } from '../../src/auth/request-access-mail.js';
import { createApp } from '../../src/http/app.js';
import { ADMIN_TOKEN, createHarness, type Harness } from '../support/harness.js';
import { issueSignInLink } from '../../src/auth/sign-in-link.js';
import { accessWorld, linkIn, type AccessWorld } from '../support/access.js';
import { visitor } from '../support/pages.js';

let w: AccessWorld | null = null;
let plain: Harness | null = null;
afterEach(async () => {
  await w?.close();
  plain?.close();
  w = null;
  plain = null;
});

const ASKS = [
  ['/login/link', {}],
  ['/forgot-password', {}],
  ['/signup', { name: 'Someone' }],
] as const;

async function ask(h: Harness, path: string, email: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}) {
  const v = visitor(h);
  await v.start();
  return v.post(path, { email, ...extra }, { headers });
}

function withLimits(world: AccessWorld, rates: Partial<RateLimits>): void {
  world.h.app = createApp(world.h.services, { adminToken: ADMIN_TOKEN, trustProxy: 1, rateLimits: { ...DEFAULT_RATE_LIMITS, ...rates } });
}

const queued = (h: Harness) => h.query((q) => q.db.select().from(q.tables.outbox).where(eq(q.tables.outbox.type, 'access.mail')).orderBy(q.tables.outbox.id));

/** The answer with the visitor's own CSRF token blanked out. */
async function normalized(res: Response, csrf: string): Promise<string> {
  return (await res.text()).replaceAll(csrf, '…');
}

describe('no account enumeration', () => {
  it('a customer, a staff member, a deactivated one and a stranger get the same answer, and the same single queued item', async () => {
    w = await accessWorld({ signup: { mode: 'open' } });
    w.h.customer({ email: 'chloe@example.com', name: 'Chloe' });
    w.h.agent({ email: 'alice@casebook.test' });
    const gone = w.h.agent({ email: 'gone@casebook.test' });
    await w.h.services.store.write((q) => q.db.update(q.tables.staff).set({ active: false }).where(eq(q.tables.staff.id, gone.id)));
    withLimits(w, { linksPerAddress: { count: 0, windowMs: 60_000 }, linksPerClient: { count: 0, windowMs: 60_000 } });
    const addresses = ['chloe@example.com', 'alice@casebook.test', 'gone@casebook.test', 'stranger@example.com'];
    for (const [path, extra] of ASKS) {
      for (const htmx of [false, true]) {
        const answers = new Set<string>();
        for (const email of addresses) {
          const v = visitor(w.h);
          await v.start();
          const res = await v.post(path, { email, ...extra }, { htmx });
          answers.add(`${res.status} ${res.headers.get('Content-Type')} ${res.headers.get('Cache-Control')} ${(await normalized(res, v.csrf)).replace(email, '<address>')}`);
        }
        expect(answers.size, `${path}${htmx ? ' (htmx)' : ''}`).toBe(1);
      }
    }
    // The request did the same work for all: one item each, the address and the purpose only.
    const items = await queued(w.h);
    expect(items).toHaveLength(addresses.length * ASKS.length * 2);
    for (const item of items) expect(Object.keys(item.payload).sort()).toEqual(['email', 'name', 'next', 'purpose']);
  });

  it('takes as long for a known address as for an unknown one (the lookup happens after the answer)', async () => {
    w = await accessWorld();
    w.h.customer({ email: 'chloe@example.com', name: 'Chloe' });
    withLimits(w, { linksPerAddress: { count: 0, windowMs: 60_000 }, linksPerClient: { count: 0, windowMs: 60_000 } });
    const times: Record<'known' | 'unknown', number[]> = { known: [], unknown: [] };
    const v = visitor(w.h);
    await v.start();
    for (let round = 0; round < 16; round++) {
      // Alternate which goes first, so whatever the previous request left behind (a mail's
      // SMTP tail, a collection) falls on both kinds alike.
      const pair = [['known', 'chloe@example.com'], ['unknown', `ghost${round}@example.com`]] as const;
      for (const [kind, email] of round % 2 === 0 ? pair : [...pair].reverse()) {
        const started = performance.now();
        const res = await v.post('/login/link', { email });
        times[kind].push(performance.now() - started);
        expect(res.status).toBe(200);
        await w.flush(); // the mail is sent between measurements, never inside one
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const known = median(times.known);
    const unknown = median(times.unknown);
    expect(Math.abs(known - unknown), `known ${known.toFixed(2)} ms, unknown ${unknown.toFixed(2)} ms`).toBeLessThan(Math.max(20, Math.min(known, unknown)));
    expect(w.mailsTo('chloe@example.com')).toHaveLength(16);
  }, 60_000);
});

describe('rate limits on asking for links', () => {
  it('per address, whatever is asked for and whether or not the address is known; a refusal queues nothing', async () => {
    w = await accessWorld({ signup: { mode: 'open' } });
    w.h.customer({ email: 'chloe@example.com', name: 'Chloe' });
    withLimits(w, { linksPerAddress: { count: 3, windowMs: 3_600_000 } });
    for (const email of ['chloe@example.com', 'ghost@example.com']) {
      for (const [path, extra] of ASKS) expect((await ask(w.h, path, email, extra, { 'X-Forwarded-For': `198.51.100.${email.length}` })).status).toBe(200);
      const before = (await queued(w.h)).length;
      const refused = await ask(w.h, '/login/link', email.toUpperCase(), {}, { 'X-Forwarded-For': '192.0.2.77' });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('Retry-After'))).toBe(1200);
      expect(await refused.text()).toContain('Too many links mailed to this address: at most 3 per hour.');
      expect(await queued(w.h)).toHaveLength(before);
    }
    w.h.clock.advanceMinutes(20);
    expect((await ask(w.h, '/login/link', 'chloe@example.com')).status).toBe(200);
  });

  it('per client address (behind TRUST_PROXY), for any addresses; other clients are not affected', async () => {
    w = await accessWorld();
    withLimits(w, { linksPerClient: { count: 4, windowMs: 3_600_000 } });
    const from = (ip: string) => ({ 'X-Forwarded-For': ip });
    for (let i = 0; i < 4; i++) expect((await ask(w.h, '/forgot-password', `user${i}@example.com`, {}, from('203.0.113.9'))).status).toBe(200);
    const refused = await ask(w.h, '/forgot-password', 'user9@example.com', {}, from('203.0.113.9'));
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain('Too many links asked for from your network address');
    expect((await ask(w.h, '/forgot-password', 'user9@example.com', {}, from('203.0.113.10'))).status).toBe(200);
  });
});

describe('CSRF on the forms of the ways in', () => {
  it('every form refuses a post without the token, with a wrong one, or from another site, and does nothing', async () => {
    w = await accessWorld({ signup: { mode: 'open' } });
    w.h.customer({ email: 'chloe@example.com' });
    const forms: [string, Record<string, string>][] = [
      ['/login/link', { email: 'chloe@example.com' }],
      ['/forgot-password', { email: 'chloe@example.com' }],
      ['/signup', { email: 'new@example.com', name: 'New' }],
      ['/login/link/confirm', { token: 'x'.repeat(43) }],
      ['/signup/confirm', { token: 'x'.repeat(43), name: 'New' }],
    ];
    for (const [path, form] of forms) {
      const v = visitor(w.h);
      await v.start();
      expect((await v.post(path, form, { csrf: false })).status, `${path} without a token`).toBe(403);
      expect((await v.post(path, form, { csrf: 'y'.repeat(43) })).status, `${path} with another token`).toBe(403);
      expect((await v.post(path, form, { origin: 'https://evil.example' })).status, `${path} from another origin`).toBe(403);
      expect((await v.post(path, form, { headers: { 'Sec-Fetch-Site': 'cross-site' } })).status, `${path} cross-site`).toBe(403);
    }
    expect(await queued(w.h)).toEqual([]);
  });
});

describe('names on the pages mailed links open', () => {
  it('are escaped', async () => {
    w = await accessWorld({ signup: { mode: 'open' } });
    const payload = '<script>alert("xss")</script>';
    const chloe = w.h.customer({ email: 'chloe@example.com', name: payload });
    const { url } = await issueSignInLink(w.h.services, chloe.id, 'requested');
    const signIn = await (await w.h.app.request(url.replace('http://127.0.0.1:3000', 'http://localhost'))).text();
    expect(signIn).toContain('&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;');
    expect(signIn).not.toContain(payload);
    await ask(w.h, '/signup', 'new@example.com', { name: payload });
    await w.flush();
    const confirm = await (await w.h.app.request(linkIn(w.mailsTo('new@example.com')[0]!.text, '/signup/confirm').replace(/^/, 'http://localhost'))).text();
    expect(confirm).toContain('&lt;script&gt;');
    expect(confirm).not.toContain(payload);
  });
});

describe('without SMTP_URL', () => {
  it('the sign-in page offers no mailed link and says why; asking anyway is a 503 with the same message for everyone, and nothing is queued', async () => {
    plain = createHarness();
    plain.customer({ email: 'chloe@example.com' });
    const login = await (await plain.app.request('http://localhost/login')).text();
    expect(login).not.toContain('formaction="/login/link"');
    expect(login).toContain('this server cannot send mail');
    expect(login).not.toContain('href="/signup"');
    expect(await (await plain.app.request('http://localhost/forgot-password')).text()).toContain(NO_MAIL_MESSAGE);
    for (const email of ['chloe@example.com', 'ghost@example.com']) {
      for (const [path, extra] of ASKS) {
        const res = await ask(plain, path, email, extra);
        expect(res.status, path).toBe(503);
        expect(await res.text()).toContain(NO_MAIL_MESSAGE);
      }
    }
    expect(await queued(plain)).toEqual([]);
  });
});
