/**
 * Authentication on PostgreSQL (docs/postgres.md, "Converted: auth"): a harness seeded on
 * SQLite, moved to PostgreSQL (moveToPostgres), then driven through the pages and the API.
 * Every command of the lane runs on services.store: what it writes is read back from
 * PostgreSQL, and the SQLite file stays without it.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principalForToken } from '../../src/auth/api-tokens.js';
import { issueSignInLink } from '../../src/auth/sign-in-link.js';
import { createSignUp } from '../../src/auth/sign-up.js';
import type { Handle } from '../../src/db/store/index.js';
import type { MailMessage } from '../../src/notifications/mailer.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { moveToPostgres, type Moved } from '../support/on-postgres.js';
import { csrfFrom, setPassword, visitor } from '../support/pages.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

const PASSWORD = 'correct horse battery';

let cluster: PostgresCluster;
let h: Harness;
let moved: Moved;
let alice: TestActor;
let chloe: TestActor;
let aliceToken: string;
const mailed: MailMessage[] = [];

const pg = <T>(fn: (q: Handle) => Promise<T>) => h.services.store.query(fn);
const sqliteCount = (table: string, where = '1 = 1') => (h.db.$client.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
const tokenIn = (url: string) => new URL(url).searchParams.get('token')!;

beforeAll(async () => {
  cluster = await startPostgres();
  h = createHarness({ services: { mailer: { send: (m) => Promise.resolve(void mailed.push(m)), close: () => undefined } } });
  standardQueues(h);
  h.agent({ name: 'Root', email: 'root@casebook.test', role: 'admin' });
  alice = h.agent({ name: 'Alice', email: 'alice@casebook.test', queues: ['general'] });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  await setPassword(h, alice, PASSWORD);
  aliceToken = h.tokenFor(alice); // written before the move: tokenFor writes the SQLite file
  moved = await moveToPostgres(h.services, h.dbPath, cluster);
}, 60_000);

afterAll(async () => {
  await moved?.close();
  h?.close();
  await cluster?.stop();
});

describe('pages on PostgreSQL', () => {
  it('signs in with a password: the session is a PostgreSQL row that works on the next request; a wrong password is counted there', async () => {
    const v = visitor(h);
    await v.start();
    const wrong = await v.post('/login', { email: 'alice@casebook.test', password: 'not the password' });
    expect(wrong.status).toBe(422);
    const attempts = await pg((q) => q.db.select().from(q.tables.signInAttempts));
    expect(attempts.map((a) => a.key).sort()).toEqual(['addr:unknown', 'email:alice@casebook.test', 'pair:unknown alice@casebook.test']);
    expect(attempts.every((a) => a.failures === 1)).toBe(true);

    const res = await v.post('/login', { email: 'alice@casebook.test', password: PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/inbox');
    const profile = await v.get('/profile');
    expect(profile.status).toBe(200);
    expect(await profile.text()).toContain('alice@casebook.test');
    const rows = await pg((q) => q.db.select().from(q.tables.sessions).where(eq(q.tables.sessions.principalId, alice.id)));
    expect(rows).toHaveLength(1);
    expect(sqliteCount('sessions')).toBe(0);
    // The success took its own attempt back: the pair counter is gone, the others keep the failure.
    const after = await pg((q) => q.db.select().from(q.tables.signInAttempts));
    expect(after.map((a) => [a.key, a.failures]).sort()).toEqual([
      ['addr:unknown', 1],
      ['email:alice@casebook.test', 1],
    ]);

    // Profile and availability write PostgreSQL.
    v.csrf = csrfFrom(await (await v.get('/profile')).text());
    expect((await v.post('/profile', { name: 'Alice A.', timeZone: 'Europe/Berlin' })).status).toBe(303);
    expect((await v.post('/availability', { available: 'false' })).status).toBe(303);
    const [member] = await pg((q) => q.db.select().from(q.tables.staff).where(eq(q.tables.staff.id, alice.id)));
    expect(member).toMatchObject({ name: 'Alice A.', timeZone: 'Europe/Berlin', available: false });
    expect((await v.post('/availability', { available: 'true' })).status).toBe(303);
    expect((await pg((q) => q.db.select({ available: q.tables.staff.available }).from(q.tables.staff).where(eq(q.tables.staff.id, alice.id))))[0]).toEqual({ available: true });

    // Signing out deletes the PostgreSQL row; the cookie no longer opens anything.
    expect((await v.post('/logout')).status).toBe(303);
    expect(await pg((q) => q.db.select().from(q.tables.sessions).where(eq(q.tables.sessions.principalId, alice.id)))).toEqual([]);
    expect((await v.get('/profile')).status).toBe(303);
  });

  it('signs a customer in once with a mailed link; the used link is dead', async () => {
    const link = await issueSignInLink(h.services, chloe.id, 'requested');
    const path = link.url.slice(link.url.indexOf('/login/link'));
    const v = visitor(h);
    await v.start();
    const page = await v.get(path);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Chloe');
    const used = await v.post('/login/link/confirm', { token: link.token });
    expect(used.status).toBe(303);
    expect(used.headers.get('Location')).toBe('/portal');
    expect((await v.get('/profile')).status).toBe(200);
    const [row] = await pg((q) => q.db.select().from(q.tables.passwordTokens).where(eq(q.tables.passwordTokens.principalId, chloe.id)));
    expect(row?.usedAt).not.toBeNull();
    expect(sqliteCount('password_tokens')).toBe(0);

    const again = visitor(h);
    await again.start();
    expect((await again.post('/login/link/confirm', { token: link.token })).status).toBe(404);
    await expect(issueSignInLink(h.services, 999_999, 'requested')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('confirms a sign-up link of a known address by signing that customer in', async () => {
    const pending = await h.services.store.write((q) => createSignUp(q, 'chloe@example.com', 'Chloe', h.clock.now()));
    const v = visitor(h);
    await v.start();
    expect((await v.get(`/signup/confirm?token=${pending.token}`)).status).toBe(200);
    const res = await v.post('/signup/confirm', { token: pending.token, name: 'Chloe', password: 'a long new password', confirm: 'a long new password' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/portal');
    const [customer] = await pg((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, chloe.id)));
    expect(customer?.passwordHash).toMatch(/^scrypt\$/);
    const [signUp] = await pg((q) => q.db.select().from(q.tables.signUps));
    expect(signUp?.usedAt).not.toBeNull();
    const again = visitor(h);
    await again.start();
    expect((await again.post('/signup/confirm', { token: pending.token, name: 'Chloe', password: '', confirm: '' })).status).toBe(404);
  });

  it('mails a reset link through the outbox: the item, the link and the done mark are PostgreSQL rows', async () => {
    const v = visitor(h);
    await v.start();
    expect((await v.post('/forgot-password', { email: 'chloe@example.com' })).status).toBe(200);
    await h.services.outbox.idle();
    await h.services.outbox.drain();
    const [item] = await pg((q) => q.db.select().from(q.tables.outbox).where(eq(q.tables.outbox.type, 'access.mail')));
    expect(item?.doneAt).not.toBeNull();
    expect(sqliteCount('outbox', "type = 'access.mail'")).toBe(0);
    const mail = mailed.find((m) => m.subject === 'Choose a new password');
    expect(mail?.to).toEqual(['chloe@example.com']);
    const url = /https?:\/\/\S+\/set-password\?token=\S+/.exec(mail!.text)![0];
    const token = decodeURIComponent(tokenIn(url));
    const links = await pg((q) => q.db.select().from(q.tables.passwordTokens).where(and(eq(q.tables.passwordTokens.principalId, chloe.id), eq(q.tables.passwordTokens.purpose, 'reset'))));
    expect(links).toHaveLength(1);
    expect((await v.get(`/set-password?token=${encodeURIComponent(token)}`)).status).toBe(200);
  });
});

describe('the API on PostgreSQL', () => {
  it('creates a token, uses it, revokes it (audited), and refuses it from then on', async () => {
    const created = await h.api('POST', '/api/v1/tokens', { token: ADMIN_TOKEN, body: { email: 'alice@casebook.test', name: 'ci' } });
    expect(created.status).toBe(201);
    const { id, token } = (await created.json()) as { id: number; token: string };
    expect((await h.api('GET', '/api/v1/queues', { token })).status).toBe(200);
    const [row] = await pg((q) => q.db.select().from(q.tables.apiTokens).where(eq(q.tables.apiTokens.id, id)));
    expect(row).toMatchObject({ name: 'ci', principalId: alice.id, revokedAt: null });
    expect(row?.lastUsedAt).toBe(h.clock.now());

    expect((await h.api('DELETE', `/api/v1/tokens/${id}`, { token: ADMIN_TOKEN })).status).toBe(204);
    expect((await h.api('DELETE', `/api/v1/tokens/${id}`, { token: ADMIN_TOKEN })).status).toBe(404);
    expect((await h.api('GET', '/api/v1/queues', { token })).status).toBe(401);
    const audit = await pg((q) => q.db.select().from(q.tables.auditLog).where(and(eq(q.tables.auditLog.entityType, 'token'), eq(q.tables.auditLog.entityId, String(id)))));
    expect(audit.map((a) => a.action)).toEqual(['created', 'revoked']);
    expect(JSON.stringify(audit)).not.toContain(token);
    expect(sqliteCount('api_tokens', "name = 'ci'")).toBe(0);
    expect((await h.api('POST', '/api/v1/tokens', { token: ADMIN_TOKEN, body: { email: 'nobody@example.com' } })).status).toBe(404);
  });

  it('takes a role, queue or deactivation change into account from the next request on', async () => {
    const customer = { email: 'pat@example.com', name: 'Pat', role: 'customer' };
    expect((await h.api('POST', '/api/v1/users', { token: aliceToken, body: customer })).status).toBe(403);
    await pg((q) => q.db.update(q.tables.staff).set({ role: 'admin' }).where(eq(q.tables.staff.id, alice.id)));
    expect((await h.api('POST', '/api/v1/users', { token: aliceToken, body: customer })).status).toBe(201);

    await pg((q) => q.db.insert(q.tables.staffQueues).values({ staffId: alice.id, queueId: 'billing' }));
    const principal = await pg((q) => principalForToken(q, aliceToken, h.clock.now()));
    expect([...principal!.queues].sort()).toEqual(['billing', 'general']);
    expect(principal!.actor.role).toBe('admin');

    await pg((q) => q.db.update(q.tables.staff).set({ active: false }).where(eq(q.tables.staff.id, alice.id)));
    expect((await h.api('GET', '/api/v1/queues', { token: aliceToken })).status).toBe(401);
    await pg((q) => q.db.update(q.tables.staff).set({ active: true, role: 'agent' }).where(eq(q.tables.staff.id, alice.id)));
    expect((await h.api('POST', '/api/v1/users', { token: aliceToken, body: { ...customer, email: 'pat2@example.com' } })).status).toBe(403);
  });

  it('creates users (audited), refuses a taken address and a tier-2 queue for an agent', async () => {
    const res = await h.api('POST', '/api/v1/users', { token: ADMIN_TOKEN, body: { email: 'nia@casebook.test', name: 'Nia', role: 'agent', queues: ['general'] } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: number; setPasswordUrl: string };
    expect(body.setPasswordUrl).toContain('/set-password?token=');
    const [nia] = await pg((q) => q.db.select().from(q.tables.staff).where(eq(q.tables.staff.email, 'nia@casebook.test')));
    expect(nia).toMatchObject({ name: 'Nia', role: 'agent', available: false, passwordHash: null });
    expect(await pg((q) => q.db.select({ queueId: q.tables.staffQueues.queueId }).from(q.tables.staffQueues).where(eq(q.tables.staffQueues.staffId, nia!.id)))).toEqual([{ queueId: 'general' }]);
    const audit = await pg((q) => q.db.select().from(q.tables.auditLog).where(and(eq(q.tables.auditLog.entityType, 'staff'), eq(q.tables.auditLog.entityId, String(nia!.id)))));
    expect(audit.map((a) => a.action)).toEqual(['created']);
    expect(sqliteCount('staff', "email = 'nia@casebook.test'")).toBe(0);

    const taken = await h.api('POST', '/api/v1/users', { token: ADMIN_TOKEN, body: { email: 'NIA@casebook.test', name: 'Nia', role: 'customer' } });
    expect(taken.status).toBe(409);
    expect(((await taken.json()) as { code: string }).code).toBe('EMAIL_TAKEN');
    const tier2 = await h.api('POST', '/api/v1/users', { token: ADMIN_TOKEN, body: { email: 'tom@casebook.test', name: 'Tom', role: 'agent', queues: ['advanced'] } });
    expect(tier2.status).toBe(422);
    expect(await pg((q) => q.db.select().from(q.tables.staff).where(eq(q.tables.staff.email, 'tom@casebook.test')))).toEqual([]);
  });

  it('issues a password link that sets the password once and ends the other sessions', async () => {
    const res = await h.api('POST', '/api/v1/users/password-links', { token: ADMIN_TOKEN, body: { email: 'alice@casebook.test' } });
    expect(res.status).toBe(201);
    const token = tokenIn(((await res.json()) as { setPasswordUrl: string }).setPasswordUrl);

    const other = visitor(h);
    await other.start();
    expect((await other.post('/login', { email: 'alice@casebook.test', password: PASSWORD })).status).toBe(303);

    const v = visitor(h);
    await v.start();
    expect((await v.get(`/set-password?token=${token}`)).status).toBe(200);
    const set = await v.post('/set-password', { token, password: 'a brand new password', confirm: 'a brand new password' });
    expect(set.status).toBe(303);
    // One session: the one just started. The other browser's ended with the new password.
    expect(await pg((q) => q.db.select().from(q.tables.sessions).where(eq(q.tables.sessions.principalId, alice.id)))).toHaveLength(1);
    expect((await other.get('/profile')).status).toBe(303);
    expect((await v.get('/profile')).status).toBe(200);
    expect((await v.get(`/set-password?token=${token}`)).status).toBe(404);
    expect((await h.api('POST', '/api/v1/users/password-links', { token: ADMIN_TOKEN, body: { email: 'nobody@example.com' } })).status).toBe(404);

    const signIn = visitor(h);
    await signIn.start();
    expect((await signIn.post('/login', { email: 'alice@casebook.test', password: 'a brand new password' })).status).toBe(303);
  });
});
