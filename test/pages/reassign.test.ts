/**
 * The case page's reassignment form: capacity (only a manager's explicit override passes
 * it) and moves to a higher tier (an escalation, reason required), with 422 re-rendered forms.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCase, timeline } from '../../src/cases/case-read.js';
import { createCase } from '../../src/cases/create-case.js';
import { reassignCase } from '../../src/cases/reassign-case.js';
import { ADMIN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from '../support/pages.js';

let h: Harness;
let alice: TestActor;
let bob: TestActor;
let dana: TestActor;
let mia: TestActor;

beforeEach(() => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general'], capacity: 5 });
  bob = h.agent({ name: 'Bob', queues: ['general'], capacity: 1 });
  dana = h.agent({ name: 'Dana', role: 'advanced', queues: ['advanced'], capacity: 5 });
  mia = h.agent({ name: 'Mia', role: 'manager', queues: [] });
});
afterEach(() => h.close());

let n = 0;
async function intake(subject = 'Cannot find the export') {
  n++;
  return createCase(h.services, { customer: { email: `c${n}@example.com` }, subject, description: 'Where is the CSV export?', channel: 'web' }, ADMIN);
}

/** Bob (capacity 1) is full; returns a case of Alice's. */
async function bobFull() {
  const first = await intake('First');
  if (first.assigneeId !== bob.id) await reassignCase(h.services, first.id, { assignee: bob.id }, alice);
  const second = await intake('Second');
  expect(second.assigneeId).toBe(alice.id);
  return second;
}

describe('capacity on the case page', () => {
  it('shows loads; an agent cannot assign a full colleague: 422 with the message on the assignee field', async () => {
    const c = await bobFull();
    const desk = signedIn(h, alice);
    const page = await (await desk.get(`/cases/C-${c.id}`)).text();
    expect(page).toContain('Bob (1/1, at capacity)');
    expect(page).not.toContain('name="overrideCapacity"');
    // The queue by its name, as everywhere else on the page, not its id.
    await h.run("UPDATE queues SET name = 'First line' WHERE id = 'general'");
    const renamed = await (await desk.get(`/cases/C-${c.id}`)).text();
    expect(renamed).toContain('<option value="" selected="">Keep First line</option>');
    expect(renamed).toContain('Assignee (members of First line)');

    const res = await desk.post(`/cases/C-${c.id}/assignment`, { queue: '', assignee: String(bob.id), overrideCapacity: 'on' }, { htmx: true });
    expect(res.status).toBe(422);
    expect(res.headers.get('HX-Retarget')).toBe('#reassign-form');
    const html = await res.text();
    expect(html).toContain('Bob is at capacity (1 of 1 open cases); only a manager can assign beyond capacity.');
    expect((await loadCase(h.services, c.id)).assigneeId).toBe(alice.id);
  });

  it('a manager ticks "override capacity"; the timeline says it was an override and by whom', async () => {
    const c = await bobFull();
    const desk = signedIn(h, mia);
    const page = await (await desk.get(`/cases/C-${c.id}`)).text();
    expect(page).toContain('name="overrideCapacity"');

    const without = await desk.post(`/cases/C-${c.id}/assignment`, { queue: '', assignee: String(bob.id) }, { htmx: true });
    expect(without.status).toBe(422);
    expect(await without.text()).toContain('choose &quot;override capacity&quot; to assign anyway');

    const ok = await desk.post(`/cases/C-${c.id}/assignment`, { queue: '', assignee: String(bob.id), overrideCapacity: 'on', reason: 'Bob knows them' });
    expect(ok.status).toBe(303);
    expect((await loadCase(h.services, c.id)).assigneeId).toBe(bob.id);
    const assigned = (await timeline(h.services, c.id)).filter((e) => e.type === 'case.assigned').at(-1)!;
    expect(assigned.data.capacityOverride).toMatchObject({ by: 'Mia', byId: mia.id, load: 2, capacity: 1 });
    const after = await (await desk.get(`/cases/C-${c.id}`)).text();
    expect(after).toContain('Assigned to Bob beyond capacity (2 of 1): capacity override by Mia');
  });
});

describe('moving to a higher tier on the case page', () => {
  it('does not override a reassignment made since the form was shown (no JavaScript): says where the case is now', async () => {
    const c = await intake();
    const ref = `C-${c.id}`;
    const desk = signedIn(h, alice);
    const page = await (await desk.get(`/cases/${ref}`)).text();
    const shown = /<input type="hidden" name="shown" value="([^"]+)"\/>/.exec(page)![1]!;
    expect(shown).toBe(`general ${c.assigneeId ?? '-'}`);
    // Meanwhile the manager gives the case to Dana's advanced queue.
    await reassignCase(h.services, c.id, { queue: 'advanced', assignee: dana.id, reason: 'Needs tier 2' }, mia);
    const manager = signedIn(h, mia);
    const stale = await manager.post(`/cases/${ref}/assignment`, { queue: 'general', assignee: 'auto', shown });
    expect(stale.status).toBe(422);
    const html = await stale.text();
    expect(html).toContain(`Nothing was changed: since this form was shown, ${ref} was reassigned — it is now in Advanced, assigned to Dana. Choose again.`);
    expect(await loadCase(h.services, c.id)).toMatchObject({ queueId: 'advanced', assigneeId: dana.id });
    // The form that came back shows the case as it is now: sent again, it applies.
    const fresh = /<input type="hidden" name="shown" value="([^"]+)"\/>/.exec(html)![1]!;
    expect(fresh).toBe(`advanced ${dana.id}`);
    expect((await manager.post(`/cases/${ref}/assignment`, { queue: 'general', assignee: String(alice.id), shown: fresh })).status).toBe(303);
    expect(await loadCase(h.services, c.id)).toMatchObject({ queueId: 'general', assigneeId: alice.id });
  });

  it('asks for a reason (422 on the reason field), then escalates', async () => {
    const c = await intake();
    const desk = signedIn(h, alice);
    const page = await (await desk.get(`/cases/C-${c.id}`)).text();
    expect(page).toContain('Advanced (tier 2): escalation, reason required');

    const bare = await desk.post(`/cases/C-${c.id}/assignment`, { queue: 'advanced', assignee: '' }, { htmx: true });
    expect(bare.status).toBe(422);
    expect(bare.headers.get('HX-Retarget')).toBe('#reassign-form');
    expect(await bare.text()).toMatch(/id="reassign-reason"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="reassign-reason"/);
    expect(await loadCase(h.services, c.id)).toMatchObject({ queueId: 'general', tier: 1 });

    const ok = await desk.post(`/cases/C-${c.id}/assignment`, { queue: 'advanced', assignee: '', reason: 'Database corruption' });
    expect(ok.status).toBe(303);
    expect(await loadCase(h.services, c.id)).toMatchObject({ queueId: 'advanced', tier: 2, status: 'escalated', assigneeId: dana.id, escalationCount: 1 });
    const escalated = (await timeline(h.services, c.id)).find((e) => e.type === 'case.escalated')!;
    expect(escalated.data).toMatchObject({ reason: 'Database corruption', fromQueue: 'general', queue: 'advanced' });
  });
});
