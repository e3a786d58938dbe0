/**
 * Refusals on the case page name transitions and states by their labels ("Wait on
 * customer", "Pending customer"), never by the workflow's internal names; the timeline
 * says what a notification or a rule change did in words, never as JSON.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { ADMIN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';

let h: Harness;
let alice: TestActor;
let desk: PageClient;
let id: number;

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general'] });
  h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  id = (await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: 'Where is my order?', description: 'It has not arrived yet.', channel: 'web' }, ADMIN)).id;
  desk = signedIn(h, alice);
});
afterEach(() => h.close());

describe('refusals speak in labels', () => {
  it('a stale transition button', async () => {
    await transitionCase(h.services, id, { transition: 'waitOnCustomer' }, alice);
    const res = await desk.post(`/cases/C-${id}/transitions`, { transition: 'waitOnCustomer' }, { htmx: true });
    expect(res.status).toBe(409);
    expect(res.headers.get('HX-Retarget')).toBe('#flash');
    const html = await res.text();
    expect(html).toContain('&quot;Wait on customer&quot; is not possible while the case is Pending customer.');
    expect(html).not.toContain('waitOnCustomer');
    expect(html).not.toMatch(/case is pending/);
  });

  it('a stale transition form without JavaScript: the page says why and gives back what was typed', async () => {
    await transitionCase(h.services, id, { transition: 'resolve', solution: 'Sent again.' }, alice);
    const reason = 'The customer has written four times about this order <b>and</b> the carrier lost it.';
    const res = await desk.post(`/cases/C-${id}/transitions`, { transition: 'escalate', reason });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).toContain('<div class="alert alert-error stack" id="transition-gone" role="alert"><p>Nothing was done: &quot;Escalate to advanced support&quot; is not possible while the case is Resolved.</p>');
    expect(html).toContain('What you wrote (reason)');
    expect(html).toContain('The customer has written four times about this order &lt;b&gt;and&lt;/b&gt; the carrier lost it.</textarea>');
    // The rest of the page is the case as it is now: its own actions.
    expect(html).toContain('id="transition-reopen"');
    // A button without text, and htmx (which keeps the form on screen), get the refusal as before.
    expect((await desk.post(`/cases/C-${id}/transitions`, { transition: 'waitOnCustomer' })).status).toBe(409);
    expect(await (await desk.post(`/cases/C-${id}/transitions`, { transition: 'escalate', reason }, { htmx: true })).text()).not.toContain('transition-gone');
  });

  it('reassigning a resolved case', async () => {
    await transitionCase(h.services, id, { transition: 'resolve', solution: 'Sent again.' }, alice);
    const res = await desk.post(`/cases/C-${id}/assignment`, { queue: 'billing' }, { htmx: true });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain(`C-${id} is Resolved; reopen it first.`);
  });

  it('the API says the same', async () => {
    await transitionCase(h.services, id, { transition: 'waitOnCustomer' }, alice);
    const res = await h.api('POST', `/api/v1/cases/C-${id}/transitions`, { token: h.tokenFor(alice), body: { transition: 'waitOnCustomer' } });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { detail: string }).detail).toBe('"Wait on customer" is not possible while the case is Pending customer.');
  });
});

describe('the timeline speaks in sentences', () => {
  it('a notification that could not be mailed, and a change the rules made', async () => {
    await transitionCase(h.services, id, { transition: 'waitOnCustomer' }, alice);
    await h.services.outbox.drain(); // no SMTP_URL: the case-pending mail is recorded as not sent
    // what apply-decisions records when an escalation rule raises the priority and adds a tag
    await h.services.store.write((q) => q.db.insert(q.tables.caseEvents).values({ caseId: id, type: 'case.updated', at: h.clock.now(), actorType: 'system', actorId: null, data: { changes: { priority: ['normal', 'urgent'], tags: [[], ['vip']] }, by: 'rules', event: 'sla.breached' } }));
    const html = await (await desk.get(`/cases/C-${id}`)).text();
    expect(html).toContain('Mail “Waiting on you” to the customer not sent');
    expect(html).toContain('SMTP_URL is not set (for chloe@example.com)');
    expect(html).toContain('Updated by the rules when an SLA target was missed');
    expect(html).toContain('priority normal → urgent; tags none → vip');
    const timeline = html.slice(html.indexOf('id="case-timeline"'), html.indexOf('</section>', html.indexOf('id="case-timeline"')));
    expect(timeline).toContain('Waiting on you');
    expect(timeline).not.toMatch(/\{&quot;|\{"[a-z]/i); // no JSON object in the timeline
  });

  it('states, transitions, queues, rulesets and events by the names people know, not their ids', async () => {
    await transitionCase(h.services, id, { transition: 'resolve', solution: 'Sent again.' }, alice);
    const html = await (await desk.get(`/cases/C-${id}`)).text();
    const timeline = html.slice(html.indexOf('id="case-timeline"'), html.indexOf('</section>', html.indexOf('id="case-timeline"')));
    expect(timeline).toContain('New → Open (Start) by Casebook');
    expect(timeline).toContain('Open → Resolved (Resolve) by Alice');
    expect(timeline).toContain('The case was resolved: rules and notifications were told (after “Resolve”)');
    expect(timeline).toContain('The escalation rules (version 1) ran when the case was created');
    expect(timeline).toMatch(/Routed to General \(normal\) by the routing rules, version 1/);
    expect(timeline).not.toMatch(/case\.(created|resolved)|\(resolve\)|\(start\)| on sla\./);
  });

  it('an escalation the rules made is theirs, not the person who filed the case; one made by hand names who made it', async () => {
    // Chloe files it herself: the escalation rules send an undiagnosed technical problem to advanced support at intake.
    const chloe = h.customer({ email: 'chloe.b@example.com', name: 'Chloe' });
    const byRules = await createCase(h.services, { subject: 'Login error after the update', description: 'The app shows an error when I log in.' }, chloe, { customerId: chloe.id });
    const maria = signedIn(h, h.agent({ name: 'Maria', role: 'manager' }));
    const html = await (await maria.get(`/cases/C-${byRules.id}`)).text();
    const timeline = html.slice(html.indexOf('id="case-timeline"'), html.indexOf('</section>', html.indexOf('id="case-timeline"')));
    expect(timeline).toMatch(/Escalated to Advanced \(tier 2\) by the escalation rules, version 1/);
    expect(timeline).toContain('rule: Undiagnosed technical problems go to advanced support');
    expect(timeline).not.toMatch(/Escalated to [^<]* by Chloe/);

    await transitionCase(h.services, id, { transition: 'escalate', reason: 'The carrier needs a claim.' }, alice);
    const byHand = await (await maria.get(`/cases/C-${id}`)).text();
    expect(byHand).toMatch(/Escalated to Advanced \(tier 2\) by Alice/);
  });

  it('the header and the routing panel name the queue and say what each rule did in the builder’s words', async () => {
    const billing = await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: 'Charged twice for my invoice', description: 'My card was charged twice for one invoice.', channel: 'web' }, ADMIN);
    const maria = signedIn(h, h.agent({ name: 'Maria', role: 'manager' }));
    const html = await (await maria.get(`/cases/C-${billing.id}`)).text();
    expect(html).toContain(`C-${billing.id} · Billing queue · tier 1`);
    expect(html).toContain('<dt>Queue</dt><dd id="why-queue"><span>Billing (tier 1)</span>');
    expect(html).toContain('Billing questions go to billing</strong> → route to queue Billing');
    expect(html).not.toMatch(/→ route: queue|addTags: tags/);
  });

  it('the inbox’s queue column names the queue', async () => {
    const html = await (await desk.get('/inbox?view=mine')).text();
    expect(html).toContain('<td data-label="Queue">General</td>');
  });
});
