/**
 * Phone and walk-in (issue 13, item 7): staff log a call as a case for a found or new
 * customer; the telephony hook, signed with PHONE_WEBHOOK_SECRET, creates or appends by the
 * caller's number, exactly once per provider call id; customers gain an E.164 phone.
 */
import { eq } from 'drizzle-orm';
import { loadCase, timeline } from '../../src/cases/case-read.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCase, createCaseSchema } from '../../src/cases/create-case.js';
import { mergeCase } from '../../src/cases/merge-case.js';
import { signCall } from '../../src/channels/phone/signature.js';
import { createLink, findLink } from '../../src/auth/links.js';
import { ADMIN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';

const SECRET = 'phone-secret-0123456789abcdef';
let h: Harness;
let off: Harness;
let alice: TestActor;
let maria: TestActor;
let chloe: TestActor;
let desk: PageClient;

beforeAll(async () => {
  h = createHarness({ services: { phone: { webhookSecret: SECRET, toleranceSeconds: 300 } } });
  off = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing'], skills: ['refunds'] });
  maria = h.agent({ name: 'Maria', role: 'manager' });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe Carter', organization: 'Acme' });
  await h.services.store.write((q) => q.db.update(q.tables.customers).set({ phone: '+49301234567' }).where(eq(q.tables.customers.id, chloe.id)));
  desk = signedIn(h, alice);
});
afterAll(() => {
  h.close();
  off.close();
});

const customerRow = async (id: number) => (await h.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.id, id))))[0];

function hook(target: Harness, body: unknown, options: { secret?: string; at?: number; signature?: string } = {}) {
  const raw = JSON.stringify(body);
  const at = options.at ?? Math.floor(target.clock.now() / 1000);
  return target.app.request('/api/v1/channels/phone/calls', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Casebook-Timestamp': String(at), 'X-Casebook-Signature': options.signature ?? signCall(options.secret ?? SECRET, at, raw) },
    body: raw,
  });
}

describe('/cases/new', () => {
  it('finds customers by name, email or phone (the matches alone on htmx requests)', async () => {
    const page = await (await desk.get('/cases/new?find=chl')).text();
    expect(page).toContain('Log a call or visit');
    expect(page).toMatch(new RegExp(`id="customer-${chloe.id}" name="customer" value="${chloe.id}" checked=""`));
    for (const q of ['carter', 'chloe@example', '+49 30 123', '0049301234567', '0049 (0)30 123']) {
      const fragment = await (await desk.get(`/cases/new?find=${encodeURIComponent(q)}`, { htmx: true })).text();
      expect(fragment, q).toMatch(/^<fieldset id="customer-results"/);
      expect(fragment, q).toContain('Chloe Carter');
    }
    const none = await (await desk.get('/cases/new?find=%2B44207946', { htmx: true })).text();
    expect(none).toContain('No customer matches');
    expect(none).toContain('name="find" value="+44207946"');
  });

  it('finds a customer the moment after a request created them (their search document written by a lone commit)', async () => {
    await createCase(h.services, { customer: { email: 'quinn.quillon@example.net', name: 'Quinn Quillon' }, subject: 'Line keeps dropping', description: 'Every few minutes.' }, ADMIN);
    const fragment = await (await desk.get('/cases/new?find=quillon', { htmx: true })).text();
    expect(fragment).toContain('Quinn Quillon');
    expect(fragment).toContain('quinn.quillon@example.net');
  });

  it('logs a call for a found customer through the normal intake, the call on the timeline (without JavaScript: post and redirect)', async () => {
    const res = await desk.post('/cases/new', { find: 'chloe', customer: String(chloe.id), channel: 'phone', subject: 'Refund for a double charge', duration: '12:30', notes: 'Charged twice for the March invoice; wants a refund.', priority: '' });
    expect(res.status).toBe(303);
    const ref = res.headers.get('Location')!.replace('/cases/', '');
    const row = await loadCase(h.services, Number(ref.slice(2)));
    expect(row).toMatchObject({ channel: 'phone', customerId: chloe.id, queueId: 'billing' });
    const call = (await timeline(h.services, row.id)).find((e) => e.type === 'call.logged')!;
    expect(call.data).toMatchObject({ channel: 'phone', durationSeconds: 750, author: 'Alice' });
    const page = await (await desk.get(`/cases/${ref}`)).text();
    expect(page).toContain('Phone call logged by Alice · 12m 30s');
    expect(page).toContain('via phone');
    // Customers never see the call entry.
    const portal = await (await signedIn(h, chloe).get(`/cases/${ref}`)).text();
    expect(portal).not.toContain('12m 30s');
  });

  it('adds a walk-in customer with a phone number only, and refuses what is missing or malformed (422, the typing kept)', async () => {
    const bad = await desk.post('/cases/new', { find: '', customer: 'new', name: 'Walter', email: '', phone: '030 1234', channel: 'walk-in', subject: '', notes: 'Printer broken', duration: 'ten' }, { htmx: true });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('not a phone number with the country code');
    expect(html).toContain('minutes, or minutes:seconds');
    expect(html).toContain('Printer broken');
    const neither = await desk.post('/cases/new', { customer: 'new', name: 'Walter', channel: 'walk-in', subject: 'Printer', notes: 'Printer broken' });
    expect(await neither.text()).toContain('an email address or a phone number');
    const ok = await desk.post('/cases/new', { customer: 'new', name: 'Walter White', email: '', phone: '+44 20 7946 0958', channel: 'walk-in', subject: 'Printer', notes: 'Printer broken', duration: '5' }, { htmx: true });
    expect(ok.status).toBe(200);
    const ref = ok.headers.get('HX-Redirect')!.replace('/cases/', '');
    const row = await loadCase(h.services, Number(ref.slice(2)));
    expect(row.channel).toBe('walk-in');
    const walter = (await customerRow(row.customerId))!;
    expect(walter).toMatchObject({ name: 'Walter White', phone: '+442079460958', email: 'caller-442079460958@phone.invalid' });
    expect((await timeline(h.services, row.id)).find((e) => e.type === 'call.logged')!.data).toMatchObject({ channel: 'walk-in', durationSeconds: 300 });
  });

  it('a call the rules route to a queue the agent does not work: filed, and the agent is told where it went instead of "not found"', async () => {
    const gina = h.agent({ name: 'Gina', queues: ['general'] });
    const page = signedIn(h, gina);
    const res = await page.post('/cases/new', { customer: String(chloe.id), channel: 'phone', subject: 'Refund for invoice 42', notes: 'Wants a refund for the invoice.', duration: '3' });
    expect(res.status).toBe(303);
    const ref = res.headers.get('Location')!.replace('/cases/', '');
    const row = await loadCase(h.services, Number(ref.slice(2)));
    expect(row).toMatchObject({ channel: 'phone', queueId: 'billing', assigneeId: alice.id });
    const opened = await page.get(`/cases/${ref}`);
    expect(opened.status).toBe(303);
    expect(opened.headers.get('Location')).toBe(`/inbox?moved=${ref}`);
    const inbox = await (await page.get(`/inbox?moved=${ref}`)).text();
    expect(inbox).toContain(`${ref} was filed: the routing rules put it in the Billing queue (tier 1), where it is assigned to Alice. It is not in your queues.`);
    // Someone who did not file it still gets "not found": the case is not theirs to hear about.
    expect((await signedIn(h, h.agent({ name: 'Hank', queues: ['general'] })).get(`/cases/${ref}`)).status).toBe(404);
  });

  it('is for staff only', async () => {
    expect((await signedIn(h, chloe).get('/cases/new')).status).toBe(404);
  });
});

describe('customer phone numbers', () => {
  it('managers edit the phone (E.164, recorded with the profile changes); the API shows it', async () => {
    const c = await createCase(h.services, createCaseSchema.parse({ customer: { email: 'pat@example.com', name: 'Pat', phone: '+1 (415) 555-0100' }, subject: 'Hello', description: 'A question' }), ADMIN);
    const pat = (await customerRow(c.customerId))!;
    expect(pat.phone).toBe('+14155550100');
    const res = await h.api('PATCH', `/api/v1/customers/${pat.id}`, { token: h.tokenFor(maria), body: { phone: '+1 415 555 0199' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { phone: string; changes: unknown };
    expect(body).toMatchObject({ phone: '+14155550199', changes: { phone: { from: '+14155550100', to: '+14155550199' } } });
    const bad = await h.api('PATCH', `/api/v1/customers/${pat.id}`, { token: h.tokenFor(maria), body: { phone: '555 0199' } });
    expect(bad.status).toBe(422);
    const view = (await (await h.api('GET', `/api/v1/cases/C-${c.id}`, { token: h.tokenFor(maria) })).json()) as { customer: { phone: string } };
    expect(view.customer.phone).toBe('+14155550199');
    const page = signedIn(h, maria);
    const form = await page.post(`/cases/C-${c.id}/customer`, { name: 'Pat', tier: 'standard', organization: '', phone: '', reason: 'number no longer valid' });
    expect(form.status).toBe(303);
    expect((await customerRow(pat.id))!.phone).toBeNull();
  });
});

describe('the profile form on a stale page', () => {
  /** The profile form's fields in `html` as a browser posts them (hidden ones included). */
  const profileFormOf = (html: string) => {
    const start = html.indexOf('<form id="customer-form"');
    const form = html.slice(start, html.indexOf('</form>', start));
    const fields: Record<string, string> = {};
    for (const m of form.matchAll(/<input type="(?:hidden|text|email|tel)" (?:name="([^"]+)" value="([^"]*)"|value="([^"]*)" id="[^"]*" name="([^"]+)")/g)) fields[m[1] ?? m[4]!] = m[2] ?? m[3]!;
    delete fields._csrf;
    return fields;
  };

  it('saves only what was changed in it: a colleague’s new address and phone stay; a field both changed comes back to decide', async () => {
    const c = await createCase(h.services, createCaseSchema.parse({ customer: { email: 'quinn@example.com', name: 'Quinn', phone: '+33 1 40 00 00 01' }, subject: 'Hello', description: 'A question' }), ADMIN);
    const page = signedIn(h, maria);
    const opened = profileFormOf(await (await page.get(`/cases/C-${c.id}`)).text());
    expect(opened).toMatchObject({ name: 'Quinn', email: 'quinn@example.com', shownEmail: 'quinn@example.com', shownPhone: '+33140000001' });
    // A colleague changes the address and the phone through the API meanwhile.
    expect((await h.api('PATCH', `/api/v1/customers/${c.customerId}`, { token: h.tokenFor(maria), body: { email: 'quinn.new@example.com', phone: '+33 1 40 00 00 02' } })).status).toBe(200);
    // The stale form only renames: the address and phone it still shows are not put back.
    expect((await page.post(`/cases/C-${c.id}/customer`, { ...opened, name: 'Quinn Quade', reason: 'full name' })).status).toBe(303);
    expect(await customerRow(c.customerId)).toMatchObject({ name: 'Quinn Quade', email: 'quinn.new@example.com', phone: '+33140000002' });
    // Both changed the phone: nothing saved, the form says what it is now, keeps the typed value and the colleague's address.
    const res = await page.post(`/cases/C-${c.id}/customer`, { ...opened, phone: '+33 1 40 00 00 03' }, { htmx: true });
    expect(res.status).toBe(422);
    const again = await res.text();
    expect(again).toContain('Someone else changed this profile since the form was shown: phone is now “+33140000002”.');
    expect(profileFormOf(again)).toMatchObject({ name: 'Quinn Quade', email: 'quinn.new@example.com', phone: '+33 1 40 00 00 03', shownPhone: '+33140000002' });
    expect((await customerRow(c.customerId))!.phone).toBe('+33140000002');
    expect((await page.post(`/cases/C-${c.id}/customer`, profileFormOf(again))).status).toBe(303);
    expect(await customerRow(c.customerId)).toMatchObject({ name: 'Quinn Quade', email: 'quinn.new@example.com', phone: '+33140000003' });
  });
});

describe('a phone caller’s real address', () => {
  const changesOf = (id: number) => h.query((q) => q.db.select().from(q.tables.customerChanges).where(eq(q.tables.customerChanges.customerId, id)));

  /** A walk-in by a caller known only by phone, on a case assigned to `to`. */
  async function callerCase(phone: string, to: TestActor) {
    const ok = await desk.post('/cases/new', { customer: 'new', name: 'Caller', email: '', phone, channel: 'walk-in', subject: 'Printer', notes: 'Printer broken', duration: '5' }, { htmx: true });
    const id = Number(ok.headers.get('HX-Redirect')!.replace('/cases/C-', ''));
    await h.services.store.write((q) => q.db.update(q.tables.cases).set({ assigneeId: to.id }).where(eq(q.tables.cases.id, id)));
    return { id, customerId: (await loadCase(h.services, id)).customerId };
  }

  it('the agent on their case replaces the stand-in (normalised, recorded, searchable); not a real address, not someone else’s case', async () => {
    const { id, customerId } = await callerCase('+44 20 7946 0001', alice);
    expect((await customerRow(customerId))!.email).toBe('caller-442079460001@phone.invalid');
    expect(await (await desk.get(`/cases/C-${id}`)).text()).toContain('Add their e-mail address…');
    const saved = await desk.post(`/cases/C-${id}/customer`, { email: ' Wendy.Wu@Example.COM ', reason: 'gave it on the phone' });
    expect(saved.status).toBe(303);
    expect((await customerRow(customerId))!.email).toBe('wendy.wu@example.com');
    expect((await changesOf(customerId)).map((r) => [r.via, r.actorName, r.changes, r.reason])).toContainEqual([
      'edit',
      'Alice',
      { email: { from: 'caller-442079460001@phone.invalid', to: 'wendy.wu@example.com' } },
      'gave it on the phone',
    ]);
    const found = (await (await h.api('GET', '/api/v1/search?q=wendy.wu', { token: h.tokenFor(alice) })).json()) as { customers: { id: number }[] };
    expect(found.customers.map((c) => c.id)).toContain(customerId);
    // Now a real address: only managers change it.
    const again = await h.api('PATCH', `/api/v1/customers/${customerId}`, { token: h.tokenFor(alice), body: { email: 'other@example.com' } });
    expect(again.status).toBe(403);
    expect((await customerRow(customerId))!.email).toBe('wendy.wu@example.com');
    // Another agent's case, and the rest of the profile: refused.
    const { id: hers, customerId: hersCustomer } = await callerCase('+44 20 7946 0002', maria);
    expect((await desk.post(`/cases/C-${hers}/customer`, { email: 'x@example.com' })).status).toBe(404);
    expect((await h.api('PATCH', `/api/v1/customers/${hersCustomer}`, { token: h.tokenFor(alice), body: { email: 'x@example.com' } })).status).toBe(403);
    const { customerId: mine } = await callerCase('+44 20 7946 0003', alice);
    expect((await h.api('PATCH', `/api/v1/customers/${mine}`, { token: h.tokenFor(alice), body: { email: 'y@example.com', name: 'Yan' } })).status).toBe(403);
    expect((await h.api('PATCH', `/api/v1/customers/${mine}`, { token: h.tokenFor(alice), body: { email: 'y@example.com' } })).status).toBe(200);
  });

  it('an address another customer has is refused naming them (a link), never merged; a staff address and a stand-in too', async () => {
    const { id, customerId } = await callerCase('+44 20 7946 0004', alice);
    const form = await desk.post(`/cases/C-${id}/customer`, { email: 'CHLOE@example.com' }, { htmx: true });
    expect(form.status).toBe(422);
    const html = await form.text();
    expect(html).toContain(`another customer has this address: Chloe Carter (customer ${chloe.id})`);
    expect(html).toContain(`href="/manage/team/customers/${chloe.id}"`);
    const api = await h.api('PATCH', `/api/v1/customers/${customerId}`, { token: h.tokenFor(maria), body: { email: 'chloe@example.com' } });
    expect(api.status).toBe(422);
    expect(await api.json()).toMatchObject({ code: 'VALIDATION_FAILED', existingCustomer: { id: chloe.id, name: 'Chloe Carter', path: `/manage/team/customers/${chloe.id}` }, errors: [{ path: 'email' }] });
    const [staffMember] = await h.query((q) => q.db.select({ email: q.tables.staff.email }).from(q.tables.staff).where(eq(q.tables.staff.id, maria.id!)));
    for (const email of [staffMember!.email.toUpperCase(), 'caller-1@phone.invalid', 'not an address']) {
      const res = await h.api('PATCH', `/api/v1/customers/${customerId}`, { token: h.tokenFor(maria), body: { email } });
      expect(res.status, email).toBe(422);
    }
    expect((await customerRow(customerId))!.email).toBe('caller-442079460004@phone.invalid');
    expect((await customerRow(chloe.id))!.email).toBe('chloe@example.com');
  });

  it('a manager changes a portal account’s address: its one-time links and sessions end', async () => {
    const c = await createCase(h.services, createCaseSchema.parse({ customer: { email: 'rita@example.com', name: 'Rita' }, subject: 'Hello', description: 'A question' }), ADMIN);
    const rita = { type: 'customer' as const, id: c.customerId };
    const portal = signedIn(h, rita);
    expect((await portal.get(`/cases/C-${c.id}`)).status).toBe(200);
    const link = await h.services.store.write((q) => createLink(q, rita, 'sign-in', h.clock.now(), 60_000));
    await h.services.store.write((q) => createLink(q, rita, 'reset', h.clock.now(), 60_000));
    const manager = signedIn(h, maria);
    expect((await manager.post(`/cases/C-${c.id}/customer`, { name: 'Rita', email: 'rita.new@example.com', tier: 'standard', organization: '' })).status).toBe(303);
    expect((await customerRow(c.customerId))!.email).toBe('rita.new@example.com');
    expect(await h.services.store.query((q) => findLink(q, link.token, ['sign-in'], h.clock.now()))).toBeNull();
    expect(await h.query((q) => q.db.select().from(q.tables.passwordTokens).where(eq(q.tables.passwordTokens.principalId, c.customerId)))).toHaveLength(0);
    expect((await portal.get(`/cases/C-${c.id}`)).status).not.toBe(200);
    expect(await h.query((q) => q.db.select().from(q.tables.sessions).where(eq(q.tables.sessions.principalId, c.customerId)))).toHaveLength(0);
  });
});

describe('POST /api/v1/channels/phone/calls', () => {
  it('is off without PHONE_WEBHOOK_SECRET (503 with what to set)', async () => {
    const res = await hook(off, { callId: 'x', from: '+49301234567', durationSeconds: 5 });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'PHONE_CHANNEL_DISABLED', detail: expect.stringContaining('PHONE_WEBHOOK_SECRET') });
  });

  it('refuses a wrong signature, a missing one and a replay outside the window (401)', async () => {
    const body = { callId: 'c-0', from: '+49301234567', durationSeconds: 5 };
    for (const res of [
      await hook(h, body, { secret: 'another-secret-0123456789' }),
      await hook(h, body, { signature: 'v1=' }),
      await hook(h, body, { at: Math.floor(h.clock.now() / 1000) - 301 }),
    ]) {
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('INVALID_SIGNATURE');
    }
    expect(await h.query((q) => q.db.select().from(q.tables.phoneCalls))).toHaveLength(0);
  });

  it('an unknown number: a new customer with that phone and a new phone case with the recording link; a redelivery changes nothing', async () => {
    const body = { provider: 'acmetel', callId: 'call-1', from: '+33 1 23 45 67 89', callerName: 'Camille', durationSeconds: 192, recordingUrl: 'https://rec.example/call-1.mp3', summary: 'Cannot log in since the update.' };
    const res = await hook(h, body);
    expect(res.status).toBe(201);
    const first = (await res.json()) as { result: string; case: string; customer: number; replayed: boolean };
    expect(first).toMatchObject({ result: 'created', replayed: false });
    const camille = (await customerRow(first.customer))!;
    expect(camille).toMatchObject({ name: 'Camille', phone: '+33123456789' });
    const row = await loadCase(h.services, Number(first.case.slice(2)));
    expect(row).toMatchObject({ channel: 'phone', subject: 'Phone call from Camille', description: 'Cannot log in since the update.' });
    const again = await hook(h, body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ result: 'created', case: first.case, replayed: true });
    expect((await h.query((q) => q.db.select().from(q.tables.caseEvents).where(eq(q.tables.caseEvents.type, 'call.logged')))).filter((e) => e.caseId === row.id)).toHaveLength(1);
    const page = await (await signedIn(h, maria).get(`/cases/${first.case}`)).text();
    expect(page).toContain('Phone call from +33123456789 · 3m 12s');
    expect(page).toContain('<a href="https://rec.example/call-1.mp3" rel="noopener noreferrer nofollow" target="_blank" class="call-link">Recording</a>');
  });

  it('a known caller with an open phone case: the call is appended to it, with the transcript link', async () => {
    const first = (await (await hook(h, { callId: 'call-2', from: '+49 30 1234567', durationSeconds: 60 })).json()) as { case: string; result: string };
    // Chloe's open phone case from the /cases/new test above.
    expect(first.result).toBe('appended');
    const row = await loadCase(h.services, Number(first.case.slice(2)));
    expect(row).toMatchObject({ customerId: chloe.id, channel: 'phone' });
    const second = (await (await hook(h, { callId: 'call-3', from: '+49301234567', durationSeconds: 30, transcriptUrl: 'https://rec.example/t/3' })).json()) as { case: string; result: string };
    expect(second).toMatchObject({ result: 'appended', case: first.case });
    // The same number with 00 and a bracketed trunk zero, as German numbers are often written.
    const third = (await (await hook(h, { callId: 'call-3b', from: '0049 (0)30 123 4567', durationSeconds: 10 })).json()) as { case: string; result: string };
    expect(third).toMatchObject({ result: 'appended', case: first.case });
    const calls = (await timeline(h.services, row.id)).filter((e) => e.type === 'call.logged');
    expect(calls.map((e) => e.data.callId)).toEqual([undefined, 'call-2', 'call-3', 'call-3b']);
    expect(calls[2]!.data.transcriptUrl).toBe('https://rec.example/t/3');
  });

  it('a caller whose phone case was merged into another open case of theirs: the call goes on there, not in a new duplicate; once that is resolved, a new case', async () => {
    const dora = h.customer({ email: 'dora@example.com', name: 'Dora Diaz' });
    await h.services.store.write((q) => q.db.update(q.tables.customers).set({ phone: '+4930555001' }).where(eq(q.tables.customers.id, dora.id)));
    const called = (await (await hook(h, { callId: 'merge-1', from: '+49 30 555001', durationSeconds: 40, summary: 'Invoice wrong' })).json()) as { case: string; result: string };
    expect(called.result).toBe('created');
    const mailed = await h.api('POST', '/api/v1/cases', { token: h.tokenFor(dora), body: { subject: 'Invoice 7 is wrong', description: 'The total is wrong.' } });
    const kept = ((await mailed.json()) as { id: string }).id;
    await mergeCase(h.services, Number(called.case.slice(2)), { into: kept }, maria);

    const again = await hook(h, { callId: 'merge-2', from: '+4930555001', durationSeconds: 90 });
    expect(again.status).toBe(201);
    expect(await again.json()).toMatchObject({ result: 'appended', case: kept, customer: dora.id });
    expect((await timeline(h.services, Number(kept.slice(2)))).filter((e) => e.type === 'call.logged').map((e) => e.data.callId)).toEqual(['merge-2']);

    const resolved = await h.api('POST', `/api/v1/cases/${kept}/transitions`, { token: h.tokenFor(maria), body: { transition: 'resolve', solution: 'Credit note sent.' } });
    expect(resolved.status).toBe(200);
    const later = (await (await hook(h, { callId: 'merge-3', from: '+4930555001', durationSeconds: 20 })).json()) as { case: string; result: string };
    expect(later.result).toBe('created');
    expect([called.case, kept]).not.toContain(later.case);
  });

  it('never answers 500 to a signed body, whatever it holds', async () => {
    const value = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }));
    const body = fc.record(
      { callId: value, provider: value, direction: value, from: fc.oneof(value, fc.constant('+4930999888')), to: value, callerName: value, durationSeconds: fc.oneof(value, fc.nat(100_000)), recordingUrl: value, summary: value },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(body, value), async (payload) => {
        const res = await hook(h, payload);
        expect(res.status, JSON.stringify(payload)).toBeLessThan(500);
      }),
      { numRuns: 60 },
    );
  });

  it('a withheld number: a case of its own for each call, never appended to another caller\'s, never mailed', async () => {
    const cases: string[] = [];
    for (const [i, from] of ['anonymous', '', 'Restricted', '+266696687'].entries()) {
      const res = await hook(h, { provider: 'acmetel', callId: `withheld-${i}`, from, durationSeconds: 65, ...(i === 3 ? { callerName: 'Sam' } : {}) });
      expect(res.status, from).toBe(201);
      const body = (await res.json()) as { result: string; case: string; customer: number };
      expect(body.result).toBe('created');
      cases.push(body.case);
      const row = await loadCase(h.services, Number(body.case.slice(2)));
      expect(row).toMatchObject({ channel: 'phone', subject: i === 3 ? 'Phone call from Sam' : 'Phone call from a withheld number' });
      expect(await customerRow(body.customer)).toMatchObject({ name: i === 3 ? 'Sam' : 'Withheld number', phone: null });
    }
    expect(new Set(cases).size).toBe(4);
    // A redelivery answers what the first delivery did.
    const again = await hook(h, { provider: 'acmetel', callId: 'withheld-0', from: 'anonymous', durationSeconds: 65 });
    expect(await again.json()).toMatchObject({ case: cases[0], replayed: true });
    const page = await (await signedIn(h, maria).get(`/cases/${cases[0]}`)).text();
    expect(page).toContain('Phone call from a withheld number · 1m 05s');
    // An outbound call needs the number it went to.
    expect((await hook(h, { callId: 'out-1', direction: 'outbound', from: '+4930999888', to: 'anonymous', durationSeconds: 5 })).status).toBe(422);
  });

  it('refuses a body without a usable number (422) and a body that is not JSON (400)', async () => {
    const res = await hook(h, { callId: 'call-4', from: '12ab', durationSeconds: 3 });
    expect(res.status).toBe(422);
    // A field left out is "required", as on every API route (docs/api.md).
    const missing = await hook(h, { callId: 'call-4', from: '+49 30 1234567' });
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as { errors: unknown[] }).errors).toEqual([{ path: 'durationSeconds', message: 'required' }]);
    const raw = 'not json';
    const at = Math.floor(h.clock.now() / 1000);
    const broken = await h.app.request('/api/v1/channels/phone/calls', { method: 'POST', headers: { 'X-Casebook-Timestamp': String(at), 'X-Casebook-Signature': signCall(SECRET, at, raw) }, body: raw });
    expect(broken.status).toBe(400);
  });
});
