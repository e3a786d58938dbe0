/**
 * Macros on pages: the console at /macros (personal and shared, problems beside the fields,
 * read-only shared macros for agents), and the picker in a case's composer — Insert (plain
 * form and htmx), Send with macro (one transaction), a stale preview refused with the message
 * kept and a fresh preview.
 */
import { asc, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMessage } from '../../src/cases/add-message.js';
import { loadCase, timeline } from '../../src/cases/case-read.js';
import { createCase } from '../../src/cases/create-case.js';
import { createMacro } from '../../src/macros/edit-macro.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';

let h: Harness;
let alice: TestActor;
let mia: TestActor;
let chloe: TestActor;
let desk: PageClient;
let boss: PageClient;

beforeEach(() => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice Archer', queues: ['general'] });
  mia = h.agent({ name: 'Mia Manager', role: 'manager' });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe Martin' });
  desk = signedIn(h, alice);
  boss = signedIn(h, mia);
});
afterEach(() => h.close());

const macroRows = () => h.query((q) => q.db.select().from(q.tables.macros).orderBy(asc(q.tables.macros.id)));

async function newCase() {
  return createCase(h.services, { subject: 'Question about my account', description: 'How do I change my address?' }, chloe, { customerId: chloe.id });
}

const WAIT = { name: 'Need info', body: 'Hi {{customer.firstName}}, which address?\n— {{agent.firstName}}', actions: { transition: 'waitOnCustomer', tags: { add: ['needs-info'] } } };

describe('the macros console', () => {
  it('creates a personal macro, with every problem beside its field first', async () => {
    expect((await desk.get('/macros')).status).toBe(200);
    const page = await (await desk.get('/macros/new')).text();
    expect(page).toContain('id="macro-form"');
    expect(page).not.toContain('id="macro-shared"');

    const bad = await desk.post('/macros', { name: '', body: 'Hi {{customer.age}}', transition: 'teleport', tagsAdd: 'bad tag!' });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('id="macro-name-error"');
    expect(html).toContain('line 1: unknown variable {{customer.age}}');
    expect(html).toContain('id="macro-tags-add-error"');
    expect(await macroRows()).toEqual([]);

    const ok = await desk.post('/macros', { name: 'Need info', body: WAIT.body, transition: 'waitOnCustomer', tagsAdd: 'needs-info', priority: '', assignee: 'me' });
    expect(ok.status).toBe(303);
    const row = (await macroRows())[0]!;
    expect(row).toMatchObject({ name: 'Need info', ownerId: alice.id, actions: { transition: 'waitOnCustomer', tags: { add: ['needs-info'], remove: [] }, assignee: 'me' } });
    expect(ok.headers.get('Location')).toBe(`/macros/${row.id}?done=created`);
    const list = await (await desk.get('/macros')).text();
    expect(list).toContain('Status: Wait on customer');
    expect(list).toContain('0 times');
  });

  it('previews as you type (htmx) and with the Preview button', async () => {
    const live = await desk.post('/macros/preview', { name: 'x', body: 'Dear {{customer.name}}, {{agent.name}} here.', priority: 'high' }, { htmx: true });
    const html = await live.text();
    expect(html).toMatch(/^<section class="panel" id="macro-preview"/);
    expect(html).toContain('Dear Chloe Martin, Alice Archer here.');
    expect(html).toContain('Priority: high');
    const problems = await (await desk.post('/macros/preview', { body: '{{case.priority}}' }, { htmx: true })).text();
    expect(problems).toContain('{{case.priority}} is for staff only');
    const plain = await desk.post('/macros/preview', { name: 'x', body: 'Hi {{customer.firstName}}' });
    expect(plain.status).toBe(200);
    expect(await plain.text()).toContain('Hi Chloe');
  });

  it('managers share macros; agents use them but cannot change them', async () => {
    const created = await boss.post('/macros', { name: 'Team hello', body: 'Hello {{customer.firstName}}', shared: 'on' });
    expect(created.status).toBe(303);
    const shared = (await macroRows())[0]!;
    expect(shared.ownerId).toBeNull();
    // An agent's "shared" box is ignored by nothing: refused.
    expect((await desk.post('/macros', { name: 'Mine', body: 'x', shared: 'on' })).status).toBe(403);
    const view = await (await desk.get(`/macros/${shared.id}`)).text();
    expect(view).toContain('A shared macro: managers change it.');
    expect(view).not.toContain('id="macro-save"');
    expect((await desk.post(`/macros/${shared.id}`, { name: 'Changed', body: 'x' })).status).toBe(403);
    expect((await desk.post(`/macros/${shared.id}/delete`)).status).toBe(403);
    const saved = await boss.post(`/macros/${shared.id}`, { name: 'Team hello', body: 'Hello again', version: '1' });
    expect(saved.status).toBe(303);
    const stale = await boss.post(`/macros/${shared.id}`, { name: 'Team hello', body: 'Lost update', version: '1' });
    expect(stale.status).toBe(422);
    expect(await stale.text()).toContain('changed since you loaded it');
    expect((await boss.post(`/macros/${shared.id}/delete`)).status).toBe(303);
    expect(await macroRows()).toEqual([]);
  });

  it('keeps somebody else’s personal macro hidden', async () => {
    const mine = await createMacro(h.services, { name: 'Private', body: 'x' }, alice);
    expect((await boss.get(`/macros/${mine.id}`)).status).toBe(404);
    expect(await (await boss.get('/macros')).text()).not.toContain('Private');
  });
});

describe('the macro picker on a case', () => {
  it('offers the macros in the composer; Insert without JavaScript adds the reply to the message and lists the changes', async () => {
    const c = await newCase();
    const macro = await createMacro(h.services, WAIT, alice);
    const ref = `C-${c.id}`;
    const page = await (await desk.get(`/cases/${ref}`)).text();
    expect(page).toContain('id="composer-macro-select"');
    expect(page).toContain(`<option value="${macro.id}">Need info</option>`);

    const res = await desk.post(`/cases/${ref}/macros/preview`, { body: 'Thanks for writing.', visibility: 'public', macro: String(macro.id) });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Thanks for writing.\n\nHi Chloe, which address?\n— Alice</textarea>');
    expect(html).toContain('<li>Status: Open → Pending customer</li>');
    expect(html).toContain('<li>Tags: +needs-info</li>');
    expect(html).toContain(`name="caseVersion" value="${(await loadCase(h.services, c.id)).version}"`);
    // Nothing changed yet.
    expect((await timeline(h.services, c.id)).some((e) => e.type === 'staff.replied')).toBe(false);
  });

  it('Insert with htmx answers the panel, the reply in data-macro-insert for the script', async () => {
    const c = await newCase();
    const macro = await createMacro(h.services, WAIT, alice);
    const res = await desk.post(`/cases/C-${c.id}/macros/preview`, { body: '', macro: String(macro.id) }, { htmx: true });
    const html = await res.text();
    expect(html).toMatch(/^<fieldset id="composer-macro" class="macro-picker" data-macro-insert="Hi Chloe, which address\?\n— Alice">/);
    expect(html).toContain('id="macro-send"');
    const removed = await (await desk.post(`/cases/C-${c.id}/macros/preview`, { macro: String(macro.id), clear: '1' }, { htmx: true })).text();
    expect(removed).not.toContain('macro-inserted');
    const none = await desk.post(`/cases/C-${c.id}/macros/preview`, { macro: '' }, { htmx: true });
    expect(await none.text()).toContain('Choose a macro first.');
  });

  it('Send with macro posts the edited message and the changes together, and counts the use', async () => {
    const c = await newCase();
    const macro = await createMacro(h.services, WAIT, alice);
    const version = (await loadCase(h.services, c.id)).version;
    const res = await desk.post(`/cases/C-${c.id}/macros/apply`, { body: 'Hi Chloe, which street?', visibility: 'public', appliedMacro: String(macro.id), macroVersion: '1', caseVersion: String(version) });
    expect(res.status).toBe(303);
    const after = await loadCase(h.services, c.id);
    expect(after).toMatchObject({ status: 'pending', tags: expect.arrayContaining(['needs-info']), version: version + 1 });
    const reply = (await timeline(h.services, c.id)).find((e) => e.type === 'staff.replied')!;
    expect(reply.data.body).toBe('Hi Chloe, which street?');
    expect((await h.query((q) => q.db.select().from(q.tables.macros).where(eq(q.tables.macros.id, macro.id))))[0]!.usageCount).toBe(1);
    const page = await (await desk.get(`/cases/C-${c.id}`)).text();
    expect(page).toContain('Alice Archer applied the macro “Need info”');
    expect(page).toContain('<span class="detail-label">Changed: </span>Status: Open → Pending customer; Tags: +needs-info');

    // htmx: the case again, with what was done in #flash.
    const second = await createMacro(h.services, { name: 'Resume', body: '', actions: { transition: 'resume', priority: 'high' } }, alice);
    const htmx = await desk.post(`/cases/C-${c.id}/macros/apply`, { body: '', appliedMacro: String(second.id) }, { htmx: true });
    const html = await htmx.text();
    expect(htmx.headers.get('HX-Trigger')).toBe('case-updated');
    expect(html).toContain('Applied “Resume”: Status: Pending customer → Open; Priority: normal → high.');
  });

  it('refuses a stale preview (the customer wrote meanwhile): the message is kept, a fresh preview offered, nothing sent', async () => {
    const c = await newCase();
    const macro = await createMacro(h.services, WAIT, alice);
    const version = (await loadCase(h.services, c.id)).version;
    await addMessage(h.services, c.id, { body: 'Also, my phone number changed.', public: true }, chloe);
    const count = (await timeline(h.services, c.id)).length;
    const res = await desk.post(`/cases/C-${c.id}/macros/apply`, { body: 'My edited text', appliedMacro: String(macro.id), macroVersion: '1', caseVersion: String(version) });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('My edited text</textarea>');
    expect(html).toContain('Check what changed, then send again.');
    expect(html).toContain(`name="caseVersion" value="${(await loadCase(h.services, c.id)).version}"`);
    expect((await timeline(h.services, c.id)).length).toBe(count);
  });

  it('is for staff only: customers get 404', async () => {
    const c = await newCase();
    const macro = await createMacro(h.services, WAIT, alice);
    const customer = signedIn(h, chloe);
    expect((await customer.post(`/cases/C-${c.id}/macros/preview`, { macro: String(macro.id) })).status).toBe(404);
    expect((await customer.post(`/cases/C-${c.id}/macros/apply`, { appliedMacro: String(macro.id) })).status).toBe(404);
    expect((await customer.get('/macros')).status).toBe(404);
  });
});
