/**
 * Definitions unlike the shipped ones, end to end through the API, each due time computed by
 * hand: a Kolkata desk (+05:30) with a lunch break, a half Saturday, three holidays in a row
 * over a weekend, a yearly one and a dated closed day; a Berlin desk open seven days across the
 * night the clocks go forward; a workflow whose waiting state pauses the first response too and
 * an "on hold" state that pauses the next response; routing by nested any/all/not; escalation
 * and a policy change decided by rules on SLA warnings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { loadRepoDefinitions, ROOT, tempDir } from '../support/harness.js';
import { createDesk, type Desk, type Json } from './helpers.js';

const ist = (l: string) => DateTime.fromISO(l, { zone: 'Asia/Kolkata' }).toUTC().toISO()!;
const ber = (l: string) => DateTime.fromISO(l, { zone: 'Europe/Berlin' }).toUTC().toISO()!;
const split = [['09:30', '13:00'], ['14:00', '18:30']];
const sla = {
  calendars: {
    kolkata: { timezone: 'Asia/Kolkata', weekly: { mon: split, tue: split, wed: split, thu: split, fri: split, sat: [['10:00', '14:00']] },
      holidays: ['2026-12-26', '2026-12-27', '2026-12-28', '12-31', { date: '2027-01-02', hours: [] }] },
    utc: { timezone: 'UTC', weekly: '24x7' },
    seven: { timezone: 'Europe/Berlin', weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['08:00', '20:00']]])) },
  },
  policies: {
    india: { calendar: 'kolkata', warnBefore: '45m', targets: { urgent: { firstResponse: '1h30m', resolution: '10h' }, normal: { firstResponse: '6h', nextResponse: '3h', resolution: '24h' } } },
    premium: { calendar: 'utc', warnBefore: '15m', targets: { normal: { firstResponse: '2h', resolution: '30h' } } },
    weekend7: { calendar: 'seven', warnBefore: '25%', targets: { normal: { firstResponse: '2h', resolution: '20h' }, high: { firstResponse: '1h' } } },
  },
  default: 'india',
};
const routing = {
  ruleset: 'routing',
  rules: [
    { name: 'Key accounts on the 7-day desk', priority: 10,
      conditions: { all: [
        { any: [
          { fact: 'customer', path: '$.tier', operator: 'equal', value: 'enterprise' },
          { fact: 'customer', path: '$.organization', operator: 'in', value: ['Acme', 'Globex'] } ] },
        { not: { fact: 'case', path: '$.subject', operator: 'textHasAnyWord', value: ['test'] } } ] },
      event: { type: 'applySlaPolicy', params: { policy: 'weekend7' } } },
    { name: 'Money to billing', priority: 5,
      conditions: { any: [
        { fact: 'case', path: '$.description', operator: 'textContainsAny', value: ['invoice', 'refund'] },
        { fact: 'customer', path: '$.organization', operator: 'textContains', value: 'bank' } ] },
      event: { type: 'route', params: { queue: 'billing' } } },
  ],
};
const escalation = JSON.parse(fs.readFileSync(path.join(ROOT, 'rules', 'escalation.json'), 'utf8'));
escalation.rules.unshift({ name: 'Late India cases go premium', priority: 50,
  conditions: { all: [
    { fact: 'event', path: '$.type', operator: 'equal', value: 'sla.warning' },
    { fact: 'sla', path: '$.metric', operator: 'equal', value: 'resolution' },
    { fact: 'sla', path: '$.policy', operator: 'equal', value: 'india' } ] },
  event: { type: 'applySlaPolicy', params: { policy: 'premium' } } });
escalation.rules.unshift({ name: 'Key accounts warned on first response go to tier 2', priority: 40,
  conditions: { all: [
    { fact: 'event', path: '$.type', operator: 'equal', value: 'sla.warning' },
    { fact: 'sla', path: '$.metric', operator: 'equal', value: 'firstResponse' },
    { fact: 'case', path: '$.tier', operator: 'lessThan', value: 2 },
    { any: [ { fact: 'case', path: '$.priority', operator: 'in', value: ['urgent', 'high'] }, { fact: 'customer', path: '$.tier', operator: 'equal', value: 'enterprise' } ] } ] },
  event: { type: 'escalate', params: { tier: 2, queue: 'advanced', reason: 'Key account close to its first-response target' } } });

function folders() {
  const dir = tempDir('unusual-definitions-');
  const workflowsDir = path.join(dir, 'workflows');
  const rulesDir = path.join(dir, 'rules');
  fs.mkdirSync(workflowsDir); fs.mkdirSync(rulesDir);
  const wf = JSON.parse(fs.readFileSync(path.join(ROOT, 'workflows', 'support.json'), 'utf8'));
  wf.states.onhold = { label: 'On hold', customerLabel: 'In progress', category: 'pending', sla: { pause: ['resolution', 'nextResponse'] } };
  wf.states.pending.sla = { pause: ['resolution', 'firstResponse'] };
  wf.transitions.hold = { label: 'Hold', from: ['open', 'escalated'], to: 'onhold', roles: ['agent', 'advanced', 'manager', 'admin'] };
  wf.transitions.resume.from = ['pending', 'onhold'];
  wf.transitions.resolve.from.push('onhold');
  fs.writeFileSync(path.join(workflowsDir, 'support.json'), JSON.stringify(wf));
  fs.writeFileSync(path.join(rulesDir, 'sla.json'), JSON.stringify(sla));
  fs.writeFileSync(path.join(rulesDir, 'routing.json'), JSON.stringify(routing));
  fs.writeFileSync(path.join(rulesDir, 'escalation.json'), JSON.stringify(escalation));
  return { workflowsDir, rulesDir };
}

let d: Desk | undefined;
afterEach(() => d?.h.close());

describe('definitions unlike the shipped ones', () => {
  it('Kolkata: a split day, holidays in a row over a weekend, a yearly and a closed dated one; waiting and on hold pause their clocks', async () => {
    d = createDesk({ files: loadRepoDefinitions(folders()), start: ist('2026-12-24T17:30') });
    const id = await d.create({ priority: 'normal' });
    let t = await d.timers(id);
    // Thursday 17:30: 1h that day; Friday 25 Dec (no holiday here) 3h30 before lunch, 1h30 after → 15:30.
    expect(t.firstResponse).toMatchObject({ dueAt: ist('2026-12-25T15:30'), policy: 'india' });
    // 24h: 1h Thu, 8h Fri, Sat–Mon holidays, 8h Tue, 3h30 + 3h30 Wed → Wed 30 Dec 17:30.
    expect(t.resolution).toMatchObject({ dueAt: ist('2026-12-30T17:30') });
    d.h.clock.set(ist('2026-12-25T10:00'));
    await d.reply(id);
    const w = await d.transition(id, 'waitOnCustomer');
    expect(w.status).toBe(200);
    t = await d.timers(id);
    expect(t.resolution).toMatchObject({ state: 'paused', usedMinutes: 90 }); // 1h Thu + 30 min Fri
    d.h.clock.set(ist('2026-12-29T11:00'));
    await d.customerReply(id);
    t = await d.timers(id);
    // 22h30 left: 6h30 Tue, 8h Wed, Thu 31 Dec yearly holiday, 8h Fri 1 Jan → 18:30.
    expect(t.resolution).toMatchObject({ state: 'running', dueAt: ist('2027-01-01T18:30') });
    // 3h: 11:00–13:00, then 1h after lunch.
    expect(t.nextResponse).toMatchObject({ state: 'running', dueAt: ist('2026-12-29T15:00') });
    d.h.clock.set(ist('2026-12-29T12:00'));
    expect((await d.transition(id, 'hold')).status).toBe(200);
    t = await d.timers(id);
    expect(t.resolution).toMatchObject({ state: 'paused', usedMinutes: 150 });
    expect(t.nextResponse).toMatchObject({ state: 'paused', usedMinutes: 60 });
    d.h.clock.set(ist('2027-01-02T09:00'));
    const r = await d.transition(id, 'resume');
    expect(r.status).toBe(200);
    t = await d.timers(id);
    // Resumed on Saturday 2 Jan, a closed day: 2h of next response on Monday from 09:30; 21h30 of resolution: 8h Mon, 8h Tue, 5h30 Wed.
    expect(t.nextResponse).toMatchObject({ state: 'running', dueAt: ist('2027-01-04T11:30') });
    expect(t.resolution).toMatchObject({ state: 'running', dueAt: ist('2027-01-06T16:00') });
  });

  it('a seven-day Berlin desk across the spring-forward night; a key account warned on its first response goes to tier 2, once', async () => {
    d = createDesk({ files: loadRepoDefinitions(folders()), start: ber('2026-03-28T19:00') });
    d.h.customer({ email: 'ent@acme.example', name: 'Ent', tier: 'enterprise', organization: 'Acme' });
    const res = await d.call('POST', '/api/v1/cases', undefined, { customer: { email: 'ent@acme.example' }, subject: 'Printer', description: 'It jams', priority: 'normal' });
    expect(res.status).toBe(201);
    const id = res.json.id as string;
    let t = await d.timers(id);
    expect(t.firstResponse).toMatchObject({ policy: 'weekend7', dueAt: ber('2026-03-29T09:00'), warnAt: ber('2026-03-29T08:30') });
    expect(t.resolution).toMatchObject({ dueAt: ber('2026-03-30T15:00') });
    d.h.clock.set(ber('2026-03-29T08:29'));
    let s = await d.call('POST', '/api/v1/sla/sweep');
    expect(s.json.sweep.warnings).toBe(0);
    d.h.clock.set(ber('2026-03-29T08:30'));
    s = await d.call('POST', '/api/v1/sla/sweep');
    expect(s.json.sweep.warnings).toBe(1);
    const c = await d.get(id);
    expect(c).toMatchObject({ tier: 2, queue: 'advanced', status: 'escalated' });
    const esc = await d.events(id, 'case.escalated');
    expect(esc).toHaveLength(1);
    // The breach that follows escalates nothing more: the case is at tier 2 already.
    d.h.clock.set(ber('2026-03-29T09:01'));
    s = await d.call('POST', '/api/v1/sla/sweep');
    expect(s.json.sweep.breaches).toBe(1);
    expect(await d.events(id, 'case.escalated')).toHaveLength(1);
  });

  it('a rule on a resolution warning moves the case to a 24x7 policy: minutes used kept, the rest around the clock, warned again', async () => {
    d = createDesk({ files: loadRepoDefinitions(folders()), start: ist('2026-12-07T10:00') });
    const id = await d.create({ priority: 'normal' });
    let t = await d.timers(id);
    expect(t.resolution).toMatchObject({ dueAt: ist('2026-12-10T10:00'), warnAt: ist('2026-12-09T18:15') });
    await d.reply(id);
    d.h.clock.set(ist('2026-12-09T18:15'));
    let s = await d.call('POST', '/api/v1/sla/sweep');
    expect(s.json.sweep.warnings).toBe(1);
    t = await d.timers(id);
    // Failed once on PostgreSQL in CI (the rule's policy not applied when the sweep answered): the case's outbox items say why, if it happens again.
    const items = await d.h.all('SELECT id, type, attempts, done_at, failed_at, available_at, locked_until, last_error FROM outbox WHERE case_id = ? ORDER BY id', parseCaseRef(id));
    expect(t.resolution, JSON.stringify(items)).toMatchObject({ policy: 'premium', dueAt: '2026-12-09T19:30:00.000Z', warnAt: '2026-12-09T19:15:00.000Z', usedMinutes: 1395 });
    d.h.clock.set('2026-12-09T19:15:00.000Z');
    s = await d.call('POST', '/api/v1/sla/sweep');
    expect(s.json.sweep.warnings).toBe(1);
    d.h.clock.set('2026-12-09T19:30:00.001Z');
    s = await d.call('POST', '/api/v1/sla/sweep');
    expect(s.json.sweep.breaches).toBe(1);
  });

  it('a waiting state pauses the first response; a customer message while on hold starts next response paused', async () => {
    d = createDesk({ files: loadRepoDefinitions(folders()), start: ist('2026-12-07T10:00') });
    const id = await d.create({ priority: 'normal' });
    d.h.clock.set(ist('2026-12-07T11:00'));
    expect((await d.transition(id, 'waitOnCustomer')).status).toBe(200);
    let t = await d.timers(id);
    expect(t.firstResponse).toMatchObject({ state: 'paused', usedMinutes: 60 });
    d.h.clock.set(ist('2026-12-08T10:00'));
    await d.customerReply(id);
    t = await d.timers(id);
    expect(t.firstResponse).toMatchObject({ state: 'running', dueAt: ist('2026-12-08T16:00') });
    expect(t.nextResponse).toBeUndefined();
    d.h.clock.set(ist('2026-12-08T11:00'));
    expect((await d.transition(id, 'hold')).status).toBe(200);
    d.h.clock.set(ist('2026-12-08T12:00'));
    await d.customerReply(id);
    expect((await d.get(id)).status).toBe('onhold');
    d.h.clock.set(ist('2026-12-08T12:30'));
    await d.reply(id);
    t = await d.timers(id);
    expect(t.firstResponse).toMatchObject({ state: 'fulfilled', usedMinutes: 210 });
    expect(t.nextResponse).toBeUndefined();
    d.h.clock.set(ist('2026-12-08T14:00'));
    await d.customerReply(id);
    t = await d.timers(id);
    expect(t.nextResponse).toMatchObject({ state: 'paused', usedMinutes: 0 });
    d.h.clock.set(ist('2026-12-09T10:00'));
    expect((await d.transition(id, 'resume')).status).toBe(200);
    t = await d.timers(id);
    expect((await d.get(id)).status).toBe('open');
    expect(t.nextResponse).toMatchObject({ state: 'running', dueAt: ist('2026-12-09T13:00') });
    expect(t.resolution).toMatchObject({ state: 'running', usedMinutes: 120, dueAt: ist('2026-12-11T17:00') });
  });

  it('a customer without an organization: textContains on null does not match, the other branch of an any routes', async () => {
    d = createDesk({ files: loadRepoDefinitions(folders()), start: ist('2026-12-24T12:00') });
    const id = await d.create({ subject: 'A test', description: 'Refund please' });
    const c = await d.get(id);
    expect(c).toMatchObject({ queue: 'billing' });
    expect((await d.timers(id)).firstResponse).toMatchObject({ policy: 'india', dueAt: ist('2026-12-25T10:00') });
  });
});
