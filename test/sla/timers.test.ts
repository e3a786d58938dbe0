/** SLA timers following case events, through the API (default workflow, policy "standard"). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NO_DUE_AT } from '../../src/db/schema/index.js';
import { buildReport } from '../../src/reports/build-report.js';
import { ADMIN_TOKEN, berlin, createDesk, type Desk, type Json } from './helpers.js';

let d: Desk;
beforeEach(() => {
  d = createDesk(); // Monday 2026-03-02 10:00 Berlin
});
afterEach(() => d.h.close());

const slaEvents = async (id: string, metric?: string) =>
  (await d.events(id)).filter((e) => metric === undefined || e.data.metric === metric).map((e) => e.type);

describe('firstResponse', () => {
  it('starts with the case and is fulfilled by the first public staff reply, never by an internal note', async () => {
    const id = await d.create(); // normal: firstResponse 8h, resolution 40h
    const started = await d.timers(id);
    expect(Object.keys(started).sort()).toEqual(['firstResponse', 'resolution']);
    expect(started.firstResponse).toMatchObject({ state: 'running', policy: 'standard', policyVersion: 1, targetMinutes: 480, dueAt: berlin('2026-03-03T10:00'), minutesLeft: 24 * 60 });

    d.h.clock.advanceMinutes(30);
    await d.note(id);
    expect((await d.timers(id)).firstResponse).toMatchObject({ state: 'running', usedMinutes: 30 });

    d.h.clock.advanceMinutes(15);
    await d.reply(id);
    const after = await d.timers(id);
    expect(after.firstResponse).toMatchObject({ state: 'fulfilled', usedMinutes: 45, fulfilledAt: berlin('2026-03-02T10:45'), dueAt: null, businessMinutesLeft: null });
    expect(after.resolution!.state).toBe('running');
    const fulfilled = (await d.events(id)).find((e) => e.type === 'sla.fulfilled');
    expect(fulfilled?.data).toMatchObject({ metric: 'firstResponse', by: 'reply', breached: false, first: true, usedMinutes: 45, queue: 'general', policy: 'standard' });

    d.h.clock.advanceMinutes(10);
    await d.reply(id, 'And one more thing.');
    expect(await slaEvents(id, 'firstResponse')).toEqual(['sla.started', 'sla.fulfilled']);
  });
});

describe('nextResponse', () => {
  it('starts at the oldest unanswered customer message and is fulfilled by the next public reply', async () => {
    const id = await d.create();
    await d.customerReply(id, 'Before anyone answered');
    expect((await d.timers(id)).nextResponse).toBeUndefined(); // the first-response clock covers it

    await d.reply(id);
    d.h.clock.advanceMinutes(60);
    await d.customerReply(id, 'First follow-up');
    const first = (await d.timers(id)).nextResponse!;
    expect(first).toMatchObject({ state: 'running', targetMinutes: 240, startedAt: berlin('2026-03-02T11:00'), dueAt: berlin('2026-03-02T15:00') });

    d.h.clock.advanceMinutes(30);
    await d.customerReply(id, 'Second follow-up');
    expect((await d.timers(id)).nextResponse).toMatchObject({ startedAt: berlin('2026-03-02T11:00'), dueAt: berlin('2026-03-02T15:00') });

    await d.note(id);
    expect((await d.timers(id)).nextResponse!.state).toBe('running');
    d.h.clock.advanceMinutes(30);
    await d.reply(id);
    expect((await d.timers(id)).nextResponse).toMatchObject({ state: 'fulfilled', usedMinutes: 60 });

    d.h.clock.advanceMinutes(60);
    await d.customerReply(id, 'A new question');
    expect((await d.timers(id)).nextResponse).toMatchObject({ state: 'running', usedMinutes: 0, startedAt: berlin('2026-03-02T13:00'), fulfilledAt: null });
    expect(await slaEvents(id, 'nextResponse')).toEqual(['sla.started', 'sla.fulfilled', 'sla.started']);
  });
});

describe('resolution across resolve, reopen and close', () => {
  it('is stopped by resolved, resumed by a reopen with the minutes used, and closed cases never breach', async () => {
    const id = await d.create();
    await d.reply(id);
    d.h.clock.advanceMinutes(120);
    await d.transition(id, 'resolve', { solution: 'Settings → Profile.' });
    const resolved = await d.timers(id);
    expect(resolved.resolution).toMatchObject({ state: 'fulfilled', stopReason: 'Resolved', usedMinutes: 120, fulfilledAt: berlin('2026-03-02T12:00') });
    expect(resolved.firstResponse).toMatchObject({ state: 'fulfilled', stopReason: null });
    const stop = (await d.events(id)).find((e) => e.type === 'sla.fulfilled' && e.data.metric === 'resolution');
    expect(stop?.data).toMatchObject({ by: 'state', reason: 'Resolved', breached: false, first: true });

    // The customer writes back on Tuesday: the workflow reopens the case.
    d.h.clock.set(berlin('2026-03-03T09:00'));
    const reopened = await d.customerReply(id, 'It happens again');
    expect(reopened.status).toBe('open');
    const running = await d.timers(id);
    expect(running.resolution).toMatchObject({ state: 'running', usedMinutes: 120, stopReason: null, fulfilledAt: null });
    // 40h target, 2h used: 38h of office time from Tue 09:00 (Fri has 7 hours).
    expect(running.resolution!.dueAt).toBe(berlin('2026-03-09T16:00'));
    expect(running.firstResponse!.state).toBe('fulfilled'); // answered by a reply: stays fulfilled
    expect(running.nextResponse).toMatchObject({ state: 'running', startedAt: berlin('2026-03-03T09:00') });

    d.h.clock.advanceMinutes(60);
    await d.transition(id, 'resolve', { solution: 'Cleared the cache.' });
    const again = (await d.events(id)).filter((e) => e.type === 'sla.fulfilled' && e.data.metric === 'resolution');
    expect(again.map((e) => e.data.first)).toEqual([true, false]);
    expect((await d.timers(id)).resolution).toMatchObject({ usedMinutes: 180 });

    await d.transition(id, 'close');
    const closed = await d.timers(id);
    expect(Object.values(closed).map((t) => t.state)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect((await d.get(id)).status).toBe('closed');
  });

  it('resumes a first response a resolve stopped before anyone replied', async () => {
    const id = await d.create();
    await d.transition(id, 'markSolved', {}, d.chloeToken);
    expect((await d.timers(id)).firstResponse).toMatchObject({ state: 'fulfilled', stopReason: 'Resolved' });
    d.h.clock.advanceMinutes(60);
    await d.customerReply(id, 'Actually, no');
    const timers = await d.timers(id);
    expect(timers.firstResponse).toMatchObject({ state: 'running', usedMinutes: 0 });
    expect(timers.nextResponse).toBeUndefined();
  });
});

describe('the inbox sort key', () => {
  it('keeps sla_due_at at the earliest due time of the running timers, NO_DUE_AT without any', async () => {
    const id = await d.create();
    const list = async () => ((await d.call('GET', '/api/v1/cases')).json.items as Json[]).find((c) => c.id === id)!;
    expect((await list()).slaDueAt).toBe(berlin('2026-03-03T10:00')); // firstResponse, before resolution
    await d.reply(id);
    expect((await list()).slaDueAt).toBe((await d.timers(id)).resolution!.dueAt);
    await d.transition(id, 'resolve', { solution: 'Done.' });
    const row = (await d.h.get<{ due: number }>('SELECT sla_due_at AS due FROM cases'))!;
    expect(row.due).toBe(NO_DUE_AT);
  });
});

describe('priority changes', () => {
  it('re-targets running timers with the minutes already used', async () => {
    // A rule that raises the priority when the customer reopens.
    const ruleset = (await d.call('GET', '/api/v1/rulesets/escalation')).json;
    const rules = [
      ...ruleset.rules,
      {
        name: 'Reopened cases become urgent',
        conditions: { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'case.reopened' }] },
        event: { type: 'setPriority', params: { priority: 'urgent' } },
      },
    ];
    expect((await d.call('PUT', '/api/v1/rulesets/escalation', ADMIN_TOKEN, { rules })).status).toBe(200);

    const id = await d.create();
    await d.reply(id);
    d.h.clock.advanceMinutes(60);
    await d.transition(id, 'resolve', { solution: 'Done.' });
    d.h.clock.advanceMinutes(60);
    await d.customerReply(id, 'Not fixed');
    const view = await d.get(id);
    expect(view.priority).toBe('urgent');
    const timers = await d.timers(id);
    // urgent: resolution 8h, 1h used → 7h left from Monday 12:00 → Tuesday 11:00.
    expect(timers.resolution).toMatchObject({ state: 'running', targetMinutes: 480, usedMinutes: 60, dueAt: berlin('2026-03-03T11:00') });
    expect(timers.nextResponse).toMatchObject({ targetMinutes: 60, dueAt: berlin('2026-03-02T13:00') });
    const retargeted = (await d.events(id)).filter((e) => e.type === 'sla.retargeted');
    expect(retargeted.map((e) => [e.data.metric, e.data.fromTargetMinutes, e.data.targetMinutes, e.data.reason])).toEqual([
      ['resolution', 2400, 480, 'priority normal → urgent'],
      ['nextResponse', 240, 60, 'priority normal → urgent'],
    ]);
  });
});

describe('a clock stopped or paused after its due time, before any sweep saw it', () => {
  const sweep = async () => (await d.call('POST', '/api/v1/sla/sweep')).json.sweep as Json;

  it('breaches when a late reply answers it: recorded once, as the sweep records it, without the workflow reacting to it', async () => {
    const id = await d.create(); // normal: firstResponse 8h, due Tue 10:00
    d.h.clock.set(Date.parse(berlin('2026-03-03T10:00')) + 40_000);
    await d.reply(id);
    const timer = (await d.timers(id)).firstResponse!;
    expect(timer).toMatchObject({ state: 'fulfilled', breachedAt: new Date(d.h.clock.now()).toISOString(), dueAt: berlin('2026-03-03T10:00'), usedMinutes: 480.67 });
    const entries = (await d.events(id)).filter((e) => e.data.metric === 'firstResponse');
    expect(entries.map((e) => e.type)).toEqual(['sla.started', 'sla.breached', 'sla.fulfilled']);
    expect(entries[1]!.data).toMatchObject({ policy: 'standard', queue: 'general', priority: 'normal', dueAt: Date.parse(berlin('2026-03-03T10:00')), overdueMinutes: 0, stoppedBy: 'reply' });
    expect(entries[2]!.data).toMatchObject({ by: 'reply', breached: true, usedMinutes: 480.67, targetMinutes: 480 });
    // Answered: the escalation rules of a breach (tier 2, the assignee told) are for clocks still running late.
    expect(await d.events(id, 'case.escalated')).toEqual([]);
    expect(await d.get(id)).toMatchObject({ status: 'open', tier: 1, queue: 'general' });
    const report = await buildReport(d.h.services, { from: Date.parse(berlin('2026-03-02T00:00')), to: Date.parse(berlin('2026-03-04T00:00')), timezone: 'Europe/Berlin' });
    expect(report.totals).toMatchObject({ breaches: 1, met: 0, missed: 1 });

    d.h.clock.advanceMinutes(1);
    expect(await sweep()).toMatchObject({ breaches: 0, warnings: 0 });
    expect((await d.events(id)).filter((e) => e.type === 'sla.breached')).toHaveLength(1);
  });

  it('breaches when a resolve stops it late; an answer in time is no breach', async () => {
    const late = await d.create({ priority: 'urgent' }); // resolution 8h: due Tue 10:00
    const onTime = await d.create({ priority: 'urgent' });
    await d.reply(late);
    await d.reply(onTime);
    d.h.clock.set(Date.parse(berlin('2026-03-03T10:00')) - 1000);
    await d.transition(onTime, 'resolve', { solution: 'Done in time.' });
    d.h.clock.advanceMinutes(1);
    await d.transition(late, 'resolve', { solution: 'Done late.' });
    expect((await d.events(onTime)).filter((e) => e.data.metric === 'resolution').map((e) => e.type)).toEqual(['sla.started', 'sla.fulfilled']);
    const resolution = (await d.events(late)).filter((e) => e.data.metric === 'resolution');
    expect(resolution.map((e) => [e.type, e.data.breached, e.data.stoppedBy])).toEqual([['sla.started', undefined, undefined], ['sla.breached', undefined, 'Resolved'], ['sla.fulfilled', true, undefined]]);
    expect(await d.get(late)).toMatchObject({ status: 'resolved', tier: 1 });
  });

  it('breaches when a pause stops it late, and keeps the due time it breached at through the pause and after', async () => {
    const id = await d.create({ priority: 'urgent' }); // resolution 8h: due Tue 10:00
    await d.reply(id);
    d.h.clock.set(Date.parse(berlin('2026-03-03T10:00')) + 30_000);
    expect((await d.transition(id, 'waitOnCustomer')).status).toBe(200);
    const paused = (await d.timers(id)).resolution!;
    expect(paused).toMatchObject({ state: 'paused', breachedAt: new Date(d.h.clock.now()).toISOString(), dueAt: berlin('2026-03-03T10:00'), usedMinutes: 480.5 });
    // Paused, it sorts nothing in the inbox.
    const caseRow = () => d.h.get<{ due: number }>('SELECT sla_due_at AS due FROM cases WHERE id = ?', Number(id.slice(2)));
    expect((await caseRow())!.due).toBe(NO_DUE_AT);

    d.h.clock.set(berlin('2026-03-04T09:00'));
    await d.customerReply(id, 'Here is the log you asked for.');
    const resumed = (await d.timers(id)).resolution!;
    expect(resumed).toMatchObject({ state: 'breached', dueAt: berlin('2026-03-03T10:00'), usedMinutes: 480.5, overdueMinutes: 23 * 60 });
    expect(Number((await caseRow())!.due)).toBe(Date.parse(berlin('2026-03-03T10:00')));
    d.h.clock.advanceMinutes(5);
    expect(await sweep()).toMatchObject({ breaches: 0 });
    expect((await d.events(id)).filter((e) => e.type === 'sla.breached')).toHaveLength(1);
  });
});

describe('a customer message that reopens a resolved case', () => {
  it('resumes the clock of their earlier unanswered message with the minutes it had used, as a reopen by staff does', async () => {
    const id = await d.create();
    await d.reply(id);
    d.h.clock.advanceMinutes(60);
    await d.customerReply(id, 'One more question'); // nextResponse from Mon 11:00
    d.h.clock.advanceMinutes(60);
    await d.transition(id, 'resolve', { solution: 'Answered on the phone.' });
    expect((await d.timers(id)).nextResponse).toMatchObject({ state: 'fulfilled', stopReason: 'Resolved', usedMinutes: 60 });

    d.h.clock.set(berlin('2026-03-03T09:00'));
    const reopened = await d.customerReply(id, 'The phone call did not help');
    expect(reopened.status).toBe('open');
    // 4h target, 1h used: 3h from Tue 09:00.
    expect((await d.timers(id)).nextResponse).toMatchObject({ state: 'running', usedMinutes: 60, startedAt: berlin('2026-03-02T11:00'), dueAt: berlin('2026-03-03T12:00') });
    expect((await d.events(id)).filter((e) => e.data.metric === 'nextResponse').map((e) => e.type)).toEqual(['sla.started', 'sla.fulfilled', 'sla.resumed']);
  });
});
