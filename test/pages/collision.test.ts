/**
 * Collision and presence (issue 13, item 8): who else is on a case and who is typing, by
 * heartbeats that expire by the clock; a reply or note from a stale view is held back with
 * what changed, the draft kept, until the agent sends anyway; the API's If-Match on messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMessage } from '../../src/cases/add-message.js';
import { loadCase, timeline } from '../../src/cases/case-read.js';
import { createCase } from '../../src/cases/create-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { ADMIN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';

let h: Harness;
let alice: TestActor;
let bob: TestActor;
let chloe: TestActor;
let aliceDesk: PageClient;
let bobDesk: PageClient;
let ref: string;
let id: number;

beforeAll(async () => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing'], skills: ['refunds'] });
  bob = h.agent({ name: 'Bob', queues: ['general', 'billing'], skills: ['refunds'] });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  aliceDesk = signedIn(h, alice);
  bobDesk = signedIn(h, bob);
  const c = await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: 'Refund please', description: 'I was charged twice, please refund the duplicate charge.', channel: 'web' }, ADMIN);
  id = c.id;
  ref = `C-${c.id}`;
});
afterAll(() => h.close());

const seenOf = (html: string) => Number(/name="seen" id="composer-seen" value="(\d+)"/.exec(html)![1]);
const replies = async () => (await timeline(h.services, id)).filter((e) => e.type === 'staff.replied' || e.type === 'staff.noted');

describe('presence', () => {
  it('shows who else has the case open and who is typing, and forgets them by the clock', async () => {
    expect(await (await aliceDesk.get(`/cases/${ref}`)).text()).toContain('Nobody else has this case open.');
    await bobDesk.get(`/cases/${ref}`);
    const page = await (await aliceDesk.get(`/cases/${ref}`)).text();
    expect(page).toContain('<span class="presence-viewing"><strong>Bob</strong> is viewing</span>');
    // Bob types: his heartbeat says so; Alice's panel poll shows it.
    await bobDesk.post(`/cases/${ref}/presence`, { typing: '1' }, { htmx: true });
    h.clock.advance(3_000);
    const panel = await (await aliceDesk.post(`/cases/${ref}/presence`, { typing: '0' }, { htmx: true })).text();
    expect(panel).toMatch(/^<form id="case-presence"/);
    expect(panel).toContain('<strong>Bob</strong> is typing…');
    expect(panel).not.toContain('Alice');
    // Typing wears off after 8 s; Bob is gone 30 s after his last heartbeat.
    h.clock.advance(6_000);
    expect(await (await aliceDesk.post(`/cases/${ref}/presence`, {}, { htmx: true })).text()).toContain('<strong>Bob</strong> is viewing');
    h.clock.advance(22_000);
    expect(await (await aliceDesk.post(`/cases/${ref}/presence`, {}, { htmx: true })).text()).toContain('Nobody else has this case open.');
    // Without JavaScript the panel's form goes back to the case.
    expect((await aliceDesk.post(`/cases/${ref}/presence`, {})).status).toBe(303);
  });

  it('is staff only', async () => {
    expect((await signedIn(h, chloe).post(`/cases/${ref}/presence`, {})).status).toBe(404);
    expect(await (await signedIn(h, chloe).get(`/cases/${ref}`)).text()).not.toContain('case-presence');
  });
});

describe('a reply from a stale view', () => {
  it('is held back with what changed, the draft kept; "Send anyway" sends it', async () => {
    const seen = seenOf(await (await aliceDesk.get(`/cases/${ref}`)).text());
    await addMessage(h.services, id, { body: 'Any news? It is urgent.', public: true }, { type: 'customer', id: chloe.id, role: 'customer', name: 'Chloe' });
    const before = (await replies()).length;
    const held = await aliceDesk.post(`/cases/${ref}/messages`, { body: 'We refunded the duplicate charge.', visibility: 'public', then: '', seen: String(seen) }, { htmx: true });
    expect(held.status).toBe(200);
    expect(held.headers.get('HX-Retarget')).toBe('#composer');
    const html = await held.text();
    expect(html).toContain('Not sent yet: the case changed since you opened it.');
    expect(html).toContain('Chloe (the customer) replied');
    expect(html).toContain('We refunded the duplicate charge.</textarea>');
    expect(html).toContain('name="confirmedStale" value="1"');
    // The timeline comes along out of band, so what changed is on screen.
    expect(html).toMatch(/id="case-timeline"[^>]*hx-swap-oob="true"/);
    expect(html).toContain('Any news? It is urgent.');
    expect(seenOf(html)).toBeGreaterThan(seen);
    expect(await replies()).toHaveLength(before);
    const sent = await aliceDesk.post(`/cases/${ref}/messages`, { body: 'We refunded the duplicate charge.', visibility: 'public', then: '', seen: String(seen), confirmedStale: '1' });
    expect(sent.status).toBe(303);
    expect(await replies()).toHaveLength(before + 1);
  });

  it('is not held back for the agent’s own entries, nor once the page has shown the change (the live poll updates `seen`)', async () => {
    const page = await (await aliceDesk.get(`/cases/${ref}`)).text();
    const seen = seenOf(page);
    const stamp = /hx-get="\/cases\/[^"]+\/live\?stamp=([^"]+)"/.exec(page)![1]!;
    await aliceDesk.post(`/cases/${ref}/messages`, { body: 'Note to self', visibility: 'internal', then: '', seen: String(seen) });
    expect((await replies()).at(-1)!.data.body).toBe('Note to self');
    // Bob replies; Alice's live poll shows it and brings the new `seen` out of band.
    await bobDesk.post(`/cases/${ref}/messages`, { body: 'Bob here, looking into it.', visibility: 'internal', then: '' });
    const live = await (await aliceDesk.get(`/cases/${ref}/live?stamp=${encodeURIComponent(stamp)}`, { htmx: true })).text();
    expect(live).toContain('Bob here, looking into it.');
    const updated = Number(/name="seen" id="composer-seen" value="(\d+)" hx-swap-oob="true"/.exec(live)![1]);
    const res = await aliceDesk.post(`/cases/${ref}/messages`, { body: 'Thanks Bob', visibility: 'internal', then: '', seen: String(updated) });
    expect(res.status).toBe(303);
    expect((await replies()).at(-1)!.data.body).toBe('Thanks Bob');
  });
});

describe('a transition from a page that did not show the customer’s latest message', () => {
  const customer = () => ({ type: 'customer' as const, id: chloe.id, role: 'customer' as const, name: 'Chloe' });
  const transitionSeenOf = (html: string, name: string) => Number(new RegExp(`name="seen" id="transition-${name}-seen" value="(\\d+)"`).exec(html)![1]);
  const newCase = async (subject: string) => {
    const c = await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject, description: 'My order has not arrived yet, can you check?', channel: 'web' }, ADMIN);
    return { id: c.id, ref: `C-${c.id}` };
  };
  const statusOf = async (caseId: number) => (await loadCase(h.services, caseId)).status;

  it('is held back without JavaScript: the page comes back (422) with the message, the solution kept and "Resolve anyway"', async () => {
    const c = await newCase('Held resolve');
    const seen = transitionSeenOf(await (await aliceDesk.get(`/cases/${c.ref}`)).text(), 'resolve');
    await addMessage(h.services, c.id, { body: 'Never mind the old address: please ship to Gartenstraße 5.', public: true }, customer());
    const held = await aliceDesk.post(`/cases/${c.ref}/transitions`, { transition: 'resolve', solution: 'Shipped to your old address today.', seen: String(seen) });
    expect(held.status).toBe(422);
    const html = await held.text();
    expect(html).toContain('Not done yet: the customer wrote since you opened this case (1 new message).');
    expect(html).toContain('Never mind the old address: please ship to Gartenstraße 5.');
    expect(html).toContain('Shipped to your old address today.</textarea>');
    expect(html).toContain('Resolve anyway');
    expect(await statusOf(c.id)).toBe('open');
    // "Resolve anyway" carries the new `seen`: it goes through.
    const fresh = transitionSeenOf(html, 'resolve');
    expect(fresh).toBeGreaterThan(seen);
    expect((await aliceDesk.post(`/cases/${c.ref}/transitions`, { transition: 'resolve', solution: 'Shipped to Gartenstraße 5 today.', seen: String(fresh) })).status).toBe(303);
    expect(await statusOf(c.id)).toBe('resolved');
  });

  it('is held back with htmx (the form alone, the timeline out of band), for Wait on customer and Escalate too', async () => {
    const c = await newCase('Held wait');
    const page = await (await aliceDesk.get(`/cases/${c.ref}`)).text();
    const seen = transitionSeenOf(page, 'escalate');
    await addMessage(h.services, c.id, { body: 'It arrived after all, sorry!', public: true }, customer());
    const escalate = await aliceDesk.post(`/cases/${c.ref}/transitions`, { transition: 'escalate', reason: 'Courier lost it', seen: String(seen) }, { htmx: true });
    expect(escalate.status).toBe(422);
    expect(escalate.headers.get('HX-Retarget')).toBe('#transition-escalate');
    const fragment = await escalate.text();
    expect(fragment).toContain('Escalate to advanced support anyway');
    expect(fragment).toContain('Courier lost it</textarea>');
    expect(fragment).toMatch(/id="case-timeline"[^>]*hx-swap-oob="true"/);
    expect(fragment).toContain('It arrived after all, sorry!');
    const wait = await aliceDesk.post(`/cases/${c.ref}/transitions`, { transition: 'waitOnCustomer', seen: String(seen) }, { htmx: true });
    expect(wait.status).toBe(422);
    expect(await wait.text()).toContain('Wait on customer anyway');
    expect(await statusOf(c.id)).toBe('open');
  });

  it('is not held back once the live poll has shown the message (it updates each form’s `seen` out of band), nor without `seen`', async () => {
    const c = await newCase('Live seen');
    const page = await (await aliceDesk.get(`/cases/${c.ref}`)).text();
    const stamp = /hx-get="\/cases\/[^"]+\/live\?stamp=([^"]+)"/.exec(page)![1]!;
    await addMessage(h.services, c.id, { body: 'Any news?', public: true }, customer());
    const live = await (await aliceDesk.get(`/cases/${c.ref}/live?stamp=${encodeURIComponent(stamp)}`, { htmx: true })).text();
    const updated = Number(/name="seen" id="transition-resolve-seen" value="(\d+)" hx-swap-oob="true"/.exec(live)![1]);
    expect(updated).toBeGreaterThan(transitionSeenOf(page, 'resolve'));
    expect((await aliceDesk.post(`/cases/${c.ref}/transitions`, { transition: 'resolve', solution: 'Delivered yesterday.', seen: String(updated) })).status).toBe(303);
    // A post without `seen` (an older page, a script) behaves as before.
    const other = await newCase('No seen');
    await addMessage(h.services, other.id, { body: 'Hello?', public: true }, customer());
    expect((await aliceDesk.post(`/cases/${other.ref}/transitions`, { transition: 'resolve', solution: 'Delivered.' })).status).toBe(303);
    expect(await statusOf(other.id)).toBe('resolved');
  });
});

describe('"Send anyway" after the "Send and …" first used went with the change', () => {
  it('sends the message alone, saying so, instead of a button that cannot work', async () => {
    const c = await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: 'Resolved meanwhile', description: 'A question about my invoice address.', channel: 'web' }, ADMIN);
    const caseRef = `C-${c.id}`;
    const seen = seenOf(await (await aliceDesk.get(`/cases/${caseRef}`)).text());
    await transitionCase(h.services, c.id, { transition: 'resolve', solution: 'Address updated.' }, bob);
    const held = await (await aliceDesk.post(`/cases/${caseRef}/messages`, { body: 'Also: the invoice is reissued.', visibility: 'public', then: 'resolve', seen: String(seen) }, { htmx: true })).text();
    expect(held).toContain('Not sent yet: the case changed since you opened it.');
    expect(held).toContain('<p id="composer-stale-gone">“Resolve” is not possible now: the case is Resolved. Send anyway sends your message alone.</p>');
    const button = /<button[^>]*id="composer-stale-submit"[^>]*>/.exec(held)![0];
    expect(button).toContain('name="then" value=""');
    const sent = await aliceDesk.post(`/cases/${caseRef}/messages`, { body: 'Also: the invoice is reissued.', visibility: 'public', then: '', seen: String(seenOf(held)), confirmedStale: '1' }, { htmx: true });
    expect(sent.status).toBe(200);
    expect((await timeline(h.services, c.id)).filter((e) => e.type === 'staff.replied').map((e) => e.data.body)).toEqual(['Also: the invoice is reissued.']);
  });
});

describe('a reply written while the case closed', () => {
  it('comes back with the page (no JavaScript): the draft kept in a composer, not dropped with it', async () => {
    const c = await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: 'Closed meanwhile', description: 'A question about my invoice address.', channel: 'web' }, ADMIN);
    const caseRef = `C-${c.id}`;
    const seen = seenOf(await (await aliceDesk.get(`/cases/${caseRef}`)).text());
    await transitionCase(h.services, c.id, { transition: 'resolve', solution: 'Address updated.' }, bob);
    await transitionCase(h.services, c.id, { transition: 'close' }, bob);
    const res = await aliceDesk.post(`/cases/${caseRef}/messages`, { body: 'One more thing about your invoice: it is reissued.', visibility: 'public', then: '', seen: String(seen) });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('This case is closed.');
    expect(html).toContain('Not sent yet: the case changed since you opened it.');
    expect(html).toContain('One more thing about your invoice: it is reissued.</textarea>');
    expect(html).toContain('name="confirmedStale" value="1"');
    expect((await timeline(h.services, c.id)).filter((e) => e.type === 'staff.replied')).toHaveLength(0);
    // A closed case's page has no composer otherwise.
    expect(await (await aliceDesk.get(`/cases/${caseRef}`)).text()).not.toContain('id="composer"');
  });
});

describe('the API', () => {
  it('checks If-Match / expectedVersion on messages when given (409 CONFLICT), and not otherwise', async () => {
    const token = h.tokenFor(alice);
    const got = await h.api('GET', `/api/v1/cases/${ref}`, { token });
    const etag = got.headers.get('ETag')!;
    await addMessage(h.services, id, { body: 'One more thing', public: true }, { type: 'customer', id: chloe.id, role: 'customer', name: 'Chloe' });
    const stale = await h.api('POST', `/api/v1/cases/${ref}/messages`, { token, body: { body: 'Reply', public: true }, headers: { 'If-Match': etag } });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { code: string }).code).toBe('CONFLICT');
    const version = Number(((await h.api('GET', `/api/v1/cases/${ref}`, { token })).headers.get('ETag') ?? '').replaceAll('"', ''));
    expect((await h.api('POST', `/api/v1/cases/${ref}/messages`, { token, body: { body: 'Reply', public: true, expectedVersion: version - 1 } })).status).toBe(409);
    expect((await h.api('POST', `/api/v1/cases/${ref}/messages`, { token, body: { body: 'Reply', public: true, expectedVersion: version } })).status).toBe(201);
    expect((await h.api('POST', `/api/v1/cases/${ref}/messages`, { token, body: { body: 'No check', public: true } })).status).toBe(201);
  });
});
