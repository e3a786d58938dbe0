import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { addMessage } from '../../src/cases/add-message.js';
import { loadCase, timeline } from '../../src/cases/case-read.js';
import { createCase } from '../../src/cases/create-case.js';
import { editCase } from '../../src/cases/edit-case.js';
import { csat } from '../../src/dashboard/csat.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';

let h: Harness;
let alice: TestActor;
let chloe: TestActor;
let portal: PageClient;

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing'], skills: ['refunds'] });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  portal = signedIn(h, chloe);
  const now = h.clock.now();
  await h.services.store.write((q) =>
    q.db
      .insert(q.tables.problems)
      .values({ title: 'Charged twice for one invoice', symptoms: 'charged twice, double charge, duplicate payment', solution: 'Pending authorisations disappear within 3 days.', createdAt: now, updatedAt: now }),
  );
});
afterEach(() => h.close());

async function submit(subject = 'Charged twice', description = 'My card was charged twice for the March invoice.') {
  const res = await portal.post('/portal/cases', { subject, description });
  expect(res.status).toBe(303);
  return res.headers.get('Location')!;
}

describe('new request', () => {
  it('shows the form and, while typing, matching solutions', async () => {
    const page = await portal.get('/portal/new');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('hx-get="/portal/suggestions"');
    expect(html).toContain('delay:500ms');
    const hits = await portal.get('/portal/suggestions?subject=&description=I+was+charged+twice', { htmx: true });
    expect(hits.status).toBe(200);
    const fragment = await hits.text();
    expect(fragment).toMatch(/^<div id="suggestions"/);
    expect(fragment).toContain('Charged twice for one invoice');
    expect(fragment).toContain('Pending authorisations disappear');
    expect(await (await portal.get('/portal/suggestions?subject=zebra&description=')).text()).toContain('No known solution matches yet');
  });

  it('creates the case (routed as usual) and shows its id', async () => {
    const location = await submit();
    expect(location).toBe('/cases/C-1001?created=1');
    const row = await loadCase(h.services, 1001);
    expect(row).toMatchObject({ customerId: chloe.id, channel: 'web', queueId: 'billing', assigneeId: alice.id });
    const page = await (await portal.get(location)).text();
    expect(page).toContain('<strong id="created-ref">C-1001</strong>');
    const htmx = await portal.post('/portal/cases', { subject: 'Another', description: 'Something else' }, { htmx: true });
    expect(htmx.headers.get('HX-Redirect')).toBe('/cases/C-1002?created=1');
  });

  it('re-renders the form with messages on invalid input (422)', async () => {
    const res = await portal.post('/portal/cases', { subject: ' ', description: '' });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('give your request a subject');
    expect(html).toContain('describe the problem');
    expect(html).toContain('aria-invalid="true"');
    // Said once for the whole form (a screen reader hears it), and the keyboard is at the first field to fix.
    expect(html).toContain('<p class="alert alert-error" role="alert">Please check the 2 fields marked below.</p>');
    expect(html.match(/autofocus/g)).toHaveLength(1);
    expect(html).toMatch(/<input type="text" value=" " id="request-subject" name="subject" required="" aria-invalid="true" aria-describedby="request-subject-error" maxlength="200" autofocus=""/);
    const htmx = await portal.post('/portal/cases', { subject: 'Hi', description: '' }, { htmx: true });
    expect(htmx.status).toBe(422);
    expect(htmx.headers.get('HX-Retarget')).toBe('#new-request-form');
    const frag = await htmx.text();
    expect(frag).toMatch(/^<form id="new-request-form"/);
    expect(frag).toContain('value="Hi"');
    expect(frag).toContain('<p class="alert alert-error" role="alert">Please check the field marked below.</p>');
    expect(frag).toMatch(/<textarea rows="8" id="request-description"[^>]* autofocus=""/);
    expect(await h.get('SELECT count(*) AS n FROM cases')).toEqual({ n: 0 });
  });
  it('counts a line break as one character, as the form’s maxlength does: 20,000 typed characters with CRLF line breaks are accepted', async () => {
    // Browsers send a textarea's line breaks as CRLF but let maxlength count each as one.
    const lines = Array.from({ length: 100 }, (_, i) => `${String(i).padStart(3, '0')} ${'x'.repeat(195)}`);
    const typed = lines.join('\n');
    expect(typed.length).toBe(19_999);
    const location = await submit('Long report', typed.replaceAll('\n', '\r\n'));
    expect((await loadCase(h.services, 1001)).description).toBe(typed);
    const reply = await portal.post(location.replace('?created=1', '') + '/messages', { body: typed.replaceAll('\n', '\r\n') });
    expect(reply.status).toBe(303);
    const [message] = await h.query((q) => q.db.select().from(q.tables.caseEvents).where(eq(q.tables.caseEvents.type, 'customer.replied')));
    expect((message!.data as { body: string }).body).toBe(typed);
    // One more character is still too many, and says so.
    const over = await portal.post('/portal/cases', { subject: 'Longer', description: `${typed}xx`.replaceAll('\n', '\r\n') });
    expect(over.status).toBe(422);
    expect(await over.text()).toContain('at most 20,000 characters');
  });
});

describe('my requests and the case page', () => {
  it('lists only my own cases with status and last update', async () => {
    await submit('Mine', 'A question of mine');
    await createCase(h.services, { customer: { email: 'sam@example.org' }, subject: 'Not mine', description: 'Someone else' }, alice);
    const html = await (await portal.get('/portal')).text();
    expect(html).toContain('Mine');
    expect(html).not.toContain('Not mine');
    expect(html).toContain('<time datetime=');
  });

  it('pages my requests by the last change I saw: staff’s internal work moves no case and no cursor', async () => {
    // C-1001 … C-1026, a minute apart: 25 on the first page, C-1001 on the second.
    for (let i = 1; i <= 26; i++) {
      await createCase(h.services, { customer: { email: 'chloe@example.com' }, subject: `Request ${i}`, description: 'A question' }, alice);
      h.clock.advanceMinutes(1);
    }
    const refs = (html: string) => [...html.matchAll(/<a href="\/cases\/(C-\d+)">/g)].map((m) => m[1]);
    const cursorOf = (html: string) => /href="\/portal\?cursor=([A-Za-z0-9_-]+)"/.exec(html)?.[1];
    const first = await (await portal.get('/portal')).text();
    expect(refs(first)).toHaveLength(25);
    expect(refs(first)[0]).toBe('C-1026');
    expect(refs(first).at(-1)).toBe('C-1002');
    const cursor = cursorOf(first)!;
    expect(refs(await (await portal.get(`/portal?cursor=${cursor}`)).text())).toEqual(['C-1001']);

    // Internal work on the last case of the first page and on the one on the second: nothing moves.
    // (Not an escalation: it would free Alice for a waiting case, whose customer sees it start.)
    h.clock.advanceMinutes(10);
    await addMessage(h.services, 1002, { body: 'Internal: check the ledger', public: false }, alice);
    await editCase(h.services, 1001, { priority: 'urgent', tags: ['ledger'] }, alice);
    const again = await (await portal.get('/portal')).text();
    expect(refs(again)).toEqual(refs(first));
    expect(cursorOf(again)).toBe(cursor);
    expect(refs(await (await portal.get(`/portal?cursor=${cursor}`)).text())).toEqual(['C-1001']);

    // A public reply moves C-1001 to the top, and C-1002 to the second page.
    await addMessage(h.services, 1001, { body: 'We are on it.', public: true }, alice);
    const moved = await (await portal.get('/portal')).text();
    expect(refs(moved)[0]).toBe('C-1001');
    expect(refs(await (await portal.get(`/portal?cursor=${cursorOf(moved)!}`)).text())).toEqual(['C-1002']);
  });

  it('shows the public conversation only: no internal notes, no internal reasons', async () => {
    await submit();
    await addMessage(h.services, 1001, { body: 'Internal: customer seems upset', public: false }, alice);
    await addMessage(h.services, 1001, { body: 'We are looking into it.', public: true }, alice);
    await transitionCase(h.services, 1001, { transition: 'escalate', reason: 'Secret escalation reason' }, alice);
    const html = await (await portal.get('/cases/C-1001')).text();
    expect(html).toContain('We are looking into it.');
    expect(html).not.toContain('customer seems upset');
    expect(html).not.toContain('Secret escalation reason');
    expect(html).not.toContain('Why is this case here');
    expect(html).not.toContain('Internal note');
    expect(html).toContain('aria-label="Portal"');
    expect(html).not.toContain('id="inbox-counts"');
  });

  it('a reply to a case waiting on the customer puts it back in the agents’ hands', async () => {
    await submit();
    await transitionCase(h.services, 1001, { transition: 'waitOnCustomer' }, alice);
    expect((await loadCase(h.services, 1001)).status).toBe('pending');
    const res = await portal.post('/cases/C-1001/messages', { body: 'Here is the receipt.' }, { htmx: true, csrfHeader: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('HX-Trigger')).toBe('case-updated');
    const html = await res.text();
    expect(html).toMatch(/^<div id="case-page"/);
    expect(html).toContain('Here is the receipt.');
    expect(html).toContain('hx-swap-oob="innerHTML"');
    expect((await loadCase(h.services, 1001)).status).toBe('open');
    const empty = await portal.post('/cases/C-1001/messages', { body: '  ' }, { htmx: true });
    expect(empty.status).toBe(422);
    expect(empty.headers.get('HX-Retarget')).toBe('#reply-form');
  });

  it('the customer’s live poll ignores SLA minutes (customers do not see them) but brings replies', async () => {
    await submit();
    const page = await (await portal.get('/cases/C-1001')).text();
    const stamp = /live\?stamp=([a-f0-9-]+)/.exec(page)![1];
    h.clock.advanceMinutes(30);
    expect((await portal.get(`/cases/C-1001/live?stamp=${stamp}`, { htmx: true })).status).toBe(204);
    await addMessage(h.services, 1001, { body: 'Internal only', public: false }, alice);
    await addMessage(h.services, 1001, { body: 'Here is an update.', public: true }, alice);
    const live = await (await portal.get(`/cases/C-1001/live?stamp=${stamp}`, { htmx: true })).text();
    expect(live).toContain('Here is an update.');
    expect(live).not.toContain('Internal only');
    expect(live).not.toContain('case-why');
  });

  it('a reply to a case closed while the page was open is not lost: it comes back as a new request, text and all', async () => {
    const location = await submit('Invoice address', 'The invoice has our old address.');
    const ref = /C-\d+/.exec(location)![0];
    const id = Number(ref.slice(2));
    await transitionCase(h.services, id, { transition: 'resolve', solution: 'Address updated.' }, alice);
    await transitionCase(h.services, id, { transition: 'close' }, alice);
    // Without JavaScript: the page again, the reply offered as a new request.
    const res = await portal.upload(`/cases/${ref}/messages`, { body: 'The new invoice still shows the old street.', visibility: 'public' }, []);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain(`${ref} was closed before your message reached us, so it was not sent.`);
    expect(html).toContain('<form id="reply-form" class="panel stack" method="post" action="/portal/cases" enctype="multipart/form-data">');
    expect(html).toContain(`value="Follow-up to ${ref}: Invoice address"`);
    expect(html).toContain('The new invoice still shows the old street.</textarea>');
    // htmx swaps the same form in place of the reply form.
    const fragment = await portal.upload(`/cases/${ref}/messages`, { body: 'The new invoice still shows the old street.', visibility: 'public' }, [], { htmx: true });
    expect(fragment.headers.get('HX-Retarget')).toBe('#reply-form');
    expect(await fragment.text()).toMatch(/^<form id="reply-form"[^>]*action="\/portal\/cases"/);
    expect((await timeline(h.services, id)).filter((e) => e.type === 'customer.replied')).toHaveLength(0);
    // Sending it files the new request with the text.
    const sent = await portal.post('/portal/cases', { subject: `Follow-up to ${ref}: Invoice address`, description: 'The new invoice still shows the old street.' });
    expect(sent.status).toBe(303);
    const follow = await loadCase(h.services, Number(/C-(\d+)/.exec(sent.headers.get('Location')!)![1]));
    expect(follow).toMatchObject({ subject: `Follow-up to ${ref}: Invoice address`, description: 'The new invoice still shows the old street.' });
  });

  it('a reply or a request sent after the session ended is not lost: nothing is done, the text stays (htmx) or is shown back (no JS)', async () => {
    await submit();
    const page = await (await portal.get('/cases/C-1001')).text();
    const stamp = /live\?stamp=([a-f0-9-]+)/.exec(page)![1];
    await h.services.store.write((q) => q.db.delete(q.tables.sessions)); // idle too long, or signed out on another device
    const from = { 'HX-Current-URL': 'http://localhost/cases/C-1001', Referer: 'http://localhost/cases/C-1001' };
    // The open page's live poll does not leave the page (that would lose what is being typed): it says so once and stops (htmx's 286).
    const poll = await portal.get(`/cases/C-1001/live?stamp=${stamp}`, { htmx: true, headers: from });
    expect(poll.status).toBe(286);
    expect(poll.headers.get('HX-Redirect')).toBeNull();
    expect(poll.headers.get('HX-Retarget')).toBe('#flash');
    expect(await poll.text()).toContain('<a href="/login?next=%2Fcases%2FC-1001">Sign in again</a>');
    // With htmx the form stays as it is (its text in it); said in #flash, as often as it is sent.
    for (let i = 0; i < 2; i++) {
      const htmx = await portal.post('/cases/C-1001/messages', { body: 'The receipt is attached.' }, { htmx: true, csrfHeader: true, headers: from });
      expect(htmx.status).toBe(401);
      expect(htmx.headers.get('HX-Retarget')).toBe('#flash');
      expect(htmx.headers.get('HX-Redirect')).toBeNull();
      const alert = await htmx.text();
      expect(alert).toContain('Nothing was sent: what you wrote is still in the form.');
      expect(alert).toContain('href="/login?next=%2Fcases%2FC-1001"');
    }
    // Without JavaScript the sign-in page shows the text to copy and leads back to the case.
    const plain = await portal.post('/cases/C-1001/messages', { body: 'The receipt is attached.\nIt shows € 42,00.' }, { headers: { Referer: 'http://localhost/cases/C-1001' } });
    expect(plain.status).toBe(401);
    const html = await plain.text();
    expect(html).toContain('Nothing was sent. Here is what you wrote');
    expect(html).toMatch(/<label for="kept-0">Your message<\/label><textarea id="kept-0" class="kept-text" rows="3" readonly="" dir="auto">The receipt is attached.\nIt shows € 42,00.<\/textarea>/);
    expect(html).toContain('<input type="hidden" name="next" value="/cases/C-1001"/>');
    const request = await portal.post('/portal/cases', { subject: 'Second <b>problem</b>', description: 'Also the export fails.' }, { headers: { Referer: 'http://localhost/portal/new' } });
    expect(request.status).toBe(401);
    const kept = await request.text();
    expect(kept).toContain('>Second &lt;b&gt;problem&lt;/b&gt;</textarea>');
    expect(kept).toContain('>Also the export fails.</textarea>');
    expect(kept).toContain('<input type="hidden" name="next" value="/portal/new"/>');
    // Nothing was done; a page load goes to sign-in and back, as before.
    expect((await timeline(h.services, 1001)).filter((e) => e.type === 'customer.replied')).toHaveLength(0);
    expect(await h.query((q) => q.db.select().from(q.tables.cases))).toHaveLength(1);
    const load = await portal.get('/cases/C-1001');
    expect(load.status).toBe(303);
    expect(load.headers.get('Location')).toBe('/login?next=%2Fcases%2FC-1001');
  });

  it('customers cannot write internal notes, even by editing the form', async () => {
    await submit();
    await portal.post('/cases/C-1001/messages', { body: 'Sneaky', visibility: 'internal' });
    // (The case's acknowledgement, performed in the background, may be recorded before or after it.)
    const messages = await timeline(h.services, 1001, { types: ['customer.replied', 'staff.replied', 'staff.noted'] });
    expect(messages.map((e) => e.type)).toEqual(['customer.replied']);
    expect(messages[0]!.data.body).toBe('Sneaky');
  });

  it('mark as solved, then rate (satisfied or not, with a comment; a new rating replaces it)', async () => {
    await submit();
    const before = await (await portal.get('/cases/C-1001')).text();
    expect(before).toContain('Mark as solved');
    expect(before).not.toContain('id="rating-form"');
    const solved = await portal.post('/cases/C-1001/transitions', { transition: 'markSolved' });
    expect(solved.status).toBe(303);
    expect((await loadCase(h.services, 1001)).status).toBe('resolved');
    const page = await (await portal.get('/cases/C-1001')).text();
    expect(page).toContain('id="rating-form"');
    expect(page).toContain('Reopen');
    const missing = await portal.post('/cases/C-1001/rating', { comment: 'no choice' }, { htmx: true });
    expect(missing.status).toBe(422);
    expect(await missing.text()).toContain('choose yes or no');
    expect((await portal.post('/cases/C-1001/rating', { satisfied: 'no', comment: 'Slow' })).status).toBe(303);
    const rated = await portal.post('/cases/C-1001/rating', { satisfied: 'yes', comment: 'Great help' }, { htmx: true });
    expect(await rated.text()).toContain('You rated this: satisfied');
    expect(await h.query((q) => q.db.select().from(q.tables.caseRatings).where(eq(q.tables.caseRatings.caseId, 1001)))).toMatchObject([{ satisfied: true, comment: 'Great help' }]);
  });

  it('a reopen ends the resolution: no current solution or rating, the earlier ones labelled and still counted in their period', async () => {
    await submit();
    const hour = 60 * 60 * 1000;
    const start = h.clock.now();
    const ratingsIn = (from: number, to: number) => h.query((q) => csat(q, { from, to, queue: null, zone: 'UTC' }));
    await transitionCase(h.services, 1001, { transition: 'resolve', solution: 'Refunded the duplicate charge.' }, alice);
    expect((await portal.post('/cases/C-1001/rating', { satisfied: 'yes', comment: 'Quick' })).status).toBe(303);
    const firstPeriod = await ratingsIn(start, start + hour);
    expect(firstPeriod).toMatchObject({ ratings: 1, satisfied: 1 });
    // Two hours later the customer reopens: the refund never arrived.
    h.clock.advance(2 * hour);
    expect((await portal.post('/cases/C-1001/transitions', { transition: 'reopen' })).status).toBe(303);
    const reopened = await (await portal.get('/cases/C-1001')).text();
    const yourCase = reopened.slice(reopened.indexOf('id="case-actions"'));
    expect(yourCase).not.toContain('<h3>Solution</h3>');
    expect(yourCase).not.toContain('You rated this');
    expect(reopened).toContain('Earlier solution (the case was reopened since)');
    expect(reopened).toContain('Rated: satisfied (an earlier resolution: the case was reopened since)');
    const api = (await (await h.api('GET', '/api/v1/cases/C-1001', { token: h.tokenFor(chloe) })).json()) as { solution: unknown; rating: unknown };
    expect(api).toMatchObject({ solution: null, rating: null });
    const staffPage = await (await signedIn(h, alice).get('/cases/C-1001')).text();
    expect(staffPage).toContain('Earlier solution (the case was reopened since)');
    expect(staffPage).toContain('(an earlier resolution: the case was reopened since)');
    // Resolved again and rated anew: the new rating is the case's, the earlier one stays in its period.
    await transitionCase(h.services, 1001, { transition: 'resolve', solution: 'Refund sent again, reference R-77.' }, alice);
    const again = await (await portal.get('/cases/C-1001')).text();
    expect(again).toContain('Refund sent again, reference R-77.');
    expect(again).toContain('Send rating');
    expect(again).not.toContain('You rated this');
    expect((await portal.post('/cases/C-1001/rating', { satisfied: 'no', comment: 'Took two tries' })).status).toBe(303);
    expect((await portal.post('/cases/C-1001/rating', { satisfied: 'no', comment: 'Took two tries, twice' })).status).toBe(303);
    expect(await (await portal.get('/cases/C-1001')).text()).toContain('You rated this: not satisfied');
    expect(await ratingsIn(start, start + hour)).toEqual(firstPeriod);
    expect(await ratingsIn(start + 2 * hour, start + 3 * hour)).toMatchObject({ ratings: 1, satisfied: 0 });
    expect(await ratingsIn(start, start + 3 * hour)).toMatchObject({ ratings: 2, satisfied: 1 });
  });

  it('staff may not rate, and customers may not reassign (404: the other side’s forms)', async () => {
    await submit();
    await transitionCase(h.services, 1001, { transition: 'resolve', solution: 'Refunded.' }, alice);
    expect((await signedIn(h, alice).post('/cases/C-1001/rating', { satisfied: 'yes' })).status).toBe(404);
    expect((await portal.post('/cases/C-1001/assignment', { queue: 'general' })).status).toBe(404);
    expect(await h.get('SELECT count(*) AS n FROM case_ratings')).toEqual({ n: 0 });
  });

  it('keeps staff and customer pages apart (404 both ways)', async () => {
    expect((await portal.get('/inbox')).status).toBe(404);
    expect((await portal.post('/availability', { available: 'false' })).status).toBe(404);
    const staff = signedIn(h, alice);
    expect((await staff.get('/portal')).status).toBe(404);
    expect((await staff.get('/portal/new')).status).toBe(404);
    expect((await staff.get('/portal/suggestions?description=x')).status).toBe(404);
  });
});
