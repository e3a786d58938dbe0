/**
 * A target that starts to apply later (a priority raised from one without that target, a target
 * cancelled and back, a re-apply): its timer starts as if it had run from the metric's own
 * start, less the time states paused it; a target already used up is due when it ran out.
 * Calendar: the shipped `office` one (Europe/Berlin, Mon–Fri 09:00–17:00, Friday 13:00–14:00
 * closed); March 2026 is CET (UTC+1), no holiday. The desk starts Monday 2026-03-02 10:00.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCall } from '../../src/channels/phone/signature.js';
import { sweepSla } from '../../src/sla/sweep.js';
import { signedIn } from '../support/pages.js';
import { ADMIN_TOKEN, berlin, createDesk, type Desk, type Json } from './helpers.js';

let d: Desk;
const MONDAY = Date.parse(berlin('2026-03-02T10:00'));
const PHONE_SECRET = 'phone-secret-0123456789abcdef';
beforeAll(async () => {
  d = createDesk({ services: { phone: { webhookSecret: PHONE_SECRET, toleranceSeconds: 300 } } });
  // v2: `low` has no resolution and no nextResponse target (PRODUCT.md's example).
  const config = structuredClone((await d.call('GET', '/api/v1/sla-config')).json.config as Json);
  config.policies.standard.targets.low = { firstResponse: '16h' };
  config.policies.vip = { calendar: 'office', warnBefore: '20%', targets: { low: { firstResponse: '4h', resolution: '16h' } } };
  expect((await d.call('PUT', '/api/v1/sla-config', ADMIN_TOKEN, { config })).status).toBe(200);
});
afterAll(() => d.h.close());

const setPriority = async (id: string, priority: string) => expect((await d.call('PATCH', `/api/v1/cases/${id}`, ADMIN_TOKEN, { priority })).status).toBe(200);
const at = (local: string) => Date.parse(berlin(local));

describe('a target that starts to apply when the priority is raised', () => {
  it('counts from the creation less the time waiting on the customer; a used-up nextResponse is due when it ran out', async () => {
    d.h.clock.set(MONDAY);
    const id = await d.create({ priority: 'low' });
    expect(Object.keys(await d.timers(id))).toEqual(['firstResponse']);
    d.h.clock.set(at('2026-03-02T10:30'));
    await d.reply(id);
    d.h.clock.set(at('2026-03-02T11:00'));
    expect((await d.transition(id, 'waitOnCustomer')).status).toBe(200);
    d.h.clock.set(at('2026-03-03T14:00'));
    await d.customerReply(id, 'Here are the details.'); // back to open; nextResponse owed from Tue 14:00 (no target at low)
    d.h.clock.set(at('2026-03-03T15:30'));
    await setPriority(id, 'urgent');

    const timers = await d.timers(id);
    // resolution (urgent 8h = 480 min) from Mon 10:00: runs Mon 10:00–11:00 (60), paused while
    // pending Mon 11:00 → Tue 14:00, runs Tue 14:00–15:30 (90): 150 used, 330 left from Tue 15:30:
    // Tue 15:30–17:00 (90), Wed 09:00 + 240 → due Wed 13:00. Warning 20% before: at 384 used,
    // 234 from now: Tue 90, Wed 09:00 + 144 → Wed 11:24.
    expect(timers.resolution).toMatchObject({ state: 'running', targetMinutes: 480, usedMinutes: 150, startedAt: berlin('2026-03-02T10:00'), dueAt: berlin('2026-03-04T13:00') });
    // nextResponse (urgent 1h) from Tue 14:00, pending does not pause it: 90 used ≥ 60, ran out Tue 15:00.
    expect(timers.nextResponse).toMatchObject({ state: 'running', targetMinutes: 60, usedMinutes: 90, startedAt: berlin('2026-03-03T14:00'), dueAt: berlin('2026-03-03T15:00') });
    const started = (await d.events(id)).filter((e) => e.type === 'sla.started' && e.data.metric !== 'firstResponse');
    expect(started.map((e) => e.data)).toEqual([
      expect.objectContaining({ metric: 'nextResponse', targetMinutes: 60, usedMinutes: 90, startedAt: at('2026-03-03T14:00'), dueAt: at('2026-03-03T15:00'), startReason: 'priority low → urgent: the nextResponse target now applies' }),
      expect.objectContaining({ metric: 'resolution', targetMinutes: 480, usedMinutes: 150, startedAt: MONDAY, dueAt: at('2026-03-04T13:00') }),
    ]);

    // The sweep records the nextResponse breach once, 30 minutes overdue, and no warning for it.
    await sweepSla(d.h.services);
    await sweepSla(d.h.services);
    const next = (await d.events(id)).filter((e) => e.data.metric === 'nextResponse' && e.type !== 'sla.started');
    expect(next.map((e) => [e.type, e.data.overdueMinutes])).toEqual([['sla.breached', 30]]);
  });

  it('starts a paused clock in a state that pauses it, with the minutes used before', async () => {
    d.h.clock.set(MONDAY);
    const id = await d.create({ priority: 'low' });
    await d.reply(id);
    d.h.clock.set(at('2026-03-02T12:00'));
    expect((await d.transition(id, 'waitOnCustomer')).status).toBe(200);
    d.h.clock.set(at('2026-03-03T10:00'));
    await setPriority(id, 'high');
    // resolution (high 16h) from Mon 10:00: runs Mon 10:00–12:00 (120), pending since: paused.
    expect((await d.timers(id)).resolution).toMatchObject({ state: 'paused', usedMinutes: 120, pauseReason: 'Pending customer', dueAt: null });
    d.h.clock.set(at('2026-03-03T14:00'));
    await d.customerReply(id);
    // Resumed Tue 14:00 with 840 left: Tue 14:00–17:00 (180), Wed 480, Thu 09:00 + 180 → Thu 12:00.
    expect((await d.timers(id)).resolution).toMatchObject({ state: 'running', dueAt: berlin('2026-03-05T12:00') });
  });

  it('breaches a target already used up once, overdue from when it ran out, without a warning', async () => {
    d.h.clock.set(MONDAY);
    const id = await d.create({ priority: 'low' });
    d.h.clock.set(at('2026-03-03T12:00'));
    await setPriority(id, 'urgent');
    const timers = await d.timers(id);
    // resolution (8h) from Mon 10:00: Mon 10:00–17:00 (420) + Tue 09:00–12:00 (180) = 600 ≥ 480;
    // it ran out at Mon 10:00 + 480 business minutes = Mon 17:00 (420) + Tue 09:00 + 60 = Tue 10:00.
    expect(timers.resolution).toMatchObject({ state: 'running', usedMinutes: 600, dueAt: berlin('2026-03-03T10:00') });
    // firstResponse re-targeted 16h → 1h: used 600 ≥ 60, ran out Mon 11:00 (not "now").
    expect(timers.firstResponse).toMatchObject({ state: 'running', targetMinutes: 60, dueAt: berlin('2026-03-02T11:00') });

    d.h.clock.advanceMinutes(1);
    await sweepSla(d.h.services);
    await sweepSla(d.h.services);
    const entries = (await d.events(id)).filter((e) => e.type === 'sla.breached' || e.type === 'sla.warning');
    // Tue 12:01 − Tue 10:00 = 121 min; Tue 12:01 − Mon 11:00 = 25h01 = 1501 min (wall-clock).
    expect(entries.map((e) => [e.type, e.data.metric, e.data.overdueMinutes]).sort()).toEqual([
      ['sla.breached', 'firstResponse', 1501],
      ['sla.breached', 'resolution', 121],
    ]);
  });

  it('starts again a timer cancelled when the priority was lowered', async () => {
    d.h.clock.set(MONDAY);
    const id = await d.create({ priority: 'normal' });
    d.h.clock.set(at('2026-03-02T11:00'));
    await setPriority(id, 'low');
    expect((await d.timers(id)).resolution).toBeUndefined();
    d.h.clock.set(at('2026-03-02T12:00'));
    await setPriority(id, 'high');
    // resolution (high 16h = 960) from Mon 10:00, 120 used; 840 left: Mon 12:00–17:00 (300),
    // Tue 480, Wed 09:00 + 60 → Wed 10:00.
    expect((await d.timers(id)).resolution).toMatchObject({ state: 'running', usedMinutes: 120, dueAt: berlin('2026-03-04T10:00') });
    expect((await d.events(id)).filter((e) => e.data.metric === 'resolution').map((e) => e.type)).toEqual(['sla.started', 'sla.cancelled', 'sla.started']);
    // The case page's timeline says why it started, and what it had used.
    const page = await (await signedIn(d.h, d.alice).get(`/cases/${id}`)).text();
    expect(page).toContain('priority low → high: the resolution target now applies; 120 business min already used');
  });

  it('starts nothing for a metric already met', async () => {
    d.h.clock.set(MONDAY);
    const id = await d.create({ priority: 'low' });
    await d.reply(id);
    expect((await d.transition(id, 'resolve', { solution: 'Done.' })).status).toBe(200);
    await setPriority(id, 'urgent');
    expect(Object.keys(await d.timers(id))).toEqual(['firstResponse']);
  });
});

/** A call through the telephony hook (docs/sla.md, *Calls*); returns the case's reference. */
async function phoneHook(body: Json): Promise<string> {
  const raw = JSON.stringify({ provider: 'acmetel', durationSeconds: 60, ...body });
  const stamp = Math.floor(d.h.clock.now() / 1000);
  const res = await d.h.app.request('/api/v1/channels/phone/calls', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Casebook-Timestamp': String(stamp), 'X-Casebook-Signature': signCall(PHONE_SECRET, stamp, raw) },
    body: raw,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return String(((await res.json()) as Json).case);
}

describe('calls in the history a late nextResponse timer is rebuilt from', () => {
  it('a message answered by a call staff logged is not owed when the target starts to apply', async () => {
    d.h.clock.set(MONDAY);
    const id = await d.create({ priority: 'low' });
    d.h.clock.set(at('2026-03-02T10:30'));
    await d.reply(id);
    d.h.clock.set(at('2026-03-03T14:00'));
    await d.customerReply(id, 'It broke again.'); // owed from Tue 14:00; no nextResponse target at low
    d.h.clock.set(at('2026-03-03T14:30'));
    // Alice calls Chloe back: the message is answered, as by a public reply (docs/sla.md, *Calls*).
    expect((await d.call('POST', `/api/v1/cases/${id}/calls`, d.aliceToken, { direction: 'outbound', notes: 'Talked it through.' })).status).toBe(201);
    d.h.clock.set(at('2026-03-03T15:30'));
    await setPriority(id, 'urgent');
    // Nothing is owed: no nextResponse timer (before, one ran from Tue 14:00, due 15:00, as if unanswered).
    expect((await d.timers(id)).nextResponse).toBeUndefined();
    expect((await d.events(id)).filter((e) => e.data.metric === 'nextResponse')).toEqual([]);
  });

  it("a customer's call through the telephony hook is their contact: owed from the call", async () => {
    d.h.clock.set(MONDAY);
    const id = await phoneHook({ callId: 'late-1', from: '+49 30 5557001' });
    await setPriority(id, 'low');
    d.h.clock.set(at('2026-03-02T10:30'));
    await d.reply(id);
    d.h.clock.set(at('2026-03-03T14:00'));
    // Chloe phones about her case; nobody is known to have taken the call: she is owed an answer from now.
    expect(await phoneHook({ callId: 'late-2', from: '+49 30 5557001' })).toBe(id);
    d.h.clock.set(at('2026-03-03T15:30'));
    await setPriority(id, 'urgent');
    // nextResponse (urgent 1h) from Tue 14:00: 90 business minutes used ≥ 60, ran out Tue 15:00.
    expect((await d.timers(id)).nextResponse).toMatchObject({ state: 'running', targetMinutes: 60, usedMinutes: 90, startedAt: berlin('2026-03-03T14:00'), dueAt: berlin('2026-03-03T15:00') });
  });
});

describe('re-apply of an SLA config whose target now applies', () => {
  it('previews the new timer as created (from: null) and starts it from the creation', async () => {
    d.h.clock.set(MONDAY);
    const id = await d.create({ priority: 'low' });
    d.h.clock.set(at('2026-03-02T12:00'));
    const config = structuredClone((await d.call('GET', '/api/v1/sla-config')).json.config as Json);
    config.policies.standard.targets.low = { firstResponse: '16h', resolution: '80h' };
    expect((await d.call('PUT', '/api/v1/sla-config', ADMIN_TOKEN, { config })).status).toBe(200);

    // 80h from Mon 10:00, 120 used at Mon 12:00; 78h left: Mon 5h (73 left), Tue/Wed/Thu 8h (49),
    // Fri 7h (42), Mon 9, Tue 10, Wed 11, Thu 12 8h each (10), Fri 13 7h (3), Mon 16 09:00 + 3h → 12:00.
    const due = new Date(at('2026-03-16T12:00')).toISOString();
    const preview = await d.call('POST', '/api/v1/sla/reapply', ADMIN_TOKEN, { dryRun: true });
    const change = (preview.json.changes as Json[]).find((c) => c.caseId === id)!;
    expect(change.timers).toContainEqual({ metric: 'resolution', state: 'running', from: null, to: { policy: 'standard', policyVersion: 3, targetMinutes: 4800, dueAt: due }, startedAt: new Date(MONDAY).toISOString(), usedMinutes: 120 });
    expect((await d.timers(id)).resolution).toBeUndefined();

    expect((await d.call('POST', '/api/v1/sla/reapply', ADMIN_TOKEN, {})).status).toBe(200);
    expect((await d.timers(id)).resolution).toMatchObject({ state: 'running', policyVersion: 3, usedMinutes: 120, dueAt: due });
  });
});

describe('a rule that applies a policy with the target', () => {
  it('starts the timer from the creation, without the time the case was resolved', async () => {
    const ruleset = (await d.call('GET', '/api/v1/rulesets/escalation')).json;
    const rule = {
      name: 'Reopened cases go VIP',
      conditions: { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'case.reopened' }] },
      event: { type: 'applySlaPolicy', params: { policy: 'vip' } },
    };
    expect((await d.call('PUT', '/api/v1/rulesets/escalation', ADMIN_TOKEN, { rules: [...ruleset.rules, rule] })).status).toBe(200);
    d.h.clock.set(MONDAY);
    const id = await d.create({ priority: 'low' });
    await d.reply(id);
    d.h.clock.set(at('2026-03-02T11:00'));
    expect((await d.transition(id, 'resolve', { solution: 'Done.' })).status).toBe(200);
    d.h.clock.set(at('2026-03-03T10:00'));
    await d.customerReply(id, 'Not fixed'); // reopens; the rule applies "vip"
    // vip low resolution 16h = 960 from Mon 10:00: runs Mon 10:00–11:00 (60), stopped while resolved
    // until Tue 10:00; 900 left: Tue 10:00–17:00 (420), Wed 09:00 + 480 → Wed 17:00.
    expect((await d.timers(id)).resolution).toMatchObject({ state: 'running', policy: 'vip', usedMinutes: 60, dueAt: berlin('2026-03-04T17:00') });
  });
});
