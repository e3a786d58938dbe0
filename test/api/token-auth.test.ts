/**
 * API token authentication reads the token, its account and the account's queues on every
 * request (prepared statements, nothing cached): whatever changes about a token or its account
 * counts from the very next request — revocation, expiry, deactivation, a new role, new
 * queues — and the admin token is compared by its digest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/auth/api-tokens.js';
import { updateStaff } from '../../src/team/staff.js';
import { deactivateStaff } from '../../src/team/staff-active.js';
import { ADMIN_TOKEN, createHarness, type Harness, type TestActor } from '../support/harness.js';

let h: Harness;
let admin: TestActor;
let agent: TestActor;
let caseId: string;

const get = async (url: string, token: string) => (await h.api('GET', url, { token })).status;
const lastUsed = async (id: number) => (await h.get<{ lastUsedAt: number | null }>('SELECT last_used_at AS "lastUsedAt" FROM api_tokens WHERE id = ?', id))!.lastUsedAt;

beforeAll(async () => {
  h = createHarness();
  h.queue('general');
  h.queue('billing');
  admin = h.agent({ role: 'admin', email: 'admin@casebook.test' });
  agent = h.agent({ role: 'agent', email: 'agent@casebook.test', queues: ['general'], available: false });
  // PostgreSQL: the registry is loaded by the harness's first step; an intake naming its queue is an import, which reads it before any statement.
  await h.settled();
  const created = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'c@example.com' }, subject: 'Invoice', description: 'Please resend the invoice.', queue: 'billing' } });
  expect(created.status).toBe(201);
  caseId = ((await created.json()) as { id: string }).id;
});

afterAll(() => h.close());

describe('API token authentication', () => {
  it('takes the admin token, and nothing that only resembles it', async () => {
    expect(await get('/api/v1/workflows', ADMIN_TOKEN)).toBe(200);
    expect((await h.api('GET', '/api/v1/workflows', { headers: { Authorization: `bearer   ${ADMIN_TOKEN}  ` } })).status).toBe(200);
    expect(await get('/api/v1/workflows', `${ADMIN_TOKEN}x`)).toBe(401);
    expect(await get('/api/v1/workflows', ADMIN_TOKEN.slice(0, -1))).toBe(401);
    expect(await get('/api/v1/workflows', 'cb_unknown')).toBe(401);
  });

  it('stops a revoked token at once', async () => {
    const { id, token } = await h.services.store.write((q) => createApiToken(q, { type: 'staff', id: admin.id }, 'revoked', h.clock.now()));
    expect(await get('/api/v1/workflows', token)).toBe(200);
    expect((await h.api('DELETE', `/api/v1/tokens/${id}`, { token: ADMIN_TOKEN })).status).toBe(204);
    expect(await get('/api/v1/workflows', token)).toBe(401);
  });

  it('stops a token at its expiry, to the millisecond', async () => {
    const { token } = await h.services.store.write((q) => createApiToken(q, { type: 'staff', id: admin.id }, 'short', h.clock.now(), h.clock.now() + 1_000));
    expect(await get('/api/v1/workflows', token)).toBe(200);
    h.clock.advance(999);
    expect(await get('/api/v1/workflows', token)).toBe(200);
    h.clock.advance(1);
    expect(await get('/api/v1/workflows', token)).toBe(401);
  });

  it('applies a new role and new queues from the next request on', async () => {
    const token = h.tokenFor(agent);
    expect(await get('/api/v1/workflows', token)).toBe(403);
    expect(await get(`/api/v1/cases/${caseId}`, token)).toBe(404);
    await updateStaff(h.services, agent.id, { name: 'Agent', role: 'manager', skills: [], capacity: 10, queues: ['general', 'billing'], available: false }, admin);
    expect(await get('/api/v1/workflows', token)).toBe(200);
    expect(await get(`/api/v1/cases/${caseId}`, token)).toBe(200);
    await updateStaff(h.services, agent.id, { name: 'Agent', role: 'agent', skills: [], capacity: 10, queues: ['general'], available: false }, admin);
    expect(await get('/api/v1/workflows', token)).toBe(403);
    expect(await get(`/api/v1/cases/${caseId}`, token)).toBe(404);
  });

  it('keeps a scoped token to its routes', async () => {
    const { token } = await h.services.store.write((q) => createApiToken(q, { type: 'staff', id: admin.id }, 'inbound only', h.clock.now(), null, ['inbound']));
    expect(await get('/api/v1/workflows', token)).toBe(403);
    expect(await get(`/api/v1/cases/${caseId}`, token)).toBe(403);
  });

  it('records the last use at most once a minute', async () => {
    const { id, token } = await h.services.store.write((q) => createApiToken(q, { type: 'staff', id: admin.id }, 'used', h.clock.now()));
    expect(await lastUsed(id)).toBeNull();
    const first = h.clock.now();
    expect(await get('/api/v1/workflows', token)).toBe(200);
    expect(await lastUsed(id)).toBe(first);
    h.clock.advance(60_000);
    expect(await get('/api/v1/workflows', token)).toBe(200);
    expect(await lastUsed(id)).toBe(first);
    h.clock.advance(1);
    expect(await get('/api/v1/workflows', token)).toBe(200);
    expect(await lastUsed(id)).toBe(first + 60_001);
  });

  it('stops the tokens of a deactivated account', async () => {
    const other = h.agent({ role: 'manager', email: 'leaving@casebook.test' });
    const token = h.tokenFor(other);
    expect(await get('/api/v1/workflows', token)).toBe(200);
    await deactivateStaff(h.services, other.id, admin);
    expect(await get('/api/v1/workflows', token)).toBe(401);
  });
});
