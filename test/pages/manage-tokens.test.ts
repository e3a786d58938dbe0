/**
 * `/manage/tokens`, the console's API tokens (admins): every account's tokens with who holds
 * them, one account's by address, issuing one (the token shown once, and it works), refusals on
 * the form with what was typed kept, and revoking (it stops working, audited).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/auth/api-tokens.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';

let h: Harness;
let admin: PageClient;
let manager: TestActor;
let chloe: TestActor;
beforeEach(() => {
  h = createHarness();
  standardQueues(h);
  admin = signedIn(h, h.agent({ name: 'Ada Admin', email: 'ada@casebook.test', role: 'admin' }));
  manager = h.agent({ name: 'Mia Manager', email: 'mia@casebook.test', role: 'manager' });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe Martin' });
});
afterEach(() => h.close());

const tokenIn = (html: string) => /<code id="token-value">([^<]+)<\/code>/.exec(html)?.[1];
const rowsIn = (html: string) => [...html.matchAll(/<tr id="token-(\d+)">/g)].map((m) => Number(m[1]));

describe('the console’s API tokens', () => {
  it('issues a token shown once, which then works; the list shows who holds it, never the token', async () => {
    const issued = await admin.post('/manage/tokens', [
      ['email', 'mia@casebook.test'],
      ['name', 'CRM sync'],
      ['expiresInDays', '30'],
      ['scopes', 'churn'],
    ]);
    expect(issued.status).toBe(200);
    const html = await issued.text();
    const token = tokenIn(html);
    expect(token).toMatch(/^cb_/);
    expect(html).toContain('for mia@casebook.test, shown this once');

    // A scoped token opens its route and nothing else.
    expect((await h.api('GET', '/api/v1/cases', { token: token! })).status).toBe(403);
    expect((await h.api('POST', `/api/v1/customers/${chloe.id}/churn`, { token: token!, body: {} })).status).toBeLessThan(300);

    const list = await (await admin.get('/manage/tokens')).text();
    expect(list).not.toContain(token!);
    expect(tokenIn(list)).toBeUndefined();
    const [id] = rowsIn(list);
    const row = list.slice(list.indexOf(`<tr id="token-${id}">`), list.indexOf('</tr>', list.indexOf(`<tr id="token-${id}">`)));
    expect(row).toContain('CRM sync');
    expect(row).toContain(`${token!.slice(0, 10)}`);
    expect(row).toContain('mia@casebook.test · manager');
    expect(row).toContain('churn');
    expect(row).toContain('live');
    expect(row).toMatch(/expires /);
    expect(await h.all('SELECT action FROM audit_log WHERE entity_type = ? ORDER BY id', 'token')).toEqual([{ action: 'created' }]);
  });

  it('revokes a token: it stops working at once, the list says so, and the audit log has it', async () => {
    const html = await (await admin.post('/manage/tokens', { email: 'chloe@example.com', name: 'Chloe’s script', expiresInDays: '' })).text();
    const token = tokenIn(html)!;
    expect((await h.api('GET', '/api/v1/cases', { token })).status).toBe(200);
    const [id] = rowsIn(html);

    const res = await admin.post(`/manage/tokens/${id}/revoke`, { back: '/manage/tokens?email=chloe%40example.com' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/manage/tokens?email=chloe%40example.com&done=revoked');
    expect((await h.api('GET', '/api/v1/cases', { token })).status).toBe(401);
    const list = await (await admin.get('/manage/tokens?email=chloe%40example.com&done=revoked')).text();
    expect(list).toContain('Token revoked: it no longer works.');
    expect(list).toContain('Tokens of chloe@example.com');
    expect(list).toContain('revoked');
    expect(list).not.toContain(`id="revoke-${id}"`);
    // Revoked already: said so, nothing changes; a redirect elsewhere is not followed.
    expect((await admin.post(`/manage/tokens/${id}/revoke`, { back: 'https://evil.example/' })).headers.get('Location')).toBe('/manage/tokens?done=not-live');
    expect(await h.all('SELECT action FROM audit_log WHERE entity_type = ? ORDER BY id', 'token')).toEqual([{ action: 'created' }, { action: 'revoked' }]);
  });

  it('lists one account’s tokens by address, and says so when no account has it', async () => {
    for (const email of ['mia@casebook.test', 'chloe@example.com', 'mia@casebook.test']) await admin.post('/manage/tokens', { email, name: `for ${email}` });
    const all = await (await admin.get('/manage/tokens')).text();
    expect(rowsIn(all)).toHaveLength(3);
    const mia = await (await admin.get('/manage/tokens?email=MIA%40casebook.test')).text();
    expect(rowsIn(mia)).toHaveLength(2);
    expect(mia).not.toContain('chloe@example.com ·');
    const nobody = await (await admin.get('/manage/tokens?email=nobody%40example.com')).text();
    expect(rowsIn(nobody)).toEqual([]);
    expect(nobody).toContain('No staff member or customer has the address nobody@example.com.');
  });

  it('pages through many tokens, newest first', async () => {
    for (let i = 0; i < 102; i++) await h.services.store.write((q) => createApiToken(q, { type: 'customer', id: chloe.id! }, `t${i}`, h.clock.now()));
    const first = await (await admin.get('/manage/tokens')).text();
    const ids = rowsIn(first);
    expect(ids).toHaveLength(100);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const older = /href="\/manage\/tokens\?before=(\d+)" id="tokens-older"/.exec(first)?.[1];
    expect(Number(older)).toBe(ids.at(-1));
    const second = await (await admin.get(`/manage/tokens?before=${older}`)).text();
    expect(rowsIn(second)).toHaveLength(2);
    expect(second).not.toContain('id="tokens-older"');
  });

  it('refuses bad input on the form, keeping what was typed: no account, a scope the account may not hold, a bad expiry', async () => {
    const unknown = await admin.post('/manage/tokens', { email: 'nobody@example.com', name: 'Lost' });
    expect(unknown.status).toBe(422);
    const unknownHtml = await unknown.text();
    expect(unknownHtml).toContain('No account with the address nobody@example.com.');
    expect(unknownHtml).toContain('value="Lost"');

    const scope = await admin.post('/manage/tokens', [
      ['email', 'chloe@example.com'],
      ['name', 'Inbound'],
      ['scopes', 'inbound'],
    ]);
    expect(scope.status).toBe(422);
    const scopeHtml = await scope.text();
    expect(scopeHtml).toContain('id="token-scopes-error">The &quot;inbound&quot; scope is for admins only; this is a customer account.</p>');
    expect(scopeHtml).toMatch(/<input type="checkbox" name="scopes" value="inbound" checked/);

    const expiry = await admin.post('/manage/tokens', { email: 'chloe@example.com', name: 'Soon', expiresInDays: '0' });
    expect(expiry.status).toBe(422);
    expect(await expiry.text()).toContain('between 1 and 3650 days');
    const nameless = await admin.post('/manage/tokens', { email: 'chloe@example.com', name: '  ' });
    expect(nameless.status).toBe(422);
    expect(await nameless.text()).toContain('give the token a name');
    expect(await h.all('SELECT id FROM api_tokens WHERE principal_type = ?', 'customer')).toEqual([]);
  });

  it('is for admins: a manager is refused, and the page needs the form’s CSRF token', async () => {
    const mia = signedIn(h, manager);
    expect((await mia.get('/manage/tokens')).status).toBe(403);
    expect((await mia.post('/manage/tokens', { email: 'mia@casebook.test', name: 'Mine' })).status).toBe(403);
    expect((await admin.post('/manage/tokens', { email: 'mia@casebook.test', name: 'No CSRF' }, { csrf: false })).status).toBe(403);
    expect(await h.all('SELECT id FROM api_tokens')).toEqual([]);
    // Admins find it in the console's navigation; managers do not.
    expect(await (await admin.get('/manage')).text()).toContain('href="/manage/tokens"');
    expect(await (await mia.get('/manage')).text()).not.toContain('href="/manage/tokens"');
  });
});
