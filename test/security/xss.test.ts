/**
 * XSS: a corpus of payloads in every user-controlled field — case subject and description,
 * customer, staff and organization names, messages and internal notes, solutions, reasons,
 * rating comments, a changed subject, mentions, rule names, queue names, the problem library,
 * churn notes, a mail template's wording, macros (names, replies, tags) and saved view names — then every
 * page and fragment of the app (taken from the route table) is fetched as a customer, an
 * agent, a manager and an admin (who gets the forms of the channels console). No response may contain a payload unescaped, nor a javascript: URL.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../src/auth/sessions.js';
import { addMessage } from '../../src/cases/add-message.js';
import { createCase } from '../../src/cases/create-case.js';
import { csatKey, makeCsatToken } from '../../src/channels/email/csat-link.js';
import { editCase } from '../../src/cases/edit-case.js';
import { rateCase } from '../../src/cases/rate-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { storeFiles } from '../../src/attachments/record.js';
import { saveDraft } from '../../src/definitions/versions.js';
import { createReport } from '../../src/reports/create-report.js';
import { saveTemplate } from '../../src/notifications/edit-template.js';
import { markChurn } from '../../src/team/churn.js';
import { saveInboxView } from '../../src/cases/inbox-views.js';
import { principalOf } from '../../src/auth/principal.js';
import { applyMacro } from '../../src/macros/apply-macro.js';
import { createMacro } from '../../src/macros/edit-macro.js';
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
let admin: TestActor;
const managerEmail = 'mia@casebook.test';
const params: Record<string, string> = {};

beforeAll(async () => {
  h = createHarness();
  standardQueues(h);
  await h.services.store.write((q) => q.db.update(q.tables.queues).set({ name: p(0), description: p(1) }).where(eq(q.tables.queues.id, 'general')));
  agent = h.agent({ name: p(2), queues: ['general', 'billing', 'technical'] });
  manager = h.agent({ name: p(3), role: 'manager', email: managerEmail });
  admin = h.agent({ name: 'Adam Admin', role: 'admin' });
  customer = h.customer({ email: 'chloe@example.com', name: p(4), organization: p(5) });
  const now = h.clock.now();
  const write = h.services.store.write.bind(h.services.store);
  const [problem] = await write((q) => q.db.insert(q.tables.problems).values({ title: p(6), symptoms: `login fails ${p(0)}`, synonyms: p(2), solution: p(1), createdAt: now, updatedAt: now }).returning());

  // A rule whose name is a payload, firing on the case: it shows in "why is this case here".
  const routing = structuredClone(h.services.definitions.ruleset('routing').definition);
  routing.rules.unshift({ name: p(2), conditions: { all: [] }, event: { type: 'addTags', params: { tags: ['x'] } } });
  await h.services.store.write((q) => h.services.definitions.createVersion(q, 'ruleset', 'routing', routing, { state: 'published', now }));
  await saveDraft(h.services, 'ruleset', 'routing', { ...routing, description: p(3) }, manager, p(4));

  const c = await createCase(h.services, { subject: p(0), description: `login fails ${p(1)}` }, customer, { customerId: customer.id });
  caseRef = `C-${c.id}`;
  await addMessage(h.services, c.id, { body: p(2), public: true }, customer);
  // A file whose name is a payload (stored sanitised) and whose declared type is HTML: its link and its download stay inert.
  const file = await storeFiles(h.services.attachments.store, [{ name: `${p(3)}.html`, mediaType: 'text/html', bytes: Buffer.from(p(0)) }]);
  await addMessage(h.services, c.id, { body: p(3), public: true }, agent, { attachments: file });
  params.attachment = String((await h.query((q) => q.db.select().from(q.tables.attachments)))[0]!.id);
  await addMessage(h.services, c.id, { body: p(4), public: false }, agent);
  await transitionCase(h.services, c.id, { transition: 'waitOnCustomer', note: p(5) }, agent);
  await transitionCase(h.services, c.id, { transition: 'resolve', solution: p(6) }, agent);
  await rateCase(h.services, c.id, { satisfied: false, comment: p(0) }, customer);
  // A subject changed to a payload, and a note mentioning the manager (whose name is one).
  await editCase(h.services, c.id, { subject: p(5) }, agent);
  await addMessage(h.services, c.id, { body: `@${managerEmail.split('@')[0]} ${p(6)}`, public: false }, agent);
  const second = await createCase(h.services, { subject: p(1), description: p(2) }, customer, { customerId: customer.id });
  await transitionCase(h.services, second.id, { transition: 'escalate', reason: p(3) }, agent);
  await markChurn(h.services, customer.id, { churned: true, at: now, note: p(4) }, manager);
  const report = await createReport(h.services, { from: now - 86_400_000, to: now + 1, trigger: 'manual' });
  // A mail template worded with payloads: its page shows the wording, the preview and the history.
  await saveTemplate(h.services, 'case-resolved', 'customer', { subject: p(0), body: `${p(1)}\n{{case.subject}} {{customer.name}}\n${p(5)}` }, manager);
  // The channels console: a mailbox and a status, and mail log lines, made of payloads.
  const [mailbox] = await write((q) =>
    q.db
      .insert(q.tables.mailboxes)
      .values({ name: p(5), host: 'imap.example.com', port: 993, tls: true, username: p(6), path: p(0), queueId: 'general', processed: `move:${p(1)}`, status: 'error', statusText: p(2), statusAt: now, createdAt: now, updatedAt: now })
      .returning(),
  );
  await write((q) => q.db.insert(q.tables.inboundMail).values({ messageId: p(3), via: 'imap', mailbox: p(4), mailboxId: mailbox!.id, fromAddress: p(5), subject: p(6), size: 1, outcome: 'ignored', reason: p(0), receivedAt: now }));
  await write((q) => q.db.insert(q.tables.inboundMail).values({ messageId: 'x@y', via: 'smtp', mailbox: p(1), fromAddress: p(2), subject: p(3), size: 1, outcome: 'ignored', reason: 'malformed', receivedAt: now }));
  // Macros and saved views named with payloads: the macros pages, the composer's picker, the inbox.
  const macro = await createMacro(h.services, { name: p(5), body: `${p(6)} {{customer.name}}`, actions: { tags: { add: ['vip'] } } }, agent);
  await createMacro(h.services, { name: p(6), body: p(0), shared: true }, manager);
  const third = await createCase(h.services, { subject: p(2), description: 'login fails' }, customer, { customerId: customer.id });
  await applyMacro(h.services, third.id, macro.id, {}, agent);
  const principal = async (id: number) => (await h.query((q) => principalOf(q, { type: 'staff', id })))!;
  await saveInboxView(h.services, await principal(agent.id), { view: 'mine', tag: p(1).slice(0, 60) }, { name: p(0).slice(0, 60) });
  await saveInboxView(h.services, await principal(manager.id), { view: 'queues' }, { name: p(1).slice(0, 60), shared: true });
  Object.assign(params, {
    macro: String(macro.id),
    case: caseRef,
    problem: String(problem!.id),
    report: String(report.id),
    customer: String(customer.id),
    staff: String(agent.id),
    // The CSAT page of the resolved, rated case (subject and comment are payloads).
    csat: makeCsatToken(await csatKey(h.services), c.id, customer.id, now + 86_400_000),
    mailbox: String(mailbox!.id),
  });
  expect(await h.query((q) => q.db.select({ name: q.tables.customers.name }).from(q.tables.customers).where(eq(q.tables.customers.id, customer.id)))).toEqual([{ name: p(4) }]);
  expect(await h.query((q) => q.db.select({ name: q.tables.staff.name }).from(q.tables.staff).where(eq(q.tables.staff.id, agent.id)))).toEqual([{ name: p(2) }]);
});
afterAll(() => h.close());

function pages(): string[] {
  const out = new Set<string>();
  for (const r of h.app.routes) if (r.method === 'GET' && !r.path.startsWith('/api/') && !r.path.startsWith('/assets/') && r.path !== '/health') out.add(r.path);
  return [...out];
}

function concrete(path: string): string {
  return path
    .replace('/templates/:name/:audience', '/templates/case-resolved/customer')
    .replace('/cases/:id', `/cases/${params.case}`)
    .replace('/attachments/:attachment', `/attachments/${params.attachment}`)
    .replace('/rules/:name/dry-runs/:id', '/rules/routing')
    .replace('/rules/:name', '/rules/routing')
    .replace('/workflows/:name', '/workflows/support')
    .replace(':version', '2')
    .replace('/queues/:id', '/queues/general')
    .replace('/staff/:id', `/staff/${params.staff}`)
    .replace('/problems/:id', `/problems/${params.problem}`)
    .replace('/customers/:id', `/customers/${params.customer}`)
    .replace('/mailboxes/:id', `/mailboxes/${params.mailbox}`)
    .replace('/reports/csv/:name', '/reports/csv/backlog')
    .replace(/\/reports\/sla\/:id/, `/reports/sla/${params.report}`)
    .replace('/csat/:token', `/csat/${params.csat}`)
    .replace('/macros/:id', `/macros/${params.macro}`);
}

/** Query strings that echo user input back. */
const ECHOES = [
  `/portal/suggestions?description=${encodeURIComponent(p(0))}`,
  `/manage/team/customers?q=${encodeURIComponent(p(1))}`,
  `/inbox?tag=${encodeURIComponent(p(2))}`,
  `/inbox/views?current=${encodeURIComponent(p(4))}`,
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
  it('are inert for customers, agents, managers and admins', async () => {
    const problemsFound: string[] = [];
    let checked = 0;
    for (const actor of [customer, agent, manager, admin]) {
      const session = await h.services.store.write((q) => createSession(q, { type: actor.type as 'staff' | 'customer', id: actor.id }, h.clock.now()));
      for (const url of [...pages().map(concrete), ...ECHOES]) {
        for (const htmx of [false, true]) {
          const res = await h.app.request(`http://localhost${url}`, { headers: { Cookie: `casebook_session=${session.id}`, ...(htmx ? { 'HX-Request': 'true' } : {}) } });
          const type = res.headers.get('Content-Type') ?? '';
          if (url.includes('/attachments/')) {
            // A download, whatever it holds: never served as a page.
            expect(res.status, url).toBe(200);
            expect(type, url).toBe('application/octet-stream');
            expect(res.headers.get('Content-Disposition'), url).toMatch(/^attachment; /);
            continue;
          }
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

  it('are inert in the answers to the workspace forms that echo what was sent', async () => {
    const session = await h.services.store.write((q) => createSession(q, { type: 'staff', id: agent.id }, h.clock.now()));
    const post = async (url: string, fields: [string, string][], htmx: boolean) => {
      const body = new URLSearchParams([...fields, ['_csrf', session.csrfToken]]);
      const res = await h.app.request(`http://localhost${url}`, {
        method: 'POST',
        headers: { Cookie: `casebook_session=${session.id}`, 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost', ...(htmx ? { 'HX-Request': 'true' } : {}) },
        body: body.toString(),
      });
      return res.text();
    };
    const found: string[] = [];
    for (const htmx of [false, true]) {
      const echoes = [
        await post('/inbox/bulk', [['action', 'tag'], ['tag', 'x'], ['cases', p(0)], ['cases', p(1)], ['view', 'mine']], htmx),
        await post('/inbox/bulk', [['action', 'transition'], ['transition', p(2)], ['cases', caseRef]], htmx),
        await post('/macros/preview', [['name', p(3)], ['body', `${p(4)} {{customer.name}}`], ['tagsAdd', p(5)]], htmx),
        await post('/macros', [['name', p(6)], ['body', `{{${p(0)}}}`]], htmx),
        await post(`/cases/${caseRef}/macros/apply`, [['body', p(1)], ['appliedMacro', params.macro!]], htmx),
        await post('/inbox/views', [['name', p(2)], ['tag', p(3).slice(0, 60)]], htmx),
      ];
      for (const html of echoes) found.push(...findUnescaped(html));
    }
    expect(found).toEqual([]);
  });

  it('the payloads do reach the pages (escaped), so the check above means something', async () => {
    const session = await h.services.store.write((q) => createSession(q, { type: 'staff', id: manager.id }, h.clock.now()));
    const html = await (await h.app.request(`http://localhost/cases/${caseRef}`, { headers: { Cookie: `casebook_session=${session.id}` } })).text();
    expect(html).toContain('&lt;script&gt;alert(&quot;xss-1&quot;)&lt;/script&gt;');
    const template = await (await h.app.request('http://localhost/manage/templates/case-resolved/customer', { headers: { Cookie: `casebook_session=${session.id}` } })).text();
    expect(template).toContain('&quot;&gt;&lt;img src=x onerror=alert(&quot;xss-2&quot;)&gt;');
    expect(html).toContain(' mentioned &lt;a href=&quot;javascript:');
    // Search snippets: the payload's words marked, the rest of it escaped around the marks.
    const found = await (await h.app.request('http://localhost/search?q=xss', { headers: { Cookie: `casebook_session=${session.id}` } })).text();
    expect(found).toMatch(/&lt;(script|img|svg)[^<]*<mark>xss<\/mark>-\d/);
    const agentSession = await h.services.store.write((q) => createSession(q, { type: 'staff', id: agent.id }, h.clock.now()));
    const macrosPage = await (await h.app.request('http://localhost/macros', { headers: { Cookie: `casebook_session=${agentSession.id}` } })).text();
    expect(macrosPage).toContain('&lt;iframe srcdoc=&quot;&lt;script&gt;alert(6)&lt;/script&gt;&quot;&gt;');
    const inbox = await (await h.app.request('http://localhost/inbox', { headers: { Cookie: `casebook_session=${agentSession.id}` } })).text();
    expect(inbox).toContain('&lt;script&gt;alert(&quot;xss-1&quot;)&lt;/script&gt;');
  });
});

void ADMIN;
