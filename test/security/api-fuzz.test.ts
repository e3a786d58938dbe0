/**
 * Fuzzing every JSON API route, taken from the app's route table: random and malformed
 * bodies and query strings never produce a 500, and a refused request never leaves a
 * partial write behind.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { createMacro } from '../../src/macros/edit-macro.js';
import { ADMIN, ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';

let h: Harness;
let caseRef: string;

/**
 * Random bodies per route and query strings per GET route. PostgreSQL runs a third of SQLite's:
 * the routes' validation is the same code on both (SQLite's run covers it), and what differs —
 * the statements and the rollback of a refused write — shows on every body; each run draws new
 * ones. At 60 bodies the PostgreSQL run took ~60 s of a 10-minute `npm test`.
 */
const BODIES = ON_POSTGRES ? 20 : 60;
const QUERIES = ON_POSTGRES ? 15 : 40;

beforeAll(async () => {
  // The telephony hook on (its signature refuses every fuzzed body: 401; signed bodies are fuzzed in test/pages/phone-cases.test.ts).
  h = createHarness({ services: { phone: { webhookSecret: 'fuzz-phone-secret-0123456789', toleranceSeconds: 300 } } });
  standardQueues(h);
  h.agent({ queues: ['general', 'billing', 'technical'] });
  h.customer({ email: 'c@example.com' });
  const c = await createCase(h.services, { customer: { email: 'c@example.com' }, subject: 'Hi', description: 'Help' }, ADMIN);
  caseRef = `C-${c.id}`;
  // Macro 1 exists, so its routes are fuzzed past the lookup.
  expect((await createMacro(h.services, { name: 'Ack', body: 'Hi {{customer.firstName}}', actions: { tags: { add: ['acked'] } }, shared: true }, ADMIN)).id).toBe(1);
});
afterAll(() => h.close());

let counting: string | null = null;

/** Every table's row count and the sum of case versions: any write changes it (one statement). */
async function fingerprint(): Promise<string> {
  if (counting === null) {
    const tables =
      h.dialect === 'postgres'
        ? await h.all<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        : await h.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts%' ORDER BY name");
    const counts = tables.map(({ name }) => `(SELECT count(*) FROM "${name}") AS "${name}"`);
    counting = `SELECT ${counts.join(', ')}, (SELECT coalesce(sum(version), 0) FROM cases) AS "case versions"`;
  }
  const row = (await h.get(counting))!;
  return Object.entries(row)
    .map(([name, n]) => `${name}:${Number(n)}`)
    .join(',');
}

function apiRoutes(): { method: string; path: string }[] {
  const seen = new Set<string>();
  return h.app.routes
    .filter((r) => r.path.startsWith('/api/v1/') && ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method))
    .filter((r) => {
      const key = `${r.method} ${r.path}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((r) => ({ method: r.method, path: r.path }));
}

function concrete(path: string): string {
  return path
    .replace('/templates/:name/:audience', '/templates/case-resolved/customer')
    .replace(':macroId', '1')
    .replace(':id', path.includes('/cases/') ? caseRef : '1')
    .replace(':name', path.includes('/rulesets/') ? 'routing' : 'support')
    .replace(/:[A-Za-z]+/g, 'x');
}

const weirdText = fc.oneof(
  fc.string(),
  fc.constantFrom('{', '[1,', '{"a":}', 'null', 'true', '"str"', '1e999', '{"__proto__": {"x": 1}}', '{"constructor": {"prototype": {}}}', '\u0000', '[]'),
  fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1))),
);
const nested = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, fc.anything(), fc.dictionary(fc.constantFrom('customer', 'subject', 'description', 'rules', 'transition', 'body', 'public', 'queue', 'assignee', 'email', 'role'), tie('v'))),
})).v;
const body = fc.oneof(
  weirdText,
  nested.map((v) => JSON.stringify(v) ?? 'null'),
  fc.constant(JSON.stringify({ a: Array.from({ length: 5000 }, (_, i) => i) })),
);

describe('every API route, fuzzed', () => {
  it('covers the routes of the app', () => {
    const routes = apiRoutes().map((r) => `${r.method} ${r.path}`);
    expect(routes).toEqual(expect.arrayContaining(['POST /api/v1/cases', 'POST /api/v1/cases/:id/transitions', 'PUT /api/v1/rulesets/:name']));
  });

  it('never answers 500 and never half-writes, whatever the body', async () => {
    // The fingerprint after a refused request is the one before the next: nothing writes between
    // them (the manual clock stands still, the test sends nothing else). After a request that
    // succeeded it is taken again. Once a body instead of twice: on PostgreSQL the fingerprint
    // (a count of every table) was half of this test's time.
    let unchanged: string | null = null;
    for (const route of apiRoutes().filter((r) => r.method !== 'GET')) {
      await fc.assert(
        fc.asyncProperty(body, async (text) => {
          const before = unchanged ?? (await fingerprint());
          unchanged = null;
          const res = await h.api(route.method, concrete(route.path), { token: ADMIN_TOKEN, body: text, headers: { 'Content-Type': 'application/json' } });
          expect(res.status, `${route.method} ${route.path} with ${text.slice(0, 200)}`).toBeLessThan(500);
          if (res.status >= 400) {
            const after = await fingerprint();
            expect(after, `${route.method} ${route.path} wrote on ${res.status}`).toBe(before);
            unchanged = after;
            const problem = (await res.json()) as { code?: string; requestId?: string };
            expect(problem.code).toBeTruthy();
            expect(problem.requestId).toBeTruthy();
          }
        }),
        { numRuns: BODIES },
      );
    }
    // Every non-GET route × BODIES bodies: the time grows with the route table, not with a hang.
  }, 180_000);

  it('never answers 500 on random query strings', async () => {
    for (const route of apiRoutes().filter((r) => r.method === 'GET')) {
      await fc.assert(
        fc.asyncProperty(fc.dictionary(fc.constantFrom('queue', 'status', 'assignee', 'limit', 'cursor', 'version', 'from', 'to', 'x'), fc.string()), async (query) => {
          const qs = new URLSearchParams(query).toString();
          const res = await h.api('GET', `${concrete(route.path)}?${qs}`, { token: ADMIN_TOKEN });
          expect(res.status, `GET ${route.path}?${qs}`).toBeLessThan(500);
        }),
        { numRuns: QUERIES },
      );
    }
  });
});
