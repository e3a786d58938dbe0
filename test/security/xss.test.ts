/**
 * XSS: a corpus of payloads in every user-controlled field — case subject and description,
 * customer, staff and organization names, messages and internal notes, solutions, reasons,
 * rating comments, rule names, queue names, the problem library, churn notes — then every
 * page and fragment of the app (taken from the route table) is fetched as a customer, an
 * agent and a manager. No response may contain a payload unescaped, nor a javascript: URL.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../src/auth/sessions.js';
import { addMessage } from '../../src/cases/add-message.js';
import { createCase } from '../../src/cases/create-case.js';
import { rateCase } from '../../src/cases/rate-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { customers, problems, queues, staff } from '../../src/db/schema/index.js';
import { saveDraft } from '../../src/definitions/versions.js';
import { createReport } from '../../src/reports/create-report.js';
import { markChurn } from '../../src/team/churn.js';
import { ADMIN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';

/** Each contains `<` or `"`, which must never reach HTML unescaped in any context. */
const PAYLOADS = [
  '<script>alert("xss-1")</script>',
  '"><img src=x onerror=alert("xss-2")>',
  '</textarea><svg onload=alert("xss-3")>',
  '<a href="javascript:alert(\'xss-4\')">click</a>',
  '"onmouseover="alert(\'xss-5\')" x="',
  '<iframe srcdoc="<script>alert(6)</script>">',
  '</title><style>*{}</style><!--xss-7',
];
const p = (i: number) => PAYLOADS[i % PAYLOADS.length]!;

let h: Harness;
let caseRef: string;
let customer: TestActor;
let agent: TestActor;
let manager: TestActor;
const params: Record<string, string> = {};

beforeAll(async () => {
  h = createHarness();
  standardQueues(h);
  h.db.update(queues).set({ name: p(0), description: p(1) }).where(eq(queues.id, 'general')).run();
  agent = h.agent({ name: p(2), queues: ['general', 'billing', 'technical'] });
  manager = h.agent({ name: p(3), role: 'manager' });
  customer = h.customer({ email: 'chloe@example.com', name: p(4), organization: p(5) });
  const now = h.clock.now();
  const problem = h.db.insert(problems).values({ title: p(6), symptoms: `login fails ${p(0)}`, synonyms: p(2), solution: p(1), createdAt: now, updatedAt: now }).returning().get();

  // A rule whose name is a payload, firing on the case: it shows in "why is this case here".
  const routing = structuredClone(h.services.definitions.ruleset('routing').definition);
  routing.rules.unshift({ name: p(2), conditions: { all: [] }, event: { type: 'addTags', params: { tags: ['x'] } } });
  h.services.definitions.createVersion('ruleset', 'routing', routing, { state: 'published', now });
  saveDraft(h.services, 'ruleset', 'routing', { ...routing, description: p(3) }, manager, p(4));

  const c = await createCase(h.services, { subject: p(0), description: `login fails ${p(1)}` }, customer, { customerId: customer.id });
  caseRef = `C-${c.id}`;
  addMessage(h.services, c.id, { body: p(2), public: true }, customer);
  addMessage(h.services, c.id, { body: p(3), public: true }, agent);
  addMessage(h.services, c.id, { body: p(4), public: false }, agent);
  transitionCase(h.services, c.id, { transition: 'waitOnCustomer', note: p(5) }, agent);
  transitionCase(h.services, c.id, { transition: 'resolve', solution: p(6) }, agent);
  rateCase(h.services, c.id, { satisfied: false, comment: p(0) }, customer);
  const second = await createCase(h.services, { subject: p(1), description: p(2) }, customer, { customerId: customer.id });
  transitionCase(h.services, second.id, { transition: 'escalate', reason: p(3) }, agent);
  markChurn(h.services, customer.id, { churned: true, at: now, note: p(4) }, manager);
  const report = createReport(h.services, { from: now - 86_400_000, to: now + 1, trigger: 'manual' });
  Object.assign(params, {
    case: caseRef,
    problem: String(problem.id),
    report: String(report.id),
    customer: String(customer.id),
    staff: String(agent.id),
  });
  expect(h.db.select({ name: customers.name }).from(customers).where(eq(customers.id, customer.id)).get()?.name).toBe(p(4));
  expect(h.db.select({ name: staff.name }).from(staff).where(eq(staff.id, agent.id)).get()?.name).toBe(p(2));
});
afterAll(() => h.close());

function pages(): string[] {
  const out = new Set<string>();
  for (const r of h.app.routes) if (r.method === 'GET' && !r.path.startsWith('/api/') && !r.path.startsWith('/assets/') && r.path !== '/health') out.add(r.path);
  return [...out];
}

function concrete(path: string): string {
  return path
    .replace('/cases/:id', `/cases/${params.case}`)
    .replace('/rules/:name/dry-runs/:id', '/rules/routing')
    .replace('/rules/:name', '/rules/routing')
    .replace('/workflows/:name', '/workflows/support')
    .replace(':version', '2')
    .replace('/queues/:id', '/queues/general')
    .replace('/staff/:id', `/staff/${params.staff}`)
    .replace('/problems/:id', `/problems/${params.problem}`)
    .replace('/customers/:id', `/customers/${params.customer}`)
    .replace('/reports/csv/:name', '/reports/csv/backlog')
    .replace(/\/reports\/sla\/:id/, `/reports/sla/${params.report}`);
}

/** Query strings that echo user input back. */
const ECHOES = [
  `/portal/suggestions?description=${encodeURIComponent(p(0))}`,
  `/manage/team/customers?q=${encodeURIComponent(p(1))}`,
  `/inbox?tag=${encodeURIComponent(p(2))}`,
  `/login?next=${encodeURIComponent(p(3))}`,
  // Search echoes the query and shows stored payloads as snippets with the hits marked.
  ...PAYLOADS.map((payload) => `/search?q=${encodeURIComponent(payload)}`),
  ...['alert', 'xss', 'script', 'login fails', 'onerror', 'tag:x alert', `created:>${encodeURIComponent(p(1))}`].map((q) => `/search?q=${encodeURIComponent(q)}`),
];

function findUnescaped(html: string): string[] {
  const found = PAYLOADS.filter((payload) => html.includes(payload));
  if (/(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:/i.test(html)) found.push('javascript: URL');
  if (/<script(?![^>]*\bsrc="\/assets\/)/i.test(html)) found.push('inline <script>');
  return found;
}

describe('stored and reflected payloads on every page and fragment', () => {
  it('are inert for customers, agents and managers', async () => {
    const problemsFound: string[] = [];
    let checked = 0;
    for (const actor of [customer, agent, manager]) {
      const session = createSession(h.db, { type: actor.type as 'staff' | 'customer', id: actor.id }, h.clock.now());
      for (const url of [...pages().map(concrete), ...ECHOES]) {
        for (const htmx of [false, true]) {
          const res = await h.app.request(`http://localhost${url}`, { headers: { Cookie: `casebook_session=${session.id}`, ...(htmx ? { 'HX-Request': 'true' } : {}) } });
          const type = res.headers.get('Content-Type') ?? '';
          if (!type.includes('html') && !type.includes('svg')) continue;
          checked++;
          const bad = findUnescaped(await res.text());
          if (bad.length > 0) problemsFound.push(`${actor.name.slice(0, 12)}… ${htmx ? 'fragment' : 'page'} ${url}: ${bad.join(', ')}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(problemsFound).toEqual([]);
  }, 60_000);

  it('the payloads do reach the pages (escaped), so the check above means something', async () => {
    const session = createSession(h.db, { type: 'staff', id: manager.id }, h.clock.now());
    const html = await (await h.app.request(`http://localhost/cases/${caseRef}`, { headers: { Cookie: `casebook_session=${session.id}` } })).text();
    expect(html).toContain('&lt;script&gt;alert(&quot;xss-1&quot;)&lt;/script&gt;');
    // Search snippets: the payload's words marked, the rest of it escaped around the marks.
    const found = await (await h.app.request('http://localhost/search?q=xss', { headers: { Cookie: `casebook_session=${session.id}` } })).text();
    expect(found).toMatch(/&lt;script&gt;alert\(&quot;<mark>xss<\/mark>-1&quot;\)&lt;\/script&gt;/);
  });
});

void ADMIN;
