/**
 * Every manager-console page, fragment and command of rules, workflows and SLA: 403 for
 * agents and advanced agents, 404 for customers, sign-in for visitors, and CSRF refusals;
 * refused requests change nothing (no versions, no files, no case).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/definitions/diff.js';
import { saveDraft } from '../../src/definitions/versions.js';
import type { PageClient } from '../support/pages.js';
import { visitor } from '../support/pages.js';
import { manageHarness, type ManageHarness } from './support.js';

let h: ManageHarness;

interface Route {
  method: 'GET' | 'POST';
  path: string;
  form?: Record<string, string>;
}

function routes(): Route[] {
  const routing = canonicalJson(h.services.definitions.ruleset('routing').definition);
  const support = canonicalJson(h.services.definitions.workflow('support').definition);
  const sla = canonicalJson(h.services.definitions.sla().config.definition);
  return [
    { method: 'GET', path: '/manage/rules' },
    { method: 'GET', path: '/manage/rules/routing' },
    { method: 'GET', path: '/manage/rules/routing/versions/1' },
    { method: 'GET', path: '/manage/rules/routing/dry-runs/x' },
    { method: 'GET', path: '/manage/workflows' },
    { method: 'GET', path: '/manage/workflows/support' },
    { method: 'GET', path: '/manage/workflows/support/versions/1' },
    { method: 'GET', path: '/manage/sla' },
    { method: 'GET', path: '/manage/sla/versions/1' },
    { method: 'GET', path: '/manage/sla/calculator?created=2026-03-06T16:30&policy=standard&priority=high&metric=firstResponse' },
    { method: 'GET', path: '/manage/sla/reapply' },
    { method: 'POST', path: '/manage/rules/export' },
    { method: 'POST', path: '/manage/rules/import' },
    { method: 'POST', path: '/manage/rules/routing/validate', form: { body: routing } },
    { method: 'POST', path: '/manage/rules/routing/drafts', form: { body: routing, note: 'x' } },
    { method: 'POST', path: '/manage/rules/routing/publish', form: { draft: '2', note: 'x' } },
    { method: 'POST', path: '/manage/rules/routing/rollback', form: { version: '1', note: 'x' } },
    { method: 'POST', path: '/manage/rules/routing/dry-runs', form: { draft: '2', scope: 'last', count: '10' } },
    { method: 'POST', path: '/manage/workflows/support/validate', form: { body: support } },
    { method: 'POST', path: '/manage/workflows/support/drafts', form: { body: support } },
    { method: 'POST', path: '/manage/workflows/support/publish', form: { draft: '2', note: 'x' } },
    { method: 'POST', path: '/manage/workflows/support/rollback', form: { version: '1' } },
    { method: 'POST', path: '/manage/sla/validate', form: { body: sla } },
    { method: 'POST', path: '/manage/sla/drafts', form: { body: sla } },
    { method: 'POST', path: '/manage/sla/publish', form: { draft: '2', note: 'x' } },
    { method: 'POST', path: '/manage/sla/rollback', form: { version: '1' } },
    { method: 'POST', path: '/manage/sla/reapply', form: { version: '1' } },
  ];
}

function call(client: PageClient, route: Route, htmx = false) {
  return route.method === 'GET' ? client.get(route.path, { htmx }) : client.post(route.path, route.form ?? {}, { htmx });
}

/** What a refused request must not change: definition versions, the exported files, cases. */
async function snapshot() {
  const versions = await h.get('SELECT count(*) AS n FROM definition_versions');
  const files = fs.existsSync(path.join(h.folders.rulesDir, 'routing.json')) ? fs.readFileSync(path.join(h.folders.rulesDir, 'routing.json'), 'utf8') : null;
  const cases = await h.all('SELECT id, version, sla_config_version FROM cases ORDER BY id');
  return JSON.stringify({ versions, files, cases });
}

beforeEach(async () => {
  h = manageHarness();
  await h.settled(); // on PostgreSQL the definitions registry is loaded once the seeding step has run
  // A draft v2 of each, so publish routes have something they could publish.
  await saveDraft(h.services, 'ruleset', 'routing', h.services.definitions.ruleset('routing').definition, h.maria, 'same');
  await saveDraft(h.services, 'workflow', 'support', h.services.definitions.workflow('support').definition, h.maria);
  await saveDraft(h.services, 'sla', 'sla', h.services.definitions.sla().config.definition, h.maria);
  fs.writeFileSync(path.join(h.folders.rulesDir, 'routing.json'), '{ "changed": "by hand" }\n');
  await h.intake({ customer: { email: 'c@example.com' }, subject: 'Invoice', description: 'The invoice is wrong' });
});
afterEach(() => h.close());

describe('manager console authorization (rules, workflows, SLA)', () => {
  it('agents and advanced agents get 403 on every route, full page and htmx, and nothing changes', async () => {
    const before = await snapshot();
    for (const client of [h.as.agent, h.as.advanced]) {
      for (const route of routes()) {
        for (const htmx of [false, true]) {
          const res = await call(client, route, htmx);
          expect(res.status, `${route.method} ${route.path} htmx=${htmx}`).toBe(403);
          const html = await res.text();
          expect(html).toContain('manager console is for managers and admins');
          expect(html).not.toContain('Billing questions go to billing');
        }
      }
    }
    expect(await snapshot()).toBe(before);
  });

  it('customers get 404 on every route', async () => {
    const before = await snapshot();
    for (const route of routes()) {
      const res = await call(h.as.customer, route);
      expect(res.status, `${route.method} ${route.path}`).toBe(404);
      expect(await res.text()).not.toContain('Billing questions go to billing');
    }
    expect(await snapshot()).toBe(before);
  });

  it('visitors are sent to sign in', async () => {
    const guest = visitor(h);
    await guest.start();
    const before = await snapshot();
    for (const route of routes()) {
      const res = await call(guest, route);
      if (route.method === 'GET') {
        expect(res.status, `${route.method} ${route.path}`).toBe(303);
        expect(res.headers.get('Location')).toMatch(/^\/login/);
      } else {
        // A form sent without a session: nothing done, the sign-in page with what it carried (session-ended.tsx).
        expect(res.status, `${route.method} ${route.path}`).toBe(401);
        expect(await res.text()).toContain('Your session has ended');
      }
    }
    const page = await h.app.request('http://localhost/manage/rules/routing');
    expect(page.headers.get('Location')).toBe(`/login?next=${encodeURIComponent('/manage/rules/routing')}`);
    expect(await snapshot()).toBe(before);
  });

  it('managers and admins may use them (control)', async () => {
    for (const client of [h.as.manager, h.as.admin]) {
      for (const route of routes().filter((r) => r.method === 'GET' && !r.path.includes('dry-runs'))) {
        const res = await call(client, route);
        expect(res.status, `${route.method} ${route.path}`).toBe(200);
      }
    }
    expect((await h.as.manager.get('/manage/rules/routing/dry-runs/x')).status).toBe(404);
  });

  it('every state-changing request needs the CSRF token and a same-site origin', async () => {
    const before = await snapshot();
    for (const route of routes().filter((r) => r.method === 'POST')) {
      for (const client of [h.as.manager, h.as.admin]) {
        expect((await client.post(route.path, route.form ?? {}, { csrf: false })).status, route.path).toBe(403);
        expect((await client.post(route.path, route.form ?? {}, { csrf: 'y'.repeat(43), csrfHeader: true })).status, route.path).toBe(403);
        expect((await client.post(route.path, route.form ?? {}, { origin: 'https://evil.example' })).status, route.path).toBe(403);
      }
      expect((await h.as.manager.post(route.path, route.form ?? {}, { csrf: h.as.admin.csrf })).status, route.path).toBe(403);
    }
    expect(await snapshot()).toBe(before);
  });
});
