/**
 * A case that leaves an agent's reach (escalated, moved to another queue, reassigned) takes
 * them to the inbox with a message saying where it went: after their own action, on the
 * next live poll, and when they open or act on the old page. Agents the move did not
 * concern still get the 404 (the case stays hidden from them).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { reassignCase } from '../../src/cases/reassign-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { ADMIN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';

let h: Harness;
let alice: TestActor;
let bob: TestActor;
let maria: TestActor;
let desk: PageClient;
let ref: string;

const textOf = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/\s+/g, ' ');

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general'] });
  bob = h.agent({ name: 'Bob', queues: ['technical'] });
  h.agent({ name: 'Dana Diaz', role: 'advanced', queues: ['advanced'] });
  maria = h.agent({ name: 'Maria', role: 'manager' });
  h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  const row = await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: 'Where is my order?', description: 'It has not arrived yet.', channel: 'web' }, ADMIN);
  ref = `C-${row.id}`;
  desk = signedIn(h, alice);
  expect(await h.get('SELECT queue_id FROM cases WHERE id = ?', row.id)).toEqual({ queue_id: 'general' });
});
afterEach(() => h.close());

describe('a case that leaves the agent’s queues', () => {
  it('escalating it from the case page goes to the inbox, which says where it went', async () => {
    const res = await desk.post(`/cases/${ref}/transitions`, { transition: 'escalate', reason: 'Needs a developer' }, { htmx: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('HX-Redirect')).toBe(`/inbox?moved=${ref}`);

    const inbox = await desk.get(`/inbox?moved=${ref}`);
    expect(inbox.status).toBe(200);
    expect(textOf(await inbox.text())).toContain(`${ref} was escalated to the Advanced queue (tier 2) and is assigned to Dana Diaz. It is no longer in your queues.`);
  });

  it('without JavaScript the form post redirects (303) to the same message', async () => {
    const res = await desk.post(`/cases/${ref}/transitions`, { transition: 'escalate', reason: 'Needs a developer' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/inbox?moved=${ref}`);
  });

  it('when someone else moves it, the open page’s next poll (and any stale button) goes to the inbox instead of "not found"', async () => {
    await reassignCase(h.services, Number(ref.slice(2)), { queue: 'technical' }, maria);
    const live = await desk.get(`/cases/${ref}/live?stamp=old`, { htmx: true });
    expect(live.status).toBe(200);
    expect(live.headers.get('HX-Redirect')).toBe(`/inbox?moved=${ref}`);
    const stale = await desk.post(`/cases/${ref}/messages`, { body: 'Any news?', visibility: 'public' }, { htmx: true });
    expect(stale.headers.get('HX-Redirect')).toBe(`/inbox?moved=${ref}`);
    const page = await desk.get(`/cases/${ref}`);
    expect(page.status).toBe(303);
    expect(page.headers.get('Location')).toBe(`/inbox?moved=${ref}`);
    const text = textOf(await (await desk.get(`/inbox?moved=${ref}`)).text());
    expect(text).toContain(`${ref} was moved to the Technical queue (tier 1) and is assigned to Bob.`);
    // nothing was written by the stale button
    expect(await h.get("SELECT count(*) AS n FROM case_events WHERE type = 'staff.replied'")).toEqual({ n: 0 });
  });

  it('stays hidden (404, no message) from agents the move did not concern', async () => {
    await transitionCase(h.services, Number(ref.slice(2)), { transition: 'escalate', reason: 'Needs a developer' }, alice);
    const other = signedIn(h, bob);
    expect((await other.get(`/cases/${ref}`)).status).toBe(404);
    expect((await other.get(`/cases/${ref}/live?stamp=x`, { htmx: true })).status).toBe(404);
    const inbox = await other.get(`/inbox?moved=${ref}`);
    expect(inbox.status).toBe(200);
    expect(await inbox.text()).not.toContain('moved-notice');
  });

  it('managers keep seeing the case where it went', async () => {
    const manager = signedIn(h, maria);
    const res = await manager.post(`/cases/${ref}/transitions`, { transition: 'escalate', reason: 'Needs a developer' }, { htmx: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('HX-Redirect')).toBeNull();
    expect(await res.text()).toContain('Done: the case is now Escalated.');
  });
});
