/** "Edit case…" on the workspace: POST /cases/:id/edit with and without htmx, 422, conflicts, who may, the timeline. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMessage } from '../../src/cases/add-message.js';
import { loadCase, timeline } from '../../src/cases/case-read.js';
import { createCase } from '../../src/cases/create-case.js';
import { editCase } from '../../src/cases/edit-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { ADMIN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';

let h: Harness;
let alice: TestActor;
let bob: TestActor;
let chloe: TestActor;
let desk: PageClient;
let ref: string;
let id: number;

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general'] });
  bob = h.agent({ name: 'Bob', queues: ['general'], available: false });
  h.agent({ name: 'Tom', queues: ['technical'] });
  h.agent({ name: 'Dana', role: 'advanced', queues: ['advanced'] });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  id = (await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: 'Workspace rename', description: 'How do I rename my workspace?' }, ADMIN)).id;
  ref = `C-${id}`;
  desk = signedIn(h, alice);
});
afterEach(() => h.close());

const versionOn = (html: string) => /name="expectedVersion" value="(\d+)"/.exec(html)![1]!;

/** The fields of the edit form in `html` as a browser would post them (hidden ones included, the selected priority). */
function editFormOf(html: string): Record<string, string> {
  const start = html.indexOf('<form id="edit-form"');
  const form = html.slice(start, html.indexOf('</form>', start));
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="(?:hidden|text)" (?:name="([^"]+)" (?:id="[^"]*" )?value="([^"]*)"|value="([^"]*)" id="[^"]*" name="([^"]+)")/g)) {
    fields[m[1] ?? m[4]!] = (m[2] ?? m[3]!).replaceAll('&quot;', '"').replaceAll('&amp;', '&');
  }
  delete fields._csrf;
  fields.priority = /<option value="([a-z]+)" selected="">/.exec(form)![1]!;
  return fields;
}

describe('POST /cases/:id/edit', () => {
  it('saves subject, priority and tags (plain form: 303; htmx: the page with a summary), each on the timeline', async () => {
    const page = await (await desk.get(`/cases/${ref}`)).text();
    expect(page).toContain('<summary class="button button-secondary">Edit case…</summary>');
    const plain = await desk.post(`/cases/${ref}/edit`, { subject: 'Rename the workspace', priority: 'normal', tags: 'billing', expectedVersion: versionOn(page) });
    expect(plain.status).toBe(303);
    expect(plain.headers.get('Location')).toBe(`/cases/${ref}`);
    const again = await (await desk.get(`/cases/${ref}`)).text();
    const res = await desk.post(`/cases/${ref}/edit`, { subject: 'Rename the workspace', priority: 'urgent', tags: 'billing, #VIP', expectedVersion: versionOn(again) }, { htmx: true });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Case updated: priority normal → urgent; tags: added vip.');
    expect(html).toContain('Priority normal → urgent by Alice');
    expect(html).toContain('Tags changed by Alice: added vip');
    expect(html).toContain('Subject changed by Alice (the customer sees it)');
    expect(html).toContain('urgent priority');
    expect(html).toContain('#vip');
    expect(await loadCase(h.services, id)).toMatchObject({ subject: 'Rename the workspace', priority: 'urgent', tags: ['billing', 'vip'] });
    // Saving the same values again changes nothing.
    const same = await desk.post(`/cases/${ref}/edit`, { subject: 'Rename the workspace', priority: 'urgent', tags: 'billing, vip' }, { htmx: true });
    expect(await same.text()).toContain('Nothing to change.');
    expect((await timeline(h.services, id)).filter((e) => e.type.endsWith('_changed'))).toHaveLength(4);
  });

  it('re-renders the form with the messages and what was typed on bad input (422)', async () => {
    const res = await desk.post(`/cases/${ref}/edit`, { subject: ' ', priority: 'critical', tags: 'ok, not ok!' }, { htmx: true });
    expect(res.status).toBe(422);
    expect(res.headers.get('HX-Retarget')).toBe('#edit-form');
    const form = await res.text();
    expect(form).toMatch(/^<form id="edit-form"/);
    expect(form).toContain('id="edit-subject-error"');
    expect(form).toContain('choose a priority from the list');
    const tags = await desk.post(`/cases/${ref}/edit`, { subject: 'Fine', priority: 'high', tags: 'ok, not ok!' });
    expect(tags.status).toBe(422);
    const page = await tags.text();
    expect(page).toContain('<details class="disclosure" open="">');
    expect(page).toContain('id="edit-tags-error"');
    expect(page).toContain('value="ok, not ok!"');
    expect(await loadCase(h.services, id)).toMatchObject({ subject: 'Workspace rename', priority: 'normal', tags: [] });
  });

  it('a change made meanwhile by someone else: the form says what the case is now, keeps the typed values, and saves on the second try', async () => {
    const version = versionOn(await (await desk.get(`/cases/${ref}`)).text());
    await editCase(h.services, id, { priority: 'high' }, bob);
    const res = await desk.post(`/cases/${ref}/edit`, { subject: 'Workspace rename', priority: 'low', tags: 'later', expectedVersion: version }, { htmx: true });
    expect(res.status).toBe(422);
    const form = await res.text();
    expect(form).toContain('Someone else changed this case while you were editing (it now has subject “Workspace rename”, priority high, tags none)');
    expect(form).toContain('value="later"');
    expect((await loadCase(h.services, id)).priority).toBe('high');
    const retry = await desk.post(`/cases/${ref}/edit`, { subject: 'Workspace rename', priority: 'low', tags: 'later', expectedVersion: versionOn(form) }, { htmx: true });
    expect(retry.status).toBe(200);
    expect(await loadCase(h.services, id)).toMatchObject({ priority: 'low', tags: ['later'] });
  });

  it('saves only what the agent changed: a colleague’s change to another field is kept, not undone by the form they had open', async () => {
    const opened = editFormOf(await (await desk.get(`/cases/${ref}`)).text());
    await editCase(h.services, id, { priority: 'urgent', tags: ['billing', 'old'] }, bob);
    // Alice renames it and tags it vip; she never touched the priority or Bob's tags.
    const res = await desk.post(`/cases/${ref}/edit`, { ...opened, subject: 'Rename the workspace', tags: 'vip' }, { htmx: true });
    expect(res.status).toBe(422);
    const form = await res.text();
    expect(form).toContain('it now has subject “Workspace rename”, priority urgent, tags billing, old');
    const merged = editFormOf(form);
    expect(merged).toMatchObject({ subject: 'Rename the workspace', priority: 'urgent', tags: 'billing, old, vip' });
    expect(await loadCase(h.services, id)).toMatchObject({ subject: 'Workspace rename', priority: 'urgent', tags: ['billing', 'old'] });
    // Saving the form as it came back applies her changes over Bob's; she drops "old" now.
    expect((await desk.post(`/cases/${ref}/edit`, { ...merged, tags: 'billing, vip' }, { htmx: true })).status).toBe(200);
    expect(await loadCase(h.services, id)).toMatchObject({ subject: 'Rename the workspace', priority: 'urgent', tags: ['billing', 'vip'] });
    // Activity that leaves the three fields alone (a note) is no conflict: the edit applies at once.
    const again = editFormOf(await (await desk.get(`/cases/${ref}`)).text());
    await addMessage(h.services, id, { body: 'Checked with finance.', public: false }, bob);
    expect((await desk.post(`/cases/${ref}/edit`, { ...again, priority: 'low' })).status).toBe(303);
    expect(await loadCase(h.services, id)).toMatchObject({ subject: 'Rename the workspace', priority: 'low', tags: ['billing', 'vip'] });
  });

  it('is for staff who may see the case; CSRF protected; closed cases have no edit form', async () => {
    const form = { subject: 'Hacked', priority: 'urgent', tags: '' };
    expect((await signedIn(h, chloe).post(`/cases/${ref}/edit`, form)).status).toBe(404);
    const tom = (await h.get<{ id: number }>("SELECT id FROM staff WHERE name = 'Tom'"))!;
    expect((await signedIn(h, { type: 'staff', id: tom.id }).post(`/cases/${ref}/edit`, form)).status).toBe(404);
    expect((await desk.post(`/cases/${ref}/edit`, form, { csrf: false })).status).toBe(403);
    expect((await desk.post(`/cases/${ref}/edit`, form, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await loadCase(h.services, id)).subject).toBe('Workspace rename');

    await transitionCase(h.services, id, { transition: 'resolve', solution: 'Done.' }, alice);
    await transitionCase(h.services, id, { transition: 'close' }, alice);
    expect(await (await desk.get(`/cases/${ref}`)).text()).not.toContain('Edit case…');
    expect((await desk.post(`/cases/${ref}/edit`, form, { htmx: true })).status).toBe(409);
  });

  it('a stale form on a case that left the agent’s queues goes to the inbox, told where it went', async () => {
    await transitionCase(h.services, id, { transition: 'escalate', reason: 'Needs tier 2' }, bob);
    const res = await desk.post(`/cases/${ref}/edit`, { subject: 'x', priority: 'low', tags: '' }, { htmx: true });
    expect(res.headers.get('HX-Redirect')).toBe(`/inbox?moved=${ref}`);
    expect((await loadCase(h.services, id)).priority).toBe('normal');
  });

  it('shows the customer the new subject, never the priority or the tags', async () => {
    await editCase(h.services, id, { subject: 'Renaming a workspace', priority: 'urgent', tags: ['churn-risk'] }, alice);
    const portal = signedIn(h, chloe);
    const html = await (await portal.get(`/cases/${ref}`)).text();
    expect(html).toContain('Subject changed to “Renaming a workspace”');
    for (const secret of ['urgent', 'churn-risk', 'Priority', 'Tags changed']) expect(html).not.toContain(secret);
  });
});
