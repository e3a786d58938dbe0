/**
 * State timers counted in business hours (`"businessHours": true`, docs/workflows.md): `after`
 * is business time on the calendar of the case's SLA policy, due once computed when the case
 * enters the state, and computed the same way by a workflow re-apply. The office calendar
 * (rules/sla.json, Europe/Berlin) is open Friday 09–13 and 14–17, Monday 09–17.
 */
import { and, asc, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_DUE_AT } from '../../src/db/schema/index.js';
import { publishVersion, rollbackTo } from '../../src/definitions/versions.js';
import type { WorkflowDefinition } from '../../src/workflow/definition.js';
import { ADMIN, ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';

type Json = Record<string, any>;

// Friday 2026-03-06 16:00 in Berlin (CET, UTC+1).
const FRIDAY_16 = Date.parse('2026-03-06T15:00:00Z');
const FRIDAY_18 = Date.parse('2026-03-06T17:00:00Z');
const MONDAY_10 = Date.parse('2026-03-09T09:00:00Z');

/** The support workflow with two waiting states: one reminds after 2 business hours, the other after 2 hours. */
function withTimers(v1: WorkflowDefinition, label: string): WorkflowDefinition {
  const w = structuredClone(v1);
  w.states.pending!.label = label;
  w.states.pending!.timers = [{ after: '2h', transition: 'remind', businessHours: true }];
  w.states.pendingCalendar = { ...structuredClone(w.states.pending!), timers: [{ after: '2h', transition: 'remindCalendar' }] };
  w.transitions.remind = { label: 'Reminded', from: ['pending'], to: 'open' };
  w.transitions.remindCalendar = { label: 'Reminded (calendar time)', from: ['pendingCalendar'], to: 'open' };
  w.transitions.waitCalendar = { label: 'Wait (calendar time)', from: ['open'], to: 'pendingCalendar', roles: ['agent', 'manager', 'admin'] };
  return w;
}

let h: Harness;
let ids: { business: string; calendar: string };
const call = async (method: string, url: string, body?: unknown) => {
  const res = await h.api(method, url, { token: ADMIN_TOKEN, body });
  return { status: res.status, json: (await res.json()) as Json };
};
const status = async (id: string) => (await call('GET', `/api/v1/cases/${id}`)).json.status as string;
/** The pending state timers, the business case's first (it was opened first). */
const pendingTimers = async () => {
  const rows = await h.query((q) =>
    q.db
      .select({ payload: q.tables.outbox.payload, at: q.tables.outbox.availableAt })
      .from(q.tables.outbox)
      .where(and(eq(q.tables.outbox.type, 'workflow.timer'), isNull(q.tables.outbox.doneAt)))
      .orderBy(asc(q.tables.outbox.caseId)),
  );
  return rows.map((r) => ({ transition: (r.payload as Json).transition, at: r.at }));
};
const advanceTo = async (at: number) => {
  h.clock.advanceMinutes((at - h.clock.now()) / 60_000);
  await h.services.outbox.drain();
};

beforeAll(async () => {
  h = createHarness({ start: FRIDAY_16 - 60 * 60_000 });
  standardQueues(h);
  h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], capacity: 10 });
  await h.settled();
  const v1 = h.services.definitions.workflow('support').definition;
  await publishVersion(h.services, 'workflow', 'support', withTimers(v1, 'Pending'), ADMIN, 'Reminders');
  const chloe = h.tokenFor(h.customer({ email: 'chloe@example.com', name: 'Chloe' }));
  const open = async (subject: string) => {
    const res = await h.api('POST', '/api/v1/cases', { token: chloe, body: { subject, description: `${subject}, please help.` } });
    expect(res.status).toBe(201);
    await h.settled();
    const id = ((await res.json()) as Json).id as string;
    expect(await status(id)).toBe('open');
    return id;
  };
  ids = { business: await open('Invoice copy'), calendar: await open('Export fails') };
  h.clock.advanceMinutes(60);
  for (const [id, transition] of [[ids.business, 'waitOnCustomer'], [ids.calendar, 'waitCalendar']] as const) {
    const res = await call('POST', `/api/v1/cases/${id}/transitions`, { transition });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
  }
  await h.settled();
  await h.services.outbox.idle();
});
afterAll(() => h.close());

describe('state timers in business hours', () => {
  it('are due 2 business hours after entering (Mon 10:00), the calendar-time one 2 hours after (Fri 18:00)', async () => {
    expect(await pendingTimers()).toEqual([
      { transition: 'remind', at: MONDAY_10 },
      { transition: 'remindCalendar', at: FRIDAY_18 },
    ]);
  });

  it('re-apply of a new version keeps the business-hours due time, and the timers fire then', async () => {
    h.clock.advanceMinutes(30);
    const v2 = h.services.definitions.workflow('support').definition;
    await publishVersion(h.services, 'workflow', 'support', withTimers(v2, 'Waiting on the customer'), ADMIN, 'Relabelled');
    const preview = await call('POST', '/api/v1/workflows/support/reapply', { dryRun: true });
    expect(preview.status).toBe(200);
    // Only a label changed: the timer due Monday 10:00 is kept, not rescheduled to Friday 18:00.
    expect(preview.json).toMatchObject({ cases: 2, changedCases: 0, changes: [] });
    expect((await call('POST', '/api/v1/workflows/support/reapply', {})).status).toBe(200);

    await advanceTo(FRIDAY_18 + 60_000);
    expect(await status(ids.calendar)).toBe('open');
    expect(await status(ids.business)).toBe('pending');
    await advanceTo(MONDAY_10 - 60_000);
    expect(await status(ids.business)).toBe('pending');
    await advanceTo(MONDAY_10);
    expect(await status(ids.business)).toBe('open');
  });

  it('longer than the calendar has business hours in three years: the case waits all the same, the timer never falls due', async () => {
    // 365d (the longest a timer may be) = 8,760 business hours; the office calendar has about 2,000 a year.
    const long = withTimers(h.services.definitions.workflow('support').definition, 'Pending');
    long.states.pending!.timers = [{ after: '365d', transition: 'remind', businessHours: true }];
    const { warnings } = await publishVersion(h.services, 'workflow', 'support', long, ADMIN, 'A long wait');
    // Said when it is published: the office calendar (40 hours a week, Friday 39) has about 2,028 a year.
    expect(warnings).toContainEqual(
      expect.objectContaining({
        path: '$.states.pending.timers[0].after',
        severity: 'warning',
        message: '"365d" is 8760 business hours, more than three years of calendar "office" (policy "standard", about 2028h a year): a case on it never reaches this timer',
      }),
    );
    expect((await call('POST', '/api/v1/workflows/support/reapply', {})).status).toBe(200);
    const waiting = await call('POST', `/api/v1/cases/${ids.business}/transitions`, { transition: 'waitOnCustomer' });
    expect(waiting.status, JSON.stringify(waiting.json)).toBe(200);
    expect(await status(ids.business)).toBe('pending');
    expect(await pendingTimers()).toEqual([{ transition: 'remind', at: NO_DUE_AT }]);
  });

  it('longer than a year: refused when published; a version stored before that bound runs, its timer never due', async () => {
    const huge = withTimers(h.services.definitions.workflow('support').definition, 'Pending');
    huge.states.pendingCalendar!.timers = [{ after: '1000000000000m', transition: 'remindCalendar' }];
    const refused = await publishVersion(h.services, 'workflow', 'support', huge, ADMIN, 'Forever').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'INVALID_WORKFLOW', problems: [{ path: '$.states.pendingCalendar.timers[0].after', severity: 'error', message: '"1000000000000m" is too long: a state timer waits at most 365d (8760h)' }] });

    // Stored before the bound existed (straight into the database): the case still enters the state, on SQLite and PostgreSQL alike (10^12 minutes overflowed PostgreSQL's bigint).
    const stored = await h.services.store.write((q) => h.services.definitions.insertVersion(q, 'workflow', 'support', huge, { state: 'published', note: 'old', now: h.clock.now() }));
    await h.services.definitions.refresh();
    expect((await call('POST', '/api/v1/workflows/support/reapply', {})).status).toBe(200);
    const waiting = await call('POST', `/api/v1/cases/${ids.calendar}/transitions`, { transition: 'waitCalendar' });
    expect(waiting.status, JSON.stringify(waiting.json)).toBe(200);
    expect(await status(ids.calendar)).toBe('pendingCalendar');
    expect(await pendingTimers()).toContainEqual({ transition: 'remindCalendar', at: NO_DUE_AT });
    // Rolling back to it is publishing it: refused the same way.
    const rollback = await rollbackTo(h.services, 'workflow', 'support', stored.version, ADMIN, '').catch((e: unknown) => e);
    expect(rollback).toMatchObject({ code: 'INVALID_WORKFLOW' });
  });
});
