import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { addMessage } from '../../src/cases/add-message.js';
import { loadCase, timeline } from '../../src/cases/case-read.js';
import { createCase } from '../../src/cases/create-case.js';
import { reassignCase } from '../../src/cases/reassign-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { ADMIN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';

let h: Harness;
let alice: TestActor;
let bob: TestActor;
let dana: TestActor;
let chloe: TestActor;
let desk: PageClient;
const MIN = 60_000;

beforeEach(() => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing'], skills: ['refunds'] });
  bob = h.agent({ name: 'Bob', queues: ['technical'] });
  dana = h.agent({ name: 'Dana', role: 'advanced', queues: ['advanced'], skills: ['refunds'] });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  desk = signedIn(h, alice);
});
afterEach(() => h.close());

async function refundCase(subject = 'Refund please') {
  return createCase(h.services, { customer: { email: 'chloe@example.com' }, subject, description: 'I was charged twice, please refund the duplicate charge.', channel: 'web' }, ADMIN);
}

async function setTimer(caseId: number, metric: string, values: Record<string, number | string | null>) {
  const sets = Object.keys(values).map((k) => `${k} = ?`).join(', ');
  await h.run(`UPDATE sla_timers SET ${sets} WHERE case_id = ? AND metric = ?`, ...Object.values(values), caseId, metric);
}

describe('inbox', () => {
  it('lists my cases with SLA time left, and counts in the sidebar', async () => {
    const c = await refundCase();
    const res = await desk.get('/inbox');
    expect(res.status).toBe(200);
    expect(res.headers.get('Vary')).toContain('HX-Request');
    const html = await res.text();
    expect(html).toContain(`href="/cases/C-${c.id}"`);
    expect(html).toContain('Refund please');
    expect(html).toMatch(/class="sla sla-ok"/);
    expect(html).toMatch(/<span>Mine<\/span><span class="count">1<span class="visually-hidden"> case<\/span>/);
    expect(html).toContain('aria-current="page"');
    expect(html).not.toContain('All open');
  });

  it('colours the SLA: ok, warning, breached; paused timers show why', async () => {
    const ok = await refundCase('ok one');
    const warn = await refundCase('warn one');
    const late = await refundCase('late one');
    const paused = await refundCase('paused one');
    const now = h.clock.now();
    for (const id of [ok.id, warn.id, late.id, paused.id]) await setTimer(id, 'resolution', { state: 'fulfilled', fulfilled_at: now });
    await setTimer(ok.id, 'firstResponse', { due_at: now + 120 * MIN, warn_at: now + 60 * MIN });
    await setTimer(warn.id, 'firstResponse', { due_at: now + 20 * MIN, warn_at: now - MIN });
    await setTimer(late.id, 'firstResponse', { due_at: now - 5 * MIN, warn_at: now - 30 * MIN });
    await setTimer(paused.id, 'firstResponse', { state: 'paused', due_at: null, warn_at: null, pause_reason: 'Pending customer' });
    const html = await (await desk.get('/inbox?view=mine')).text();
    const row = (subject: string) => html.slice(html.indexOf(subject), html.indexOf('</tr>', html.indexOf(subject)));
    expect(row('ok one')).toMatch(/sla-ok.*2h 00m left/);
    expect(row('warn one')).toMatch(/sla-warning.*At risk.*20m left/);
    expect(row('late one')).toMatch(/sla-breached.*Breached.*overdue 5m/);
    expect(row('paused one')).toMatch(/sla-paused.*Paused.*\(Pending customer\)/);
  });

  it('answers htmx with the list fragment and the counts out-of-band; 204 while nothing changed', async () => {
    await refundCase();
    const res = await desk.get('/inbox?view=mine&priority=', { htmx: true });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/^<section id="inbox-results"/);
    expect(html).toContain('id="inbox-counts"');
    expect(html).toContain('hx-swap-oob="true"');
    const stamp = /&amp;stamp=([a-f0-9]+)"/.exec(html)![1];
    const same = await desk.get(`/inbox?view=mine&stamp=${stamp}`, { htmx: true });
    expect(same.status).toBe(204);
    await refundCase('Another refund');
    const changed = await desk.get(`/inbox?view=mine&stamp=${stamp}`, { htmx: true });
    expect(changed.status).toBe(200);
    expect(await changed.text()).toContain('Another refund');
  });

  it('filters, pages with a cursor, and refuses the managers’ view to agents', async () => {
    for (let i = 0; i < 3; i++) await refundCase(`Refund ${i}`);
    const first = await (await desk.get('/inbox?view=mine&limit=2')).text();
    const next = /href="\/inbox\?view=mine&amp;limit=2&amp;cursor=([A-Za-z0-9_-]+)"/.exec(first)![1]!;
    const second = await (await desk.get(`/inbox?view=mine&limit=2&cursor=${next}`)).text();
    expect(second).toContain('First page');
    expect((await desk.get('/inbox?view=all')).status).toBe(403);
    expect((await desk.get('/inbox?view=nonsense')).status).toBe(422);
    const manager = signedIn(h, h.agent({ name: 'Maria', role: 'manager' }));
    const all = await (await manager.get('/inbox')).text();
    expect(all).toContain('All open');
    expect(all).toContain('Refund 2');
    expect(await (await manager.get('/inbox?view=all&queue=technical')).text()).toContain('No open cases here');
  });

  it('the availability switch: away stops assignment, available takes the oldest waiting case', async () => {
    const away = await desk.post('/availability', { available: 'false' }, { htmx: true });
    expect(away.status).toBe(200);
    expect(away.headers.get('HX-Trigger')).toBe('case-updated');
    expect(await away.text()).toContain('Set me available');
    expect((await h.query((q) => q.db.select().from(q.tables.staff).where(eq(q.tables.staff.id, alice.id))))[0]?.available).toBe(false);
    const waiting = await refundCase();
    expect(waiting.assigneeId).toBeNull();
    const back = await desk.post('/availability', { available: 'true' });
    expect(back.status).toBe(303);
    expect((await loadCase(h.services, waiting.id)).assigneeId).toBe(alice.id);
    const counts = await (await desk.get('/inbox/counts?current=inbox:mine', { htmx: true })).text();
    expect(counts).toMatch(/^<ul class="nav-list" id="inbox-counts"/);
  });
});

describe('case page (workspace)', () => {
  it('shows the customer and their other cases, the timeline, why it is here, SLA and suggested solutions', async () => {
    const now = h.clock.now();
    await h.services.store.write((q) =>
      q.db.insert(q.tables.problems).values({ title: 'Charged twice for one invoice', symptoms: 'charged twice duplicate charge refund', solution: 'Refund the duplicate.', createdAt: now, updatedAt: now }),
    );
    const other = await refundCase('Older refund');
    const hidden = await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: 'API is down', description: 'error 500 everywhere' }, ADMIN);
    const c = await refundCase();
    await addMessage(h.services, c.id, { body: 'Checking with finance', public: false }, alice);
    const html = await (await desk.get(`/cases/C-${c.id}`)).text();
    expect(html).toContain('Chloe');
    expect(html).toContain(`C-${other.id}: <bdi>Older refund</bdi>`);
    expect(html).not.toContain('API is down');
    expect(['general', 'billing']).not.toContain(hidden.queueId);
    expect(html).toContain('Internal note by Alice');
    expect(html).toContain('Checking with finance');
    expect(html).toContain('Why is this case here?');
    expect(html).toContain('routing ruleset, version 1');
    expect(html).toContain('Billing questions go to billing');
    expect(html).toContain('Refunds need the refunds skill');
    expect(html).toMatch(/standard \(SLA config version 1\)/);
    expect(html).toContain('First response: ');
    expect(html).toContain('Suggested solutions');
    expect(html).toContain('Refund the duplicate.');
  });

  it('offers exactly the transitions the workflow allows this role now', async () => {
    const c = await refundCase();
    const html = await (await desk.get(`/cases/C-${c.id}`)).text();
    const offered = [...html.matchAll(/name="transition" value="([a-zA-Z]+)"/g)].map((m) => m[1]);
    expect(offered.sort()).toEqual(['escalate', 'resolve', 'waitOnCustomer']);
    expect(html).toContain('id="transition-resolve-solution"');
    expect(html).toContain('id="transition-escalate-reason"');
    await transitionCase(h.services, c.id, { transition: 'escalate', reason: 'Needs tier 2' }, alice);
    const tier2 = await (await signedIn(h, dana).get(`/cases/C-${c.id}`)).text();
    const danaOffered = [...tier2.matchAll(/name="transition" value="([a-zA-Z]+)"/g)].map((m) => m[1]);
    expect(danaOffered.sort()).toEqual(['resolve', 'waitOnCustomer']);
  });

  it('resolve asks for the solution (422 form), then resolves', async () => {
    const c = await refundCase();
    const missing = await desk.post(`/cases/C-${c.id}/transitions`, { transition: 'resolve', solution: ' ' }, { htmx: true });
    expect(missing.status).toBe(422);
    expect(missing.headers.get('HX-Retarget')).toBe('#transition-resolve');
    const form = await missing.text();
    expect(form).toMatch(/^<form id="transition-resolve"/);
    expect(form).toContain('class="field-error"');
    const plain = await desk.post(`/cases/C-${c.id}/transitions`, { transition: 'resolve' });
    expect(plain.status).toBe(422);
    expect(await plain.text()).toMatch(/<details class="disclosure" open="">/);
    const ok = await desk.post(`/cases/C-${c.id}/transitions`, { transition: 'resolve', solution: 'Refunded the duplicate.' }, { htmx: true });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('Done: the case is now Resolved.');
    expect(await loadCase(h.services, c.id)).toMatchObject({ status: 'resolved', solution: 'Refunded the duplicate.' });
  });

  it('refuses a transition the case no longer allows (409 into #flash with the request id)', async () => {
    const c = await refundCase();
    const res = await desk.post(`/cases/C-${c.id}/transitions`, { transition: 'reopen' }, { htmx: true });
    expect(res.status).toBe(409);
    expect(res.headers.get('HX-Retarget')).toBe('#flash');
    const html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain(res.headers.get('X-Request-Id')!);
  });

  it('replies publicly, adds internal notes, escalates with a reason, reassigns', async () => {
    const c = await refundCase();
    expect((await desk.post(`/cases/C-${c.id}/messages`, { body: 'Hello Chloe', visibility: 'public' })).status).toBe(303);
    expect((await desk.post(`/cases/C-${c.id}/messages`, { body: 'Note to self', visibility: 'internal' }, { htmx: true })).status).toBe(200);
    expect((await timeline(h.services, c.id)).filter((e) => e.type === 'staff.replied' || e.type === 'staff.noted').map((e) => [e.type, e.data.body])).toEqual([
      ['staff.replied', 'Hello Chloe'],
      ['staff.noted', 'Note to self'],
    ]);
    const badQueue = await desk.post(`/cases/C-${c.id}/assignment`, { queue: 'nope' }, { htmx: true });
    expect(badQueue.status).toBe(422);
    expect(badQueue.headers.get('HX-Retarget')).toBe('#reassign-form');
    expect(await badQueue.text()).toContain('No active queue');
    const nothing = await desk.post(`/cases/C-${c.id}/assignment`, { queue: '', assignee: '' }, { htmx: true });
    expect(nothing.status).toBe(422);
    const moved = await desk.post(`/cases/C-${c.id}/assignment`, { queue: 'general', assignee: '', reason: 'Not billing' });
    expect(moved.status).toBe(303);
    expect((await loadCase(h.services, c.id)).queueId).toBe('general');
    const escalated = await desk.post(`/cases/C-${c.id}/transitions`, { transition: 'escalate', reason: 'Needs a specialist' });
    expect(escalated.status).toBe(303);
    expect(await loadCase(h.services, c.id)).toMatchObject({ tier: 2, queueId: 'advanced', assigneeId: dana.id });
    expect((await timeline(h.services, c.id)).find((e) => e.type === 'case.escalated')?.data.reason).toBe('Needs a specialist');
  });

  it('live updates: 204 while unchanged, the changed parts out-of-band; action forms only when they change', async () => {
    const c = await refundCase();
    const page = await (await desk.get(`/cases/C-${c.id}`)).text();
    const stamp = /live\?stamp=([a-f0-9-]+)/.exec(page)![1];
    expect((await desk.get(`/cases/C-${c.id}/live?stamp=${stamp}`, { htmx: true })).status).toBe(204);
    await addMessage(h.services, c.id, { body: 'Any news?', public: true }, chloe);
    const live = await desk.get(`/cases/C-${c.id}/live?stamp=${stamp}`, { htmx: true });
    expect(live.status).toBe(200);
    const html = await live.text();
    expect(html).toContain('Any news?');
    const oob = (id: string) => new RegExp(`id="${id}"[^>]*hx-swap-oob="true"|hx-swap-oob="true"[^>]*id="${id}"`);
    for (const id of ['case-poll', 'case-header', 'case-timeline', 'case-why']) expect(html).toMatch(oob(id));
    expect(html).not.toContain('id="case-actions"');
    await transitionCase(h.services, c.id, { transition: 'waitOnCustomer' }, alice);
    const changed = await (await desk.get(`/cases/C-${c.id}/live?stamp=${stamp}`, { htmx: true })).text();
    expect(changed).toMatch(oob('case-actions'));
    expect(changed).toContain('value="resume"');
    const fragment = await desk.get(`/cases/C-${c.id}`, { htmx: true });
    expect(await fragment.text()).toMatch(/^<div id="case-page"/);
  });

  it('refreshes SLA colours without a database change (the stamp covers the clock)', async () => {
    const c = await refundCase();
    const page = await (await desk.get(`/cases/C-${c.id}`)).text();
    const stamp = /live\?stamp=([a-f0-9-]+)/.exec(page)![1];
    h.clock.advanceMinutes(3);
    expect((await desk.get(`/cases/C-${c.id}/live?stamp=${stamp}`, { htmx: true })).status).toBe(200);
  });
});

/** The "Why is this case here?" panel of a case page, as its text reads (tags dropped, entities decoded, spaces collapsed). */
function whyPanel(html: string): string {
  const start = html.indexOf('id="case-why"');
  const section = html.slice(start, html.indexOf('</section>', start));
  return section
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .replace(/ ([:.,])/g, '$1');
}

describe('"Why is this case here?"', () => {
  it('tells a manual transfer — who, when, why — and which routing rule decided the queue and which it overruled', async () => {
    const c = await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: 'Invoice error', description: 'The invoice page shows an error.' }, ADMIN);
    expect(c.queueId).toBe('billing');
    h.clock.advanceMinutes(20);
    await reassignCase(h.services, c.id, { queue: 'technical', reason: 'It is a bug in the invoice page' }, alice);
    const html = await (await signedIn(h, bob).get(`/cases/C-${c.id}`)).text();
    const why = whyPanel(html);
    expect(why).toMatch(/Queue Technical \(tier 1\) Moved here from Billing by Alice, .+?: “It is a bug in the invoice page” Priority/);
    expect(why).toContain('The routing rules (version 1), when the case was created: Billing questions go to billing → route to queue Billing — decided the queue');
    expect(why).toContain('Technical problems go to technical → route to queue Technical — overruled by “Billing questions go to billing” (it has a higher priority), which set the queue');
    expect(html).toMatch(/<li class="why-overruled"><strong>Technical problems go to technical<\/strong>/);
    expect(why).toMatch(/Transfers From Billing to Technical by Alice: It is a bug in the invoice page · \S/);
    expect(why).toContain('Priority normal As requested when the case was created: no rule set it.');
    expect(why).toContain('SLA policy standard (SLA config version 1) The default policy: no rule set one.');
    expect(why).toContain('Escalations None');
  });

  it('names the rule of an escalation with its ruleset and version, marks the rule it overruled, and lists escalation rules that fired without escalating', async () => {
    const c = await createCase(h.services, { customer: { email: 'eve@acme.example', name: 'Eve', tier: 'enterprise' }, subject: 'Outage: the API is down', description: 'error 500 everywhere', priority: 'urgent' }, ADMIN);
    expect(c).toMatchObject({ queueId: 'advanced', priority: 'urgent', slaPolicy: 'premium' });
    expect((await timeline(h.services, c.id)).find((e) => e.type === 'case.escalated')?.data).toMatchObject({ rule: 'Urgent enterprise cases go straight to advanced support', ruleset: 'escalation', version: 1 });
    // Premium: a first response within 30 minutes; missed, the escalation rules run again (and only tell the assignee).
    h.clock.advanceMinutes(45);
    await runSlaSweep(h.services);
    await h.services.outbox.idle();
    const why = whyPanel(await (await signedIn(h, dana).get(`/cases/C-${c.id}`)).text());
    const urgent = '“Urgent enterprise cases go straight to advanced support” (escalation rules, version 1)';
    expect(why).toContain(`Queue Advanced (tier 2) Escalated here from Technical by the rule ${urgent} when the case was created: Urgent request from an enterprise customer.`);
    expect(why).toContain('Priority urgent Set by the rule “Outages are urgent” (routing rules, version 1) when the case was created.');
    expect(why).toContain('SLA policy premium (SLA config version 1) Set by the rule “Enterprise customers get premium SLAs” (routing rules, version 1) when the case was created.');
    expect(why).toContain('Technical problems go to technical → route to queue Technical — decided the queue');
    expect(why).toContain(
      'The escalation rules (version 1), when the case was created: Urgent enterprise cases go straight to advanced support → escalate to tier 2; queue Advanced; reason Urgent request from an enterprise customer — escalated the case',
    );
    expect(why).toContain('Undiagnosed technical problems go to advanced support → escalate to tier 2; queue Advanced; reason Technical problem that matches no known problem — overruled by “Urgent enterprise cases go straight to advanced support” (it has a higher priority), which escalated instead');
    expect(why).toMatch(/The escalation rules \(version 1\), when an SLA target was missed \d.+?: Tell the assignee about a breach → notify assignee; mail SLA breached(?! —)/);
    expect(why).toMatch(/Escalations To Advanced \(tier 2\): Urgent request from an enterprise customer \(rule “Urgent enterprise cases go straight to advanced support”, escalation rules, version 1\) · \S/);
  });
});
