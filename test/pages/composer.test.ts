/**
 * The staff composer through app.request(): reply or internal note (the mode stays after
 * sending), the confirmation before a public reply that follows a note (plain forms: no
 * JavaScript), "Send and …" buttons from the workflow's transitions (all or nothing),
 * mentions (flash, preview), and the live poll refreshing the buttons but never the text.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMessage } from '../../src/cases/add-message.js';
import { loadCase, timeline } from '../../src/cases/case-read.js';
import { createCase } from '../../src/cases/create-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { ADMIN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';

let h: Harness;
let alice: TestActor;
let chloe: TestActor;
let desk: PageClient;
let ref: string;
let id: number;

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice Archer', email: 'alice@casebook.test', queues: ['general'] });
  h.agent({ name: 'Bob Baker', email: 'bob@casebook.test', queues: ['general'], available: false });
  h.agent({ name: 'Dana Diaz', email: 'dana@casebook.test', role: 'advanced', queues: ['advanced'] });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  id = (await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: 'Workspace rename', description: 'How do I rename my workspace?' }, ADMIN)).id;
  ref = `C-${id}`;
  desk = signedIn(h, alice);
});
afterEach(() => h.close());

const composerOf = (html: string) => html.slice(html.indexOf('<form id="composer"'), html.indexOf('</form>', html.indexOf('<form id="composer"')) + 7);
const messages = async () => (await timeline(h.services, id)).filter((e) => e.type === 'staff.replied' || e.type === 'staff.noted').map((e) => [e.type, e.data.body]);

describe('modes', () => {
  it('offers a reply and an internal note as tabs, with the note’s warning and the buttons the workflow allows', async () => {
    const composer = composerOf(await (await desk.get(`/cases/${ref}`)).text());
    expect(composer).toContain('class="panel stack composer composer-public"');
    expect(composer).toMatch(/id="composer-visibility-public" name="visibility" value="public" checked=""/);
    expect(composer).toContain('Internal note</strong> — customers never see this.');
    expect(composer).toContain('Colleagues you can mention (1)');
    expect(composer).toContain('<code>@bob</code> Bob Baker');
    expect(composer).not.toContain('@dana');
    // Open: "wait on customer" and "resolve" (its solution is the reply); escalate needs a reason: not here.
    const buttons = [...composer.matchAll(/name="then" value="([a-zA-Z]*)"/g)].map((m) => m[1]);
    // In the workflow's order, on both databases (PostgreSQL keeps definition bodies as json).
    expect(buttons).toEqual(['', 'waitOnCustomer', 'resolve']);
    expect(composer).toContain('id="composer-then-resolve" name="then" value="resolve"');
    expect(composer).toMatch(/class="button button-secondary when-public" id="composer-then-resolve"/);
    expect(composer).toContain('“Send and resolve” records your reply as the solution.');
    await transitionCase(h.services, id, { transition: 'waitOnCustomer' }, alice);
    const pending = composerOf(await (await desk.get(`/cases/${ref}`)).text());
    const pendingButtons = [...pending.matchAll(/name="then" value="([a-zA-Z]*)"/g)].map((m) => m[1]);
    expect(pendingButtons).toEqual(['', 'resume', 'resolve']);
    expect(pending).toContain(' and resume work</span></button>');
  });

  it('stays in note mode after a note: plain forms land on ?mode=note, htmx gets the note composer back', async () => {
    const plain = await desk.post(`/cases/${ref}/messages`, { body: 'Checked the logs.', visibility: 'internal', then: '' });
    expect(plain.status).toBe(303);
    expect(plain.headers.get('Location')).toBe(`/cases/${ref}?mode=note`);
    const page = composerOf(await (await desk.get(`/cases/${ref}?mode=note`)).text());
    expect(page).toContain('composer composer-note');
    expect(page).toMatch(/id="composer-visibility-internal" name="visibility" value="internal" checked=""/);
    expect(page).toContain('<textarea rows="5" id="composer-body" name="body" maxlength="20000"');
    const htmx = await desk.post(`/cases/${ref}/messages`, { body: 'And the billing system.', visibility: 'internal', then: '' }, { htmx: true });
    expect(htmx.status).toBe(200);
    const html = await htmx.text();
    expect(composerOf(html)).toContain('composer composer-note');
    expect(composerOf(html)).toMatch(/<textarea[^>]*><\/textarea>/);
    expect(html).toContain('Internal note added.');
    expect(await messages()).toEqual([
      ['staff.noted', 'Checked the logs.'],
      ['staff.noted', 'And the billing system.'],
    ]);
    // After a reply the composer opens as a reply again.
    expect((await desk.post(`/cases/${ref}/messages`, { body: 'Hello Chloe', visibility: 'public', then: '', confirmed: '1' })).headers.get('Location')).toBe(`/cases/${ref}`);
  });
});

describe('a public reply after an internal note', () => {
  it('asks first (without JavaScript), sends nothing until confirmed, keeps the text and the chosen button', async () => {
    await addMessage(h.services, id, { body: 'Customer seems upset; refund?', public: false }, alice);
    const ask = await desk.post(`/cases/${ref}/messages`, { body: 'We refunded you.', visibility: 'public', then: 'waitOnCustomer' });
    expect(ask.status).toBe(200);
    const html = await ask.text();
    expect(html).toContain('<!DOCTYPE html>');
    const composer = composerOf(html);
    expect(composer).toContain('Your last entry was an internal note. Send this reply to the customer?');
    expect(composer).toContain('<input type="hidden" name="confirmed" value="1"/>');
    expect(composer).toContain('id="composer-confirm-submit" name="then" value="waitOnCustomer">Yes, send it to the customer and wait on customer</button>');
    expect(composer).toContain('>We refunded you.</textarea>');
    expect(await messages()).toEqual([['staff.noted', 'Customer seems upset; refund?']]);
    expect((await loadCase(h.services, id)).status).toBe('open');

    const sent = await desk.post(`/cases/${ref}/messages`, { body: 'We refunded you.', visibility: 'public', then: 'waitOnCustomer', confirmed: '1' });
    expect(sent.status).toBe(303);
    expect((await messages()).at(-1)).toEqual(['staff.replied', 'We refunded you.']);
    expect((await loadCase(h.services, id)).status).toBe('pending');
    // The last staff entry is a reply now: no question.
    expect((await desk.post(`/cases/${ref}/messages`, { body: 'One more thing.', visibility: 'public', then: '' })).status).toBe(303);
  });

  it('with htmx the composer alone comes back asking; a note after a note is never asked about', async () => {
    await addMessage(h.services, id, { body: 'internal', public: false }, alice);
    const ask = await desk.post(`/cases/${ref}/messages`, { body: 'Public text', visibility: 'public', then: '' }, { htmx: true });
    expect(ask.status).toBe(200);
    expect(ask.headers.get('HX-Retarget')).toBe('#composer');
    expect(await ask.text()).toMatch(/^<form id="composer"[^]*Your last entry was an internal note/);
    expect((await desk.post(`/cases/${ref}/messages`, { body: 'another note', visibility: 'internal', then: '' }, { htmx: true })).headers.get('HX-Retarget')).toBeNull();
    // A customer's reply is never asked about.
    const portal = signedIn(h, chloe);
    expect((await portal.post(`/cases/${ref}/messages`, { body: 'Hello?' })).status).toBe(303);
  });
});

describe('send and set status', () => {
  it('sends and moves the case in one step, saying so', async () => {
    const res = await desk.post(`/cases/${ref}/messages`, { body: 'Which plan are you on?', visibility: 'public', then: 'waitOnCustomer' }, { htmx: true });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Reply sent. The case is now Pending customer.');
    expect(res.headers.get('HX-Trigger')).toBe('case-updated');
    expect((await loadCase(h.services, id)).status).toBe('pending');
    const resolved = await desk.post(`/cases/${ref}/messages`, { body: 'Settings → Workspace → Rename.', visibility: 'public', then: 'resolve' });
    expect(resolved.status).toBe(303);
    expect(await loadCase(h.services, id)).toMatchObject({ status: 'resolved', solution: 'Settings → Workspace → Rename.' });
  });

  it('sends nothing when the transition is refused, and keeps the text (422)', async () => {
    const note = await desk.post(`/cases/${ref}/messages`, { body: 'A private thought', visibility: 'internal', then: 'resolve' }, { htmx: true });
    expect(note.status).toBe(422);
    expect(note.headers.get('HX-Retarget')).toBe('#composer');
    const form = await note.text();
    expect(form).toContain('Nothing was sent: &quot;Resolve&quot; needs a solution the customer sees');
    expect(form).toContain('>A private thought</textarea>');
    const stale = await desk.post(`/cases/${ref}/messages`, { body: 'Back to it', visibility: 'public', then: 'resume' });
    expect(stale.status).toBe(422);
    expect(await stale.text()).toContain('Nothing was sent: &quot;Resume work&quot; is not possible while the case is Open.');
    expect(await messages()).toEqual([]);
  });

  it('the live poll refreshes the buttons when the transitions change, never the text', async () => {
    const page = await (await desk.get(`/cases/${ref}`)).text();
    const stamp = /live\?stamp=([a-f0-9-]+)/.exec(page)![1];
    await addMessage(h.services, id, { body: 'Any news?', public: true }, chloe);
    const quiet = await (await desk.get(`/cases/${ref}/live?stamp=${stamp}`, { htmx: true })).text();
    expect(quiet).not.toContain('id="composer-actions"');
    await transitionCase(h.services, id, { transition: 'waitOnCustomer' }, alice);
    const live = await (await desk.get(`/cases/${ref}/live?stamp=${stamp}`, { htmx: true })).text();
    expect(live).toMatch(/<div id="composer-actions" class="composer-actions" hx-swap-oob="true">[^]*value="resume"/);
    expect(live).not.toContain('id="composer-body"');
  });
});

describe('mentions', () => {
  it('says who was notified and who cannot see the case', async () => {
    const res = await desk.post(`/cases/${ref}/messages`, { body: '@bob and @dana, thoughts?', visibility: 'internal', then: '' }, { htmx: true });
    const html = await res.text();
    expect(html).toContain('Internal note added. Notified: Bob Baker. Not notified (cannot see this case): Dana Diaz.');
    expect(html).toContain('Alice Archer mentioned Bob Baker in a note');
    expect(html).toContain('Dana Diaz: cannot see this case');
    const portal = await (await signedIn(h, chloe).get(`/cases/${ref}`)).text();
    for (const secret of ['@bob', 'mentioned', 'Bob Baker', 'thoughts?']) expect(portal).not.toContain(secret);
  });

  it('previews, while typing, who a note will notify (htmx); only for staff who may see the case', async () => {
    const preview = async (form: Record<string, string>, client = desk) => client.post(`/cases/${ref}/mentions`, form, { htmx: true });
    const note = await preview({ body: 'cc @bob @dana @nobody', visibility: 'internal' });
    expect(note.status).toBe(200);
    const html = await note.text();
    expect(html).toMatch(/^<div id="composer-mentions"/);
    expect(html).toContain('Will notify: Bob Baker');
    expect(html).toContain('Cannot see this case, not notified: Dana Diaz');
    expect(html).toContain('No colleague called @nobody');
    expect(await (await preview({ body: 'Thanks @bob', visibility: 'public' })).text()).toContain('Mentions notify only from an internal note');
    expect(await (await preview({ body: 'no mentions', visibility: 'internal' })).text()).toBe('<div id="composer-mentions" class="mention-preview" aria-live="polite"></div>');
    expect((await preview({ body: '@bob' }, signedIn(h, chloe))).status).toBe(404);
    expect((await desk.post(`/cases/${ref}/mentions`, { body: '@bob' }, { csrf: false })).status).toBe(403);
  });
});
