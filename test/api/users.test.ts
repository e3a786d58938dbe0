import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';
import { csrfFrom, setPassword, signedIn, visitor } from '../support/pages.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
  standardQueues(h);
});
afterEach(() => h.close());

const post = (body: unknown, token: string | null = ADMIN_TOKEN) => h.api('POST', '/api/v1/users', { ...(token ? { token } : {}), body });

describe('POST /api/v1/users', () => {
  it('creates an agent (201) who can sign in', async () => {
    const res = await post({ email: 'nia@casebook.test', name: 'Nia', role: 'agent', password: 'a long password', queues: ['general'], skills: ['api'], capacity: 3, chatLimit: 2 });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ id: expect.any(Number), type: 'staff', email: 'nia@casebook.test', name: 'Nia', role: 'agent', queues: ['general'], skills: ['api'], capacity: 3, chatLimit: 2, available: true });
    const v = visitor(h);
    await v.start();
    const signIn = await v.post('/login', { email: 'nia@casebook.test', password: 'a long password' });
    expect(signIn.headers.get('Location')).toBe('/inbox');
  });

  it('without a password answers with a one-time set-password link that works once', async () => {
    const res = await post({ email: 'chloe@example.com', name: 'Chloe', role: 'customer' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { setPasswordUrl: string; setPasswordExpiresAt: string; type: string };
    expect(body.type).toBe('customer');
    expect(body.setPasswordUrl).toMatch(/\/set-password\?token=/);
    expect(Date.parse(body.setPasswordExpiresAt)).toBe(h.clock.now() + 7 * 86_400_000);
    const url = new URL(body.setPasswordUrl);
    const v = visitor(h);
    const page = await v.get(`${url.pathname}${url.search}`);
    expect(page.status).toBe(200);
    v.csrf = csrfFrom(await page.text());
    const token = url.searchParams.get('token')!;
    expect((await v.post('/set-password', { token, password: 'chloes password', confirm: 'chloes password' })).headers.get('Location')).toBe('/portal');
    expect((await v.get(`${url.pathname}${url.search}`)).status).toBe(404);
  });

  it('is for admins only', async () => {
    expect((await post({ email: 'x@example.com', name: 'X', role: 'customer' }, null)).status).toBe(401);
    const manager = h.agent({ role: 'manager' });
    expect((await post({ email: 'x@example.com', name: 'X', role: 'customer' }, h.tokenFor(manager))).status).toBe(403);
    const admin = h.agent({ role: 'admin' });
    expect((await post({ email: 'x@example.com', name: 'X', role: 'customer' }, h.tokenFor(admin))).status).toBe(201);
  });

  it('409 EMAIL_TAKEN for an address used by staff or customers', async () => {
    h.customer({ email: 'chloe@example.com' });
    h.agent({ email: 'alice@casebook.test' });
    for (const email of ['Chloe@Example.com', 'alice@casebook.test']) {
      const res = await post({ email, name: 'Dup', role: 'agent' });
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ code: 'EMAIL_TAKEN', requestId: expect.any(String) });
    }
  });

  it('the same address sent twice at once (a double submit): one 201, one 409 EMAIL_TAKEN, one account', async () => {
    const body = { email: 'nia@casebook.test', name: 'Nia', role: 'agent', queues: ['general'] };
    const answers = await Promise.all([post(body), post(body)]);
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(await answers.find((r) => r.status === 409)!.json()).toMatchObject({ code: 'EMAIL_TAKEN' });
    expect(await h.query((q) => q.db.select().from(q.tables.staff).where(eq(q.tables.staff.email, 'nia@casebook.test')))).toHaveLength(1);
  });

  it('422 with field paths: unknown queues, tier-2 queues for plain agents, bad fields', async () => {
    const queues = await post({ email: 'a@casebook.test', name: 'A', role: 'agent', queues: ['general', 'nope', 'advanced'] });
    expect(queues.status).toBe(422);
    const body = (await queues.json()) as { errors: { path: string }[] };
    expect(body.errors.map((e) => e.path)).toEqual(['queues.1', 'queues.2']);
    const fields = await post({ email: 'bad', name: '', role: 'wizard', password: 'short', capacity: -1, chatLimit: 101 });
    expect(fields.status).toBe(422);
    expect(((await fields.json()) as { errors: { path: string }[] }).errors.map((e) => e.path).sort()).toEqual(['capacity', 'chatLimit', 'email', 'name', 'password', 'role']);
    expect((await h.api('POST', '/api/v1/users', { token: ADMIN_TOKEN, body: '{oops' })).status).toBe(400);
  });
});

describe('POST /api/v1/users/password-links', () => {
  it('gives an existing customer (who wrote in through the API) a one-time link to the portal', async () => {
    await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'pat@example.com' }, subject: 'Hi', description: 'Hello' } });
    const res = await h.api('POST', '/api/v1/users/password-links', { token: ADMIN_TOKEN, body: { email: 'Pat@Example.com' } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { type: string; setPasswordUrl: string };
    expect(body.type).toBe('customer');
    const url = new URL(body.setPasswordUrl);
    const v = visitor(h);
    const page = await v.get(`${url.pathname}${url.search}`);
    v.csrf = csrfFrom(await page.text());
    const done = await v.post('/set-password', { token: url.searchParams.get('token')!, password: 'pats new password', confirm: 'pats new password' });
    expect(done.headers.get('Location')).toBe('/portal');
  });

  it('answers 404 for unknown addresses and 403 to non-admins', async () => {
    expect((await h.api('POST', '/api/v1/users/password-links', { token: ADMIN_TOKEN, body: { email: 'nobody@example.com' } })).status).toBe(404);
    const agent = h.tokenFor(h.agent({ role: 'manager' }));
    expect((await h.api('POST', '/api/v1/users/password-links', { token: agent, body: { email: 'nobody@example.com' } })).status).toBe(403);
  });

  describe('a compromised staff account', () => {
    const OLD = 'the leaked password';
    async function compromised() {
      const nia = h.agent({ email: 'nia@casebook.test', name: 'Nia', role: 'manager' });
      await setPassword(h, nia, OLD);
      // An expired token opens nothing already: it is not live.
      await h.api('POST', '/api/v1/tokens', { token: ADMIN_TOKEN, body: { email: 'nia@casebook.test', name: 'old', expiresInDays: 1 } });
      h.clock.advance(2 * 86_400_000);
      const phone = signedIn(h, nia);
      const laptop = signedIn(h, nia);
      // On PostgreSQL the session rows are written in the background: both must exist before
      // anything counts or ends them (CI 46 saw the revoke end one of two).
      await Promise.all([phone.ready, laptop.ready]);
      const integration = h.tokenFor(nia);
      const minted = await h.api('POST', '/api/v1/tokens', { token: ADMIN_TOKEN, body: { email: 'nia@casebook.test', name: 'CRM churn', scopes: ['churn'] } });
      expect(minted.status).toBe(201);
      const churn = ((await minted.json()) as { token: string }).token;
      for (const t of [integration, churn]) expect((await h.api('GET', '/api/v1/queues', { token: t })).status).not.toBe(401);
      return { nia, phone, laptop, tokens: [integration, churn] };
    }
    const signsIn = async (password: string) => {
      const v = visitor(h);
      await v.start();
      return (await v.post('/login', { email: 'nia@casebook.test', password })).headers.get('Location') === '/inbox';
    };

    it('a plain reset link leaves everything working until it is used, and says how many API tokens live on', async () => {
      const { phone, tokens } = await compromised();
      const res = await h.api('POST', '/api/v1/users/password-links', { token: ADMIN_TOKEN, body: { email: 'nia@casebook.test' } });
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({ type: 'staff', sessionsEnded: 0, apiTokensRevoked: 0, apiTokensLive: 2 });
      // Which they are: GET /api/v1/tokens lists the account's tokens (newest first), never a secret.
      const listed = await h.api('GET', '/api/v1/tokens?email=NIA@casebook.test', { token: ADMIN_TOKEN });
      expect(listed.status).toBe(200);
      const list = (await listed.json()) as { principal: unknown; items: { name: string; live: boolean; prefix: string; scopes: string[] }[] };
      expect(list.principal).toMatchObject({ type: 'staff', email: 'nia@casebook.test' });
      expect(list.items.map((t) => [t.name, t.live, t.scopes])).toEqual([
        ['CRM churn', true, ['churn']],
        [expect.any(String), true, []],
        ['old', false, []],
      ]);
      expect(tokens.map((t) => t.slice(0, 10)).sort()).toEqual(list.items.filter((t) => t.live).map((t) => t.prefix).sort());
      const text = JSON.stringify(list);
      for (const t of tokens) expect(text).not.toContain(t);
      expect(text).not.toMatch(/hash/i);
      expect((await h.api('GET', '/api/v1/tokens?email=nobody@example.com', { token: ADMIN_TOKEN })).status).toBe(404);
      expect((await h.api('GET', '/api/v1/tokens', { token: ADMIN_TOKEN })).status).toBe(422);
      expect((await phone.get('/profile')).status).toBe(200);
      expect(await signsIn(OLD)).toBe(true);
      for (const t of tokens) expect((await h.api('GET', '/api/v1/queues', { token: t })).status).not.toBe(401);
    });

    it('revokeAccess: the password, every session, every API token and the older links stop working at once; the new link is the way in', async () => {
      const { nia, phone, laptop, tokens } = await compromised();
      const earlier = await h.api('POST', '/api/v1/users/password-links', { token: ADMIN_TOKEN, body: { email: 'nia@casebook.test' } });
      const earlierToken = new URL(((await earlier.json()) as { setPasswordUrl: string }).setPasswordUrl).searchParams.get('token')!;

      const res = await h.api('POST', '/api/v1/users/password-links', { token: ADMIN_TOKEN, body: { email: 'nia@casebook.test', revokeAccess: true } });
      expect(res.status).toBe(201);
      const answer = (await res.json()) as { setPasswordUrl: string };
      // Two sessions (phone, laptop); the two live tokens and the expired one are all revoked; none lives on.
      expect(answer).toMatchObject({ type: 'staff', id: nia.id, sessionsEnded: 2, apiTokensRevoked: 3, apiTokensLive: 0 });
      const listedAfter = (await (await h.api('GET', '/api/v1/tokens?email=nia@casebook.test', { token: ADMIN_TOKEN })).json()) as { items: { live: boolean; revokedAt: string | null }[] };
      expect(listedAfter.items.map((t) => [t.live, t.revokedAt])).toEqual(Array.from({ length: 3 }, () => [false, new Date(h.clock.now()).toISOString()]));
      for (const t of tokens) expect((await h.api('GET', '/api/v1/queues', { token: t })).status).toBe(401);
      for (const browser of [phone, laptop]) expect((await browser.get('/profile')).status).toBe(303);
      expect(await signsIn(OLD)).toBe(false);
      expect((await visitor(h).get(`/set-password?token=${earlierToken}`)).status).toBe(404);

      const audit = await h.all<{ action: string; actor_name: string; after: unknown }>("SELECT action, actor_name, after FROM audit_log WHERE entity_type = 'staff' AND entity_id = ?", String(nia.id));
      expect(audit.map((a) => a.action)).toEqual(['access-revoked']);
      const after = typeof audit[0]!.after === 'string' ? JSON.parse(audit[0]!.after) : audit[0]!.after;
      expect(after).toEqual({ passwordCleared: true, sessionsEnded: 2, apiTokensRevoked: 3, linksRevoked: 1 });

      const url = new URL(answer.setPasswordUrl);
      const v = visitor(h);
      v.csrf = csrfFrom(await (await v.get(`${url.pathname}${url.search}`)).text());
      const set = await v.post('/set-password', { token: url.searchParams.get('token')!, password: 'a fresh password', confirm: 'a fresh password' });
      expect(set.status).toBe(303);
      expect(await signsIn('a fresh password')).toBe(true);
      // The new password brings no token back.
      for (const t of tokens) expect((await h.api('GET', '/api/v1/queues', { token: t })).status).toBe(401);
    });

    it('changing the password on /profile ends the other sessions but not the API tokens, and the form says so beforehand and after', async () => {
      const { phone, laptop, tokens } = await compromised();
      const form = await (await phone.get('/profile')).text();
      expect(form).toContain('2 API tokens issued for this account keep working after a password change. If someone else may have used your account, ask an admin to revoke them.');
      const changed = await phone.post('/profile/password', { current: OLD, next: 'a changed password' }, { htmx: true });
      expect(changed.status).toBe(200);
      expect(await changed.text()).toContain('2 API tokens issued for this account keep working');
      expect((await laptop.get('/profile')).status).toBe(303);
      for (const t of tokens) expect((await h.api('GET', '/api/v1/queues', { token: t })).status).not.toBe(401);
      // One revoked by an admin: the form counts what works.
      const live = await h.all<{ id: number }>("SELECT id FROM api_tokens WHERE name = 'CRM churn'");
      expect((await h.api('DELETE', `/api/v1/tokens/${live[0]!.id}`, { token: ADMIN_TOKEN })).status).toBe(204);
      expect(await (await phone.get('/profile')).text()).toContain('One API token issued for this account keeps working after a password change. If someone else may have used your account, ask an admin to revoke it.');
    });

    it('an account without API tokens is told nothing about them', async () => {
      const pat = h.agent({ email: 'pat@casebook.test' });
      expect(await (await signedIn(h, pat).get('/profile')).text()).not.toContain('password-tokens');
    });

    it('revokeAccess must be a boolean', async () => {
      await compromised();
      const res = await h.api('POST', '/api/v1/users/password-links', { token: ADMIN_TOKEN, body: { email: 'nia@casebook.test', revokeAccess: 'yes' } });
      expect(res.status).toBe(422);
      expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['revokeAccess']);
    });
  });
});
