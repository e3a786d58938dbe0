import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createApp } from '../../src/http/app.js';
import { createPasswordToken } from '../../src/users/password-tokens.js';
import { ADMIN_TOKEN, createHarness, type Harness, type TestActor } from '../support/harness.js';
import { csrfFrom, setPassword, signedIn, visitor, type PageClient } from '../support/pages.js';

const PASSWORD = 'a good long password';
let h: Harness;
let alice: TestActor;
let chloe: TestActor;

beforeEach(async () => {
  h = createHarness();
  h.queue('general');
  alice = h.agent({ name: 'Alice', email: 'alice@casebook.test', queues: ['general'] });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  await setPassword(h, alice, PASSWORD);
  await setPassword(h, chloe, PASSWORD);
});
afterEach(() => h.close());

const sessionRows = () => h.query((q) => q.db.select().from(q.tables.sessions));
/** Deletes every session once `c`'s is written. */
async function endSessions(c: PageClient): Promise<void> {
  await c.ready;
  await h.services.store.write((q) => q.db.delete(q.tables.sessions));
}

describe('GET /login', () => {
  it('renders the form with a CSRF token, secure headers and a CSP that allows only our own files', async () => {
    const res = await h.app.request('http://localhost/login');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('text/html');
    expect(res.headers.get('Vary')).toContain('HX-Request');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('X-Frame-Options')).toBe('DENY');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    const csp = res.headers.get('Content-Security-Policy')!;
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "form-action 'self'", "frame-ancestors 'none'"]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toContain('unsafe-inline');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('casebook_csrf='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const html = await res.text();
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(csrfFrom(html)).toBe(/casebook_csrf=([^;]+)/.exec(cookie)![1]);
    expect(html).not.toMatch(/<script(?![^>]*src=)/);
    expect(html).not.toMatch(/style=/);
    expect(html).toContain('<meta name="htmx-config"');
  });

  it('sends signed-in people home', async () => {
    const res = await signedIn(h, chloe).get('/login');
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/portal');
  });
});

describe('POST /login', () => {
  it('signs in with a new session id, HttpOnly SameSite=Lax cookie, and goes home', async () => {
    const v = visitor(h);
    await v.start();
    const res = await v.post('/login', { email: 'alice@casebook.test', password: PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/inbox');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('casebook_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Secure/);
    expect((await v.get('/inbox')).status).toBe(200);

    const first = v.cookies.get('casebook_session');
    const again = await v.post('/login', { email: 'chloe@example.com', password: PASSWORD }, { csrf: (await (await v.get('/inbox')).text()).match(/name="_csrf" value="([^"]+)"/)![1]! });
    expect(again.status).toBe(303);
    expect(v.cookies.get('casebook_session')).not.toBe(first);
    expect(await sessionRows()).toHaveLength(1);
  });

  it('returns to a local `next` only', async () => {
    const v = visitor(h);
    await v.start();
    const res = await v.post('/login', { email: 'chloe@example.com', password: PASSWORD, next: '/cases/C-1001' });
    expect(res.headers.get('Location')).toBe('/cases/C-1001');
    const w = visitor(h);
    await w.start();
    for (const next of ['//evil.example/x', 'https://evil.example', '/\\evil.example']) {
      const r = await w.post('/login', { email: 'chloe@example.com', password: PASSWORD, next });
      expect(r.headers.get('Location')).toBe('/portal');
      w.cookies.delete('casebook_session');
      await w.start();
    }
  });

  it('re-renders the form with a message (422) for a wrong password; htmx gets just the form', async () => {
    const v = visitor(h);
    await v.start();
    const res = await v.post('/login', { email: 'alice@casebook.test', password: 'not the password' });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('The email address or the password is not right.');
    expect(html).toContain('value="alice@casebook.test"');
    expect(html).not.toContain('not the password');
    const frag = await v.post('/login', { email: 'alice@casebook.test', password: '' }, { htmx: true });
    expect(frag.status).toBe(422);
    expect(frag.headers.get('HX-Retarget')).toBe('#login-form');
    expect(await frag.text()).toMatch(/^<form id="login-form"/);
  });

  it('throttles repeated failures (429 with Retry-After)', async () => {
    const v = visitor(h);
    await v.start();
    for (let i = 0; i < 5; i++) await v.post('/login', { email: 'alice@casebook.test', password: `wrong password ${i}` });
    const res = await v.post('/login', { email: 'alice@casebook.test', password: PASSWORD });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(await res.text()).toContain('Too many sign-in attempts');
  });

  it('refuses without the CSRF token, with a wrong one, and from another origin', async () => {
    const v = visitor(h);
    await v.start();
    const none = await v.post('/login', { email: 'alice@casebook.test', password: PASSWORD }, { csrf: false });
    expect(none.status).toBe(403);
    const html = await none.text();
    expect(html).toContain('Request refused');
    expect(html).toContain(none.headers.get('X-Request-Id')!);
    expect((await v.post('/login', { email: 'alice@casebook.test', password: PASSWORD }, { csrf: 'x'.repeat(43) })).status).toBe(403);
    expect((await v.post('/login', { email: 'alice@casebook.test', password: PASSWORD }, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await v.post('/login', { email: 'alice@casebook.test', password: PASSWORD }, { headers: { 'Sec-Fetch-Site': 'cross-site' } })).status).toBe(403);
    expect((await v.post('/login', { email: 'alice@casebook.test', password: PASSWORD }, { origin: 'http://localhost' })).status).toBe(303);
  });
});

describe('sessions on pages', () => {
  it('sign-out ends the session', async () => {
    const c = signedIn(h, alice);
    const res = await c.post('/logout');
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/login?signed_out=1');
    // The browser forgets what the sign-in left in it (a shared computer's next person).
    expect(res.headers.get('Clear-Site-Data')).toBe('"cache", "storage"');
    expect(await sessionRows()).toEqual([]);
    const after = await c.get('/inbox');
    expect(after.status).toBe(303);
  });

  it('sends visitors to sign-in with the page to return to (HX-Redirect for htmx)', async () => {
    const res = await h.app.request('http://localhost/cases/C-1001?x=1');
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/login?next=%2Fcases%2FC-1001%3Fx%3D1');
    const htmx = await h.app.request('http://localhost/inbox', { headers: { 'HX-Request': 'true' } });
    expect(htmx.headers.get('HX-Redirect')).toBe('/login');
  });

  it('ignores forged or expired session cookies and drops a deactivated account', async () => {
    const forged = await h.app.request('http://localhost/inbox', { headers: { Cookie: 'casebook_session=forged' } });
    expect(forged.status).toBe(303);
    const c = signedIn(h, alice);
    await h.services.store.write((q) => q.db.update(q.tables.staff).set({ active: false }).where(eq(q.tables.staff.id, alice.id)));
    expect((await c.get('/inbox')).status).toBe(303);
  });

  it('a form sent after the session ended gets sign-in (not a CSRF error), its text kept; sign-out still works', async () => {
    const c = signedIn(h, alice);
    await endSessions(c);
    const res = await c.post('/cases/C-1001/messages', { body: 'late' });
    expect(res.status).toBe(401);
    const page = await res.text();
    expect(page).toContain('<form id="login-form"');
    expect(page).toContain('>late</textarea>');
    // The dead cookie stays until a page load: a second send is still known as after the session ended.
    expect((await c.post('/cases/C-1001/messages', { body: 'late' })).status).toBe(401);
    expect((await c.get('/inbox')).headers.get('Location')).toBe('/login?next=%2Finbox');
    expect(c.cookies.has('casebook_session')).toBe(false);
    const htmx = signedIn(h, alice);
    await endSessions(htmx);
    const flash = await htmx.post('/availability', { available: 'false' }, { htmx: true });
    expect(flash.status).toBe(401);
    expect(flash.headers.get('HX-Retarget')).toBe('#flash');
    expect(await flash.text()).toContain('Your session has ended.');
    const out = signedIn(h, alice);
    await endSessions(out);
    expect((await out.post('/logout', {}, { csrf: false })).headers.get('Location')).toBe('/login?signed_out=1');
  });

  it('a form from another site carrying an ended session cookie is refused, its text not shown back on our page', async () => {
    const c = signedIn(h, alice);
    await endSessions(c);
    const bait = 'Your account is locked. Call +1 555 0100 and give the code.';
    for (const headers of [{ Origin: 'https://evil.example' }, { Origin: 'null' }, { 'Sec-Fetch-Site': 'cross-site' }, { 'Sec-Fetch-Site': 'same-site' }] as Record<string, string>[]) {
      for (const htmx of [false, true]) {
        const res = await c.post('/cases/C-1001/messages', { body: bait }, { csrf: false, headers, htmx });
        expect(res.status, JSON.stringify(headers)).toBe(403);
        const page = await res.text();
        expect(page).toContain('This request came from another site and was refused.');
        expect(page).not.toContain('Call +1 555 0100');
        expect(page).not.toContain('login-form');
      }
    }
    // The same form from this site is still answered with sign-in and its text.
    const own = await c.post('/cases/C-1001/messages', { body: bait }, { csrf: false, headers: { Origin: 'http://localhost', 'Sec-Fetch-Site': 'same-origin' } });
    expect(own.status).toBe(401);
    expect(await own.text()).toContain(`>${bait}</textarea>`);
  });

  it('live-update polls do not count as activity; page views do', async () => {
    const c = signedIn(h, alice);
    const lastSeen = async () => (await sessionRows())[0]!.lastSeenAt;
    await c.ready;
    const start = await lastSeen();
    h.clock.advanceMinutes(5);
    expect((await c.get('/inbox?view=mine&stamp=abc', { htmx: true })).status).toBe(200);
    expect(await lastSeen()).toBe(start);
    await c.get('/inbox');
    expect(await lastSeen()).toBe(h.clock.now());
  });

  it('uses Secure __Host- cookies behind https', async () => {
    const app = createApp(h.services, { adminToken: ADMIN_TOKEN, publicUrl: 'https://support.example.com' });
    const page = await app.request('https://support.example.com/login');
    const csrfCookie = page.headers.getSetCookie()[0]!;
    expect(csrfCookie).toMatch(/^__Host-casebook_csrf=/);
    expect(csrfCookie).toMatch(/Secure/);
    const token = csrfFrom(await page.text());
    const res = await app.request('https://support.example.com/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `__Host-casebook_csrf=${token}`, Origin: 'https://support.example.com' },
      body: new URLSearchParams({ _csrf: token, email: 'alice@casebook.test', password: PASSWORD }).toString(),
    });
    expect(res.status).toBe(303);
    const session = res.headers.getSetCookie().find((c) => c.startsWith('__Host-casebook_session='))!;
    expect(session).toMatch(/Secure/);
    expect(session).toMatch(/HttpOnly/);
  });
});

describe('/set-password', () => {
  it('works once: sets the password, signs in, then the link is dead', async () => {
    const sam = h.customer({ email: 'sam@example.org', name: 'Sam' });
    const { token } = await h.services.store.write((q) => createPasswordToken(q, { type: 'customer', id: sam.id }, h.clock.now()));
    const v = visitor(h);
    const page = await v.get(`/set-password?token=${token}`);
    expect(page.status).toBe(200);
    v.csrf = csrfFrom(await page.text());
    const mismatch = await v.post('/set-password', { token, password: 'a brand new password', confirm: 'something else' });
    expect(mismatch.status).toBe(422);
    expect(await mismatch.text()).toContain('the two passwords differ');
    const short = await v.post('/set-password', { token, password: 'short', confirm: 'short' }, { htmx: true });
    expect(short.status).toBe(422);
    expect(short.headers.get('HX-Retarget')).toBe('#set-password-form');
    const ok = await v.post('/set-password', { token, password: 'a brand new password', confirm: 'a brand new password' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('Location')).toBe('/portal');
    expect((await v.get('/portal')).status).toBe(200);
    const dead = await h.app.request(`http://localhost/set-password?token=${token}`);
    expect(dead.status).toBe(404);
    expect(await dead.text()).toContain('expired or was already used');
  });
});
