/**
 * "Email me a sign-in link": asked for on the sign-in page, mailed through a real SMTP sink,
 * opened (GET shows, never uses), used once by its button (POST), refused when used, expired
 * or revoked; a new session at every sign-in. Real SQLite, real HTTP through app.request().
 */
import { and, eq, isNull } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LINK_TTL_MS } from '../../src/auth/links.js';
import { issueSignInLink } from '../../src/auth/sign-in-link.js';
import { createPasswordToken } from '../../src/users/password-tokens.js';
import { LINK_ON_ITS_WAY } from '../../src/http/pages/access.js';
import type { TestActor } from '../support/harness.js';
import { accessWorld, linkIn, tokenOf, type AccessWorld } from '../support/access.js';
import { csrfFrom, signedIn, visitor, type PageClient } from '../support/pages.js';

let w: AccessWorld;
let chloe: TestActor;
beforeEach(async () => {
  w = await accessWorld();
  w.h.queue('general');
  chloe = w.h.customer({ email: 'chloe@example.com', name: 'Chloe Carter' });
});
afterEach(() => w.close());

async function askForLink(email: string, extra: Record<string, string> = {}) {
  const v = visitor(w.h);
  await v.start();
  return v.post('/login/link', { email, password: '', ...extra });
}

/** Opens a link as a fresh visitor would (GET), ready to press its button. */
async function open(link: string, client: PageClient = visitor(w.h)) {
  const page = await client.get(link);
  if (page.status === 200) client.csrf = csrfFrom(await page.clone().text());
  return { client, page };
}

const unusedLinks = () => w.h.query((q) => q.db.select().from(q.tables.passwordTokens).where(isNull(q.tables.passwordTokens.usedAt)));
const sessionRows = () => w.h.query((q) => q.db.select().from(q.tables.sessions));

describe('asking for a sign-in link', () => {
  it('the sign-in form offers it, and mails the customer a link that works once, within 30 minutes', async () => {
    const login = await w.h.app.request('http://localhost/login');
    const html = await login.text();
    expect(html).toContain('formaction="/login/link"');
    expect(html).toContain('Email me a sign-in link');
    expect(html).toContain('href="/forgot-password"');

    const res = await askForLink('Chloe@Example.com ');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(LINK_ON_ITS_WAY);
    await w.flush();
    const [mail] = w.mailsTo('chloe@example.com');
    expect(mail!.subject).toBe('Your sign-in link');
    expect(mail!.text).toContain('Hello Chloe Carter');
    expect(mail!.text).toContain('within 30 minutes');
    const link = linkIn(mail!.text, '/login/link');
    expect(link).toMatch(/^\/login\/link\?token=[A-Za-z0-9_-]{43}$/);
    // Only the hash is stored, with its purpose and expiry.
    const [row] = await unusedLinks();
    expect(row).toMatchObject({ purpose: 'sign-in', principalType: 'customer', principalId: chloe.id, expiresAt: w.h.clock.now() + LINK_TTL_MS.signIn });
    expect(JSON.stringify(await w.h.all('SELECT * FROM password_tokens'))).not.toContain(tokenOf(link));
  });

  it('htmx gets the form back with the notice; an empty or malformed address is a 422 naming the field', async () => {
    const v = visitor(w.h);
    await v.start();
    const frag = await v.post('/login/link', { email: 'chloe@example.com' }, { htmx: true });
    expect(frag.status).toBe(200);
    expect(frag.headers.get('HX-Retarget')).toBe('#login-form');
    const html = await frag.text();
    expect(html).toMatch(/^<form id="login-form"/);
    expect(html).toContain(LINK_ON_ITS_WAY);
    const bad = await v.post('/login/link', { email: 'not an address' });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('enter an email address such as name@example.com');
  });

  it('staff get a note that they sign in with their password (no link); unknown and deactivated addresses get nothing', async () => {
    w.h.agent({ name: 'Alice', email: 'alice@casebook.test' });
    const gone = w.h.agent({ name: 'Gone', email: 'gone@casebook.test' });
    await w.h.services.store.write((q) => q.db.update(q.tables.staff).set({ active: false }).where(eq(q.tables.staff.id, gone.id)));
    for (const email of ['alice@casebook.test', 'gone@casebook.test', 'nobody@example.com']) expect((await askForLink(email)).status).toBe(200);
    await w.flush();
    const [note] = w.mailsTo('alice@casebook.test');
    expect(note!.subject).toBe('Signing in to Casebook');
    expect(note!.text).toContain('staff sign in with their password');
    expect(note!.text).not.toMatch(/token=/);
    expect(w.mailsTo('gone@casebook.test')).toEqual([]);
    expect(w.mailsTo('nobody@example.com')).toEqual([]);
    expect(await unusedLinks()).toEqual([]);
  });
});

describe('opening and using a sign-in link', () => {
  it('GET shows who signs in and uses nothing (a mail scanner may fetch it); the button signs in with a new session, once', async () => {
    const { url } = await issueSignInLink(w.h.services, chloe.id, 'requested');
    const link = new URL(url).pathname + new URL(url).search;
    for (let i = 0; i < 3; i++) {
      const scanned = await w.h.app.request(`http://localhost${link}`);
      expect(scanned.status).toBe(200);
      const html = await scanned.text();
      expect(html).toContain('Chloe Carter');
      expect(html).toContain('action="/login/link/confirm"');
    }
    expect(await unusedLinks()).toHaveLength(1);

    const { client } = await open(link);
    const signIn = await client.post('/login/link/confirm', { token: tokenOf(link) });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('Location')).toBe('/portal');
    const cookie = signIn.headers.getSetCookie().find((c) => c.startsWith('casebook_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect((await client.get('/portal')).status).toBe(200);

    const again = await open(link);
    expect(again.page.status).toBe(404);
    expect(await again.page.text()).toContain('expired or was already used');
    const replay = await client.post('/login/link/confirm', { token: tokenOf(link) }, { csrf: csrfFrom(await (await client.get('/portal')).text()) });
    expect(replay.status).toBe(404);
  });

  it('a browser signed in as someone else gets a fresh session for the link’s customer (its old session ends)', async () => {
    const sam = w.h.customer({ email: 'sam@example.org', name: 'Sam' });
    const browser = signedIn(w.h, sam);
    const before = browser.cookies.get('casebook_session');
    const { url } = await issueSignInLink(w.h.services, chloe.id, 'requested');
    const { client } = await open(new URL(url).pathname + new URL(url).search, browser);
    const res = await client.post('/login/link/confirm', { token: tokenOf(url) });
    expect(res.status).toBe(303);
    expect(browser.cookies.get('casebook_session')).not.toBe(before);
    const rows = await sessionRows();
    expect(rows.map((r) => [r.principalType, r.principalId])).toEqual([['customer', chloe.id]]);
  });

  it('an expired link is refused on GET and POST (injected clock)', async () => {
    const { url } = await issueSignInLink(w.h.services, chloe.id, 'requested');
    const link = new URL(url).pathname + new URL(url).search;
    const { client } = await open(link);
    w.h.clock.advance(LINK_TTL_MS.signIn);
    expect((await w.h.app.request(`http://localhost${link}`)).status).toBe(404);
    expect((await client.post('/login/link/confirm', { token: tokenOf(link) })).status).toBe(404);
    expect(await sessionRows()).toEqual([]);
  });

  it('using one link revokes every other outstanding link of the customer: sign-in, reset and set-password alike', async () => {
    const first = await issueSignInLink(w.h.services, chloe.id, 'requested');
    const second = await issueSignInLink(w.h.services, chloe.id, 'case-mail', '/cases/C-1001');
    const reset = await w.h.services.store.write((q) => createPasswordToken(q, { type: 'customer', id: chloe.id }, w.h.clock.now(), LINK_TTL_MS.reset, 'reset'));
    const other = w.h.customer({ email: 'sam@example.org' });
    const samsLink = await issueSignInLink(w.h.services, other.id, 'requested');
    expect(await unusedLinks()).toHaveLength(4);

    const { client } = await open(new URL(second.url).pathname + new URL(second.url).search);
    const res = await client.post('/login/link/confirm', { token: second.token, next: '/cases/C-1001' });
    expect(res.headers.get('Location')).toBe('/cases/C-1001');
    expect((await w.h.app.request(`http://localhost/login/link?token=${first.token}`)).status).toBe(404);
    expect((await w.h.app.request(`http://localhost/set-password?token=${reset.token}`)).status).toBe(404);
    // Another customer's links are theirs.
    expect((await unusedLinks()).map((l) => l.principalId)).toEqual([other.id]);
    expect((await w.h.app.request(`http://localhost/login/link?token=${samsLink.token}`)).status).toBe(200);
  });

  it('a new password set on the profile page revokes every outstanding link too: a forwarded acknowledgement no longer signs in', async () => {
    const acknowledged = await issueSignInLink(w.h.services, chloe.id, 'case-mail', '/cases/C-1001');
    const reset = await w.h.services.store.write((q) => createPasswordToken(q, { type: 'customer', id: chloe.id }, w.h.clock.now(), LINK_TTL_MS.reset, 'reset'));
    const other = w.h.customer({ email: 'sam@example.org' });
    const samsLink = await issueSignInLink(w.h.services, other.id, 'requested');
    // On one device the customer (who came in by mail: no password yet) sets a password, so as to be the only one signed in.
    const phone = signedIn(w.h, chloe);
    const changed = await phone.post('/profile/password', { current: '', next: 'a long new password' });
    expect(changed.status).toBe(303);
    expect((await phone.get('/profile?saved=password')).status).toBe(200); // this session stays
    expect((await w.h.app.request(`http://localhost/login/link?token=${acknowledged.token}`)).status).toBe(404);
    expect((await w.h.app.request(`http://localhost/set-password?token=${reset.token}`)).status).toBe(404);
    expect((await unusedLinks()).map((l) => l.principalId)).toEqual([other.id]);
    expect((await w.h.app.request(`http://localhost/login/link?token=${samsLink.token}`)).status).toBe(200);
  });

  it('the page to return to travels with the link, local paths only', async () => {
    await askForLink('chloe@example.com', { next: '/cases/C-1042' });
    await askForLink('chloe@example.com', { next: '//evil.example/x' });
    await w.flush();
    // Two mails, in whichever order the SMTP sink got them (on PostgreSQL two drains may send them side by side).
    const links = w.mailsTo('chloe@example.com').map((m) => linkIn(m.text, '/login/link'));
    expect(links).toHaveLength(2);
    const [withNext, withoutNext] = links[0]!.includes('next=') ? links : [...links].reverse();
    expect(new URL(withNext!, 'http://localhost').searchParams.get('next')).toBe('/cases/C-1042');
    expect(withoutNext).not.toContain('next=');
    const { client, page } = await open(withNext!);
    expect(await page.text()).toContain('name="next" value="/cases/C-1042"');
    const res = await client.post('/login/link/confirm', { token: tokenOf(withNext!), next: 'https://evil.example/' });
    expect(res.headers.get('Location')).toBe('/portal');
  });

  it('a link with a missing token goes to sign-in; a made-up one is a 404', async () => {
    const bare = await w.h.app.request('http://localhost/login/link');
    expect(bare.status).toBe(303);
    expect(bare.headers.get('Location')).toBe('/login');
    expect((await w.h.app.request(`http://localhost/login/link?token=${'x'.repeat(43)}`)).status).toBe(404);
    expect(await w.h.query((q) => q.db.select().from(q.tables.passwordTokens).where(and(eq(q.tables.passwordTokens.purpose, 'sign-in'))))).toEqual([]);
  });
});
