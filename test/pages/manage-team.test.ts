/**
 * `/manage/team` through `app.request()`: every page and command for managers, 403 for
 * agents and advanced agents, 404 for customers, sign-in for visitors, CSRF on every POST,
 * validation errors re-rendered (422, htmx: the form alone), escaping of user-controlled
 * names.
 */
import { asc, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { diagnoseOn } from '../../src/diagnosis/search-problems.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, visitor, type PageClient } from '../support/pages.js';

const XSS = `<script>alert('x')</script>"><img src=x onerror=alert(1)>`;

let h: Harness;
let mia: TestActor;
let alice: TestActor;
let dana: TestActor;
let chloe: TestActor;
let problemId: number;
let m: PageClient;

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  mia = h.agent({ name: 'Mia', email: 'mia@casebook.test', role: 'manager' });
  alice = h.agent({ name: 'Alice', email: 'alice@casebook.test', queues: ['general', 'billing'] });
  dana = h.agent({ name: 'Dana', email: 'dana@casebook.test', role: 'advanced', queues: ['advanced'] });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  const now = h.clock.now();
  const [problem] = await h.services.store.write((q) =>
    q.db.insert(q.tables.problems).values({ title: 'Printer jams', symptoms: 'paper stuck', solution: 'Open the flap.', createdAt: now, updatedAt: now }).returning(),
  );
  problemId = problem!.id;
  m = signedIn(h, mia);
});
afterEach(() => h.close());

const queueRow = async (id: string) => (await h.query((q) => q.db.select().from(q.tables.queues).where(eq(q.tables.queues.id, id))))[0];
const staffRow = async (id: number) => (await h.query((q) => q.db.select().from(q.tables.staff).where(eq(q.tables.staff.id, id))))[0];
const problemRow = async (id: number) => (await h.query((q) => q.db.select().from(q.tables.problems).where(eq(q.tables.problems.id, id))))[0];
const customerRow = async (id: number) => (await h.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, id))))[0];
const diagnose = (subject: string, description: string) => h.query((q) => diagnoseOn(q, subject, description));

interface Route {
  method: 'GET' | 'POST';
  path: string;
  form?: Record<string, string>;
}

const routes = (): Route[] => [
  { method: 'GET', path: '/manage/team' },
  { method: 'GET', path: '/manage/team/queues/new' },
  { method: 'POST', path: '/manage/team/queues', form: { id: 'returns', name: 'Returns', tier: '1' } },
  { method: 'GET', path: '/manage/team/queues/billing' },
  { method: 'POST', path: '/manage/team/queues/billing', form: { name: 'Money', tier: '1' } },
  { method: 'POST', path: '/manage/team/queues/technical/deactivate' },
  { method: 'POST', path: '/manage/team/queues/technical/reactivate' },
  { method: 'GET', path: '/manage/team/staff/new' },
  { method: 'POST', path: '/manage/team/staff', form: { email: 'nia@casebook.test', name: 'Nia', role: 'agent', capacity: '5' } },
  { method: 'GET', path: `/manage/team/staff/${alice.id}` },
  { method: 'POST', path: `/manage/team/staff/${alice.id}`, form: { name: 'Alicia', role: 'agent', capacity: '3', queues: 'general' } },
  { method: 'POST', path: `/manage/team/staff/${alice.id}/deactivate` },
  { method: 'POST', path: `/manage/team/staff/${alice.id}/reactivate` },
  { method: 'GET', path: '/manage/team/problems' },
  { method: 'GET', path: '/manage/team/problems/new' },
  { method: 'POST', path: '/manage/team/problems', form: { title: 'T', symptoms: 'S', solution: 'X' } },
  { method: 'GET', path: `/manage/team/problems/${problemId}` },
  { method: 'POST', path: `/manage/team/problems/${problemId}`, form: { title: 'T', symptoms: 'S', solution: 'X' } },
  { method: 'POST', path: `/manage/team/problems/${problemId}/deactivate` },
  { method: 'POST', path: `/manage/team/problems/${problemId}/reactivate` },
  { method: 'GET', path: '/manage/team/customers' },
  { method: 'GET', path: `/manage/team/customers/${chloe.id}` },
  { method: 'POST', path: `/manage/team/customers/${chloe.id}/churn`, form: { churned: 'true', at: '2026-03-01', note: 'gone' } },
];

/** Everything a refused command could have changed. */
async function snapshot() {
  return h.query(async (q) => {
    const { queues, staff, staffQueues, problems, customers, customerChurnMarks } = q.tables;
    return JSON.stringify([
      await q.db.select().from(queues).orderBy(asc(queues.id)),
      (await q.db.select().from(staff).orderBy(asc(staff.id))).map(({ lastAssignedAt: _l, ...s }) => s),
      await q.db.select().from(staffQueues).orderBy(asc(staffQueues.staffId), asc(staffQueues.queueId)),
      await q.db.select().from(problems).orderBy(asc(problems.id)),
      await q.db.select().from(customers).orderBy(asc(customers.id)),
      await q.db.select().from(customerChurnMarks).orderBy(asc(customerChurnMarks.id)),
    ]);
  });
}

async function call(client: PageClient, route: Route, options: { htmx?: boolean; csrf?: string | false; origin?: string } = {}) {
  return route.method === 'GET' ? client.get(route.path, { htmx: options.htmx ?? false }) : client.post(route.path, route.form ?? {}, options);
}

describe('authorization', () => {
  it('agents and advanced agents get 403 on every route, full page and htmx; nothing changes', async () => {
    const before = await snapshot();
    for (const actor of [alice, dana]) {
      const client = signedIn(h, actor);
      for (const route of routes()) {
        for (const htmx of [false, true]) {
          const res = await call(client, route, { htmx });
          expect(res.status, `${actor.name} ${route.method} ${route.path} htmx=${htmx}`).toBe(403);
        }
      }
    }
    expect(await snapshot()).toBe(before);
  });

  it('customers get 404 on every route; nothing changes', async () => {
    const before = await snapshot();
    const client = signedIn(h, chloe);
    for (const route of routes()) {
      const res = await call(client, route);
      expect(res.status, `${route.method} ${route.path}`).toBe(404);
    }
    expect(await snapshot()).toBe(before);
  });

  it('visitors are sent to sign in; their posts change nothing', async () => {
    const before = await snapshot();
    const v = visitor(h);
    await v.start();
    for (const route of routes()) {
      const res = await call(v, route);
      if (route.method === 'GET') {
        expect(res.status, route.path).toBe(303);
        expect(res.headers.get('Location')).toBe(`/login?next=${encodeURIComponent(route.path)}`);
      } else {
        // 403: the visitor's CSRF check; 401: the sign-in page, nothing done (session-ended.tsx).
        expect([401, 403], route.path).toContain(res.status);
      }
    }
    expect(await snapshot()).toBe(before);
  });

  it('every POST needs the CSRF token and a same-site origin', async () => {
    const before = await snapshot();
    for (const route of routes().filter((r) => r.method === 'POST')) {
      for (const options of [{ csrf: false as const }, { csrf: 'wrong-token-wrong-token-wrong-token-00' }, { origin: 'https://evil.example' }]) {
        const res = await call(m, route, options);
        expect(res.status, `${route.path} ${JSON.stringify(options)}`).toBe(403);
      }
    }
    expect(await snapshot()).toBe(before);
  });

  it('managers and admins reach every page; the navigation links Team', async () => {
    const admin = signedIn(h, h.agent({ name: 'Root', role: 'admin' }));
    for (const client of [m, admin]) {
      for (const route of routes().filter((r) => r.method === 'GET')) {
        const res = await client.get(route.path);
        expect(res.status, route.path).toBe(200);
      }
    }
    const html = await (await m.get('/manage/team')).text();
    expect(html).toContain('href="/manage/team" aria-current="page"');
    expect(html).toContain('href="/manage/reports"');
  });
});

describe('links', () => {
  it('every link on the team pages leads somewhere (crawled two levels deep)', async () => {
    await createCase(h.services, { subject: 'Invoice question', description: 'Where is my invoice?' }, chloe, { customerId: chloe.id });
    const seen = new Set<string>();
    let frontier = ['/manage/team', '/manage/team/problems', '/manage/team/customers'];
    for (let depth = 0; depth < 2; depth++) {
      const next: string[] = [];
      for (const url of frontier) {
        if (seen.has(url)) continue;
        seen.add(url);
        const res = await m.get(url);
        expect(res.status, url).toBe(200);
        const html = await res.text();
        for (const [, href] of html.matchAll(/<a [^>]*href="([^"]+)"/g)) {
          const link = href!.replaceAll('&amp;', '&');
          if (link.startsWith('/manage/team') && !seen.has(link)) next.push(link);
        }
      }
      frontier = next;
    }
    for (const url of frontier) expect((await m.get(url)).status, url).toBe(200);
    expect(seen.size).toBeGreaterThan(10);
  });
});

describe('queues', () => {
  it('creates a queue, re-renders validation errors (422; htmx: the form alone)', async () => {
    const bad = await m.post('/manage/team/queues', { id: 'Bad Id', name: '', tier: '3' });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('<!DOCTYPE html>');
    expect(html).toContain('lower-case letters, digits');
    expect(html).toContain('choose tier 1 or 2');
    const frag = await m.post('/manage/team/queues', { id: 'general', name: 'Again', tier: '1' }, { htmx: true });
    expect(frag.status).toBe(422);
    expect(frag.headers.get('HX-Retarget')).toBe('#queue-form');
    const text = await frag.text();
    expect(text).not.toContain('<html');
    expect(text).toContain('a queue &quot;general&quot; already exists');

    const ok = await m.post('/manage/team/queues', { id: 'returns', name: 'Returns', description: 'Parcels', tier: '1' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('Location')).toBe('/manage/team/queues/returns?done=queue-created');
    expect(await (await m.get('/manage/team/queues/returns?done=queue-created')).text()).toContain('Queue created.');
    const htmx = await m.post('/manage/team/queues', { id: 'returns2', name: 'Returns 2', tier: '2' }, { htmx: true });
    expect(htmx.headers.get('HX-Redirect')).toBe('/manage/team/queues/returns2?done=queue-created');
    expect((await queueRow('returns2'))).toMatchObject({ tier: 2, active: true });
  });

  it('edits a queue; deactivating one with open cases asks for a target and moves them', async () => {
    expect((await m.post('/manage/team/queues/billing', { name: 'Billing & money', description: '', tier: '1' })).status).toBe(303);
    expect((await queueRow('billing'))?.name).toBe('Billing & money');
    const refused = await m.post('/manage/team/queues/billing', { name: 'Billing', tier: '2' });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('only advanced agents work tier-2 queues; remove Alice from this queue first');

    await createCase(h.services, { subject: 'Invoice question', description: 'Where is my invoice?' }, chloe, { customerId: chloe.id });
    const page = await (await m.get('/manage/team/queues/billing')).text();
    expect(page).toContain('1 open case is in this queue');
    expect(page).toContain('ruleset routing: rule &quot;Billing questions go to billing&quot;');
    const missing = await m.post('/manage/team/queues/billing/deactivate', { moveTo: '' }, { htmx: true });
    expect(missing.status).toBe(422);
    expect(missing.headers.get('HX-Retarget')).toBe('#deactivate-queue-form');
    expect(await missing.text()).toContain('choose a queue to move it to');
    const done = await m.post('/manage/team/queues/billing/deactivate', { moveTo: 'general' });
    expect(done.headers.get('Location')).toBe('/manage/team/queues/billing?done=queue-deactivated&moved=1');
    expect(await (await m.get(done.headers.get('Location')!)).text()).toContain('Queue deactivated. 1 open case moved.');
    expect((await m.post('/manage/team/queues/billing/reactivate')).status).toBe(303);
    expect((await queueRow('billing'))?.active).toBe(true);
  });

  it('refuses to change the tier of a queue that published escalations send cases to at its tier', async () => {
    const refused = await m.post('/manage/team/queues/advanced', { name: 'Advanced support', tier: '1' });
    expect(refused.status).toBe(422);
    const text = await refused.text();
    expect(text).toContain('published escalations depend on this queue&#39;s tier 2: ruleset escalation, rule &quot;');
    expect(text).toContain('escalates to tier 2 in &quot;advanced&quot;');
    expect(text).toContain('workflow support, transition &quot;escalate&quot; escalates to tier 2 in &quot;advanced&quot;');
    expect((await queueRow('advanced'))?.tier).toBe(2);
    // A tier-2 queue no escalation names: its tier may change.
    expect((await m.post('/manage/team/queues', { id: 'experts', name: 'Experts', tier: '2' })).status).toBe(303);
    expect((await m.post('/manage/team/queues/experts', { name: 'Experts', tier: '1' })).status).toBe(303);
    expect((await queueRow('experts'))?.tier).toBe(1);
  });

  it('sets how waiting cases are taken and when managers are alerted about long waits', async () => {
    const page = await (await m.get('/manage/team/queues/billing')).text();
    expect(page).toContain('id="queue-waiting-order"');
    expect(page).toContain('Empty: the server default (30 min); 0: never.');
    const bad = await m.post('/manage/team/queues/billing', { name: 'Billing', tier: '1', waitingOrder: 'random', waitAlertMinutes: 'soon' }, { htmx: true });
    expect(bad.status).toBe(422);
    const errors = await bad.text();
    expect(errors).toContain('choose by priority or first come, first served');
    expect(errors).toContain('a whole number of minutes');
    expect((await m.post('/manage/team/queues/billing', { name: 'Billing', tier: '1', waitingOrder: 'fifo', waitAlertMinutes: '15' })).status).toBe(303);
    expect((await queueRow('billing'))).toMatchObject({ waitingOrder: 'fifo', waitAlertMinutes: 15 });
    const edited = await (await m.get('/manage/team/queues/billing')).text();
    expect(edited).toMatch(/<option value="fifo" selected="">/);
    expect(edited).toContain('value="15"');
    expect(await (await m.get('/manage/team')).text()).toContain('First come, first served · alert after 15 min');
    expect((await m.post('/manage/team/queues/billing', { name: 'Billing', tier: '1', waitingOrder: 'priority', waitAlertMinutes: '' })).status).toBe(303);
    expect((await queueRow('billing'))).toMatchObject({ waitingOrder: 'priority', waitAlertMinutes: null });
    expect((await m.post('/manage/team/queues', { id: 'vip', name: 'VIP', tier: '1', waitingOrder: 'fifo', waitAlertMinutes: '0' })).status).toBe(303);
    expect((await queueRow('vip'))).toMatchObject({ waitingOrder: 'fifo', waitAlertMinutes: 0 });
  });

  it('general cannot be deactivated (409 page), unknown queues are 404', async () => {
    expect(await (await m.get('/manage/team/queues/general')).text()).toContain('This is the fallback queue of routing: it stays active.');
    const res = await m.post('/manage/team/queues/general/deactivate', {});
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('fallback queue of routing');
    expect((await m.get('/manage/team/queues/nope')).status).toBe(404);
  });
});

describe('staff', () => {
  it('adds a staff member and shows the one-time link once', async () => {
    const bad = await m.post('/manage/team/staff', { email: 'not-an-email', name: '', role: 'agent', capacity: 'x', chatLimit: '101', queues: 'advanced' });
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain('id="staff-chat-limit-error"');
    expect(badHtml).toContain('a whole number from 0 to 100');
    // every message in words a manager reads, none of the validator's own
    expect(badHtml).toContain('an email address, e.g. nia@example.com');
    expect(badHtml).toContain('a whole number from 0 to 1000');
    expect(badHtml).not.toMatch(/Invalid input|expected number|received NaN|Invalid email/);
    expect(await (await m.get('/manage/team/staff/new')).text()).toMatch(/<input[^>]*id="staff-chat-limit"[^>]*name="chatLimit"|<input[^>]*name="chatLimit"[^>]*id="staff-chat-limit"/);
    const res = await m.post('/manage/team/staff', { email: 'nia@casebook.test', name: 'Nia', role: 'agent', capacity: '4', chatLimit: '2', skills: 'refunds, vat', queues: 'general' });
    expect(res.status).toBe(201);
    const html = await res.text();
    expect(html).toMatch(/http:\/\/127\.0\.0\.1:3000\/set-password\?token=[\w-]+/);
    const row = (await h.query((q) => q.db.select().from(q.tables.staff).where(eq(q.tables.staff.email, 'nia@casebook.test'))))[0]!;
    expect(row).toMatchObject({ name: 'Nia', role: 'agent', capacity: 4, chatLimit: 2, skills: ['refunds', 'vat'], available: false });
    const taken = await m.post('/manage/team/staff', { email: 'nia@casebook.test', name: 'Nia', role: 'agent', capacity: '4' });
    expect(taken.status).toBe(409);
    const htmx = await m.post('/manage/team/staff', { email: 'omar@casebook.test', name: 'Omar', role: 'advanced', capacity: '2', queues: 'advanced' }, { htmx: true });
    expect(htmx.status).toBe(201);
    expect(htmx.headers.get('HX-Retarget')).toBe('#staff-form');
    const panel = await htmx.text();
    expect(panel.startsWith('<section class="panel stack" id="staff-created"')).toBe(true);
    expect(panel).toContain('/set-password?token=');
  });

  it('lists several queue checkboxes and validates them; managers cannot grant admin', async () => {
    const form = new URLSearchParams([
      ['name', 'Alice'],
      ['role', 'agent'],
      ['capacity', '6'],
      ['skills', 'refunds'],
      ['queues', 'general'],
      ['queues', 'technical'],
      ['available', 'on'],
      ['_csrf', m.csrf],
    ]);
    await m.ready; // the request goes around the client: its session must be written first
    const res = await h.app.request(`http://localhost/manage/team/staff/${alice.id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: [...m.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      body: form.toString(),
    });
    expect(res.status).toBe(303);
    expect((await h.query((q) => q.db.select().from(q.tables.staffQueues).where(eq(q.tables.staffQueues.staffId, alice.id)))).map((r) => r.queueId).sort()).toEqual(['general', 'technical']);
    const admin = await m.post(`/manage/team/staff/${alice.id}`, { name: 'Alice', role: 'admin', capacity: '6', queues: 'general' }, { htmx: true });
    expect(admin.status).toBe(422);
    expect(admin.headers.get('HX-Retarget')).toBe('#staff-form');
    expect(await admin.text()).toContain('only admins can grant the admin role');
    const tier2 = await m.post(`/manage/team/staff/${alice.id}`, { name: 'Alice', role: 'agent', capacity: '6', queues: 'advanced' });
    expect(await tier2.text()).toContain('&quot;advanced&quot; is a tier-2 queue; only advanced agents work there');
    expect((await m.get(`/manage/team/staff/${alice.id}`)).status).toBe(200);
    expect((await m.get('/manage/team/staff/999999')).status).toBe(404);
    expect((await m.get('/manage/team/staff/abc')).status).toBe(404);
  });

  it('edits the chat limit beside capacity, validated; a form without the field leaves it as it is', async () => {
    const page = await (await m.get(`/manage/team/staff/${alice.id}`)).text();
    expect(page).toContain('Chat limit (live chats at once)');
    expect(page).toMatch(/name="chatLimit"[^>]*value="3"|value="3"[^>]*name="chatLimit"/);
    for (const wrong of ['', '-1', '2.5', '101', 'many']) {
      const res = await m.post(`/manage/team/staff/${alice.id}`, { name: 'Alice', role: 'agent', capacity: '6', chatLimit: wrong, queues: 'general' }, { htmx: true });
      expect(res.status).toBe(422);
      expect(await res.text()).toContain('a whole number from 0 to 100');
    }
    expect((await staffRow(alice.id))!.chatLimit).toBe(3);
    expect((await m.post(`/manage/team/staff/${alice.id}`, { name: 'Alice', role: 'agent', capacity: '6', chatLimit: '0', queues: 'general' })).status).toBe(303);
    expect((await staffRow(alice.id))).toMatchObject({ capacity: 6, chatLimit: 0 });
    expect((await m.post(`/manage/team/staff/${alice.id}`, { name: 'Alice', role: 'agent', capacity: '7', queues: 'general' })).status).toBe(303);
    expect((await staffRow(alice.id))).toMatchObject({ capacity: 7, chatLimit: 0 });
    expect(await (await m.get(`/manage/team/staff/${alice.id}`)).text()).toMatch(/name="chatLimit"[^>]*value="0"|value="0"[^>]*name="chatLimit"/);
  });

  it('deactivates and reactivates; a manager cannot deactivate themselves', async () => {
    const res = await m.post(`/manage/team/staff/${alice.id}/deactivate`);
    expect(res.headers.get('Location')).toBe(`/manage/team/staff/${alice.id}?done=staff-deactivated&released=0`);
    expect((await staffRow(alice.id))?.active).toBe(false);
    expect((await signedIn(h, alice).get('/inbox')).status).toBe(303); // signed out at the next request
    expect((await m.post(`/manage/team/staff/${alice.id}/reactivate`)).status).toBe(303);
    expect((await staffRow(alice.id))).toMatchObject({ active: true, available: false });
    expect(await (await m.get(`/manage/team/staff/${mia.id}`)).text()).toContain('You cannot deactivate yourself.');
    expect((await m.post(`/manage/team/staff/${mia.id}/deactivate`)).status).toBe(409);
  });
});

describe('problem library and customers', () => {
  it('edits synonyms, and diagnosis follows them', async () => {
    const text = 'my printer is wedged, a page is wedged inside';
    expect((await diagnose('Printer wedged', text)).matched).toBe(false);
    expect(await (await m.get(`/manage/team/problems/${problemId}`)).text()).toContain('name="synonyms"');
    const long = 'x'.repeat(5_001);
    expect((await m.post(`/manage/team/problems/${problemId}`, { title: 'Printer jams', symptoms: 'paper stuck', synonyms: long, solution: 'Open the flap.' })).status).toBe(422);
    const res = await m.post(`/manage/team/problems/${problemId}`, { title: 'Printer jams', symptoms: 'paper stuck', synonyms: 'page wedged\nprinter wedged', solution: 'Open the flap.' });
    expect(res.status).toBe(303);
    expect((await problemRow(problemId))?.synonyms).toBe('page wedged\nprinter wedged');
    expect(await diagnose('Printer wedged', text)).toMatchObject({ matched: true, problemId });
    expect(await (await m.get('/manage/team/problems?q=wedged')).text()).toContain('Printer jams');
  });

  it('adds, edits, searches, deactivates and reactivates problems', async () => {
    expect((await m.post('/manage/team/problems', { title: '', symptoms: '', solution: '' })).status).toBe(422);
    const res = await m.post('/manage/team/problems', { title: 'Scanner stripes', symptoms: 'stripes on scans', solution: 'Clean the glass.' });
    expect(res.status).toBe(303);
    const id = (await h.query((q) => q.db.select().from(q.tables.problems).where(eq(q.tables.problems.title, 'Scanner stripes'))))[0]!.id;
    expect(res.headers.get('Location')).toBe(`/manage/team/problems/${id}?done=problem-created`);
    expect((await m.post(`/manage/team/problems/${id}`, { title: 'Scanner stripes', symptoms: 'lines on scans', solution: 'Clean it.' })).status).toBe(303);
    expect(await (await m.get('/manage/team/problems?q=scanner')).text()).toContain('lines on scans');
    expect(await (await m.get('/manage/team/problems?q=zzz')).text()).toContain('No problem matches.');
    expect((await m.post(`/manage/team/problems/${id}/deactivate`)).headers.get('Location')).toBe(`/manage/team/problems/${id}?done=problem-deactivated`);
    expect((await problemRow(id))?.active).toBe(false);
    expect((await m.post(`/manage/team/problems/${id}/reactivate`)).status).toBe(303);
    expect((await m.get('/manage/team/problems/123456')).status).toBe(404);
  });

  it('searches customers (htmx: the results only) and marks churn with a date', async () => {
    const frag = await m.get('/manage/team/customers?q=chlo', { htmx: true });
    const text = await frag.text();
    expect(text).not.toContain('<html');
    expect(text).toContain('chloe@example.com');
    expect(frag.headers.get('Vary')).toContain('HX-Request');
    expect(await (await m.get('/manage/team/customers?churned=1')).text()).toContain('No customer matches.');

    const future = await m.post(`/manage/team/customers/${chloe.id}/churn`, { churned: 'true', at: '2030-01-01' }, { htmx: true });
    expect(future.status).toBe(422);
    expect(future.headers.get('HX-Retarget')).toBe('#churn-form');
    expect(await future.text()).toContain('cannot be in the future');
    const ok = await m.post(`/manage/team/customers/${chloe.id}/churn`, { churned: 'true', at: '2026-02-20', note: 'moved away' });
    expect(ok.headers.get('Location')).toBe(`/manage/team/customers/${chloe.id}?done=churned`);
    expect((await customerRow(chloe.id))?.churnedAt).toBe(Date.parse('2026-02-20T00:00:00Z'));
    const again = await m.post(`/manage/team/customers/${chloe.id}/churn`, { churned: 'true', at: '2026-02-21' });
    expect(again.status).toBe(409);
    const page = await (await m.get(`/manage/team/customers/${chloe.id}?done=churned`)).text();
    expect(page).toContain('Marked as churned.');
    expect(page).toContain('moved away');
    expect(page).toContain('Un-mark churned');
    // Today means now.
    expect((await m.post(`/manage/team/customers/${chloe.id}/churn`, { churned: 'false', at: '2026-03-02' })).status).toBe(303);
    expect((await h.query((q) => q.db.select().from(q.tables.customerChurnMarks).orderBy(asc(q.tables.customerChurnMarks.id)))).map((r) => [r.churned, r.at])).toEqual([
      [true, Date.parse('2026-02-20T00:00:00Z')],
      [false, h.clock.now()],
    ]);
    expect(await (await m.get('/manage/team/customers?churned=1')).text()).toContain('No customer matches.');
  });
});

describe('escaping', () => {
  it('renders hostile queue names, staff names, problem titles and customer names as text', async () => {
    await h.services.store.write(async (q) => {
      const { queues, staff, problems, customers } = q.tables;
      await q.db.update(queues).set({ name: XSS, description: XSS }).where(eq(queues.id, 'billing'));
      await q.db.update(staff).set({ name: XSS }).where(eq(staff.id, alice.id));
      await q.db.update(problems).set({ title: XSS, symptoms: XSS, solution: XSS }).where(eq(problems.id, problemId));
      await q.db.update(customers).set({ name: XSS, organization: XSS }).where(eq(customers.id, chloe.id));
    });
    const markChurn = await m.post(`/manage/team/customers/${chloe.id}/churn`, { churned: 'true', at: '2026-03-01', note: XSS });
    expect(markChurn.status).toBe(303);
    for (const path of [
      '/manage/team',
      '/manage/team/queues/billing',
      '/manage/team/staff/new',
      `/manage/team/staff/${alice.id}`,
      '/manage/team/problems',
      `/manage/team/problems/${problemId}`,
      '/manage/team/customers',
      `/manage/team/customers/${chloe.id}`,
    ]) {
      const html = await (await m.get(path)).text();
      expect(html, path).not.toContain('<script>alert');
      expect(html, path).not.toContain('<img src=x');
      expect(html, path).toContain('&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;');
    }
  });
});
