/**
 * The OpenAPI document: valid OpenAPI 3.1 (checked by @seriousme/openapi-schema-validator),
 * describing exactly the /api/v1 routes of the app's route table (the table the authorization
 * matrix is generated from), served without a token, with the roles it lists enforced; and
 * its reference page /api/docs under our CSP. Answers against the schemas:
 * openapi-responses.test.ts.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDocument } from '../../src/http/api/index.js';
import { API_ROLES } from '../../src/http/openapi/route-spec.js';
import type { Role } from '../../src/roles.js';
import { createHarness, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;
const tokens = new Map<Role, string>();

beforeAll(() => {
  h = createHarness();
  standardQueues(h);
  tokens.set('customer', h.tokenFor(h.customer({ email: 'chloe@example.com', name: 'Chloe' })));
  for (const role of ['agent', 'advanced', 'manager', 'admin'] as const) tokens.set(role, h.tokenFor(h.agent({ name: role, role, queues: ['general'] })));
});
afterAll(() => h.close());

/** `GET /api/v1/cases/:id` for every operation of the document. */
function documentedRoutes(): string[] {
  return Object.entries(apiDocument().paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} /api/v1${path.replace(/\{(\w+)\}/g, ':$1')}`));
}

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(apiDocument()) as never);
    expect(result.errors ?? [], 'validator errors').toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every /api/v1 route of the route table, and nothing else', () => {
    const table = new Set(h.app.routes.filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/v1/')).map((r) => `${r.method} ${r.path}`));
    const documented = documentedRoutes();
    expect([...table].filter((route) => !documented.includes(route)), 'API routes missing from the OpenAPI document').toEqual([]);
    expect(documented.filter((route) => !table.has(route)), 'documented operations that are not routes').toEqual([]);
    expect(table.size).toBeGreaterThan(50);
  });

  it('names each operation once, with a summary, security and problem+json errors', () => {
    const doc = apiDocument();
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.summary, `${method} ${path}`).not.toBe('');
        if (op['x-roles'].length > 0) expect(op.responses['401'], `${method} ${path} answers 401`).toEqual({ $ref: '#/components/responses/Problem401' });
      }
    }
    expect(doc.components.responses.Problem404).toMatchObject({ content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });
    expect(Object.keys(doc.components.securitySchemes)).toEqual(['bearer', 'scopedToken']);
    expect(doc.paths['/inbound/email']!.post!.security).toEqual([{ bearer: ['admin'] }, { scopedToken: ['inbound'] }]);
    expect(doc.paths['/customers/{id}/churn']!.post!.security).toEqual([{ bearer: ['manager', 'admin'] }, { scopedToken: ['churn'] }]);
  });

  it('is served at /api/v1/openapi.json without a token', async () => {
    const res = await h.app.request('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('application/json');
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(apiDocument())));
  });

  it('a role the document leaves out of an operation is refused (403): the listed roles are the ones enforced', async () => {
    const refusedWrongly: string[] = [];
    for (const [path, ops] of Object.entries(apiDocument().paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op['x-roles'].length === 0) continue;
        const url = `/api/v1${path.replace(/\{(\w+)\}/g, '1')}`;
        for (const role of API_ROLES.filter((r) => !op['x-roles'].includes(r))) {
          const res = await h.app.request(url, { method: method.toUpperCase(), headers: { Authorization: `Bearer ${tokens.get(role)}`, 'Content-Type': 'application/json' }, ...(method === 'get' || method === 'delete' ? {} : { body: '{}' }) });
          if (res.status !== 403) refusedWrongly.push(`${method.toUpperCase()} ${path} as ${role}: ${res.status}`);
        }
      }
    }
    expect(refusedWrongly).toEqual([]);
  });
});

describe('/api/docs', () => {
  it('renders every operation and schema from the document, under the CSP, with nothing inline', async () => {
    const res = await h.app.request('/api/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('text/html');
    const csp = res.headers.get('Content-Security-Policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    const html = await res.text();
    expect(html).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
    const doc = apiDocument();
    for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) expect(html).toContain(`id="${op.operationId}"`);
    for (const name of Object.keys(doc.components.schemas)) expect(html).toContain(`id="schema-${name}"`);
    // Parameters, bodies and examples built from the schemas.
    expect(html).toContain('<code>If-Match</code>');
    expect(html).toContain('&quot;transition&quot;');
    expect(html).toContain('&quot;id&quot;: &quot;C-1042&quot;');
    expect(html).toContain('Bearer token of: manager, admin.');
  });
});
