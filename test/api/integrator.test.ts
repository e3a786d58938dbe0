/**
 * What an integrator working only from /api/v1/openapi.json and /api/docs trips over
 * (the apiqa walk-through): a 422's `detail` names the fields to fix, a missing field says
 * `required` (in a refused ruleset too), and a token limited to scopes gets the 403 the document declares on every
 * route its scopes do not open.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/auth/api-tokens.js';
import { apiDocument } from '../../src/http/api/index.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(() => {
  h = createHarness();
  standardQueues(h);
  h.agent({ name: 'Alice', email: 'alice@example.com', queues: ['general', 'billing'] });
});
afterAll(() => h.close());

interface Problem { status: number; code: string; detail: string; errors?: { path: string; message: string }[] }

describe('validation problems', () => {
  it('name the fields in `detail`, and a missing field is `required`', async () => {
    const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'nope' }, subject: '' } });
    expect(res.status).toBe(422);
    const problem = (await res.json()) as Problem;
    expect(problem.errors).toEqual([
      { path: 'customer.email', message: 'Invalid email address' },
      { path: 'subject', message: 'required' },
      { path: 'description', message: 'required' },
    ]);
    expect(problem.detail).toBe('The request is not valid: customer.email: Invalid email address; subject: required; description: required.');
  });

  it('keep zod’s wording for a field that is there with the wrong type, and count the fields left out of `detail`', async () => {
    const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'chloe@example.com', name: 7 }, subject: 5, description: false, priority: 'soon' } });
    const problem = (await res.json()) as Problem;
    expect(problem.errors!.length).toBe(4);
    expect(problem.errors![1]).toEqual({ path: 'subject', message: 'Invalid input: expected string, received number' });
    expect(problem.detail).toMatch(/^The request is not valid: customer\.name: [^;]+; subject: [^;]+; description: [^;]+ \(and 1 more in `errors`\)\.$/);
  });

  it('a query parameter left out says `required`', async () => {
    const res = await h.api('GET', '/api/v1/search', { token: ADMIN_TOKEN });
    const problem = (await res.json()) as Problem;
    expect(res.status).toBe(422);
    expect(problem.errors).toEqual([{ path: 'q', message: 'required' }]);
    expect(problem.detail).toBe('The request is not valid: q: required.');
  });

  it('a message of its own stays the detail', async () => {
    const res = await h.api('GET', '/api/v1/cases?cursor=garbage', { token: ADMIN_TOKEN });
    expect(res.status).toBe(422);
    expect(((await res.json()) as Problem).detail).toBe('The request is not valid: cursor: not a cursor from a previous page.');
  });
});

describe('a ruleset refused', () => {
  it('says `required` for an event param left out, as the API does for a body field', async () => {
    const current = (await (await h.api('GET', '/api/v1/rulesets/routing', { token: ADMIN_TOKEN })).json()) as { rules: unknown[] };
    const rule = { name: 'Angry customers go up', conditions: { all: [{ fact: 'case', path: '$.description', operator: 'textHasWord', value: 'furious' }] }, event: { type: 'escalate', params: { reason: 'angry', tier: 'two' } } };
    const missing = { ...rule, name: 'Angry customers go up at once', event: { type: 'escalate', params: { reason: 'angry' } } };
    const res = await h.api('PUT', '/api/v1/rulesets/routing', { token: ADMIN_TOKEN, body: { rules: [...current.rules, rule, missing] } });
    expect(res.status).toBe(422);
    const n = current.rules.length;
    expect(((await res.json()) as { problems: unknown[] }).problems).toEqual([
      { path: `$.rules[${n}].event.params.tier`, message: 'Invalid input: expected number, received string', severity: 'error' },
      { path: `$.rules[${n + 1}].event.params.tier`, message: 'required', severity: 'error' },
    ]);
  });
});

describe('a token limited to scopes', () => {
  it('gets 403 on a route its scopes do not open, and the document declares it there', async () => {
    h.agent({ name: 'Mona', email: 'mona@example.com', role: 'manager' });
    const created = await h.api('POST', '/api/v1/tokens', { token: ADMIN_TOKEN, body: { email: 'mona@example.com', scopes: ['churn'] } });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };
    const res = await h.api('GET', '/api/v1/cases', { token });
    expect(res.status).toBe(403);
    expect(((await res.json()) as Problem).detail).toBe('This token is limited to: churn.');
    const doc = apiDocument();
    expect(doc.paths['/cases']!.get!.responses['403']).toEqual({ $ref: '#/components/responses/Problem403' });
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op['x-roles'].length > 0) expect(op.responses['403'], `${method} ${path} declares 403`).toBeDefined();
      }
    }
  });
});

describe('who may hold a scope', () => {
  it('refuses to mint a scope for an account whose role may not call its route (a customer, an agent; inbound for a manager)', async () => {
    h.customer({ email: 'carla@example.com', name: 'Carla' });
    h.agent({ name: 'Max', email: 'max@example.com', role: 'manager' });
    const cases: [string, string, string][] = [
      ['carla@example.com', 'churn', 'The "churn" scope is for managers and admins only; this is a customer account.'],
      ['alice@example.com', 'churn', 'The "churn" scope is for managers and admins only; this is a staff account with the role agent.'],
      ['max@example.com', 'inbound', 'The "inbound" scope is for admins only; this is a staff account with the role manager.'],
    ];
    for (const [email, scope, why] of cases) {
      const res = await h.api('POST', '/api/v1/tokens', { token: ADMIN_TOKEN, body: { email, scopes: [scope] } });
      expect(res.status, `${scope} for ${email}`).toBe(422);
      expect(((await res.json()) as Problem).errors).toEqual([{ path: 'scopes', message: why }]);
    }
    expect((await h.api('POST', '/api/v1/tokens', { token: ADMIN_TOKEN, body: { email: 'max@example.com', scopes: ['churn'] } })).status).toBe(201);
  });

  it('a scoped token minted for such an account before gets 403 naming why, also on its own route', async () => {
    const carla = h.customer({ email: 'carla2@example.com', name: 'Carla' });
    const { token } = await h.services.store.write((q) => createApiToken(q, { type: 'customer', id: carla.id! }, 'old', h.clock.now(), null, ['churn']));
    const res = await h.api('POST', `/api/v1/customers/${carla.id}/churn`, { token, body: { reason: 'left' } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as Problem).detail).toMatch(/^The "churn" scope is for managers and admins only; this is a customer account\./);
    const [row] = await h.services.store.query((q) => q.db.select({ churnedAt: q.tables.customers.churnedAt }).from(q.tables.customers).where(eq(q.tables.customers.id, carla.id!)));
    expect(row!.churnedAt).toBeNull();
  });
});

describe('the case version as ETag on every answer that returns a case', () => {
  const staff = () => h.tokenFor(h.agent({ name: 'Etta', queues: ['general', 'billing'] }));

  async function created(token: string) {
    const res = await h.api('POST', '/api/v1/cases', { token, body: { customer: { email: 'etag@example.com' }, subject: 'Invoice twice', description: 'Charged twice.' } });
    expect(res.status).toBe(201);
    return { res, body: (await res.json()) as { id: string; version: number; transitions: { name: string; to: string; requires: string[] }[] } };
  }

  it('POST /api/v1/cases (201) carries the ETag GET gives, so If-Match works without a GET', async () => {
    const token = staff();
    const { res, body } = await created(token);
    const tag = res.headers.get('ETag');
    expect(tag).toBe(`"${body.version}"`);
    const got = await h.api('GET', `/api/v1/cases/${body.id}`, { token });
    expect(got.headers.get('ETag')).toBe(tag);
    const edited = await h.api('PATCH', `/api/v1/cases/${body.id}`, { token, body: { priority: 'high' }, headers: { 'If-Match': tag! } });
    expect(edited.status).toBe(200);
    const next = edited.headers.get('ETag');
    expect(next).toBe(`"${((await edited.json()) as { version: number }).version}"`);
    expect(next).not.toBe(tag);
    const stale = await h.api('PATCH', `/api/v1/cases/${body.id}`, { token, body: { priority: 'low' }, headers: { 'If-Match': tag! } });
    expect(stale.status).toBe(409);
  });

  it('messages, transitions and reassignment answer the new version as ETag', async () => {
    const token = staff();
    const { body } = await created(token);
    const message = await h.api('POST', `/api/v1/cases/${body.id}/messages`, { token, body: { body: 'Looking into it.', public: false } });
    expect(message.status).toBe(201);
    const afterMessage = ((await message.json()) as { case: { version: number } }).case.version;
    expect(message.headers.get('ETag')).toBe(`"${afterMessage}"`);
    const assigned = await h.api('POST', `/api/v1/cases/${body.id}/assignment`, { token: ADMIN_TOKEN, body: { assignee: null } });
    expect(assigned.status).toBe(200);
    expect(assigned.headers.get('ETag')).toBe(`"${((await assigned.json()) as { version: number }).version}"`);
    const transition = body.transitions.find((t) => t.to !== 'escalated')!;
    const fields = Object.fromEntries(transition.requires.map((field) => [field, 'Checked.']));
    const moved = await h.api('POST', `/api/v1/cases/${body.id}/transitions`, { token: ADMIN_TOKEN, body: { transition: transition.name, ...fields } });
    expect(moved.status).toBe(200);
    const movedVersion = ((await moved.json()) as { version: number }).version;
    expect(movedVersion).toBeGreaterThan(afterMessage);
    expect(moved.headers.get('ETag')).toBe(`"${movedVersion}"`);
    const got = await h.api('GET', `/api/v1/cases/${body.id}`, { token: ADMIN_TOKEN });
    expect(got.headers.get('ETag')).toBe(`"${movedVersion}"`);
  });

  it('If-Match works on every command that answers an ETag: a stale one on a transition, a reassignment or a macro is 409 and changes nothing', async () => {
    const token = staff();
    const { res, body } = await created(token);
    const stale = res.headers.get('ETag')!;
    const edited = await h.api('PATCH', `/api/v1/cases/${body.id}`, { token, body: { priority: 'high' } });
    const current = edited.headers.get('ETag')!;
    const read = async () => (await (await h.api('GET', `/api/v1/cases/${body.id}`, { token })).json()) as { version: number; status: string; assignee: unknown; tags: string[] };
    const before = await read();
    const transition = body.transitions.find((t) => t.to !== 'escalated')!;
    const fields = Object.fromEntries(transition.requires.map((field) => [field, 'Checked.']));
    const macro = (await (await h.api('POST', '/api/v1/macros', { token, body: { name: 'Tag it', actions: { tags: { add: ['macro-tag'] } } } })).json()) as { id: number };
    const calls = [
      { path: `/api/v1/cases/${body.id}/transitions`, body: { transition: transition.name, ...fields } },
      { path: `/api/v1/cases/${body.id}/assignment`, body: { assignee: null } },
      { path: `/api/v1/cases/${body.id}/macros/${macro.id}/apply`, body: {} },
    ];
    for (const call of calls) {
      const refused = await h.api('POST', call.path, { token, body: call.body, headers: { 'If-Match': stale } });
      expect(refused.status, call.path).toBe(409);
      expect(((await refused.json()) as Problem).code).toBe('CONFLICT');
      expect(await read(), call.path).toEqual(before);
      expect((await h.api('POST', call.path, { token, body: call.body, headers: { 'If-Match': 'soon' } })).status, call.path).toBe(422);
    }
    const moved = await h.api('POST', calls[0]!.path, { token, body: calls[0]!.body, headers: { 'If-Match': current } });
    expect(moved.status).toBe(200);
    // The document says so on each of them.
    const paths = apiDocument().paths as Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
    for (const path of ['/cases/{id}/transitions', '/cases/{id}/assignment', '/cases/{id}/macros/{macroId}/apply']) {
      expect(paths[path]!.post!.parameters!.some((p) => p.in === 'header' && p.name === 'If-Match'), path).toBe(true);
    }
  });

  it('GET with a matching If-None-Match answers 304 (no body) until the case changes', async () => {
    const token = staff();
    const { res, body } = await created(token);
    const tag = res.headers.get('ETag')!;
    for (const header of [tag, `W/${tag}`, `"0", ${tag}`, '*']) {
      const same = await h.api('GET', `/api/v1/cases/${body.id}`, { token, headers: { 'If-None-Match': header } });
      expect(same.status, header).toBe(304);
      expect(same.headers.get('ETag')).toBe(tag);
      expect(await same.text()).toBe('');
    }
    await h.api('PATCH', `/api/v1/cases/${body.id}`, { token, body: { tags: ['changed'] } });
    const changed = await h.api('GET', `/api/v1/cases/${body.id}`, { token, headers: { 'If-None-Match': tag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('ETag')).not.toBe(tag);
  });

  it('customers are not shown the version: no ETag, no 304', async () => {
    const token = h.tokenFor(h.customer({ email: 'etag-customer@example.com' }));
    const res = await h.api('POST', '/api/v1/cases', { token, body: { subject: 'Mine', description: 'A question.' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('ETag')).toBeNull();
    const { id } = (await res.json()) as { id: string };
    const got = await h.api('GET', `/api/v1/cases/${id}`, { token, headers: { 'If-None-Match': '*' } });
    expect(got.status).toBe(200);
  });
});
