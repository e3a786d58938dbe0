/**
 * A sweep and a command on the same case at the same moment (PostgreSQL: transactions run side
 * by side). The sweep marks a timer warned or breached without the case's lock; a command that
 * read the timer before that mark committed must not write its stale copy back over it — the
 * breach (or warning) would be forgotten by the timer while the timeline and the escalation
 * keep it, and recorded a second time later. SQLite runs one write transaction at a time, so
 * the interleaving cannot happen there: these run on PostgreSQL.
 */
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ON_POSTGRES } from '../support/harness-postgres.js';
import { ADMIN_TOKEN } from '../support/harness.js';
import { berlin, createDesk, type Desk } from './helpers.js';

let d: Desk;
beforeAll(() => {
  d = createDesk(); // Monday 2026-03-02 10:00 Berlin
});
afterAll(() => d.h.close());

/** Sessions waiting for a row lock. */
const waiting = async () =>
  (await d.h.query((q) => q.get<{ n: number }>(sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)))!.n;

/** Another session holding the timer's row until `release`: the sweep and the command queue up behind it, in that order. */
async function holdTimer(id: number) {
  const client = new pg.Client({ connectionString: d.h.databaseUrl! });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT id FROM sla_timers WHERE id = $1 FOR UPDATE', [id]);
  return { release: () => client.query('ROLLBACK').then(() => client.end()) };
}

async function timerId(caseRef: string, metric: string): Promise<number> {
  const row = await d.h.get<{ id: number }>('SELECT t.id FROM sla_timers t WHERE t.case_id = ? AND t.metric = ?', Number(caseRef.slice(2)), metric);
  return Number(row!.id);
}

const sweep = () => d.call('POST', '/api/v1/sla/sweep');
const count = async (id: string, type: string, metric: string) => (await d.events(id, type)).filter((e) => e.type === type && e.data.metric === metric).length;

describe.runIf(ON_POSTGRES)('a sweep and a command on the same timer at once', () => {
  it('a breach the sweep records while a priority change is under way stays recorded: breached once', async () => {
    d.h.clock.set(berlin('2026-03-02T10:00'));
    const id = await d.create({ priority: 'urgent' }); // firstResponse 1h: due 11:00
    d.h.clock.set(berlin('2026-03-02T11:01'));
    const held = await holdTimer(await timerId(id, 'firstResponse'));
    const swept = sweep();
    await expect.poll(waiting).toBe(1);
    const edited = d.call('PATCH', `/api/v1/cases/${id}`, ADMIN_TOKEN, { priority: 'normal' }); // 8h: no longer past its target
    await expect.poll(waiting).toBe(2);
    await held.release();
    expect((await swept).status).toBe(200);
    expect((await edited).status).toBe(200);

    expect(await count(id, 'sla.breached', 'firstResponse')).toBe(1);
    expect((await d.timers(id)).firstResponse).toMatchObject({ state: 'breached', breachedAt: berlin('2026-03-02T11:01'), targetMinutes: 480 });
    // The normal target runs out Tuesday 10:00: no second breach.
    d.h.clock.set(berlin('2026-03-03T10:30'));
    await sweep();
    expect(await count(id, 'sla.breached', 'firstResponse')).toBe(1);
    expect(await d.events(id, 'case.escalated')).toHaveLength(1);
  });

  it('a warning the sweep records while the case is put to wait stays recorded: warned once', async () => {
    d.h.clock.set(berlin('2026-03-04T10:00'));
    const id = await d.create({ priority: 'urgent' }); // resolution 8h: warning at 80%, Wed 16:24
    await d.reply(id);
    d.h.clock.set(berlin('2026-03-04T16:30'));
    const held = await holdTimer(await timerId(id, 'resolution'));
    const swept = sweep();
    await expect.poll(waiting).toBe(1);
    const paused = d.transition(id, 'waitOnCustomer');
    await expect.poll(waiting).toBe(2);
    await held.release();
    expect((await swept).status).toBe(200);
    expect((await paused).status).toBe(200);
    expect(await count(id, 'sla.warning', 'resolution')).toBe(1);
    expect((await d.timers(id)).resolution).toMatchObject({ state: 'paused', warnedAt: berlin('2026-03-04T16:30') });

    // The customer answers Thursday: the 30 minutes left on Wednesday pushed the due time from
    // Thursday 10:00 to 10:30 — warned once more about the new due time (90 min left, within the
    // warning), once.
    d.h.clock.set(berlin('2026-03-05T09:00'));
    await d.customerReply(id);
    expect((await d.timers(id)).resolution).toMatchObject({ state: 'running', dueAt: berlin('2026-03-05T10:30'), warnedAt: null });
    d.h.clock.set(berlin('2026-03-05T09:20'));
    await sweep();
    await sweep();
    expect(await count(id, 'sla.warning', 'resolution')).toBe(2);
  });
});
