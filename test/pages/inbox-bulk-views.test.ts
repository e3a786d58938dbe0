/**
 * The inbox's bulk actions (each case its own transaction; a summary of what changed and
 * what failed, and why; the batch capped) and saved views (personal and shared, counts,
 * who may delete them).
 */
import { asc } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMessage } from '../../src/cases/add-message.js';
import { createCase } from '../../src/cases/create-case.js';
import { inboxCount } from '../../src/cases/inbox.js';
import { saveInboxView } from '../../src/cases/inbox-views.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { principalOf } from '../../src/auth/principal.js';
import { loadCase, timeline } from '../../src/cases/case-read.js';
import { reassignCase } from '../../src/cases/reassign-case.js';
import { createMacro } from '../../src/macros/edit-macro.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';

let h: Harness;
let alice: TestActor;
let bob: TestActor;
let mia: TestActor;
let chloe: TestActor;
let desk: PageClient;
let boss: PageClient;

beforeEach(() => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice Archer', queues: ['general'], capacity: 50 });
  bob = h.agent({ name: 'Bob Baker', queues: ['technical'] });
  mia = h.agent({ name: 'Mia Manager', role: 'manager' });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe Martin' });
  desk = signedIn(h, alice);
  boss = signedIn(h, mia);
});
afterEach(() => h.close());

const views = () => h.query((q) => q.db.select().from(q.tables.inboxViews).orderBy(asc(q.tables.inboxViews.id)));
async function staffPrincipal(id: number) {
  const principal = await h.query((q) => principalOf(q, { type: 'staff', id }));
  if (!principal) throw new Error(`no principal for staff ${id}`);
  return principal;
}

async function cases(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = await createCase(h.services, { subject: `Question ${i + 1} about my account`, description: 'How do I change my address?' }, chloe, { customerId: chloe.id });
    out.push(`C-${c.id}`);
  }
  return out;
}

const id = (ref: string) => Number(ref.slice(2));

/** A bulk post: `cases` repeated once per ticked case. */
function bulk(client: PageClient, refs: string[], fields: Record<string, string>, htmx = false, listed: string[] = []) {
  const body = new URLSearchParams({ ...fields, _csrf: client.csrf });
  for (const ref of refs) body.append('cases', ref);
  for (const value of listed) body.append('listed', value);
  return h.app.request('http://localhost/inbox/bulk', {
    method: 'POST',
    headers: { Cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'Content-Type': 'application/x-www-form-urlencoded', ...(htmx ? { 'HX-Request': 'true' } : {}) },
    body: body.toString(),
  });
}

describe('bulk actions', () => {
  it('the inbox is a form: a checkbox per case and the action bar', async () => {
    const [ref] = await cases(1);
    const html = await (await desk.get('/inbox')).text();
    expect(html).toContain('<form id="bulk-form" class="bulk-form" method="post" action="/inbox/bulk"');
    expect(html).toContain(`<input type="checkbox" name="cases" value="${ref}" id="select-${ref}"`);
    expect(html).toContain('id="bulk-set-status"');
  });

  it('sets a status case by case and says which failed and why', async () => {
    const refs = await cases(4);
    // One is resolved already, so "Wait on customer" is not open to it.
    await transitionCase(h.services, id(refs[1]!), { transition: 'resolve', solution: 'Done' }, alice);
    const res = await bulk(desk, [...refs, 'C-999999'], { action: 'transition', transition: 'waitOnCustomer', view: 'mine' });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<strong>3 changed, 2 failed</strong>:');
    expect(html).toContain(`<strong>${refs[1]}</strong> — &quot;Wait on customer&quot; is not possible while the case is Resolved`);
    expect(html).toContain('<strong>C-999999</strong> — not found');
    for (const ref of [refs[0]!, refs[2]!, refs[3]!]) expect((await loadCase(h.services, id(ref))).status).toBe('pending');
    expect((await loadCase(h.services, id(refs[1]!))).status).toBe('resolved');
  });

  it('counts a case already in the status asked for as already so, not as failed', async () => {
    const refs = await cases(3);
    const listed = [...(await (await desk.get('/inbox')).text()).matchAll(/name="listed" value="([^"]*)"/g)].map((m) => m[1]!);
    // A colleague set one to wait on the customer after the list was shown; another was waiting already.
    await transitionCase(h.services, id(refs[0]!), { transition: 'waitOnCustomer' }, alice);
    const html = await (await bulk(desk, refs, { action: 'transition', transition: 'waitOnCustomer', view: 'mine' }, true, listed)).text();
    expect(html).toContain('<strong>2 changed, 1 already so</strong>');
    const again = await (await bulk(desk, refs, { action: 'transition', transition: 'waitOnCustomer', view: 'mine' }, true)).text();
    expect(again).toContain('<strong>0 changed, 3 already so</strong>');
    for (const ref of refs) expect((await loadCase(h.services, id(ref))).status).toBe('pending');
  });

  it('gives a transition what it asks for from the one text field (resolve: the solution)', async () => {
    const refs = await cases(2);
    const missing = await (await bulk(desk, refs, { action: 'transition', transition: 'resolve' }, true)).text();
    expect(missing).toContain('0 changed, 2 failed');
    expect(missing).toContain('solution');
    const done = await (await bulk(desk, refs, { action: 'transition', transition: 'resolve', text: 'Duplicate of C-1000: answered there.' }, true)).text();
    expect(done).toContain('2 changed');
    for (const ref of refs) expect(await loadCase(h.services, id(ref))).toMatchObject({ status: 'resolved', solution: 'Duplicate of C-1000: answered there.' });
  });

  it('assigns, tags and applies a macro; htmx gets the summary and the list refreshes', async () => {
    const refs = await cases(3);
    const toBob = await bulk(boss, refs.slice(0, 1), { action: 'assign', assignee: String(bob.id) }, true);
    expect(await toBob.text()).toContain('0 changed, 1 failed');
    const tagged = await bulk(desk, refs, { action: 'tag', tag: ' #VIP ' }, true);
    expect(tagged.headers.get('HX-Trigger')).toBe('case-updated');
    expect(await tagged.text()).toMatch(/^<div id="bulk-summary"><div class="alert alert-ok" role="status"><p><strong>3 changed<\/strong>\.<\/p>/);
    for (const ref of refs) expect((await loadCase(h.services, id(ref))).tags).toContain('vip');
    const again = await (await bulk(desk, refs.slice(0, 2), { action: 'tag', tag: 'vip' }, true)).text();
    expect(again).toContain('0 changed, 2 already so');

    const macro = await createMacro(h.services, { name: 'Ack', body: 'Thanks {{customer.firstName}}, we are on {{case.id}}.', actions: { priority: 'high' } }, alice);
    const applied = await (await bulk(desk, refs, { action: 'macro', macro: String(macro.id) }, true)).text();
    expect(applied).toContain('3 changed');
    for (const ref of refs) {
      expect((await loadCase(h.services, id(ref))).priority).toBe('high');
      expect((await timeline(h.services, id(ref))).find((e) => e.type === 'staff.replied')!.data.body).toBe(`Thanks Chloe, we are on ${ref}.`);
    }
    expect((await h.query((q) => q.db.select().from(q.tables.macros)))[0]!.usageCount).toBe(3);
  });

  it('does not act on a case changed since the list showed it: a colleague took it, its status moved', async () => {
    const refs = await cases(4);
    const gus = h.agent({ name: 'Gus Green', queues: ['general'], capacity: 50 });
    // What Alice's list shows: every row says what it showed of its case.
    const html = await (await desk.get('/inbox?view=mine')).text();
    const listed = [...html.matchAll(/<input type="hidden" name="listed" value="([^"]+)"/g)].map((m) => m[1]!.replaceAll('&#39;', "'").replaceAll('&amp;', '&'));
    expect(listed).toHaveLength(4);
    // Meanwhile: the manager gives one to Gus; another is put to wait on the customer.
    await reassignCase(h.services, id(refs[0]!), { assignee: gus.id }, mia);
    await transitionCase(h.services, id(refs[1]!), { transition: 'waitOnCustomer' }, mia);

    const resolved = await (await bulk(desk, refs.slice(0, 3), { action: 'transition', transition: 'resolve', text: 'Answered in the FAQ.' }, true, listed)).text();
    expect(resolved).toContain('1 changed, 2 failed');
    expect(resolved).toContain(`<strong>${refs[0]}</strong> — changed since the list was shown (now assigned to Gus Green); nothing done`);
    expect(resolved).toContain(`<strong>${refs[1]}</strong> — changed since the list was shown (now Pending customer); nothing done`);
    expect(await loadCase(h.services, id(refs[0]!))).toMatchObject({ status: 'open', assigneeId: gus.id });
    expect((await loadCase(h.services, id(refs[1]!))).status).toBe('pending');
    expect(await loadCase(h.services, id(refs[2]!))).toMatchObject({ status: 'resolved', solution: 'Answered in the FAQ.' });

    // "Assign to me" does not take Gus's case back from a stale list; a fresh list does.
    const taken = await (await bulk(desk, [refs[0]!], { action: 'assign', assignee: 'me' }, true, listed)).text();
    expect(taken).toContain('0 changed, 1 failed');
    expect(taken).toContain('now assigned to Gus Green');
    expect((await loadCase(h.services, id(refs[0]!))).assigneeId).toBe(gus.id);
    const fresh = [...(await (await boss.get('/inbox?view=all')).text()).matchAll(/<input type="hidden" name="listed" value="([^"]+)"/g)].map((m) => m[1]!);
    expect(await (await bulk(boss, [refs[0]!], { action: 'assign', assignee: String(alice.id) }, true, fresh)).text()).toContain('1 changed');
    expect((await loadCase(h.services, id(refs[0]!))).assigneeId).toBe(alice.id);
    // Adding a tag takes nothing from anyone: it goes ahead on a changed case.
    expect(await (await bulk(desk, [refs[1]!], { action: 'tag', tag: 'faq' }, true, listed)).text()).toContain('1 changed');
  });

  it('does not answer or close a case whose customer wrote since the list was shown; a fresh list does', async () => {
    const refs = await cases(3);
    const macro = await createMacro(h.services, { name: 'Ack', body: 'Thanks {{customer.firstName}}, we are on it.' }, alice);
    const html = await (await desk.get('/inbox?view=mine')).text();
    const listed = [...html.matchAll(/<input type="hidden" name="listed" value="([^"]+)"/g)].map((m) => m[1]!.replaceAll('&#39;', "'").replaceAll('&amp;', '&'));
    expect(listed).toHaveLength(3);
    // Meanwhile Chloe writes on two of them (the state, assignee and queue stay as listed).
    const customer = { type: 'customer' as const, id: chloe.id, role: 'customer' as const, name: 'Chloe Martin' };
    await addMessage(h.services, id(refs[0]!), { body: 'It is still broken after the update!', public: true }, customer);
    await addMessage(h.services, id(refs[2]!), { body: 'One more question about this.', public: true }, customer);

    const resolved = await (await bulk(desk, refs, { action: 'transition', transition: 'resolve', text: 'Answered in the FAQ.' }, true, listed)).text();
    expect(resolved).toContain('1 changed, 2 failed');
    expect(resolved).toContain(`<strong>${refs[0]}</strong> — Chloe Martin (the customer) wrote since the list was shown: “It is still broken after the update!”; nothing done: look at it again`);
    expect((await loadCase(h.services, id(refs[0]!))).status).toBe('open');
    expect((await loadCase(h.services, id(refs[1]!))).status).toBe('resolved');
    // A macro's reply is not sent over the customer's new message either.
    const acked = await (await bulk(desk, [refs[2]!], { action: 'macro', macro: String(macro.id) }, true, listed)).text();
    expect(acked).toContain('0 changed, 1 failed');
    expect(acked).toContain('Chloe Martin (the customer) wrote since the list was shown: “One more question about this.”');
    expect((await timeline(h.services, id(refs[2]!))).filter((e) => e.type === 'staff.replied')).toEqual([]);
    // Adding a tag, or taking the case, answers nobody: it goes ahead.
    expect(await (await bulk(desk, [refs[0]!], { action: 'tag', tag: 'follow-up' }, true, listed)).text()).toContain('1 changed');

    // The list shown now has her messages: acting from it goes ahead.
    const fresh = [...(await (await desk.get('/inbox?view=mine')).text()).matchAll(/<input type="hidden" name="listed" value="([^"]+)"/g)].map((m) => m[1]!.replaceAll('&#39;', "'").replaceAll('&amp;', '&'));
    expect(await (await bulk(desk, [refs[0]!, refs[2]!], { action: 'transition', transition: 'resolve', text: 'Fixed in 2.1.' }, true, fresh)).text()).toContain('2 changed');
    expect((await loadCase(h.services, id(refs[0]!))).status).toBe('resolved');
  });

  it('a refused request without JavaScript comes back with the same cases ticked and what was typed', async () => {
    const refs = await cases(3);
    const res = await bulk(desk, [refs[0]!, refs[2]!.toLowerCase()], { action: 'transition', text: 'Answered in the FAQ', view: 'mine' });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('Choose the status to set.');
    expect(html).toContain(`value="${refs[0]}" id="select-${refs[0]}" class="select-case" aria-label="Select ${refs[0]}" hx-preserve="true" checked=""`);
    expect(html).toContain(`value="${refs[2]}" id="select-${refs[2]}" class="select-case" aria-label="Select ${refs[2]}" hx-preserve="true" checked=""`);
    expect(html).toContain(`value="${refs[1]}" id="select-${refs[1]}" class="select-case" aria-label="Select ${refs[1]}" hx-preserve="true"/>`);
    expect(html).toContain('value="Answered in the FAQ"');
    // After an action that ran, nothing stays ticked.
    const done = await (await bulk(desk, [refs[0]!], { action: 'tag', tag: 'faq', view: 'mine' })).text();
    expect(done).not.toContain('checked=""');
  });

  it('acts on each case once, however its reference is written', async () => {
    const [ref] = await cases(1);
    const macro = await createMacro(h.services, { name: 'Ack', body: 'We are on it.' }, alice);
    const res = await (await bulk(desk, [ref!, ref!.toLowerCase(), ref!.slice(2), ` ${ref!} `], { action: 'macro', macro: String(macro.id) }, true)).text();
    expect(res).toContain('<strong>1 changed</strong>');
    expect((await timeline(h.services, id(ref!))).filter((e) => e.type === 'staff.replied')).toHaveLength(1);
  });

  it('refuses an empty selection, no action, and more than 200 cases, changing nothing', async () => {
    const refs = await cases(1);
    const empty = await bulk(desk, [], { action: 'tag', tag: 'x' });
    expect(empty.status).toBe(422);
    expect(await empty.text()).toContain('Select at least one case.');
    expect((await bulk(desk, refs, { action: 'assign', assignee: '' })).status).toBe(422);
    const many = Array.from({ length: 201 }, (_, i) => `C-${2000 + i}`);
    const tooMany = await bulk(desk, [...refs, ...many], { action: 'tag', tag: 'x' }, true);
    expect(tooMany.status).toBe(422);
    expect(await tooMany.text()).toContain('At most 200 cases at once; 202 were selected.');
    expect((await loadCase(h.services, id(refs[0]!))).tags).not.toContain('x');
    // Somebody else's personal macro is not found, for the whole batch.
    const private_ = await createMacro(h.services, { name: 'Mine', body: 'x' }, mia);
    expect(await (await bulk(desk, refs, { action: 'macro', macro: String(private_.id) })).text()).toContain(`No macro ${private_.id}.`);
  });
});

describe('saved views', () => {
  it('saves the current filters, lists them with counts, opens them', async () => {
    const refs = await cases(3);
    await transitionCase(h.services, id(refs[0]!), { transition: 'waitOnCustomer' }, alice);
    const saved = await desk.post('/inbox/views', { name: 'Waiting on them', view: 'mine', status: 'pending' });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('Location')).toBe('/inbox?view=mine&status=pending');
    const html = await (await desk.get('/inbox?view=mine&status=pending')).text();
    expect(html).toMatch(/<a href="\/inbox\?view=mine&amp;status=pending" id="view-\d+" aria-current="page"><span>Waiting on them<\/span><span class="count">1<span class="visually-hidden"> case<\/span>/);
    const twice = await desk.post('/inbox/views', { name: 'waiting on them', view: 'mine' });
    expect(twice.status).toBe(422);
    expect(await twice.text()).toContain('One of your views is already called');
    // Shared views: managers only.
    expect((await desk.post('/inbox/views', { name: 'Team', view: 'mine', shared: 'on' })).status).toBe(403);
  });

  it('reads the tag filter as tags are stored: `VIP`, `#vip`, `after hours` find the cases, lists and saved views alike', async () => {
    const refs = await cases(3);
    expect((await bulk(desk, refs.slice(0, 2), { action: 'tag', tag: 'vip' })).status).toBe(200);
    expect((await bulk(desk, refs.slice(2), { action: 'tag', tag: 'after hours' })).status).toBe(200);
    const listed = async (query: string) => [...new Set([...(await (await desk.get(`/inbox?${query}`)).text()).matchAll(/<a href="\/cases\/(C-\d+)"/g)].map((m) => m[1]))].sort();
    for (const tag of ['vip', 'VIP', '%23vip', '+%23Vip+']) expect(await listed(`view=mine&tag=${tag}`)).toEqual(refs.slice(0, 2).sort());
    expect(await listed('view=mine&tag=After+Hours')).toEqual([refs[2]]);
    // A view saved with the tag as typed is stored, counted and opened as the tag.
    const saved = await desk.post('/inbox/views', { name: 'VIPs', view: 'mine', tag: '#VIP' });
    expect(saved.headers.get('Location')).toBe('/inbox?view=mine&tag=vip');
    const principal = await staffPrincipal(alice.id);
    expect(await h.services.store.query((q) => inboxCount(q, h.services, principal, { view: 'mine', tag: 'vip' }))).toBe(2);
    expect(await (await desk.get('/inbox?view=mine&tag=vip')).text()).toMatch(/<span>VIPs<\/span><span class="count">2</);
  });

  it('shared views show to the team with each person’s count; agents cannot delete them', async () => {
    await cases(2);
    expect((await boss.post('/inbox/views', { name: 'Team: my queues', view: 'queues', shared: 'on' })).status).toBe(303);
    expect((await boss.post('/inbox/views', { name: 'Everything', view: 'all', shared: 'on' })).status).toBe(303);
    const rows = await views();
    const team = rows.find((r) => r.name === 'Team: my queues')!;
    const page = await (await desk.get('/inbox')).text();
    expect(page).toContain('Team: my queues');
    // "All open" is a managers' view: not offered to agents.
    expect(page).not.toContain('Everything');
    expect(page).not.toContain(`id="view-${team.id}-delete"`);
    expect((await desk.post(`/inbox/views/${team.id}/delete`)).status).toBe(403);
    const bobs = signedIn(h, bob);
    expect(await (await bobs.get('/inbox')).text()).toContain('Team: my queues');
    const mine = await saveInboxView(h.services, await staffPrincipal(alice.id), { view: 'mine' }, { name: 'Mine only' });
    expect((await bobs.post(`/inbox/views/${mine.id}/delete`)).status).toBe(404);
    expect((await desk.post(`/inbox/views/${mine.id}/delete`, { back: 'view=mine' })).headers.get('Location')).toBe('/inbox?view=mine');
    expect((await boss.post(`/inbox/views/${team.id}/delete`)).status).toBe(303);
    expect((await views()).map((r) => r.name)).toEqual(['Everything']);
  });

  it('the list’s poll leaves the counts alone; they refresh on their own, and with a change of filters', async () => {
    await cases(2);
    await saveInboxView(h.services, await staffPrincipal(alice.id), { view: 'mine' }, { name: 'All mine' });
    const poll = await (await desk.get('/inbox?view=mine&stamp=stale', { htmx: true })).text();
    expect(poll).toContain('id="inbox-results"');
    expect(poll).not.toContain('id="saved-views"');
    const filtered = await (await desk.get('/inbox?view=mine&priority=', { htmx: true })).text();
    expect(filtered).toMatch(/<nav id="saved-views"[^>]*hx-swap-oob="true"/);
    const refreshed = await (await desk.get('/inbox/views?current=view%3Dmine', { htmx: true })).text();
    expect(refreshed).toMatch(/^<nav id="saved-views" class="saved-views" aria-label="Saved views" hx-get="\/inbox\/views\?current=view%3Dmine" hx-trigger="case-updated from:body, every 60s"/);
    expect(refreshed).toMatch(/aria-current="page"><span>All mine<\/span><span class="count">2</);
  });

  it('counts with the filters, capped like the sidebar', async () => {
    const refs = await cases(3);
    const principal = await staffPrincipal(alice.id);
    expect(await h.services.store.query((q) => inboxCount(q, h.services, principal, { view: 'mine' }))).toBe(3);
    await transitionCase(h.services, id(refs[0]!), { transition: 'waitOnCustomer' }, alice);
    expect(await h.services.store.query((q) => inboxCount(q, h.services, principal, { view: 'mine', status: 'pending' }))).toBe(1);
    expect(await h.services.store.query((q) => inboxCount(q, h.services, principal, { view: 'queues' }))).toBe(0);
    const manager = await staffPrincipal(mia.id);
    expect(await h.services.store.query((q) => inboxCount(q, h.services, manager, { view: 'all', queue: 'general' }))).toBe(3);
  });
});
