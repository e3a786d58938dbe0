/**
 * Calls and the SLA (docs/sla.md, *Calls*): a customer's call on a case they already have is the
 * customer getting in touch, as a reply is (the workflow leaves pending, clocks resume,
 * nextResponse starts); a call in which staff spoke with the customer (logged by staff on
 * /cases/new, or an outbound call through the telephony hook) is the first response. Policy
 * "standard", priority normal: firstResponse 8h, nextResponse 4h, resolution 40h on the office
 * calendar (Berlin, Mon–Thu 09:00–17:00, Fri 09:00–13:00 and 14:00–17:00). Expected times by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCall } from '../../src/channels/phone/signature.js';
import { signedIn } from '../support/pages.js';
import { ADMIN_TOKEN, berlin, createDesk, type Desk, type Json } from './helpers.js';

const SECRET = 'phone-secret-0123456789abcdef';
let d: Desk;
beforeAll(() => {
  d = createDesk({ services: { phone: { webhookSecret: SECRET, toleranceSeconds: 300 } } });
});
afterAll(() => d.h.close());

async function hook(body: Json): Promise<Json> {
  await d.h.settled();
  const raw = JSON.stringify({ provider: 'acmetel', durationSeconds: 120, ...body });
  const at = Math.floor(d.h.clock.now() / 1000);
  const res = await d.h.app.request('/api/v1/channels/phone/calls', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Casebook-Timestamp': String(at), 'X-Casebook-Signature': signCall(SECRET, at, raw) },
    body: raw,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Json;
}

const at = (local: string) => d.h.clock.set(berlin(local));
const fulfilments = async (id: string) => (await d.events(id)).filter((e) => e.type === 'sla.fulfilled').map((e) => e.data);

describe('a customer calling about their case', () => {
  it('takes a case waiting on the customer back to work: the paused resolution clock resumes and nextResponse starts, as a reply would', async () => {
    at('2026-03-02T10:00');
    const first = await hook({ callId: 'wait-1', from: '+49 30 5550101' });
    const id = String(first.case);
    // The provider cannot say whether an agent took the call: the first response is still owed.
    expect((await d.timers(id)).firstResponse).toMatchObject({ state: 'running', targetMinutes: 480 });
    at('2026-03-02T10:30');
    await d.reply(id);
    at('2026-03-02T11:00');
    expect((await d.transition(id, 'waitOnCustomer')).status).toBe(200);
    expect((await d.timers(id)).resolution).toMatchObject({ state: 'paused', usedMinutes: 60 });

    at('2026-03-03T10:00');
    expect(await hook({ callId: 'wait-2', from: '+49 30 5550101' })).toMatchObject({ result: 'appended', case: id });
    const view = await d.get(id);
    expect(view.status).toBe('open');
    const timers = await d.timers(id);
    // 2340 of 2400 min left from Tue 10:00: Tue 420, Wed 480, Thu 480, Fri 420, Mon 480 → Tue 10 March 10:00.
    expect(timers.resolution).toMatchObject({ state: 'running', usedMinutes: 60, dueAt: berlin('2026-03-10T10:00') });
    expect(timers.nextResponse).toMatchObject({ state: 'running', startedAt: berlin('2026-03-03T10:00'), dueAt: berlin('2026-03-03T14:00') });
    expect(timers.firstResponse).toMatchObject({ state: 'fulfilled', usedMinutes: 30 });
    const moved = (await d.events(id, 'case.transitioned')).at(-1)!;
    expect(moved.data).toMatchObject({ transition: 'customerReplied', from: 'pending', to: 'open', on: 'customer.replied' });
    expect((await d.events(id)).filter((e) => e.at === berlin('2026-03-03T10:00')).map((e) => [e.type, e.data.metric])).toEqual([
      ['sla.started', 'nextResponse'],
      ['sla.resumed', 'resolution'],
    ]);
    expect(await fulfilments(id)).toEqual([expect.objectContaining({ metric: 'firstResponse', by: 'reply' })]);

    // Another inbound call through the hook: nobody is known to have answered it, the message still waits.
    at('2026-03-03T11:00');
    expect(await hook({ callId: 'wait-3', from: '+49 30 5550101' })).toMatchObject({ result: 'appended', case: id });
    expect((await d.timers(id)).nextResponse).toMatchObject({ state: 'running', startedAt: berlin('2026-03-03T10:00') });
    // Staff calling the customer back answers it, as a public reply would: 10:00 → 12:00, 120 of 240 min.
    at('2026-03-03T12:00');
    expect(await hook({ callId: 'wait-4', direction: 'outbound', from: '+49 30 9999000', to: '+49 30 5550101' })).toMatchObject({ result: 'appended', case: id });
    expect((await d.timers(id)).nextResponse).toMatchObject({ state: 'fulfilled', usedMinutes: 120, fulfilledAt: berlin('2026-03-03T12:00') });
    expect((await fulfilments(id)).at(-1)).toMatchObject({ metric: 'nextResponse', by: 'call', reason: 'Outbound call to +49305550101', usedMinutes: 120, targetMinutes: 240, breached: false });
    expect((await d.get(id)).status).toBe('open');
  });
});

describe('a call in which staff spoke with the customer', () => {
  it('outbound through the hook: answers the first response at the call, where an inbound one does not', async () => {
    at('2026-03-16T10:00');
    const id = String((await hook({ callId: 'out-1', from: '+49 30 5550202' })).case);
    at('2026-03-16T10:20');
    expect(await hook({ callId: 'out-2', from: '+49 30 5550202' })).toMatchObject({ result: 'appended', case: id });
    // The first response is still owed: it covers the call, no nextResponse starts.
    expect(Object.keys(await d.timers(id)).sort()).toEqual(['firstResponse', 'resolution']);
    expect((await d.timers(id)).firstResponse!.state).toBe('running');

    at('2026-03-16T10:45');
    expect(await hook({ callId: 'out-3', direction: 'outbound', from: '+49 30 9999000', to: '+49 30 5550202' })).toMatchObject({ result: 'appended', case: id });
    const timers = await d.timers(id);
    expect(timers.firstResponse).toMatchObject({ state: 'fulfilled', usedMinutes: 45, fulfilledAt: berlin('2026-03-16T10:45') });
    expect(timers.nextResponse).toBeUndefined();
    expect(await fulfilments(id)).toEqual([
      { metric: 'firstResponse', policy: 'standard', queue: expect.any(String), by: 'call', reason: 'Outbound call to +49305550202', breached: false, first: true, usedMinutes: 45, targetMinutes: 480 },
    ]);
    expect((await d.get(id)).firstResponseAt).toBe(berlin('2026-03-16T10:45'));

    // An outbound call that opens a case answers it at once.
    const called = String((await hook({ callId: 'out-4', direction: 'outbound', from: '+49 30 9999000', to: '+49 30 5550303' })).case);
    expect((await d.timers(called)).firstResponse).toMatchObject({ state: 'fulfilled', usedMinutes: 0 });
  });

  it('logged by staff on /cases/new: the first response at the call, so the customer\'s next message starts nextResponse', async () => {
    at('2026-03-23T10:00');
    const res = await signedIn(d.h, d.alice).post('/cases/new', { customer: String(d.chloe.id), channel: 'phone', subject: 'Cannot sign in', notes: 'Locked out since the update.', duration: '5' });
    expect(res.status).toBe(303);
    const id = res.headers.get('Location')!.replace('/cases/', '');
    const timers = await d.timers(id);
    expect(timers.firstResponse).toMatchObject({ state: 'fulfilled', usedMinutes: 0, fulfilledAt: berlin('2026-03-23T10:00') });
    expect(timers.resolution!.state).toBe('running');
    expect(await fulfilments(id)).toEqual([expect.objectContaining({ metric: 'firstResponse', by: 'call', reason: 'Phone call logged by Alice' })]);

    at('2026-03-23T11:00');
    await d.customerReply(id, 'Still locked out.');
    expect((await d.timers(id)).nextResponse).toMatchObject({ state: 'running', dueAt: berlin('2026-03-23T15:00') });
    // The customer's projection never shows the call, nor the SLA.
    const own = (await d.call('GET', `/api/v1/cases/${id}/events`, d.chloeToken)).json as unknown as { type: string }[];
    expect(own.map((e) => e.type).filter((t) => t === 'call.logged' || t.startsWith('sla.'))).toEqual([]);
    expect(own.map((e) => e.type)).toContain('customer.replied');
  });
});

/** `POST /api/v1/cases/:id/calls` as Alice. */
async function logged(id: string, body: Json): Promise<Json> {
  const res = await d.call('POST', `/api/v1/cases/${id}/calls`, d.aliceToken, body);
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json;
}

describe('staff log a call on a case the customer already has', () => {
  it('an inbound call is the customer\'s contact and its answer: the waiting message is answered, a pending case goes back to work and stays there', async () => {
    // Tue 24 March: Chloe writes at 10:00, Alice answers at 10:30, Chloe writes again at 11:00 (nextResponse 4h: due 15:00).
    at('2026-03-24T10:00');
    const id = await d.create();
    at('2026-03-24T10:30');
    await d.reply(id);
    at('2026-03-24T11:00');
    await d.customerReply(id);
    expect((await d.timers(id)).nextResponse).toMatchObject({ state: 'running', dueAt: berlin('2026-03-24T15:00') });
    const status = (await d.get(id)).status;

    // 12:00: Chloe phones, Alice takes the call. Her message is answered (60 of 240 min); the clock was not restarted.
    at('2026-03-24T12:00');
    const answer = await logged(id, { direction: 'inbound', channel: 'phone', durationSeconds: 300, notes: 'Walked her through the settings.' });
    expect(answer.call).toMatchObject({ type: 'call.logged', at: berlin('2026-03-24T12:00'), data: { channel: 'phone', direction: 'inbound', durationSeconds: 300, notes: 'Walked her through the settings.', author: 'Alice' } });
    expect(answer.call.data.answers).toBeUndefined();
    expect(answer.case.status).toBe(status);
    expect((await d.timers(id)).nextResponse).toMatchObject({ state: 'fulfilled', usedMinutes: 60, fulfilledAt: berlin('2026-03-24T12:00') });
    expect((await d.events(id)).filter((e) => e.at === berlin('2026-03-24T12:00'))).toEqual([
      expect.objectContaining({
        type: 'sla.fulfilled',
        data: { metric: 'nextResponse', policy: 'standard', queue: expect.any(String), by: 'call', reason: 'Phone call logged by Alice', breached: false, first: true, usedMinutes: 60, targetMinutes: 240 },
      }),
    ]);

    // 13:00: waiting on the customer; resolution paused at 180 min (10:00–13:00).
    at('2026-03-24T13:00');
    expect((await d.transition(id, 'waitOnCustomer')).status).toBe(200);
    expect((await d.timers(id)).resolution).toMatchObject({ state: 'paused', usedMinutes: 180 });

    // Wed 10:00: Chloe walks in; Alice logs the visit. As her reply, the case leaves pending and resolution resumes:
    // 2220 of 2400 min left from Wed 10:00 — Wed 420, Thu 480, Fri 420, Mon 480, Tue 31 March 420 → 16:00.
    // As Alice's answer, the nextResponse the contact started is fulfilled at once; the case is not moved to pending.
    at('2026-03-25T10:00');
    expect((await logged(id, { channel: 'walk-in', notes: 'Came in with the letter.' })).case.status).toBe('open');
    const timers = await d.timers(id);
    expect(timers.resolution).toMatchObject({ state: 'running', usedMinutes: 180, dueAt: berlin('2026-03-31T16:00') });
    expect(timers.nextResponse).toMatchObject({ state: 'fulfilled', usedMinutes: 0, startedAt: berlin('2026-03-25T10:00'), fulfilledAt: berlin('2026-03-25T10:00') });
    expect((await d.events(id, 'case.transitioned')).at(-1)!.data).toMatchObject({ transition: 'customerReplied', from: 'pending', to: 'open', on: 'customer.replied' });
    expect((await d.events(id)).filter((e) => e.at === berlin('2026-03-25T10:00')).map((e) => [e.type, e.data.metric, e.data.reason])).toEqual([
      ['sla.started', 'nextResponse', undefined],
      ['sla.resumed', 'resolution', undefined],
      ['sla.fulfilled', 'nextResponse', 'Visit logged by Alice'],
    ]);
    // Staff only: the customer sees neither the calls nor the clocks, only what the workflow did.
    const own = (await d.call('GET', `/api/v1/cases/${id}/events`, d.chloeToken)).json as unknown as { type: string }[];
    expect(own.map((e) => e.type).filter((t) => t === 'call.logged' || t.startsWith('sla.'))).toEqual([]);
  });

  it('an outbound call answers the first response, and moves nothing else; a closed case takes no call', async () => {
    at('2026-03-26T10:00');
    const id = await d.create();
    const status = (await d.get(id)).status;
    at('2026-03-26T10:45');
    const answer = await logged(id, { direction: 'outbound', durationSeconds: 90, notes: 'Called back.' });
    expect(answer.case.status).toBe(status);
    const timers = await d.timers(id);
    expect(timers.firstResponse).toMatchObject({ state: 'fulfilled', usedMinutes: 45, fulfilledAt: berlin('2026-03-26T10:45') });
    expect(timers.nextResponse).toBeUndefined();
    expect(await fulfilments(id)).toEqual([expect.objectContaining({ metric: 'firstResponse', by: 'call', reason: 'Outbound call logged by Alice' })]);
    expect((await d.get(id)).firstResponseAt).toBe(berlin('2026-03-26T10:45'));

    // Bad input: 422 naming the fields, nothing logged.
    const bad = await d.call('POST', `/api/v1/cases/${id}/calls`, d.aliceToken, { direction: 'sideways', durationSeconds: -1, notes: ' ' });
    expect(bad.status).toBe(422);
    expect((bad.json.errors as { path: string }[]).map((e) => e.path).sort()).toEqual(['direction', 'durationSeconds', 'notes']);
    // Customers do not log calls.
    expect((await d.call('POST', `/api/v1/cases/${id}/calls`, d.chloeToken, { notes: 'Me calling.' })).status).toBe(403);

    expect((await d.transition(id, 'resolve', { solution: 'Settings changed.' })).status).toBe(200);
    expect((await d.transition(id, 'close')).status).toBe(200);
    const closed = await d.call('POST', `/api/v1/cases/${id}/calls`, d.aliceToken, { notes: 'Called about it again.' });
    expect(closed.status).toBe(409);
    expect(closed.json.code).toBe('INVALID_TRANSITION');
    expect(await d.events(id, 'call.')).toHaveLength(1);
  });

  it('the case page: Log a call, its errors re-rendered with what was typed, CSRF and staff only', async () => {
    at('2026-03-27T10:00');
    const id = await d.create();
    const desk = signedIn(d.h, d.alice);
    expect(await (await desk.get(`/cases/${id}`)).text()).toContain('Log a call…');
    expect(await (await signedIn(d.h, d.chloe).get(`/cases/${id}`)).text()).not.toContain('Log a call');

    const bad = await desk.post(`/cases/${id}/calls`, { direction: 'inbound', channel: 'phone', duration: '12 min', notes: '' });
    expect(bad.status).toBe(422);
    const page = await bad.text();
    expect(page).toContain('minutes, or minutes:seconds such as 12:30');
    expect(page).toContain('what was said?');
    expect(page).toContain('value="12 min"');
    // A typo in the seconds is refused, not read as more minutes (12:75 is not 13:15).
    const typo = await desk.post(`/cases/${id}/calls`, { direction: 'inbound', channel: 'phone', duration: '12:75', notes: 'Typo.' });
    expect(typo.status).toBe(422);
    expect(await typo.text()).toContain('seconds from 0 to 59, such as 12:30');
    const fragment = await desk.post(`/cases/${id}/calls`, { direction: 'outbound', channel: 'fax', duration: '5', notes: 'Kept.' }, { htmx: true });
    expect(fragment.status).toBe(422);
    const form = await fragment.text();
    expect(form).toMatch(/^<form id="call-form"/);
    expect(form).toContain('choose phone or walk-in');
    expect(form).toContain('>Kept.</textarea>');
    expect(form).toMatch(/id="call-direction-outbound" name="direction" value="outbound" checked=""/);

    expect((await desk.post(`/cases/${id}/calls`, { direction: 'inbound', channel: 'phone', duration: '5', notes: 'No token.' }, { csrf: false })).status).toBe(403);
    expect((await signedIn(d.h, d.chloe).post(`/cases/${id}/calls`, { direction: 'inbound', channel: 'phone', duration: '5', notes: 'Me.' })).status).toBe(404);
    expect(await d.events(id, 'call.')).toEqual([]);

    at('2026-03-27T10:20');
    const ok = await desk.post(`/cases/${id}/calls`, { direction: 'inbound', channel: 'phone', duration: '12:30', notes: 'Needs a refund.' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('Location')).toBe(`/cases/${id}`);
    expect((await d.events(id, 'call.')).map((e) => e.data)).toEqual([{ channel: 'phone', direction: 'inbound', durationSeconds: 750, notes: 'Needs a refund.', author: 'Alice' }]);
    const shown = await (await desk.get(`/cases/${id}`)).text();
    expect(shown).toContain('Phone call logged by Alice · 12m 30s');
    expect(shown).toContain('Needs a refund.');
    // The first response, 20 min after the case was filed.
    expect((await d.timers(id)).firstResponse).toMatchObject({ state: 'fulfilled', usedMinutes: 20 });
  });
});

describe("the managers' first-response time counts a call as the SLA timer does", () => {
  it('measures creation → first public reply or call in which staff spoke with the customer; an unanswered inbound call counts nowhere', async () => {
    // The week of Mon 13 April 2026 (CEST), office calendar.
    at('2026-04-13T10:00');
    const p = await d.create(); // answered by Alice's call back at 10:45, then in writing at 11:30
    at('2026-04-13T10:45');
    await logged(p, { direction: 'outbound', notes: 'Called back.' });
    at('2026-04-13T11:30');
    await d.reply(p);
    at('2026-04-13T16:00');
    const q = await d.create(); // answered in writing Tue 10:00
    at('2026-04-14T10:00');
    await d.reply(q);
    at('2026-04-14T11:00');
    const r = String((await hook({ callId: 'frt-1', from: '+49 30 5550404' })).case); // Alice phones back at 11:30
    at('2026-04-14T11:30');
    expect(await hook({ callId: 'frt-2', direction: 'outbound', from: '+49 30 9999000', to: '+49 30 5550404' })).toMatchObject({ result: 'appended', case: r });
    at('2026-04-14T12:00');
    const s = String((await hook({ callId: 'frt-3', from: '+49 30 5550505' })).case); // nobody known to have answered
    at('2026-04-15T10:00');
    const filed = await signedIn(d.h, d.alice).post('/cases/new', { customer: String(d.chloe.id), channel: 'phone', subject: 'Invoice address', notes: 'Moved offices.', duration: '3' });
    const t = filed.headers.get('Location')!.replace('/cases/', ''); // answered at once, on the phone

    // Calendar minutes: P 45, Q Mon 16:00 → Tue 10:00 = 1080, R 30, T 0; business (09:00–17:00):
    // P 45, Q 60 Monday + 60 Tuesday = 120, R 30, T 0. S is not answered: not counted.
    const res = await d.call('GET', '/api/v1/metrics?from=2026-04-13&to=2026-04-19&tz=Europe%2FBerlin', ADMIN_TOKEN);
    expect(res.status).toBe(200);
    // Four values, nearest rank: median the 2nd, p90 the 4th; calendar 0, 30, 45, 1080; business 0, 30, 45, 120.
    expect(res.json.firstResponseTime).toEqual({
      count: 4,
      calendarMinutes: { mean: 288.75, median: 30, p90: 1080 },
      businessMinutes: { mean: 48.75, median: 30, p90: 120 },
    });
    // Per agent: Alice logged P's call back, wrote Q's answer and took T's call (0, 45, 1080); R's
    // answer was an outbound call through the hook, which no agent is recorded as making.
    const agents = (res.json.agents as { staffId: number | null; firstResponseTime: { count: number; calendarMinutes: unknown } }[]).filter((a) => a.firstResponseTime.count > 0);
    expect(agents.map((a) => [a.staffId, a.firstResponseTime.count, a.firstResponseTime.calendarMinutes])).toEqual([
      [d.alice.id, 3, { mean: 375, median: 45, p90: 1080 }],
      [null, 1, { mean: 30, median: 30, p90: 30 }],
    ]);
    const manager = d.h.agent({ name: 'Maria', role: 'manager' });
    const drill = await (await signedIn(d.h, manager).get('/manage/reports/drill.csv?metric=first-response&from=2026-04-13&to=2026-04-19&tz=Europe%2FBerlin')).text();
    expect(drill.match(/C-\d+/g)).toEqual([p, q, r, t]);
    expect(drill).not.toContain(s);
  });
});
