/**
 * "Forgot password?" (a reset link mailed, a new password, every other session ended) and
 * self sign-up in each PORTAL_SIGNUP mode (open, known, domains, off), with the address
 * confirmed by a mailed link before any account exists. Real SMTP sink, real SQLite.
 */
import { asc, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { LINK_TTL_MS } from '../../src/auth/links.js';
import { createSession, findSession } from '../../src/auth/sessions.js';
import { signIn } from '../../src/auth/sign-in.js';
import { SIGN_UP_TTL_MS } from '../../src/auth/sign-up.js';
import type { SignupPolicy } from '../../src/auth/signup-policy.js';
import { issuePasswordLink } from '../../src/users/password-tokens.js';
import { DomainError } from '../../src/errors.js';
import { LINK_ON_ITS_WAY, SIGNUP_LINK_ON_ITS_WAY } from '../../src/http/pages/access.js';
import { accessWorld, linkIn, tokenOf, type AccessWorld } from '../support/access.js';
import { csrfFrom, setPassword, visitor } from '../support/pages.js';

let w: AccessWorld;
afterEach(() => w.close());

const sessionRows = () => w.h.query((q) => q.db.select().from(q.tables.sessions));
const customerRows = () => w.h.query((q) => q.db.select().from(q.tables.customers).orderBy(asc(q.tables.customers.id)));
const signUpRows = () => w.h.query((q) => q.db.select().from(q.tables.signUps));

async function post(path: string, form: Record<string, string>) {
  const v = visitor(w.h);
  await v.start();
  return v.post(path, form);
}

async function open(link: string) {
  const v = visitor(w.h);
  const page = await v.get(link);
  if (page.status === 200) v.csrf = csrfFrom(await page.clone().text());
  return { v, page };
}

const signsIn = async (email: string, password: string) => {
  try {
    return await signIn(w.h.services, { email, password, clientAddress: '10.9.9.9' });
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
};

describe('forgot password', () => {
  it('mails a reset link (1 hour); the new password ends every other session of the account and starts a new one', async () => {
    w = await accessWorld();
    const chloe = w.h.customer({ email: 'chloe@example.com', name: 'Chloe' });
    await setPassword(w.h, chloe, 'the old password');
    const laptop = await w.h.services.store.write((q) => createSession(q, { type: 'customer', id: chloe.id }, w.h.clock.now()));
    const phone = await w.h.services.store.write((q) => createSession(q, { type: 'customer', id: chloe.id }, w.h.clock.now()));

    const page = await w.h.app.request('http://localhost/forgot-password');
    expect(page.status).toBe(200);
    const res = await post('/forgot-password', { email: 'chloe@example.com' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(LINK_ON_ITS_WAY);
    await w.flush();
    const [mail] = w.mailsTo('chloe@example.com');
    expect(mail!.subject).toBe('Choose a new password');
    expect(mail!.text).toContain('within 1 hour');
    const link = linkIn(mail!.text, '/set-password');

    const { v, page: form } = await open(link);
    expect(await form.text()).toContain('Choose a new password');
    expect(await w.h.services.store.write((q) => findSession(q, laptop.id, w.h.clock.now()))).not.toBeNull(); // opening the link changed nothing
    const done = await v.post('/set-password', { token: tokenOf(link), password: 'a brand new password', confirm: 'a brand new password' });
    expect(done.status).toBe(303);
    expect(done.headers.get('Location')).toBe('/portal');
    expect(await w.h.services.store.write((q) => findSession(q, laptop.id, w.h.clock.now()))).toBeNull();
    expect(await w.h.services.store.write((q) => findSession(q, phone.id, w.h.clock.now()))).toBeNull();
    expect(await sessionRows()).toHaveLength(1);
    expect((await v.get('/portal')).status).toBe(200);
    expect(await signsIn('chloe@example.com', 'the old password')).toBe('UNAUTHENTICATED');
    expect(await signsIn('chloe@example.com', 'a brand new password')).toEqual({ type: 'customer', id: chloe.id });
    expect((await open(link)).page.status).toBe(404);
  });

  it('works for staff too, and a reset link is dead after an hour', async () => {
    w = await accessWorld();
    w.h.agent({ name: 'Alice', email: 'alice@casebook.test' });
    await post('/forgot-password', { email: 'alice@casebook.test' });
    await w.flush();
    const link = linkIn(w.mailsTo('alice@casebook.test')[0]!.text, '/set-password');
    expect((await open(link)).page.status).toBe(200);
    w.h.clock.advance(LINK_TTL_MS.reset);
    const { page } = await open(link);
    expect(page.status).toBe(404);
  });

  it('an unknown address gets the same answer and no mail', async () => {
    w = await accessWorld();
    const res = await post('/forgot-password', { email: 'nobody@example.com' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(LINK_ON_ITS_WAY);
    await w.flush();
    expect(w.smtp.messages).toEqual([]);
  });
});

/** Asks to sign up and answers the mail the address got (or undefined). */
async function signUp(email: string, name = 'New Person') {
  const res = await post('/signup', { email, name });
  expect(res.status).toBe(200);
  expect(await res.text()).toContain(SIGNUP_LINK_ON_ITS_WAY);
  await w.flush();
  return w.mailsTo(email).at(-1);
}

const customerNamed = async (email: string) => (await w.h.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.email, email))))[0];

describe('sign-up', () => {
  it('open: the address is confirmed by a mailed link (24 h) before the account exists; the link creates it once and signs in', async () => {
    w = await accessWorld({ signup: { mode: 'open' } });
    const page = await w.h.app.request('http://localhost/signup');
    expect(await page.text()).toContain('Anyone can create an account');
    expect(await (await w.h.app.request('http://localhost/login')).text()).toContain('href="/signup"');

    const mail = await signUp('Pat@Example.net', 'Pat Doe');
    expect(mail!.subject).toBe('Confirm your address');
    expect(mail!.text).toContain('within 1 day');
    expect(await customerNamed('pat@example.net')).toBeUndefined(); // nothing usable before the link
    const link = linkIn(mail!.text, '/signup/confirm');
    const { v, page: confirm } = await open(link);
    const html = await confirm.text();
    expect(html).toContain('pat@example.net');
    expect(html).toContain('value="Pat Doe"');
    expect(await customerNamed('pat@example.net')).toBeUndefined(); // opening is not confirming

    const mismatch = await v.post('/signup/confirm', { token: tokenOf(link), name: 'Pat Doe', password: 'a long password', confirm: 'another one' });
    expect(mismatch.status).toBe(422);
    const done = await v.post('/signup/confirm', { token: tokenOf(link), name: 'Pat Doe', password: 'a long password', confirm: 'a long password' });
    expect(done.status).toBe(303);
    expect(done.headers.get('Location')).toBe('/portal');
    expect((await v.get('/portal')).status).toBe(200);
    const pat = (await customerNamed('pat@example.net'))!;
    expect(pat.name).toBe('Pat Doe');
    expect(await signsIn('pat@example.net', 'a long password')).toEqual({ type: 'customer', id: pat.id });
    const again = await open(link);
    expect(again.page.status).toBe(404);
    expect(await customerRows()).toHaveLength(1);
  });

  it('open: a confirmation sent twice at once (a double click) makes one account; the other answer says the link is used', async () => {
    w = await accessWorld({ signup: { mode: 'open' } });
    const link = linkIn((await signUp('sam@example.net', 'Sam Doe'))!.text, '/signup/confirm');
    const [a, b] = [await open(link), await open(link)];
    const form = { token: tokenOf(link), name: 'Sam Doe', password: 'a long password', confirm: 'a long password' };
    const answers = await Promise.all([a.v.post('/signup/confirm', form), b.v.post('/signup/confirm', form)]);
    expect(answers.map((r) => r.status).sort()).toEqual([303, 404]);
    expect(await (answers.find((r) => r.status === 404)!).text()).toContain('was already used');
    expect((await customerRows()).filter((c) => c.email === 'sam@example.net')).toHaveLength(1);
  });

  it('open: a confirmation link expires; without a password the customer signs in with mailed links', async () => {
    w = await accessWorld({ signup: { mode: 'open' } });
    const stale = linkIn((await signUp('late@example.net'))!.text, '/signup/confirm');
    w.h.clock.advance(SIGN_UP_TTL_MS);
    expect((await open(stale)).page.status).toBe(404);
    const fresh = linkIn((await signUp('late@example.net'))!.text, '/signup/confirm');
    const { v } = await open(fresh);
    expect((await v.post('/signup/confirm', { token: tokenOf(fresh), name: 'Late', password: '', confirm: '' })).status).toBe(303);
    expect((await customerNamed('late@example.net'))!.passwordHash).toBeNull();
    expect((await signUpRows()).filter((s) => s.usedAt === null)).toEqual([]);
  });

  it('a sign-up pending at an address that is now a customer dies with the account\'s access (revokeAccess): it no longer signs in as them', async () => {
    w = await accessWorld({ signup: { mode: 'open' } });
    const link = linkIn((await signUp('cara@example.net', 'Cara'))!.text, '/signup/confirm');
    // The address becomes a customer meanwhile (a mail, the API), whose account is later compromised.
    const cara = w.h.customer({ email: 'cara@example.net', name: 'Cara' });
    await setPassword(w.h, cara, 'the old password');
    const issued = await issuePasswordLink(w.h.services, 'cara@example.net', { revokeAccess: true });
    expect(issued.ref).toEqual({ type: 'customer', id: cara.id });
    expect((await open(link)).page.status).toBe(404);
    expect(await signUpRows()).toEqual([]);
    expect((await customerNamed('cara@example.net'))!.passwordHash).toBeNull();
    const audit = await w.h.all<{ after: unknown }>("SELECT after FROM audit_log WHERE action = 'access-revoked' AND entity_id = ?", String(cara.id));
    expect(typeof audit[0]!.after === 'string' ? JSON.parse(audit[0]!.after) : audit[0]!.after).toMatchObject({ linksRevoked: 1 });
  });

  it('open or not: an existing customer gets a link to their account, never a second account; staff get the staff note', async () => {
    w = await accessWorld({ signup: { mode: 'open' } });
    w.h.customer({ email: 'chloe@example.com', name: 'Chloe' });
    w.h.agent({ name: 'Alice', email: 'alice@casebook.test' });
    const claim = await signUp('chloe@example.com');
    expect(claim!.subject).toBe('Your account is waiting');
    linkIn(claim!.text, '/login/link');
    expect((await signUp('alice@casebook.test'))!.subject).toBe('Signing in to Casebook');
    expect(await signUpRows()).toEqual([]);
  });

  it('known (the default): existing customers claim their account by a sign-in link; strangers get nothing', async () => {
    w = await accessWorld();
    const chloe = w.h.customer({ email: 'chloe@example.com', name: 'Chloe' });
    expect(await (await w.h.app.request('http://localhost/signup')).text()).toContain('If you have written to us before');
    expect(await signUp('stranger@example.com')).toBeUndefined();
    const claim = await signUp('chloe@example.com');
    const link = linkIn(claim!.text, '/login/link');
    const { v } = await open(link);
    const res = await v.post('/login/link/confirm', { token: tokenOf(link) });
    expect(res.headers.get('Location')).toBe('/portal');
    expect((await sessionRows())[0]).toMatchObject({ principalType: 'customer', principalId: chloe.id });
    expect(await customerRows()).toHaveLength(1);
  });

  it('domains: new accounts only at the listed domains (not their subdomains); known customers anywhere claim theirs', async () => {
    const policy: SignupPolicy = { mode: 'domains', domains: ['example.com', 'foo.org'] };
    w = await accessWorld({ signup: policy });
    w.h.customer({ email: 'chloe@elsewhere.net', name: 'Chloe' });
    expect(await (await w.h.app.request('http://localhost/signup')).text()).toContain('example.com, foo.org');
    expect((await signUp('ann@example.com'))!.subject).toBe('Confirm your address');
    expect((await signUp('bob@FOO.org'))!.subject).toBe('Confirm your address');
    expect(await signUp('eve@evil.net')).toBeUndefined();
    expect(await signUp('sub@mail.example.com')).toBeUndefined();
    expect((await signUp('chloe@elsewhere.net'))!.subject).toBe('Your account is waiting');
  });

  it('off: no sign-up page, no form, no link to it', async () => {
    w = await accessWorld({ signup: { mode: 'off' } });
    expect((await w.h.app.request('http://localhost/signup')).status).toBe(404);
    expect((await post('/signup', { email: 'ann@example.com', name: 'Ann' })).status).toBe(404);
    expect(await (await w.h.app.request('http://localhost/login')).text()).not.toContain('href="/signup"');
    await w.flush();
    expect(w.smtp.messages).toEqual([]);
  });

  it('a confirmation link is refused when the policy closed meanwhile (the account is not made)', async () => {
    w = await accessWorld({ signup: { mode: 'open' } });
    const link = linkIn((await signUp('ann@example.com'))!.text, '/signup/confirm');
    const { v } = await open(link);
    w.h.services.access.signup = { mode: 'known' };
    const res = await v.post('/signup/confirm', { token: tokenOf(link), name: 'Ann', password: '', confirm: '' });
    expect(res.status).toBe(404);
    expect(await customerNamed('ann@example.com')).toBeUndefined();
  });
});
