import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';
import { csrfFrom, visitor } from '../support/pages.js';

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
});
