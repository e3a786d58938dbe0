/**
 * Workflows other than the shipped one, at run time: a reminder that re-enters the waiting
 * state and "@previous", catch-all transitions ("from": "*") and final states, and automatic
 * transitions that set each other off for ever.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { builtinActions } from '../../src/compose.js';
import type { TransitionDefinition, WorkflowDefinition } from '../../src/workflow/definition.js';
import { validateWorkflow } from '../../src/workflow/validate.js';
import { ADMIN_TOKEN, createHarness, loadRepoDefinitions, standardQueues, type Harness } from '../support/harness.js';
import { signedIn } from '../support/pages.js';
import { DEMO_PROBLEMS } from '../../src/seed/seed-demo.js';

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

/** Lets time pass: the commands' background work first (on PostgreSQL it would otherwise claim what falls due), then what is due. */
async function later(minutes: number): Promise<void> {
  await h.services.outbox.idle();
  h.clock.advanceMinutes(minutes);
  await h.services.outbox.drain();
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
    await later(48 * 60 + 1);
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
    await later(48 * 60 + 1);
    await later(60);
    expect((await desk.transition(desk.tokens.alice, { transition: 'remindNow' })).status).toBe(200);
    // The first reminder's timer is stale now (the state was entered again since): only the newest fires.
    await later(48 * 60);
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

describe('automatic transitions that set each other off', () => {
  // A version stored before validation refused it: the reply moves the case to open emitting desk.loop, which fires "ping" in open, which emits desk.loop…
  const looping = (w: WorkflowDefinition) => {
    w.transitions.customerReplied!.emits = 'desk.loop';
    w.transitions.ping = { label: 'Ping', from: ['open'], to: 'open', on: ['desk.loop'], emits: 'desk.loop' } satisfies TransitionDefinition;
  };

  it('stops the cycle at run time: the customer’s message is kept and answered (201), the timeline says why', async () => {
    const desk = await deskWith(looping);
    await desk.transition(desk.tokens.alice, { transition: 'waitOnCustomer' });
    const reply = await desk.message(desk.tokens.chloe, { body: 'Here are the details.' });
    expect(reply.status).toBe(201);
    expect(reply.json.case).toMatchObject({ status: 'In progress', open: true });

    const events = await desk.events();
    expect(events.filter((e) => e.type === 'customer.replied').map((e) => e.data.body)).toEqual(['Here are the details.']);
    // One round of the cycle, then the stop: "ping" would have fired again.
    expect(steps(events).slice(-2)).toEqual(['customerReplied: pending → open', 'ping: open → open']);
    const stopped = events.filter((e) => e.type === 'workflow.cycleStopped');
    expect(stopped).toMatchObject([{ data: { transition: 'ping', state: 'open', on: 'desk.loop' }, actor: { type: 'system' } }]);
    // The chain's own entries (the round's SLA and assignment entries may come between them).
    const chain = events.slice(0, events.indexOf(stopped[0]!) + 1).map((e) => e.type).filter((t) => ['desk.loop', 'case.transitioned', 'workflow.cycleStopped'].includes(t));
    expect(chain.slice(-4)).toEqual([
      'desk.loop',
      'case.transitioned',
      'desk.loop',
      'workflow.cycleStopped',
    ]);
    expect(await desk.get()).toMatchObject({ status: 'open', assignee: { name: 'Alice' } });

    // Staff read it in words; customers never see it.
    const html = await (await signedIn(h, desk.alice).get(`/cases/${desk.id}`)).text();
    expect(html).toContain('The workflow stopped a cycle of automatic transitions: “Ping” would have fired again in Open when “desk loop” happened.');
    const customerView = (await desk.call('GET', `/api/v1/cases/${desk.id}/events`, desk.tokens.chloe)).json as unknown as { type: string }[];
    expect(customerView.map((e) => e.type)).not.toContain('workflow.cycleStopped');

    // The case still works: the next reply is answered as well, and the staff move it on by hand.
    await desk.transition(desk.tokens.alice, { transition: 'waitOnCustomer' });
    expect((await desk.message(desk.tokens.chloe, { body: 'And one more thing.' })).status).toBe(201);
    expect((await desk.transition(desk.tokens.alice, { transition: 'resolve', solution: 'Settings → Export.' })).json).toMatchObject({ status: 'resolved' });
  });

  // Validation refuses the workflow above ($.transitions.ping.emits: src/workflow/validate.test.ts); this one it cannot see through.
  it('stops a cycle the validator cannot see (events raised by actions): the reassignment is answered, the case stays open', async () => {
    // Assigning in open fires "recheck", which unassigns; entering open assigns again, and so on.
    const recheck = (w: WorkflowDefinition) => {
      w.transitions.recheck = { label: 'Recheck', from: ['open'], to: 'open', on: ['case.assigned'], actions: [{ action: 'unassign', reason: 'recheck' }] };
    };
    const body = structuredClone(loadRepoDefinitions().workflows.get('support')!.body);
    recheck(body);
    expect(validateWorkflow(body, { actions: builtinActions(), rulesets: null, queues: null })).toMatchObject({ ok: true });

    const desk = await deskWith(recheck);
    const moved = await desk.call('POST', `/api/v1/cases/${desk.id}/assignment`, desk.tokens.maria, { assignee: desk.maria.id });
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({ status: 'open', open: true });
    const events = await desk.events();
    expect(steps(events).filter((s) => s.startsWith('recheck'))).toEqual(['recheck: open → open']);
    expect(events.filter((e) => e.type === 'workflow.cycleStopped').map((e) => e.data)).toEqual([{ transition: 'recheck', state: 'open', on: 'case.assigned' }]);
  });
});

describe('a two-tier desk whose way back from advanced support is a transition', () => {
  // "escalate" never moves a case down; "transfer" takes it to the tier-1 queue, and reassigns it there.
  const withWayBack = (w: WorkflowDefinition) => {
    w.transitions.backToTier1 = { label: 'Back to tier 1', from: ['escalated'], to: 'open', roles: ['advanced', 'manager'], requires: ['note'], actions: [{ action: 'transfer', queue: 'general' }] };
  };

  it('moves the case to the tier-1 queue and its agent, in the state the transition leads to; back up again by escalating', async () => {
    const desk = await deskWith(withWayBack);
    await desk.transition(desk.tokens.alice, { transition: 'escalate', reason: 'Needs the export service team' });
    expect(await desk.get()).toMatchObject({ status: 'escalated', queue: 'advanced', tier: 2, assignee: { name: 'Dana' } });

    const back = await desk.transition(desk.tokens.dana, { transition: 'backToTier1', note: 'A settings question, not a fault.' });
    expect(back.status).toBe(200);
    const view = await desk.get();
    expect(view).toMatchObject({ status: 'open', queue: 'general', tier: 1 });
    expect(['Alice', 'Maria'], 'an agent of the tier-1 queue').toContain(view.assignee?.name);
    const events = await desk.events();
    expect(events.filter((e) => e.type === 'case.transferred').map((e) => e.data)).toEqual([{ fromQueue: 'advanced', queue: 'general', tier: 1, reason: 'workflow' }]);
    expect(steps(events).slice(-1)).toEqual(['backToTier1: escalated → open']);

    await desk.transition(desk.tokens.alice, { transition: 'escalate', reason: 'It is a fault after all' });
    expect(await desk.get()).toMatchObject({ status: 'escalated', queue: 'advanced', tier: 2, assignee: { name: 'Dana' } });
  });
});

describe('"This solved it" in a workflow without a customer transition into a resolved state', () => {
  const withoutMarkSolved = (w: WorkflowDefinition) => {
    delete w.transitions.markSolved;
  };
  async function offered(change: (w: WorkflowDefinition) => void) {
    const desk = await deskWith(change);
    const now = h.clock.now();
    await h.services.store.write((q) => q.db.insert(q.tables.problems).values(DEMO_PROBLEMS.map((p) => ({ ...p, createdAt: now, updatedAt: now }))));
    const id = (await desk.call('POST', '/api/v1/cases', desk.tokens.chloe, { subject: 'Billed 2 times', description: 'I was billed 2 times for March.' })).json.id as string;
    await h.services.outbox.idle();
    expect((await desk.call('GET', `/api/v1/cases/${id}`, desk.tokens.chloe)).json.offer).toMatchObject({ answer: 'open' });
    return { desk, id, answer: () => desk.call('POST', `/api/v1/cases/${id}/offered-solution`, desk.tokens.chloe, { answer: 'solved' }) };
  }

  it('records the customer’s answer and leaves the case with staff', async () => {
    const { desk, id, answer } = await offered(withoutMarkSolved);
    expect(await answer()).toMatchObject({ status: 200, json: { status: 'In progress', offer: { answer: 'solved' } } });
    const events = (await desk.call('GET', `/api/v1/cases/${id}/events`, ADMIN_TOKEN)).json as unknown as { type: string }[];
    expect(events.map((e) => e.type)).toContain('case.solutionAccepted');
  });

  it('resolves it with the offered solution through a transition "on" case.solutionAccepted', async () => {
    const { desk, id, answer } = await offered((w) => {
      withoutMarkSolved(w);
      w.transitions.solvedByLibrary = { label: 'Solved by the library', from: ['new', 'open'], to: 'resolved', on: ['case.solutionAccepted'], emits: 'case.resolved' };
    });
    expect((await answer()).status).toBe(200);
    const view = (await desk.call('GET', `/api/v1/cases/${id}`, ADMIN_TOKEN)).json;
    expect(view).toMatchObject({ status: 'resolved', open: false, solution: DEMO_PROBLEMS.find((p) => p.title === 'Charged twice for one invoice')!.solution });
  });
});
