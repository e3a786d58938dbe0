/**
 * The dashboard's figures per agent (by-agent.ts) where who answered, who held the case and
 * whether anybody held it differ — cases built through the real domain verbs on a manual clock
 * (Berlin office hours, Mon–Fri 09:00–17:00, normal priority: first response 8h).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMessage } from '../../src/cases/add-message.js';
import { createCase } from '../../src/cases/create-case.js';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { berlinMs, ZONE } from '../support/manage-history.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { attainment } from '../../src/dashboard/attainment.js';
import { byAgent } from '../../src/dashboard/by-agent.js';
import { buildDashboard, drillDown } from '../../src/dashboard/dashboard.js';
import { firstResponseTime } from '../../src/dashboard/durations.js';
import { dashboardJson } from '../../src/dashboard/metrics-json.js';
import type { DashboardQuery } from '../../src/dashboard/period.js';

let h: Harness;
let bob: TestActor;
let carol: TestActor;
let ids: { P: number; Q: number };
const week: DashboardQuery = { from: berlinMs('2026-03-02T00:00'), to: berlinMs('2026-03-09T00:00'), queue: null, zone: ZONE };

beforeAll(async () => {
  h = createHarness({ start: berlinMs('2026-03-02T08:00') });
  standardQueues(h);
  // Bob takes one case at a time; Carol works the queue but is away (offered nothing), and answers from it.
  bob = h.agent({ name: 'Bob', email: 'bob@casebook.test', queues: ['general'], capacity: 1 });
  carol = h.agent({ name: 'Carol', email: 'carol@casebook.test', queues: ['general'], available: false });
  const customer = h.customer({ email: 'pat@example.com', name: 'Pat' });
  const open = async (subject: string) => {
    const row = await createCase(h.services, { subject, description: 'How do I change my display name?' }, customer, { customerId: customer.id });
    await h.services.outbox.settle(row.id);
    return row.id;
  };
  h.clock.set(berlinMs('2026-03-02T09:00'));
  const P = await open('Display name');
  h.clock.set(berlinMs('2026-03-02T09:10'));
  const Q = await open('Another name'); // Bob is full: Q waits, nobody holds it
  h.clock.set(berlinMs('2026-03-02T09:30'));
  await addMessage(h.services, P, { body: 'Here is how.', public: true }, carol);
  // Q's first response (8 business hours from Mon 09:10) was due Tue 09:10; nobody answered.
  h.clock.set(berlinMs('2026-03-03T09:11'));
  await runSlaSweep(h.services);
  await h.services.outbox.idle();
  ids = { P, Q };
}, 60_000);
afterAll(() => h.close());

describe('per agent', () => {
  it('a first response counts for who gave it, the target it met for who held the case, a breach while nobody held it for nobody', async () => {
    const cases = await h.services.store.query((q) => q.db.select({ id: q.tables.cases.id, assigneeId: q.tables.cases.assigneeId }).from(q.tables.cases).orderBy(q.tables.cases.id));
    expect(cases).toEqual([
      { id: ids.P, assigneeId: bob.id },
      { id: ids.Q, assigneeId: null },
    ]);
    const m = await h.services.store.read(async (tx) => byAgent(tx, week, await firstResponseTime(tx, h.services, week), await attainment(tx, week)));
    expect(m.rows.map((r) => ({ key: r.key, name: r.name, firstResponses: r.firstResponses.count, median: r.firstResponses.calendar.median, business: r.firstResponses.business.median, met: r.met, missed: r.missed, attainment: r.attainment }))).toEqual([
      { key: `${bob.id}`, name: 'Bob', firstResponses: 0, median: null, business: null, met: 1, missed: 0, attainment: 100 },
      { key: `${carol.id}`, name: 'Carol', firstResponses: 1, median: 30, business: 30, met: 0, missed: 0, attainment: null },
      { key: 'none', name: '', firstResponses: 0, median: null, business: null, met: 0, missed: 1, attainment: 0 },
    ]);
    expect((await drillDown(h.services, week, { metric: 'attainment', group: 'agent', key: 'none', outcome: 'missed' })).rows.map((r) => r.id)).toEqual([ids.Q]);
    expect((await drillDown(h.services, week, { metric: 'first-response', agent: `${carol.id}` })).rows.map((r) => r.id)).toEqual([ids.P]);
    expect((await drillDown(h.services, week, { metric: 'first-response', agent: `${bob.id}` })).rows).toEqual([]);
    // An agent who is no row lists nothing.
    expect((await drillDown(h.services, week, { metric: 'attainment', group: 'agent', key: '999999', outcome: 'met' })).rows).toEqual([]);
  });

  it('the API’s metrics carry the same rows', async () => {
    const d = await buildDashboard(h.services, week);
    expect(dashboardJson(d, { from: '2026-03-02', to: '2026-03-08' }).agents.map((a) => [a.staffId, a.name, a.firstResponseTime.count, a.met, a.missed, a.percent])).toEqual([
      [bob.id, 'Bob', 0, 1, 0, 100],
      [carol.id, 'Carol', 1, 0, 0, null],
      [null, null, 0, 0, 1, 0],
    ]);
  });
});
