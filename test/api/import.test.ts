/**
 * Importing history through `POST /api/v1/cases` (docs/import.md): a case brought from another
 * help desk keeps its original times and never sets off live work for the past — no
 * assignment, SLA breaches, escalations or mails for closed history; an open case goes live at
 * the import with clocks starting then. Reports count it by its historical dates.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../src/dashboard/dashboard.js';
import { buildReport } from '../../src/reports/build-report.js';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { publishVersion } from '../../src/definitions/versions.js';
import { ADMIN, ADMIN_TOKEN, createHarness, loadRepoDefinitions, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { copyDefinitions } from '../manage/support.js';
import { signedIn } from '../support/pages.js';

type Json = Record<string, any>;

let h: Harness;
let alice: TestActor;

// The harness clock: Monday 2026-03-02 09:00Z.
const NOW = Date.parse('2026-03-02T09:00:00Z');

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], capacity: 5 });
  h.agent({ name: 'Dana', role: 'advanced', queues: ['advanced'], capacity: 5 });
  // PostgreSQL: the registry is loaded by the harness's first step; an import reads it before any statement.
  await h.settled();
});
afterEach(() => h.close());

/** An urgent case of an enterprise customer: live intake would escalate it to tier 2 at once. */
const history = (over: Json = {}) => ({
  externalId: 'ZD-4711',
  customer: { email: 'eve@acme.example', name: 'Eve', tier: 'enterprise', organization: 'Acme' },
  subject: 'Production is down',
  description: 'Every call to the API returns error 500.',
  priority: 'urgent',
  createdAt: '2026-01-05T10:00:00Z',
  ...over,
});

const closedHistory = (over: Json = {}) =>
  history({
    status: 'closed',
    resolvedAt: '2026-01-06T12:00:00Z',
    closedAt: '2026-01-09T12:00:00Z',
    solution: 'Restarted the API gateway.',
    messages: [
      { from: 'staff', body: 'We are on it.', at: '2026-01-05T10:30:00Z', author: 'Zoe (old desk)' },
      { from: 'staff', body: 'Gateway restart planned.', at: '2026-01-05T10:40:00Z', public: false },
      { from: 'customer', body: 'Thanks, it works again.', at: '2026-01-06T13:00:00Z' },
    ],
    rating: { satisfied: true, comment: 'Fast!', at: '2026-01-07T08:00:00Z' },
    ...over,
  });

async function post(body: unknown, token = ADMIN_TOKEN): Promise<{ status: number; json: Json }> {
  const res = await h.api('POST', '/api/v1/cases', { token, body });
  return { status: res.status, json: (await res.json()) as Json };
}

async function events(id: string): Promise<Json[]> {
  return (await (await h.api('GET', `/api/v1/cases/${id}/events`, { token: ADMIN_TOKEN })).json()) as Json[];
}

async function count(sql: string, ...params: unknown[]): Promise<number> {
  return (await h.get<{ n: number }>(sql, ...params))!.n;
}

const day = (iso: string) => ({ from: Date.parse(`${iso}T00:00:00Z`), to: Date.parse(`${iso}T00:00:00Z`) + 86_400_000, queue: null, zone: 'UTC' });

describe('importing closed history', () => {
  it('stores the case with its original times and sets off nothing live', async () => {
    const { status, json } = await post(closedHistory());
    expect(status).toBe(201);
    expect(json).toMatchObject({
      status: 'closed',
      open: false,
      tier: 1,
      assignee: null,
      waitingSince: null,
      createdAt: '2026-01-05T10:00:00.000Z',
      firstResponseAt: '2026-01-05T10:30:00.000Z',
      resolvedAt: '2026-01-06T12:00:00.000Z',
      closedAt: '2026-01-09T12:00:00.000Z',
      solution: 'Restarted the API gateway.',
      sla: [],
    });

    const timeline = await events(json.id);
    expect(timeline.map((e) => [e.type, e.at])).toEqual([
      ['case.created', '2026-01-05T10:00:00.000Z'],
      ['case.routed', '2026-01-05T10:00:00.000Z'],
      ['staff.replied', '2026-01-05T10:30:00.000Z'],
      ['staff.noted', '2026-01-05T10:40:00.000Z'],
      ['case.transitioned', '2026-01-06T12:00:00.000Z'],
      ['customer.replied', '2026-01-06T13:00:00.000Z'],
      ['case.rated', '2026-01-07T08:00:00.000Z'],
      ['case.transitioned', '2026-01-09T12:00:00.000Z'],
      ['case.imported', '2026-03-02T09:00:00.000Z'],
    ]);
    expect(timeline.slice(0, -1).every((e) => e.data.imported === true)).toBe(true);
    expect(timeline[2]).toMatchObject({ actor: { name: 'Zoe (old desk)' }, data: { body: 'We are on it.' } });
    expect(timeline[4]!.data).toMatchObject({ from: 'new', to: 'resolved', transition: 'resolve' });
    expect(timeline[7]!.data).toMatchObject({ from: 'resolved', to: 'closed', transition: 'close' });
    expect(timeline.at(-1)!.data).toMatchObject({ externalId: 'ZD-4711', live: false, messages: 3 });
    const page = (await (await signedIn(h, h.agent({ name: 'Maria', role: 'manager' })).get(`/cases/${json.id}`)).text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(page).toContain('Created via api (imported history)');
    expect(page).toContain('Zoe (old desk) replied to the customer');
    expect(page).toContain('Imported as ZD-4711 by');
    expect(page).toContain('History only: nothing live was started');
    // Its customer is shown the old desk's last change they saw (closed: Solved → Closed) as the last update, not the import.
    const eve = await h.get<{ id: number }>("SELECT id FROM customers WHERE email = 'eve@acme.example'");
    const mine = await h.api('GET', `/api/v1/cases/${json.id}`, { token: h.tokenFor({ type: 'customer', id: Number(eve!.id) }) });
    expect(await mine.json()).toMatchObject({ status: 'Closed', updatedAt: '2026-01-09T12:00:00.000Z' });
    const ratings = await h.query((q) => q.db.select({ satisfied: q.tables.caseRatings.satisfied, comment: q.tables.caseRatings.comment, at: q.tables.caseRatings.createdAt }).from(q.tables.caseRatings));
    expect(ratings).toEqual([{ satisfied: true, comment: 'Fast!', at: Date.parse('2026-01-07T08:00:00Z') }]);

    // No timers, no rules to run, no mails — now or a minute later when the SLA job runs.
    expect(await count('SELECT count(*) AS n FROM sla_timers')).toBe(0);
    expect(await count('SELECT count(*) AS n FROM outbox')).toBe(0);
    h.clock.advance(60_000);
    const run = await runSlaSweep(h.services);
    expect(run.sweep.breaches).toBe(0);
    expect(await count("SELECT count(*) AS n FROM case_events WHERE type LIKE 'sla.%' OR type IN ('case.escalated', 'case.assigned', 'notification.sent')")).toBe(0);
    expect(await count("SELECT count(*) AS n FROM outbox WHERE type IN ('case.event', 'notification.send')")).toBe(0);
  });

  it('counts in the reports of its own dates, never in those of the import day', async () => {
    await post(closedHistory());
    h.clock.advance(60_000);
    await runSlaSweep(h.services);

    const today = await buildDashboard(h.services, day('2026-03-02'));
    expect([today.processing.count, today.firstResponse.count, today.csat.ratings]).toEqual([0, 0, 0]);
    expect(today.attainment.total).toMatchObject({ met: 0, missed: 0 });
    expect(today.escalations.points.reduce((n, p) => n + p.value, 0)).toBe(0);
    expect(today.backlog.points.at(-1)!.value).toBe(0);
    const report = await buildReport(h.services, { from: day('2026-03-02').from, to: day('2026-03-02').to });
    expect(report.totals).toMatchObject({ breaches: 0, warnings: 0, escalations: 0, met: 0, missed: 0 });

    const january = await buildDashboard(h.services, { from: Date.parse('2026-01-01T00:00:00Z'), to: Date.parse('2026-02-01T00:00:00Z'), queue: null, zone: 'UTC' });
    expect(january.processing.rows).toEqual([expect.objectContaining({ start: Date.parse('2026-01-05T10:00:00Z'), end: Date.parse('2026-01-06T12:00:00Z') })]);
    expect(january.firstResponse.rows).toEqual([expect.objectContaining({ end: Date.parse('2026-01-05T10:30:00Z') })]);
    expect(january.csat).toMatchObject({ ratings: 1, satisfied: 1 });
    // Open from its creation to its resolution: in the backlog of 5 January, not of the 6th.
    const points = january.backlog.points.map((p) => p.value);
    expect(points.slice(3, 6)).toEqual([0, 1, 0]);
  });

  it('keeps a resolved case resolved and lets its auto-close run from the original resolution', async () => {
    const { json } = await post(history({ status: 'resolved', resolvedAt: '2026-01-06T12:00:00Z', solution: 'Restarted.' }));
    expect(json).toMatchObject({ status: 'closed', resolvedAt: '2026-01-06T12:00:00.000Z', assignee: null, sla: [] });
    const closing = (await events(json.id)).filter((e) => e.type === 'case.transitioned').at(-1)!;
    expect(closing).toMatchObject({ at: '2026-03-02T09:00:00.000Z', data: { transition: 'autoClose', on: 'timer' } });
    expect(await count("SELECT count(*) AS n FROM outbox WHERE type IN ('case.event', 'notification.send')")).toBe(0);
  });

  it('counts a business-hours auto-close from the resolution on the calendar of the case\'s SLA policy', async () => {
    const w = structuredClone(h.services.definitions.workflow('support').definition);
    w.states.resolved!.timers = [{ after: '8h', transition: 'autoClose', businessHours: true }];
    await publishVersion(h.services, 'workflow', 'support', w, ADMIN, 'Auto-close after a business day');
    // Resolved Friday 17:00 in Berlin. The standard policy's office calendar closes then: 8 business
    // hours end Monday 17:00 (16:00Z). Eve's enterprise case is on premium, 24x7: it closed on Saturday.
    const resolved = { status: 'resolved', createdAt: '2026-02-27T10:00:00Z', resolvedAt: '2026-02-27T16:00:00Z', solution: 'Restarted.' };
    const bob = (await post(history({ ...resolved, externalId: 'ZD-1', customer: { email: 'bob@example.com', name: 'Bob' } }))).json;
    const eve = (await post(history({ ...resolved, externalId: 'ZD-2' }))).json;
    expect([bob.status, eve.status]).toEqual(['resolved', 'closed']);
    const status = async () => ((await h.api('GET', `/api/v1/cases/${bob.id}`, { token: ADMIN_TOKEN }).then((r) => r.json())) as Json).status;
    h.clock.advance(Date.parse('2026-03-02T16:00:00Z') - NOW - 60_000);
    await h.services.outbox.drain();
    expect(await status()).toBe('resolved');
    h.clock.advance(60_000);
    await h.services.outbox.drain();
    expect(await status()).toBe('closed');
  });
});

describe('importing a case that is still open', () => {
  it('makes it live work from the import: assigned now, SLA clocks from now, no back-dated breach or escalation', async () => {
    const { status, json } = await post(history({ createdAt: '2026-01-02T09:00:00Z', status: 'pending' }));
    expect(status).toBe(201);
    // Routed to technical; the intake rule that escalates urgent undiagnosed technical cases does not run.
    expect(json).toMatchObject({ status: 'open', tier: 1, queue: 'technical', assignee: { id: alice.id }, createdAt: '2026-01-02T09:00:00.000Z' });
    const timers = await h.all('SELECT metric, started_at AS "startedAt", breached_at AS "breachedAt" FROM sla_timers ORDER BY metric');
    expect(timers).toEqual([
      { metric: 'firstResponse', startedAt: NOW, breachedAt: null },
      { metric: 'resolution', startedAt: NOW, breachedAt: null },
    ]);
    const imported = (await events(json.id)).find((e) => e.type === 'case.imported')!;
    expect(imported.data).toMatchObject({ live: true, sourceStatus: 'pending' });

    h.clock.advance(60_000);
    const run = await runSlaSweep(h.services);
    expect(run.sweep.breaches + run.sweep.warnings).toBe(0);
    expect(await count("SELECT count(*) AS n FROM case_events WHERE type IN ('sla.breached', 'sla.warning', 'case.escalated')")).toBe(0);
    const report = await buildReport(h.services, { from: day('2026-03-02').from, to: day('2026-03-02').to });
    expect(report.totals).toMatchObject({ breaches: 0, escalations: 0 });
  });

  it('starts only the clocks still owed: no first response when one was given, the next response when the customer wrote last', async () => {
    const { json } = await post(
      history({
        messages: [
          { from: 'staff', body: 'Looking.', at: '2026-01-05T10:30:00Z' },
          { from: 'customer', body: 'Any news?', at: '2026-01-06T10:00:00Z' },
        ],
      }),
    );
    expect(json.firstResponseAt).toBe('2026-01-05T10:30:00.000Z');
    const timers = await h.all('SELECT metric, started_at AS "startedAt" FROM sla_timers ORDER BY metric');
    expect(timers).toEqual([
      { metric: 'nextResponse', startedAt: NOW },
      { metric: 'resolution', startedAt: NOW },
    ]);
  });

  it('notifies nobody, even when the initial state notifies on entry for live intake', async () => {
    h.close();
    const folders = copyDefinitions();
    const file = path.join(folders.workflowsDir, 'support.json');
    const workflow = JSON.parse(fs.readFileSync(file, 'utf8'));
    workflow.states.new.onEnter.push({ action: 'notify', to: 'customer', template: 'case-received' });
    fs.writeFileSync(file, JSON.stringify(workflow));
    h = createHarness({ files: loadRepoDefinitions(folders) });
    standardQueues(h);
    h.agent({ name: 'Alice', queues: ['general', 'technical'] });
    await h.settled();
    const plain = { customer: { email: 'sam@example.org' }, priority: 'normal', subject: 'Display name', description: 'How do I change my display name?' };
    const live = await post({ ...history({ ...plain, externalId: undefined }), createdAt: undefined });
    expect(live.status, JSON.stringify(live.json)).toBe(201);
    expect(await count("SELECT count(*) AS n FROM outbox WHERE type = 'notification.send'")).toBe(1);
    expect((await post(history({ ...plain, createdAt: '2026-02-20T10:00:00Z' }))).json).toMatchObject({ status: 'open', assignee: { name: 'Alice' } });
    expect(await count("SELECT count(*) AS n FROM outbox WHERE type = 'notification.send'")).toBe(1);
  });
});

describe('refusals', () => {
  it('refuses a createdAt in the future (422) and stores nothing', async () => {
    const { status, json } = await post(history({ createdAt: '2026-03-02T09:00:01Z' }));
    expect(status).toBe(422);
    expect(json).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'createdAt', message: 'must not be in the future' }] });
    expect(json.requestId).toBeTruthy();
    expect(await count('SELECT count(*) AS n FROM cases')).toBe(0);
  });

  it('refuses times out of order, unknown states and queues, and history fields on an open case', async () => {
    const bad = await post(
      closedHistory({
        resolvedAt: '2026-01-04T00:00:00Z',
        queue: 'nowhere',
        messages: [{ from: 'customer', body: 'x', at: '2026-01-01T00:00:00Z' }],
        rating: { satisfied: false, at: '2026-04-01T00:00:00Z' },
      }),
    );
    expect(bad.status).toBe(422);
    expect(bad.json.errors.map((e: Json) => e.path).sort()).toEqual(['messages.0.at', 'queue', 'rating.at', 'resolvedAt']);
    const unknown = await post(history({ status: 'constructor' }));
    expect(unknown.json.errors).toEqual([expect.objectContaining({ path: 'status', message: expect.stringContaining('unknown state') })]);
    const open = await post(history({ status: 'open', resolvedAt: '2026-01-06T00:00:00Z' }));
    expect(open.json.errors).toEqual([expect.objectContaining({ path: 'resolvedAt' })]);
    const closedWithout = await post(history({ status: 'closed' }));
    expect(closedWithout.json.errors).toEqual([expect.objectContaining({ path: 'closedAt', message: 'required with a closed status' })]);
    expect(await count('SELECT count(*) AS n FROM cases')).toBe(0);
  });

  it('lets only managers and admins import', async () => {
    expect((await post(history(), h.tokenFor(alice))).status).toBe(403);
    const chloe = h.customer({ email: 'chloe@example.com' });
    expect((await post({ subject: 'x', description: 'y', externalId: 'A-1' }, h.tokenFor(chloe))).status).toBe(403);
    const maria = h.agent({ name: 'Maria', role: 'manager' });
    expect((await post(closedHistory(), h.tokenFor(maria))).status).toBe(201);
  });

  it('imports an externalId once: the same case again answers 200 with the first import', async () => {
    const first = await post(closedHistory());
    const again = await post(closedHistory({ subject: 'Changed meanwhile' }));
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.json).toMatchObject({ id: first.json.id, subject: 'Production is down' });
    expect(await count('SELECT count(*) AS n FROM cases')).toBe(1);
  });
});
