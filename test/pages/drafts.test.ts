/**
 * Reply drafts through app.request() (src/cases/drafts.ts, src/http/pages/case-drafts.tsx):
 * the plain-form path (*Save draft*, no JavaScript) and htmx's autosave, a reply and a note
 * kept apart, restored on the next visit, deleted when sent or discarded, refused when too long
 * or without the CSRF token, never shown to another agent or the customer (a colleague learns
 * only that a draft exists), and erased with the case's content.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { timeline } from '../../src/cases/case-read.js';
import { createCase } from '../../src/cases/create-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { eraseCustomer } from '../../src/privacy/erase-customer.js';
import { createMacro } from '../../src/macros/edit-macro.js';
import { eraseExpiredCases } from '../../src/privacy/retention.js';
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
  alice = h.agent({ name: 'Alice Archer', email: 'alice@casebook.test', queues: ['general'] });
  bob = h.agent({ name: 'Bob Baker', email: 'bob@casebook.test', queues: ['general'], available: false });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  id = (await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: 'Workspace rename', description: 'How do I rename my workspace?' }, ADMIN)).id;
  ref = `C-${id}`;
  desk = signedIn(h, alice);
});
afterEach(() => h.close());

const composerOf = (html: string) => html.slice(html.indexOf('<form id="composer"'), html.indexOf('</form>', html.indexOf('<form id="composer"')) + 7);
const bodyOf = (html: string) => /<textarea[^>]*id="composer-body"[^>]*>([\s\S]*?)<\/textarea>/.exec(composerOf(html))?.[1];
const page = async (client: PageClient, url = `/cases/${ref}`) => (await client.get(url)).text();
const drafts = () => h.all<{ staff_id: number; kind: string; body: string }>('SELECT staff_id, kind, body FROM reply_drafts ORDER BY staff_id, kind');
const save = (client: PageClient, body: string, visibility = 'public', more: Record<string, string> = {}, htmx = false) =>
  client.post(`/cases/${ref}/draft`, { body, visibility, draftMode: visibility, draft: 'save', ...more }, { htmx });

describe('without JavaScript', () => {
  it('Save draft keeps the text, and the case brings it back on the next visit', async () => {
    const composer = composerOf(await page(desk));
    expect(composer).toContain('id="composer-draft-save" name="draft" value="save" formaction="/cases/' + ref + '/draft" formnovalidate=""');
    expect(composer).not.toContain('id="composer-draft-discard"');
    const res = await save(desk, 'Hello Chloe, about your workspace');
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/cases/${ref}?mode=public#composer`);
    expect(await drafts()).toEqual([{ staff_id: alice.id, kind: 'reply', body: 'Hello Chloe, about your workspace' }]);
    const again = await page(desk);
    expect(bodyOf(again)).toBe('Hello Chloe, about your workspace');
    expect(composerOf(again)).toMatch(/id="composer-visibility-public" name="visibility" value="public" checked=""/);
    expect(composerOf(again)).toContain('Draft reply saved');
    expect(composerOf(again)).toContain('id="composer-draft-discard"');
  });

  it('keeps a reply and a note apart: each mode opens on its own, the newest by default', async () => {
    await save(desk, 'Dear Chloe, the reply');
    h.clock.advance(60_000);
    await save(desk, 'Checked the billing system', 'internal');
    expect((await drafts()).map((d) => d.kind)).toEqual(['note', 'reply']);
    const newest = await page(desk);
    expect(bodyOf(newest)).toBe('Checked the billing system');
    expect(composerOf(newest)).toMatch(/id="composer-visibility-internal" name="visibility" value="internal" checked=""/);
    expect(composerOf(newest)).toContain('You also have an unsent reply on this case');
    expect(composerOf(newest)).toContain(`href="/cases/${ref}?mode=public"`);
    expect(bodyOf(await page(desk, `/cases/${ref}?mode=public`))).toBe('Dear Chloe, the reply');
    expect(bodyOf(await page(desk, `/cases/${ref}?mode=note`))).toBe('Checked the billing system');
  });

  it('moves a draft to the other mode, but never over that mode’s own text', async () => {
    await save(desk, 'Meant as a note');
    // Switched to "Internal note" (the text came from the reply draft): it becomes the note draft.
    expect((await desk.post(`/cases/${ref}/draft`, { body: 'Meant as a note', visibility: 'internal', draftMode: 'public', draft: 'save' })).status).toBe(303);
    expect(await drafts()).toEqual([{ staff_id: alice.id, kind: 'note', body: 'Meant as a note' }]);
    await save(desk, 'A reply after all');
    // Moving the reply onto the note would lose the note: refused, saying so, the text kept on the page.
    const refused = await desk.post(`/cases/${ref}/draft`, { body: 'A reply after all', visibility: 'internal', draftMode: 'public', draft: 'save' });
    expect(refused.status).toBe(422);
    const html = await refused.text();
    expect(html).toContain('Draft not saved: you already have an unsent internal note on this case.');
    expect(bodyOf(html)).toBe('A reply after all');
    expect(await drafts()).toEqual([
      { staff_id: alice.id, kind: 'note', body: 'Meant as a note' },
      { staff_id: alice.id, kind: 'reply', body: 'A reply after all' },
    ]);
  });

  it('sending deletes the draft the text came from, not the other one', async () => {
    await save(desk, 'Internal: waiting for the billing team', 'internal');
    await save(desk, 'Here is how to rename it');
    const sent = await desk.post(`/cases/${ref}/messages`, { body: 'Here is how to rename it', visibility: 'public', draftMode: 'public', then: '' });
    expect(sent.status).toBe(303);
    expect((await timeline(h.services, id)).some((e) => e.type === 'staff.replied' && e.data.body === 'Here is how to rename it')).toBe(true);
    expect(await drafts()).toEqual([{ staff_id: alice.id, kind: 'note', body: 'Internal: waiting for the billing team' }]);
    // A send that is held back (here: a reply after a note asks first) keeps the draft.
    await desk.post(`/cases/${ref}/messages`, { body: 'Internal: waiting for the billing team', visibility: 'internal', draftMode: 'internal', then: '' });
    await save(desk, 'Another reply');
    const asked = await desk.post(`/cases/${ref}/messages`, { body: 'Another reply', visibility: 'public', draftMode: 'public', then: '' });
    expect(asked.status).toBe(200);
    expect(await drafts()).toEqual([{ staff_id: alice.id, kind: 'reply', body: 'Another reply' }]);
  });

  it('a save that arrives after its text was sent from the same page (on its way while Send was clicked) saves nothing', async () => {
    const seen = /id="composer-seen" value="(\d+)"/.exec(await page(desk))![1]!;
    await desk.post(`/cases/${ref}/messages`, { body: 'Sent already', visibility: 'public', draftMode: 'public', seen, then: '' });
    expect((await save(desk, 'Sent already ', 'public', { seen }, true)).status).toBe(200);
    expect(await drafts()).toEqual([]);
    // Typed again on the page that shows the reply: a draft like any other.
    const now = /id="composer-seen" value="(\d+)"/.exec(await page(desk))![1]!;
    await save(desk, 'Sent already', 'public', { seen: now });
    expect(await drafts()).toEqual([{ staff_id: alice.id, kind: 'reply', body: 'Sent already' }]);
  });

  it('keeps the macro inserted into the draft: the case shows it again, previewed on the case as it is now', async () => {
    const macro = await createMacro(h.services, { name: 'Ask to wait', body: 'Hi {{customer.firstName}}, one moment please.', actions: { transition: 'waitOnCustomer' } }, alice);
    await save(desk, 'Hi Chloe, one moment please.', 'public', { appliedMacro: String(macro.id) });
    const html = composerOf(await page(desk));
    expect(html).toContain('“Ask to wait” is in your message.');
    expect(html).toContain(`<input type="hidden" name="appliedMacro" value="${macro.id}"/>`);
    expect(bodyOf(html)).toBe('Hi Chloe, one moment please.');
  });

  it('Discard draft deletes it and opens the composer empty in that mode', async () => {
    await save(desk, 'Scrap this', 'internal');
    const res = await desk.post(`/cases/${ref}/draft`, { body: 'Scrap this', visibility: 'internal', draftMode: 'internal', draft: 'discard' });
    expect(res.headers.get('Location')).toBe(`/cases/${ref}?mode=note`);
    expect(await drafts()).toEqual([]);
    expect(bodyOf(await page(desk, res.headers.get('Location')!))).toBe('');
  });

  it('an empty text deletes the draft', async () => {
    await save(desk, 'Something');
    await save(desk, '   ');
    expect(await drafts()).toEqual([]);
  });

  it('refuses a text longer than a message may be, as the send path does, and keeps it on the page', async () => {
    const long = 'x'.repeat(20_001);
    const res = await save(desk, long);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('Draft not saved: at most 20,000 characters');
    expect(bodyOf(html)).toBe(long);
    expect(await drafts()).toEqual([]);
    const htmx = await save(desk, long, 'public', {}, true);
    expect(htmx.status).toBe(422);
    expect(await htmx.text()).toContain('<p class="field-error" role="alert" id="composer-draft-error">Draft not saved: at most 20,000 characters</p>');
  });

  it('refuses a save without the CSRF token', async () => {
    const res = await desk.post(`/cases/${ref}/draft`, { body: 'Forged', visibility: 'public', draft: 'save' }, { csrf: false });
    expect(res.status).toBe(403);
    expect(await drafts()).toEqual([]);
  });
});

describe('htmx autosave', () => {
  it('the composer saves while typing (debounced, files left out, a send aborts it) and answers the drafts line', async () => {
    const composer = composerOf(await page(desk));
    expect(composer).toMatch(/<span hidden="" id="composer-autosave" hx-post="\/cases\/C-\d+\/draft" hx-trigger="input changed delay:1s from:#composer-body"[^>]*hx-sync="closest form:abort" hx-params="not files"/);
    const res = await save(desk, 'Typed so far', 'public', {}, true);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html.startsWith('<div id="composer-draft"')).toBe(true);
    // Whose draft the message holds is the page's (and workspace.js's) to say: a late answer never changes it.
    expect(html).not.toContain('name="draftMode"');
    expect(composer).toContain('<input type="hidden" name="draftMode" id="composer-draft-mode" value="public"/>');
    expect(html).toContain('Draft reply saved');
    expect(await drafts()).toEqual([{ staff_id: alice.id, kind: 'reply', body: 'Typed so far' }]);
  });

  it('Discard draft answers the composer, empty', async () => {
    await save(desk, 'Typed so far');
    const res = await desk.post(`/cases/${ref}/draft`, { body: 'Typed so far', visibility: 'public', draftMode: 'public', draft: 'discard' }, { htmx: true });
    const html = await res.text();
    expect(html.startsWith('<form id="composer"')).toBe(true);
    expect(bodyOf(html)).toBe('');
    expect(await drafts()).toEqual([]);
  });
});

describe('isolation', () => {
  it('another agent never gets the text: their composer is their own; the presence panel says a draft exists', async () => {
    await save(desk, 'SECRET-REPLY-TEXT for Chloe');
    h.clock.advance(1_000);
    await save(desk, 'SECRET-NOTE-TEXT', 'internal');
    const colleague = signedIn(h, bob);
    const html = await page(colleague);
    expect(html).not.toContain('SECRET-');
    expect(bodyOf(html)).toBe('');
    expect(html).toContain('Alice Archer has an unsent reply on this case; Alice Archer has an unsent internal note on this case.');
    // The presence poll says the same; Alice does not see herself in it.
    const panel = await (await colleague.post(`/cases/${ref}/presence`, { typing: '0' }, { htmx: true })).text();
    expect(panel).toContain('id="presence-drafting"');
    expect(await page(desk)).not.toContain('id="presence-drafting"');
    // Bob's own draft is his; sending his reply leaves Alice's alone.
    await save(colleague, 'Bob writes');
    expect(bodyOf(await page(colleague))).toBe('Bob writes');
    expect(bodyOf(await page(desk))).toBe('SECRET-NOTE-TEXT');
    await colleague.post(`/cases/${ref}/messages`, { body: 'Bob writes', visibility: 'public', draftMode: 'public', then: '' });
    expect((await drafts()).map((d) => [d.staff_id, d.kind])).toEqual([
      [alice.id, 'note'],
      [alice.id, 'reply'],
    ]);
  });

  it('the customer sees no draft and cannot save one', async () => {
    await save(desk, 'SECRET-REPLY-TEXT for Chloe');
    const customer = signedIn(h, chloe);
    const portal = await page(customer);
    expect(portal).not.toContain('SECRET-');
    expect(portal).not.toContain('unsent');
    expect((await customer.post(`/cases/${ref}/draft`, { body: 'x', visibility: 'public' })).status).toBe(404);
  });

  it('an agent who may not see the case cannot save a draft on it', async () => {
    const outsider = signedIn(h, h.agent({ name: 'Otto Other', queues: ['technical'] }));
    expect((await save(outsider, 'Sneaky')).status).toBe(404);
    expect(await drafts()).toEqual([]);
  });
});

describe('erasure', () => {
  it('erasing the customer erases the drafts on their cases', async () => {
    await save(desk, 'Reply naming Chloe');
    const result = await eraseCustomer(h.services, chloe.id, ADMIN);
    expect(result.summary).toMatchObject({ replyDrafts: 1 });
    expect(await drafts()).toEqual([]);
  });

  it('retention erases the drafts of a closed case with its content', async () => {
    await save(desk, 'A note left behind', 'internal');
    for (const transition of [{ transition: 'resolve', solution: 'Renamed' }, { transition: 'close' }]) await transitionCase(h.services, id, transition, alice);
    // A closed case shows its draft still: it is not lost.
    expect(bodyOf(await page(desk))).toBe('A note left behind');
    h.clock.advance(2 * 86_400_000);
    expect(await eraseExpiredCases(h.services, 1)).toMatchObject({ erased: 1 });
    expect(await drafts()).toEqual([]);
  });
});
