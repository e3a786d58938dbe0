/**
 * The due instant itself is on time: a target "within 8h" is met by an answer at 8h exactly.
 * The sweep breaches only once now is past the due time, a reply or resolve at the due time is
 * met, and every view of the timer (API, case page badge, /metrics' due counts) agrees.
 * One desk for the file: each case starts at its own instant, and the clock only moves forward.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import type { SlaMetric } from '../../src/db/schema/index.js';
import { timerStatus } from '../../src/http/pages/sla-status.js';
import * as pgMetrics from '../../src/metrics/pg.js';
import * as sqliteMetrics from '../../src/metrics/sqlite.js';
import { buildReport } from '../../src/reports/build-report.js';
import { berlin, createDesk, type Desk, type Json } from './helpers.js';

let d: Desk;
beforeAll(() => {
  d = createDesk(); // Monday 2026-03-02 10:00 Berlin
});
afterAll(() => d.h.close());

const sweep = async () => (await d.call('POST', '/api/v1/sla/sweep')).json.sweep as Json;
const types = async (id: string, metric: string) => (await d.events(id)).filter((e) => e.data.metric === metric).map((e) => e.type);
const timersDue = () => d.h.services.store.query((q) => (q.dialect === 'sqlite' ? sqliteMetrics : pgMetrics).timersDue(q, d.h.clock.now()));
const timerRow = async (id: string, metric: SlaMetric) => {
  const caseId = parseCaseRef(id)!;
  const [row] = await d.h.services.store.query((q) => q.db.select().from(q.tables.slaTimers).where(and(eq(q.tables.slaTimers.caseId, caseId), eq(q.tables.slaTimers.metric, metric))));
  return row!;
};

describe('the due instant counts as on time', () => {
  it('the sweep breaches at due + 1 ms, not at the due time; the views say on time until then', async () => {
    const id = await d.create(); // normal: firstResponse 8h, due Tue 10:00 Berlin; warned from Mon 16:24
    const due = Date.parse(berlin('2026-03-03T10:00'));

    d.h.clock.set(due - 1);
    expect(await sweep()).toMatchObject({ breaches: 0, warnings: 1 });
    d.h.clock.set(due);
    expect(await timersDue()).toMatchObject({ breach: 0 });
    expect(await sweep()).toMatchObject({ breaches: 0, warnings: 0, skipped: 0 });
    const atDue = (await d.timers(id)).firstResponse!;
    expect(atDue).toMatchObject({ state: 'running', level: 'warning', minutesLeft: 0, overdueMinutes: null, breachedAt: null });
    expect(timerStatus(await timerRow(id, 'firstResponse'), due)).toMatchObject({ level: 'warning', label: '0m left' });

    d.h.clock.set(due + 1);
    expect(await timersDue()).toMatchObject({ breach: 1 });
    expect(timerStatus(await timerRow(id, 'firstResponse'), due + 1).level).toBe('breached');
    expect((await d.timers(id)).firstResponse).toMatchObject({ level: 'breached', minutesLeft: null, overdueMinutes: 0 });
    const swept = await sweep();
    expect(swept).toMatchObject({ breaches: 1, warnings: 0 });
    expect(swept.entries).toEqual([{ type: 'sla.breached', caseId: id, metric: 'firstResponse', dueAt: new Date(due).toISOString() }]);
    expect(await types(id, 'firstResponse')).toEqual(['sla.started', 'sla.warning', 'sla.breached']);
  });

  it('a reply at the due time meets the target; one a millisecond later is a breach', async () => {
    const start = Date.parse(berlin('2026-03-04T10:00')); // Wednesday: firstResponse due Thu 10:00
    d.h.clock.set(start);
    const onTime = await d.create();
    const late = await d.create();
    const due = Date.parse(berlin('2026-03-05T10:00'));
    expect((await d.timers(onTime)).firstResponse!.dueAt).toBe(new Date(due).toISOString());

    d.h.clock.set(due);
    await d.reply(onTime);
    expect((await d.timers(onTime)).firstResponse).toMatchObject({ state: 'fulfilled', breachedAt: null });
    expect(await types(onTime, 'firstResponse')).toEqual(['sla.started', 'sla.fulfilled']);
    expect((await d.events(onTime)).find((e) => e.type === 'sla.fulfilled')!.data).toMatchObject({ breached: false, first: true, usedMinutes: 480, targetMinutes: 480 });

    d.h.clock.set(due + 1);
    await d.reply(late);
    expect(await types(late, 'firstResponse')).toEqual(['sla.started', 'sla.breached', 'sla.fulfilled']);

    const report = await buildReport(d.h.services, { from: start, to: due + 60_000, timezone: 'Europe/Berlin' });
    expect(report.totals).toMatchObject({ met: 1, missed: 1 });
  });

  it('a resolve at the due time meets the resolution target', async () => {
    d.h.clock.set(Date.parse(berlin('2026-03-09T10:00'))); // Monday: urgent resolution 8h, due Tue 10:00
    const id = await d.create({ priority: 'urgent' });
    await d.reply(id);
    d.h.clock.set(Date.parse(berlin('2026-03-10T10:00')));
    expect((await d.transition(id, 'resolve', { solution: 'Done on the dot.' })).status).toBe(200);
    expect(await types(id, 'resolution')).toEqual(['sla.started', 'sla.fulfilled']);
    expect((await d.events(id)).find((e) => e.type === 'sla.fulfilled' && e.data.metric === 'resolution')!.data).toMatchObject({ breached: false });
  });
});
