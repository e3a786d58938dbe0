/**
 * Every page and fragment that takes a case id answers 404 to people who may not see the
 * case (another customer, an agent outside its queues), and every state-changing page
 * request needs the CSRF token and a same-site origin.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCase } from '../../src/cases/case-read.js';
import { createCase } from '../../src/cases/create-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';

let h: Harness;
let alice: TestActor;
let bob: TestActor;
let chloe: TestActor;
let sam: TestActor;
let ref: string;

interface Route {
  method: 'GET' | 'POST';
  path: string;
  form?: Record<string, string>;
}

const caseRoutes = (): Route[] => [
  { method: 'GET', path: `/cases/${ref}` },
  { method: 'GET', path: `/cases/${ref}/live?stamp=x` },
  { method: 'POST', path: `/cases/${ref}/messages`, form: { body: 'hello', visibility: 'public' } },
  { method: 'POST', path: `/cases/${ref}/transitions`, form: { transition: 'markSolved' } },
  { method: 'POST', path: `/cases/${ref}/transitions`, form: { transition: 'resolve', solution: 'x' } },
  { method: 'POST', path: `/cases/${ref}/assignment`, form: { queue: 'general' } },
  { method: 'POST', path: `/cases/${ref}/rating`, form: { satisfied: 'yes' } },
  { method: 'POST', path: `/cases/${ref}/customer`, form: { name: 'Mallory', tier: 'enterprise' } },
];

const postRoutes = (): Route[] => [
  ...caseRoutes().filter((r) => r.method === 'POST'),
  { method: 'POST', path: '/portal/cases', form: { subject: 'x', description: 'y' } },
  { method: 'POST', path: '/availability', form: { available: 'false' } },
  { method: 'POST', path: '/logout' },
];

async function call(client: PageClient, route: Route, htmx = false) {
  return route.method === 'GET' ? client.get(route.path, { htmx }) : client.post(route.path, route.form ?? {}, { htmx });
}

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing'], skills: ['refunds'] });
  bob = h.agent({ name: 'Bob', queues: ['technical'] });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  sam = h.customer({ email: 'sam@example.org', name: 'Sam' });
  const row = await createCase(h.services, { subject: 'Refund', description: 'I was charged twice, please refund.' }, chloe, { customerId: chloe.id });
  ref = `C-${row.id}`;
});
afterEach(() => h.close());

describe('case visibility on every page and fragment', () => {
  it('another customer gets 404 everywhere, full page and htmx, and nothing changes', async () => {
    const other = signedIn(h, sam);
    const before = (await loadCase(h.services, 1001)).version;
    for (const route of caseRoutes()) {
      for (const htmx of [false, true]) {
        const res = await call(other, route, htmx);
        expect(res.status, `${route.method} ${route.path} htmx=${htmx}`).toBe(404);
        expect(await res.text()).not.toContain('charged twice');
      }
    }
    expect((await loadCase(h.services, 1001)).version).toBe(before);
  });

  it('an agent outside the case’s queues gets 404 everywhere', async () => {
    const outsider = signedIn(h, bob);
    for (const route of caseRoutes()) {
      const res = await call(outsider, route);
      expect(res.status, `${route.method} ${route.path}`).toBe(404);
    }
  });

  it('the same routes work for the case’s customer and its agent (control)', async () => {
    const own = signedIn(h, chloe);
    expect((await own.get(`/cases/${ref}`)).status).toBe(200);
    expect((await own.get(`/cases/${ref}/live?stamp=x`, { htmx: true })).status).toBe(200);
    const agent = signedIn(h, alice);
    expect((await agent.get(`/cases/${ref}`)).status).toBe(200);
    await transitionCase(h.services, 1001, { transition: 'escalate', reason: 'tier 2' }, alice);
    // out of her reach now: she is sent to the inbox, told where it went, and shown nothing of it
    const after = await agent.get(`/cases/${ref}`);
    expect(after.status).toBe(303);
    expect(after.headers.get('Location')).toBe(`/inbox?moved=${ref}`);
  });

  it('visitors are sent to sign in', async () => {
    for (const route of caseRoutes().filter((r) => r.method === 'GET')) {
      const res = await h.app.request(`http://localhost${route.path}`);
      expect(res.status).toBe(303);
      expect(res.headers.get('Location')).toMatch(/^\/login/);
    }
  });
});

describe('CSRF on every state-changing page request', () => {
  it('refuses a missing or wrong token and a foreign origin before doing anything', async () => {
    const own = signedIn(h, chloe);
    const agent = signedIn(h, alice);
    const before = (await loadCase(h.services, 1001)).version;
    for (const route of postRoutes()) {
      for (const client of [own, agent]) {
        expect((await client.post(route.path, route.form ?? {}, { csrf: false })).status, route.path).toBe(403);
        expect((await client.post(route.path, route.form ?? {}, { csrf: 'y'.repeat(43), csrfHeader: true })).status, route.path).toBe(403);
        expect((await client.post(route.path, route.form ?? {}, { origin: 'https://evil.example' })).status, route.path).toBe(403);
      }
    }
    expect((await own.post(`/cases/${ref}/messages`, { body: 'hi' }, { csrf: agent.csrf })).status).toBe(403);
    expect((await loadCase(h.services, 1001)).version).toBe(before);
    expect((await own.post(`/cases/${ref}/messages`, { body: 'hi' }, { csrfHeader: true, origin: 'http://localhost', htmx: true })).status).toBe(200);
  });
});
