/**
 * `case.updated` (docs/integrations.md): a case's subject, priority or tags changed — sent once
 * per change, however it was made (the workspace form, `PATCH /api/v1/cases/:id`, a bulk
 * action, a macro, rules), with the changed fields' old and new values. Against a real HTTP
 * receiver; a rule's priority change is `case.priority_changed` too, as a person's is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from '../support/pages.js';
import { startReceiver, type Receiver } from './receiver.js';

let h: Harness;
let receiver: Receiver;
let customer: TestActor;
let agent: TestActor;

interface Body {
  type: string;
  data: { event: { id: number; timeline: string; actor: string }; case: { id: string; subject: string; priority: string; tags: string[] }; changes?: Record<string, unknown>; by?: string; change?: unknown };
}

beforeAll(async () => {
  receiver = await startReceiver();
  h = createHarness({ services: { integrations: { allowPrivateTargets: true } } });
  standardQueues(h);
  agent = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'] });
  customer = h.customer({ email: 'chloe@example.com', name: 'Chloe', organization: 'Acme' });
  const res = await h.api('POST', '/api/v1/webhooks', { token: ADMIN_TOKEN, body: { url: receiver.url, events: ['case.updated', 'case.priority_changed'], description: 'CRM mirror' } });
  expect(res.status).toBe(201);
});

afterAll(async () => {
  h.close();
  await receiver.close();
});

/** What the receiver got since the last call, in event order. */
async function received(): Promise<Body[]> {
  await h.services.outbox.drain();
  const bodies = receiver.received.map((r) => JSON.parse(r.body) as Body).sort((a, b) => a.data.event.id - b.data.event.id || a.type.localeCompare(b.type));
  receiver.received.length = 0;
  return bodies;
}

async function newCase(subject: string): Promise<{ id: number; ref: string }> {
  const c = await createCase(h.services, { subject, description: 'Nothing matches this.' }, customer, { customerId: customer.id });
  await received();
  return { id: c.id, ref: `C-${c.id}` };
}

describe('case.updated', () => {
  it('an API PATCH of subject, priority and tags: each changed field with its old and new value, once', async () => {
    const { ref } = await newCase('Invoice wrong');
    const res = await h.api('PATCH', `/api/v1/cases/${ref}`, { token: h.tokenFor(agent), body: { subject: 'Invoice 42 wrong', priority: 'high', tags: ['billing-error', 'vip'] } });
    expect(res.status).toBe(200);
    const bodies = await received();
    const updated = bodies.filter((b) => b.type === 'case.updated');
    expect(updated.map((b) => b.data.changes)).toEqual([
      { priority: { from: 'normal', to: 'high' } },
      { tags: { from: [], to: ['billing-error', 'vip'], added: ['billing-error', 'vip'], removed: [] } },
      { subject: { from: 'Invoice wrong', to: 'Invoice 42 wrong' } },
    ]);
    expect(updated.every((b) => b.data.by === 'staff' && b.data.case.id === ref)).toBe(true);
    expect(updated.map((b) => b.data.event.timeline)).toEqual(['case.priority_changed', 'case.tags_changed', 'case.subject_changed']);
    expect(bodies.filter((b) => b.type === 'case.priority_changed').map((b) => b.data.change)).toEqual([{ from: 'normal', to: 'high' }]);
    // The same edit again changes nothing: nothing is sent.
    expect((await h.api('PATCH', `/api/v1/cases/${ref}`, { token: h.tokenFor(agent), body: { subject: 'Invoice 42 wrong', priority: 'high' } })).status).toBe(200);
    expect(await received()).toEqual([]);
  });

  it('the workspace form and a bulk action announce their changes as the API does', async () => {
    const { id, ref } = await newCase('Printer jams');
    const desk = signedIn(h, agent);
    const edit = await desk.post(`/cases/${ref}/edit`, { subject: 'Printer jams on tray 2', priority: 'normal', tags: '', shownSubject: 'Printer jams', shownPriority: 'normal', shownTags: '' }, { htmx: true });
    expect(edit.status).toBe(200);
    expect((await received()).map((b) => [b.type, b.data.changes])).toEqual([['case.updated', { subject: { from: 'Printer jams', to: 'Printer jams on tray 2' } }]]);
    const bulk = await desk.post('/inbox/bulk', [['cases', ref], ['action', 'tag'], ['tag', 'hardware']], { htmx: true });
    expect(bulk.status).toBe(200);
    expect((await received()).map((b) => [b.type, b.data.changes, b.data.case.tags])).toEqual([
      ['case.updated', { tags: { from: [], to: ['hardware'], added: ['hardware'], removed: [] } }, ['hardware']],
    ]);
    expect(id).toBeGreaterThan(0);
  });

  it('a rule that raises the priority and adds a tag: one case.updated with both, and case.priority_changed', async () => {
    const onReopen = { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'case.reopened' }] };
    const put = await h.api('PUT', '/api/v1/rulesets/escalation', {
      token: ADMIN_TOKEN,
      body: {
        rules: [
          { name: 'Reopened cases are high', conditions: onReopen, event: { type: 'setPriority', params: { priority: 'high' } } },
          { name: 'Reopened cases are tagged', conditions: onReopen, event: { type: 'addTags', params: { tags: ['reopened'] } } },
        ],
      },
    });
    expect(put.status).toBe(200);
    const { id, ref } = await newCase('Still broken');
    await transitionCase(h.services, id, { transition: 'resolve', solution: 'Restarted it.' }, agent);
    await received();
    await transitionCase(h.services, id, { transition: 'reopen' }, customer);
    const bodies = await received();
    expect(bodies.map((b) => [b.type, b.data.event.timeline])).toEqual([
      ['case.priority_changed', 'case.updated'],
      ['case.updated', 'case.updated'],
    ]);
    expect(bodies[0]!.data.change).toEqual({ from: 'normal', to: 'high' });
    expect(bodies[1]!.data).toMatchObject({ by: 'rules', changes: { priority: { from: 'normal', to: 'high' }, tags: { from: [], to: ['reopened'], added: ['reopened'], removed: [] } } });
    expect(bodies[1]!.data.case).toMatchObject({ id: ref, priority: 'high', tags: ['reopened'] });
  });
});
