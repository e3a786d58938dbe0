/**
 * A customer's thank-you on a resolved case ("Thanks, works now!") does not reopen it: it is
 * their message on the timeline as any other, but the workflow hears `customer.thanked`, not
 * `customer.replied` — no reopen, no next-response clock, no reopen count. Anything more than
 * thanks reopens as before; a workflow may reopen on thanks too by naming the event.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publishVersion } from '../../src/definitions/versions.js';
import type { RulesetDefinition } from '../../src/rules/definition.js';
import { dryRun } from '../../src/rules/dry-run.js';
import type { WorkflowDefinition } from '../../src/workflow/definition.js';
import { ADMIN, ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from '../support/pages.js';
import { fixture, postMail } from '../email/support.js';

type Json = Record<string, any>;

let h: Harness;
let alice: TestActor;
let chloe: TestActor;

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], skills: ['refunds'], capacity: 5 });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe Martin' });
  await h.settled();
});
afterEach(() => h.close());

async function call(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await h.api(method, url, { token, body });
  return { status: res.status, json: (await res.json()) as Json };
}

/** A case of Chloe's that Alice answered (its first response given: a next response may be owed) and resolved. */
async function resolvedCase(): Promise<string> {
  const { json } = await call('POST', '/api/v1/cases', h.tokenFor(chloe), { subject: 'Export is empty', description: 'The CSV export has no rows.' });
  expect((await call('POST', `/api/v1/cases/${json.id}/messages`, h.tokenFor(alice), { body: 'Pick a date range first, then export.' })).status).toBe(201);
  const resolved = await call('POST', `/api/v1/cases/${json.id}/transitions`, h.tokenFor(alice), { transition: 'resolve', solution: 'Pick a date range first.' });
  expect(resolved.json.status).toBe('resolved');
  return json.id as string;
}

const reply = (id: string, body: string) => call('POST', `/api/v1/cases/${id}/messages`, h.tokenFor(chloe), { body });
const staffView = async (id: string) => (await call('GET', `/api/v1/cases/${id}`, ADMIN_TOKEN)).json;
const events = async (id: string) => (await call('GET', `/api/v1/cases/${id}/events`, ADMIN_TOKEN)).json as unknown as { type: string; data: Json }[];

describe('a thank-you on a resolved case', () => {
  it.each([
    'Thanks!',
    'Thank you so much, it works now 👍',
    'Thanks a lot for the quick help.\n\nKind regards,\nChloe',
    'Great, thanks!\n-- \nChloe Martin\nHead of Finance, Acme Ltd\n+49 30 1234567',
    'Vielen Dank!',
    'merci beaucoup',
  ])('%j: the case stays resolved, the message is on the timeline, no reply is owed', async (body) => {
    const id = await resolvedCase();
    const res = await reply(id, body);
    expect(res.status).toBe(201);
    expect(res.json.case).toMatchObject({ status: 'Solved', open: false });
    const c = await staffView(id);
    expect(c).toMatchObject({ status: 'resolved', reopenCount: 0 });
    expect((c.sla as Json[]).filter((t) => t.metric === 'nextResponse')).toEqual([]);
    const entries = await events(id);
    expect(entries.filter((e) => e.type === 'customer.replied').at(-1)!.data).toMatchObject({ body, thanks: true });
    expect(entries.map((e) => e.type)).not.toContain('case.reopened');
    // The customer sees their message as any other.
    const theirs = (await call('GET', `/api/v1/cases/${id}/events`, h.tokenFor(chloe))).json as unknown as { type: string; body?: string }[];
    expect(theirs.filter((e) => e.type === 'customer.replied').at(-1)).toMatchObject({ body });
    // Staff read why the case did not move.
    const page = await (await signedIn(h, alice).get(`/cases/${id}`)).text();
    expect(page).toContain('wrote only to thank: the case stays resolved');
  });

  it('in the portal, the customer reads that the request stays solved, and how to reopen it', async () => {
    const id = await resolvedCase();
    const res = await signedIn(h, chloe).post(`/cases/${id}/messages`, { body: 'Got it, thanks!' }, { htmx: true, csrfHeader: true });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Reply sent. Thank you! Your request stays Solved. If you still need help, choose Reopen.');
    expect(await staffView(id)).toMatchObject({ status: 'resolved', reopenCount: 0 });
    // A reply that says more: the usual message, the case reopened.
    const more = await signedIn(h, chloe).post(`/cases/${id}/messages`, { body: 'Got it, but the CSV is still empty.' }, { htmx: true, csrfHeader: true });
    expect(await more.text()).toContain('<div class="alert alert-ok" role="status">Reply sent.</div>');
    expect(await staffView(id)).toMatchObject({ status: 'open', reopenCount: 1 });
  });

  it.each([
    'Thanks, but it still fails.',
    'Thanks! One more thing: the PDF export is empty too.',
    'thanks?',
    'Thanks — can you also send me the invoice',
    'No thanks, it is not fixed',
    'Thank you. Please reopen this',
  ])('%j reopens it as any reply', async (body) => {
    const id = await resolvedCase();
    expect((await reply(id, body)).json.case).toMatchObject({ status: 'In progress', open: true });
    expect(await staffView(id)).toMatchObject({ status: 'open', reopenCount: 1 });
    expect((await events(id)).filter((e) => e.type === 'customer.replied').at(-1)!.data.thanks).toBeUndefined();
  });

  it('is owed no answer when a re-apply rebuilds the clocks from the timeline', async () => {
    const id = await resolvedCase();
    await reply(id, 'Thanks a lot!');
    h.clock.advanceMinutes(60);
    // The case reopened by staff, then a new SLA configuration re-applied: its clocks are rebuilt from its timeline.
    await call('POST', `/api/v1/cases/${id}/transitions`, h.tokenFor(alice), { transition: 'reopen' });
    const manager = h.tokenFor(h.agent({ name: 'Maria', role: 'manager' }));
    const { config } = (await call('GET', '/api/v1/sla-config', manager)).json;
    config.policies.standard.targets.normal.resolution = '48h';
    expect((await call('PUT', '/api/v1/sla-config', manager, { config, note: 'longer' })).status).toBe(200);
    expect((await call('POST', '/api/v1/sla/reapply', manager, {})).status).toBe(200);
    const after = await staffView(id);
    expect((after.sla as Json[]).find((t) => t.metric === 'resolution')).toMatchObject({ targetMinutes: 48 * 60 });
    expect((after.sla as Json[]).filter((t) => t.metric === 'nextResponse')).toEqual([]);
  });

  it('on a case still being worked is a reply like any other (its next-response clock runs)', async () => {
    const { json } = await call('POST', '/api/v1/cases', h.tokenFor(chloe), { subject: 'Export is empty', description: 'No rows.' });
    await call('POST', `/api/v1/cases/${json.id}/messages`, h.tokenFor(alice), { body: 'Which date range did you pick?' });
    await reply(json.id, 'Thanks!');
    const c = await staffView(json.id);
    expect(c.status).toBe('open');
    expect((c.sla as Json[]).find((t) => t.metric === 'nextResponse')).toMatchObject({ state: 'running' });
    expect((await events(json.id)).filter((e) => e.type === 'customer.replied').at(-1)!.data.thanks).toBeUndefined();
  });

  it('by email, with the quoted history below it, keeps the case resolved', async () => {
    const id = await resolvedCase();
    const raw = fixture('reply-gmail.eml')
      .toString('latin1')
      .replaceAll('Here is the second charge: it was on 1 March.', 'Thanks, that did it!')
      .replace('Subject: Re: Invoice 2026-03 charged twice', `Subject: Re: Export is empty [${id}]`)
      .replace(/^(In-Reply-To|References): .*\r?\n/gm, '');
    expect((await postMail(h, raw)).body).toMatchObject({ result: 'appended', case: id });
    expect(await staffView(id)).toMatchObject({ status: 'resolved', reopenCount: 0 });
    expect((await events(id)).filter((e) => e.type === 'customer.replied').at(-1)!.data).toMatchObject({ body: 'Thanks, that did it!', thanks: true });
  });

  it('reopens it where the workflow names `customer.thanked` on its reopen, and runs the rulesets it triggers', async () => {
    const v1 = h.services.definitions.workflow('support').definition;
    const v2 = structuredClone(v1) as WorkflowDefinition;
    v2.transitions.reopen!.on = ['customer.replied', 'customer.thanked'];
    v2.triggers = { ...v2.triggers, 'customer.thanked': ['escalation'] };
    await publishVersion(h.services, 'workflow', 'support', v2, ADMIN, 'Thanks reopen too');
    const id = await resolvedCase();
    expect((await reply(id, 'Thanks!')).json.case).toMatchObject({ status: 'In progress' });
    await h.settled();
    const entries = await events(id);
    expect(await staffView(id)).toMatchObject({ status: 'open', reopenCount: 1 });
    expect(entries.find((e) => e.type === 'case.transitioned' && e.data.transition === 'reopen')!.data).toMatchObject({ on: 'customer.thanked' });
    expect(entries.filter((e) => e.type === 'rules.evaluated').map((e) => e.data.event)).toContain('customer.thanked');

    // The dry-run replays the thank-you as the event the rules ran on: a draft escalating on
    // `customer.thanked` would have moved the case to tier 2 then.
    const draft = structuredClone(h.services.definitions.ruleset('escalation').definition) as RulesetDefinition;
    draft.rules.push({ name: 'Thanked', conditions: { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'customer.thanked' }] }, event: { type: 'escalate', params: { tier: 2, reason: 'thanked' } } });
    const result = await dryRun(h.services, { ruleset: 'escalation', draft, selection: { kind: 'last', count: 10 } });
    expect(result.changes.find((c) => c.caseId === id)!.moments).toEqual([expect.objectContaining({ event: 'customer.thanked', fields: expect.arrayContaining(['tier']) })]);
  });
});
