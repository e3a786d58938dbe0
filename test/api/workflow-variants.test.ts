/**
 * Workflows other than the shipped one, at run time: a reminder that re-enters the waiting
 * state and "@previous", catch-all transitions ("from": "*") and final states.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../src/workflow/definition.js';
import { ADMIN_TOKEN, createHarness, loadRepoDefinitions, standardQueues, type Harness } from '../support/harness.js';

type Json = Record<string, any>;

let h: Harness;
afterEach(() => h.close());

/**
 * A desk on the support workflow as `change` leaves it — stored as given, unvalidated, as a
 * version published before a check existed would be.
 */
async function deskWith(change: (w: WorkflowDefinition) => void) {
  const files = loadRepoDefinitions();
  const support = structuredClone(files.workflows.get('support')!);
  change(support.body);
  files.workflows.set('support', support);
  h = createHarness({ files });
  standardQueues(h);
  const alice = h.agent({ name: 'Alice', queues: ['general', 'billing'], capacity: 5 });
  const dana = h.agent({ name: 'Dana', role: 'advanced', queues: ['advanced'], capacity: 5 });
  const maria = h.agent({ name: 'Maria', role: 'manager', queues: ['general'], capacity: 5 });
  const chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  const tokens = { alice: h.tokenFor(alice), dana: h.tokenFor(dana), maria: h.tokenFor(maria), chloe: h.tokenFor(chloe) };
  await h.settled();
  const call = async (method: string, url: string, token: string, body?: unknown) => {
    const res = await h.api(method, url, { token, body });
    return { status: res.status, json: (await res.json()) as Json };
  };
  const id = (await call('POST', '/api/v1/cases', tokens.chloe, { subject: 'Cannot find the export', description: 'Where is the CSV export?' })).json.id as string;
  return {
    id,
    tokens,
    alice,
    maria,
    call,
    get: async () => (await call('GET', `/api/v1/cases/${id}`, ADMIN_TOKEN)).json,
    transition: (token: string, body: Json) => call('POST', `/api/v1/cases/${id}/transitions`, token, body),
    message: (token: string, body: Json) => call('POST', `/api/v1/cases/${id}/messages`, token, body),
    events: async () => (await call('GET', `/api/v1/cases/${id}/events`, ADMIN_TOKEN)).json as unknown as { type: string; data: Json }[],
  };
}

const steps = (events: { type: string; data: Json }[]) => events.filter((e) => e.type === 'case.transitioned').map((e) => `${e.data.transition}: ${e.data.from} → ${e.data.to}`);

describe('"@previous" after the waiting state re-entered itself', () => {
  const withReminder = (w: WorkflowDefinition) => {
    w.states.pending!.timers = [{ after: '48h', transition: 'remind' }];
    w.transitions.remind = { label: 'Remind the customer', from: ['pending'], to: 'pending', actions: [{ action: 'notify', to: 'customer', template: 'case-pending' }] };
  };

  it('returns the customer’s reply to the state before waiting, and the resolution clock runs again', async () => {
    const desk = await deskWith(withReminder);
    await desk.transition(desk.tokens.alice, { transition: 'escalate', reason: 'Needs the export service team' });
    await desk.transition(desk.tokens.dana, { transition: 'waitOnCustomer' });
    h.clock.advanceMinutes(48 * 60 + 1);
    await h.services.outbox.drain();
    expect(await desk.get()).toMatchObject({ status: 'pending' });
    // After the reminder, "Resume work" still leads back to where the case was worked on.
    expect((await desk.get()).transitions.find((t: Json) => t.name === 'resume')).toMatchObject({ to: 'escalated' });

    expect((await desk.message(desk.tokens.chloe, { body: 'Here is the file.' })).status).toBe(201);
    const view = await desk.get();
    expect(view).toMatchObject({ status: 'escalated', open: true });
    expect(view.sla.find((s: Json) => s.metric === 'resolution')).toMatchObject({ state: 'running' });
    expect(steps(await desk.events()).slice(-4)).toEqual([
      'escalate: open → escalated',
      'waitOnCustomer: escalated → pending',
      'remind: pending → pending',
      'customerReplied: pending → escalated',
    ]);
  });

  it('keeps the state before waiting over several reminders and a manual re-entry', async () => {
    const desk = await deskWith((w) => {
      withReminder(w);
      w.transitions.remindNow = { label: 'Remind now', from: ['pending'], to: 'pending', roles: ['agent'] };
    });
    await desk.transition(desk.tokens.alice, { transition: 'waitOnCustomer' });
    h.clock.advanceMinutes(48 * 60 + 1);
    await h.services.outbox.drain();
    expect((await desk.transition(desk.tokens.alice, { transition: 'remindNow' })).status).toBe(200);
    h.clock.advanceMinutes(48 * 60 + 1);
    await h.services.outbox.drain();
    expect(steps(await desk.events()).filter((s) => s.startsWith('remind'))).toEqual(['remind: pending → pending', 'remindNow: pending → pending', 'remind: pending → pending']);
    expect((await desk.transition(desk.tokens.alice, { transition: 'resume' })).json).toMatchObject({ status: 'open' });
  });
});

describe('"from": "*" and final states', () => {
  const withCatchAll = (w: WorkflowDefinition) => {
    w.transitions.cancel = { label: 'Cancel', from: '*', to: 'closed', roles: ['manager'], requires: ['reason'] };
    w.transitions.takeBack = { label: 'Take back to work', from: '*', to: 'open', roles: ['manager'], requires: ['reason'] };
  };

  it('a closed (final) case offers no catch-all transition and refuses them (409); an open one has them', async () => {
    const desk = await deskWith(withCatchAll);
    expect((await desk.call('GET', `/api/v1/cases/${desk.id}`, desk.tokens.maria)).json.transitions.map((t: Json) => t.name)).toContain('cancel');
    await desk.transition(desk.tokens.alice, { transition: 'resolve', solution: 'Settings → Export.' });
    await desk.transition(desk.tokens.alice, { transition: 'close' });

    const closed = await desk.call('GET', `/api/v1/cases/${desk.id}`, desk.tokens.maria);
    expect(closed.json).toMatchObject({ status: 'closed', open: false, transitions: [] });
    for (const name of ['takeBack', 'cancel']) {
      const refused = await desk.transition(desk.tokens.maria, { transition: name, reason: 'oops' });
      expect(refused).toMatchObject({ status: 409, json: { code: 'INVALID_TRANSITION' } });
    }
    expect(await desk.get()).toMatchObject({ status: 'closed', open: false });
    expect(steps(await desk.events()).at(-1)).toBe('close: resolved → closed');
  });

  it('cancelling from anywhere closes the case for good', async () => {
    const desk = await deskWith(withCatchAll);
    expect((await desk.transition(desk.tokens.maria, { transition: 'cancel', reason: 'spam' })).json).toMatchObject({ status: 'closed', open: false, transitions: [] });
    expect((await desk.transition(desk.tokens.maria, { transition: 'takeBack', reason: 'oops' })).status).toBe(409);
  });
});
