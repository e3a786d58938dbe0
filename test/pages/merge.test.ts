/**
 * `/cases/:id/merge`: the page's refusals as forms — a post without the CSRF token is refused
 * and merges nothing, cases of two customers need the tick (422 with the confirmation kept),
 * a refused target is said above the form, customers get no such page — and the portal never
 * names another customer's case.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCase } from '../../src/cases/case-read.js';
import { createCase } from '../../src/cases/create-case.js';
import { mergeCase } from '../../src/cases/merge-case.js';
import { ADMIN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from '../support/pages.js';

let h: Harness;
let alice: TestActor;

beforeEach(() => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], capacity: 10 });
});
afterEach(() => h.close());

function intake(email: string, subject: string) {
  return createCase(h.services, { customer: { email }, subject, description: `${subject}: details`, channel: 'web' }, ADMIN);
}

describe('the merge page', () => {
  it('offers the customer’s other open case, confirms, and refuses a post without the CSRF token', async () => {
    const dup = await intake('chloe@example.com', 'Charged twice');
    const kept = await intake('chloe@example.com', 'Double charge');
    const desk = signedIn(h, alice);
    expect(await (await desk.get(`/cases/C-${dup.id}`)).text()).toContain(`href="/cases/C-${dup.id}/merge"`);
    const choose = await (await desk.get(`/cases/C-${dup.id}/merge`)).text();
    expect(choose).toContain(`value="C-${kept.id}"`);
    const confirm = await desk.get(`/cases/C-${dup.id}/merge?into=C-${kept.id}`);
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    expect(html).toContain(`Merge C-${dup.id} into C-${kept.id}?`);
    expect(html).toContain('Nothing is sent to the customer.');

    const forged = await desk.post(`/cases/C-${dup.id}/merge`, { into: `C-${kept.id}` }, { csrf: false });
    expect(forged.status).toBe(403);
    expect((await loadCase(h.services, dup.id)).mergedIntoId).toBeNull();

    const merged = await desk.post(`/cases/C-${dup.id}/merge`, { into: `C-${kept.id}` });
    expect(merged.status).toBe(303);
    expect(merged.headers.get('Location')).toBe(`/cases/C-${kept.id}`);
    expect((await loadCase(h.services, dup.id)).mergedIntoId).toBe(kept.id);
    const after = await (await desk.get(`/cases/C-${dup.id}`)).text();
    expect(after).toContain('id="merged-notice"');
    expect(after).not.toContain('id="merge-link"');
  });

  it('says why a target cannot receive, and keeps the confirmation asking for the tick across customers (422)', async () => {
    const dup = await intake('chloe@example.com', 'Charged twice');
    const other = await intake('sam@example.org', 'Charged twice as well');
    const closed = await intake('chloe@example.com', 'Old one');
    await mergeCase(h.services, closed.id, { into: `C-${other.id}`, confirmDifferentCustomer: true }, alice);
    const desk = signedIn(h, alice);

    const refused = await desk.get(`/cases/C-${dup.id}/merge?into=C-${closed.id}`);
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain(`C-${closed.id} was itself merged into C-${other.id}; merge into that case instead.`);
    expect((await desk.get(`/cases/C-${dup.id}/merge?into=C-${dup.id}`)).status).toBe(422);

    const untickedHtmx = await desk.post(`/cases/C-${dup.id}/merge`, { into: `C-${other.id}` }, { htmx: true });
    expect(untickedHtmx.status).toBe(422);
    const html = await untickedHtmx.text();
    expect(html).toContain('Tick this to merge cases of different customers.');
    expect(html).toContain(`Merge C-${dup.id} into C-${other.id}?`);
    expect((await loadCase(h.services, dup.id)).mergedIntoId).toBeNull();

    const ticked = await desk.post(`/cases/C-${dup.id}/merge`, { into: `C-${other.id}`, confirmDifferentCustomer: 'yes' }, { htmx: true });
    expect(ticked.headers.get('HX-Redirect')).toBe(`/cases/C-${other.id}`);
    // Chloe's portal: the duplicate is closed, with no word of Sam's case.
    const chloe = signedIn(h, { type: 'customer', id: dup.customerId });
    const portal = await (await chloe.get(`/cases/C-${dup.id}`)).text();
    expect(portal).not.toContain(`C-${other.id}`);
    expect(portal).toContain('This case is closed.');
  });

  it('is staff only: a customer gets no merge page', async () => {
    const dup = await intake('chloe@example.com', 'Charged twice');
    const kept = await intake('chloe@example.com', 'Double charge');
    const chloe = signedIn(h, { type: 'customer', id: dup.customerId });
    expect((await chloe.get(`/cases/C-${dup.id}/merge`)).status).toBe(404);
    expect((await chloe.post(`/cases/C-${dup.id}/merge`, { into: `C-${kept.id}` })).status).toBe(404);
    expect((await loadCase(h.services, dup.id)).mergedIntoId).toBeNull();
  });
});
