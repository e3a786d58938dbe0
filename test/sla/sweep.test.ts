/** The SLA sweep: warnings and breaches exactly once, escalation, concurrency, restarts. */
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { createServices, createServicesOn } from '../../src/compose.js';
import { type Services } from '../../src/services.js';
import type { Store } from '../../src/db/store/index.js';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { slaNextAtSql } from '../../src/db/schema/index.js';
import { DUE_TIMERS_SQL, sweepSla } from '../../src/sla/sweep.js';
import { loadRepoDefinitions } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';
import { ADMIN_TOKEN, berlin, createDesk, type Desk, type Json } from './helpers.js';

let d: Desk;
const extra: Services[] = [];
beforeEach(() => {
  d = createDesk(); // Monday 2026-03-02 10:00 Berlin
});
afterEach(() => {
  for (const s of extra.splice(0)) {
    s.outbox.stop();
    s.sqlite?.$client.close(); // PostgreSQL: they share the harness's store, which the harness closes
  }
  d.h.close();
});

const sweep = async () => {
  const res = await d.call('POST', '/api/v1/sla/sweep');
  expect(res.status).toBe(200);
  return res.json;
};

async function count(text: string, ...params: unknown[]): Promise<number> {
  return (await d.h.get<{ n: number }>(text, ...params))!.n;
}

/** `column`'s JSON text field `key`, in the dialect's SQL (text on SQLite, jsonb on PostgreSQL). */
const jsonField = (column: string, key: string) => (ON_POSTGRES ? `${column}->>'${key}'` : `json_extract(${column}, '$.${key}')`);

/** Each (case, metric) has at most one entry of `type`; returns how many there are. */
async function recordedOnce(type: string): Promise<number> {
  const dupes = await count(`SELECT count(*) AS n FROM (SELECT case_id, ${jsonField('data', 'metric')} m FROM case_events WHERE type = ? GROUP BY 1, 2 HAVING count(*) > 1) d`, type);
  expect(dupes).toBe(0);
  return count('SELECT count(*) AS n FROM case_events WHERE type = ?', type);
}

/** Another server on the same database: its own connection on SQLite, its own services on the pool on PostgreSQL. */
async function secondServices(): Promise<Services> {
  const services = ON_POSTGRES ? await createServicesOn(d.h.services.store, d.h.clock) : createServices(openDatabase(d.h.dbPath), d.h.clock);
  extra.push(services);
  return services;
}

/** The server goes down: SQLite's connection closed; on PostgreSQL its services stop (the database stays for the next). */
function crash(): void {
  if (ON_POSTGRES) d.h.services.outbox.stop();
  else d.h.db.$client.close();
}

/** A row through `services`' store (after a crash the harness's SQLite connection is closed). */
const rowIn = <R>(services: Services, text: string) => services.store.query((q) => q.get<R>(sql.raw(text)));

describe('warnings, breaches and escalation', () => {
  it('warns once, breaches once, and the escalation rules move the case to advanced support', async () => {
    const id = await d.create(); // firstResponse 8h: warns at 16:24 (20% before), due Tuesday 10:00
    expect((await d.get(id)).assignee.name).toBe('Alice');

    d.h.clock.set(berlin('2026-03-02T16:30'));
    const warned = await sweep();
    expect(warned.sweep).toMatchObject({ warnings: 1, breaches: 0, entries: [{ type: 'sla.warning', caseId: id, metric: 'firstResponse', dueAt: berlin('2026-03-03T10:00') }] });
    expect((await sweep()).sweep).toMatchObject({ warnings: 0, breaches: 0 });
    const warning = (await d.events(id)).find((e) => e.type === 'sla.warning')!;
    expect(warning).toMatchObject({ at: berlin('2026-03-02T16:30'), data: { metric: 'firstResponse', policy: 'standard', queue: 'general', minutesLeft: 17 * 60 + 30 } });
    // The escalation ruleset notifies the assignee on a warning (no SMTP here: recorded, not sent).
    expect((await d.events(id, 'notification.')).map((e) => e.data.template)).toEqual(['sla-warning']);
    expect((await d.timers(id)).firstResponse).toMatchObject({ state: 'running', warnedAt: berlin('2026-03-02T16:30') });

    // Due Tuesday 10:00: a sweep at the due time itself finds it on time, the next one breaches it.
    d.h.clock.set(berlin('2026-03-03T10:00'));
    expect((await sweep()).sweep).toMatchObject({ warnings: 0, breaches: 0, skipped: 0 });
    d.h.clock.set(berlin('2026-03-03T10:01'));
    const breached = await sweep();
    expect(breached.sweep).toMatchObject({ warnings: 0, breaches: 1, entries: [{ type: 'sla.breached', caseId: id, metric: 'firstResponse' }] });
    const view = await d.get(id);
    expect(view).toMatchObject({ status: 'escalated', queue: 'advanced', tier: 2, assignee: { name: 'Dana' }, escalationCount: 1 });
    const escalated = (await d.events(id, 'case.escalated'))[0]!;
    expect(escalated.data).toMatchObject({ fromQueue: 'general', queue: 'advanced', tier: 2, reason: 'SLA breached', rule: 'Breached SLAs go to advanced support', ruleset: 'escalation', version: 1 });
    const breach = (await d.events(id)).find((e) => e.type === 'sla.breached')!;
    expect(breach.data).toMatchObject({ metric: 'firstResponse', policy: 'standard', queue: 'general', priority: 'normal', overdueMinutes: 1 });

    d.h.clock.advanceMinutes(29);
    expect((await sweep()).sweep).toMatchObject({ warnings: 0, breaches: 0 });
    expect((await d.timers(id)).firstResponse).toMatchObject({ state: 'breached', breachedAt: berlin('2026-03-03T10:01'), overdueMinutes: 30, businessMinutesLeft: -30 });
    expect(await d.events(id, 'case.escalated')).toHaveLength(1);

    // Dana answers late: fulfilled, the breach stays on record.
    const danaToken = d.h.tokenFor(d.dana);
    await d.call('POST', `/api/v1/cases/${id}/messages`, danaToken, { body: 'Sorry for the wait.' });
    expect((await d.timers(id)).firstResponse).toMatchObject({ state: 'fulfilled', breachedAt: berlin('2026-03-03T10:01'), usedMinutes: 510 });
    const fulfilled = (await d.events(id)).find((e) => e.type === 'sla.fulfilled')!;
    expect(fulfilled.data).toMatchObject({ metric: 'firstResponse', breached: true, first: true, queue: 'advanced' });
  });

  it('records only the breach when the warning time and the due time have both passed', async () => {
    const id = await d.create();
    d.h.clock.set(berlin('2026-03-03T10:30'));
    expect((await sweep()).sweep).toMatchObject({ warnings: 0, breaches: 1 });
    expect((await d.timers(id)).firstResponse).toMatchObject({ state: 'breached', warnedAt: null });
    d.h.clock.advanceMinutes(1);
    expect((await sweep()).sweep).toMatchObject({ warnings: 0, breaches: 0 });
  });

  it('never sweeps a paused timer; it breaches after it resumes and its time runs out', async () => {
    const id = await d.create({ priority: 'urgent' }); // resolution 8h
    await d.reply(id);
    d.h.clock.advanceMinutes(60);
    await d.transition(id, 'waitOnCustomer');
    d.h.clock.set(berlin('2026-03-30T10:00'));
    expect((await sweep()).sweep).toMatchObject({ warnings: 0, breaches: 0 });
    await d.customerReply(id, 'Back from holiday');
    // 7h left from Monday 10:00; nextResponse (urgent: 1h) started with the message.
    const timers = await d.timers(id);
    expect(timers.resolution).toMatchObject({ state: 'running', dueAt: berlin('2026-03-30T17:00') });
    expect(timers.nextResponse).toMatchObject({ state: 'running', dueAt: berlin('2026-03-30T11:00') });
    d.h.clock.set(berlin('2026-03-30T17:01'));
    const result = await sweep();
    expect(result.sweep.entries.map((e: Json) => [e.type, e.metric])).toEqual([
      ['sla.breached', 'nextResponse'],
      ['sla.breached', 'resolution'],
    ]);
  });
});

/**
 * Wraps services so that each one's first read answers only once every wrapped services has
 * read: two sweeps then hold the same due timers before either writes, whatever the timing
 * of their connections (left to chance, one sweep could finish its batch before the other read).
 */
function readTogether(parties = 2): (services: Services) => Services {
  let arrived = 0;
  let open!: () => void;
  const allRead = new Promise<void>((resolve) => (open = resolve));
  return (services) => {
    let first = true;
    const store: Store = Object.create(services.store);
    store.query = async (fn) => {
      const rows = await services.store.query(fn);
      if (first) {
        first = false;
        if (++arrived === parties) open();
        await allRead;
      }
      return rows;
    };
    return { ...services, store };
  };
}

describe('exactly once', () => {
  async function dueCases(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await d.create({ subject: `Question ${i}` });
    d.h.clock.set(berlin('2026-03-16T10:00')); // two weeks later: firstResponse and resolution due
  }

  it('two sweeps at once on two connections record each breach once', async () => {
    await dueCases(12);
    const race = readTogether();
    const a = race(d.h.services);
    const b = race(await secondServices());
    const [ra, rb] = await Promise.all([sweepSla(a, { batchSize: 5 }), sweepSla(b, { batchSize: 5 })]);
    expect(ra.breaches + rb.breaches).toBe(24);
    // Both read the same five timers first: one sweep records them, the other finds them taken.
    expect(ra.skipped + rb.skipped).toBeGreaterThanOrEqual(5);
    expect(await recordedOnce('sla.breached')).toBe(24);
    expect(await count(`SELECT count(*) AS n FROM outbox WHERE type = 'case.event' AND ${jsonField('payload', 'type')} = 'sla.breached'`)).toBe(24);
    expect((await sweepSla(b)).breaches).toBe(0);
  });

  it('repeated sweeps record nothing new', async () => {
    await dueCases(3);
    expect((await runSlaSweep(d.h.services)).sweep.breaches).toBe(6);
    for (let i = 0; i < 3; i++) {
      d.h.clock.advanceMinutes(1);
      expect((await runSlaSweep(d.h.services)).sweep.breaches).toBe(0);
    }
    expect(await recordedOnce('sla.breached')).toBe(6);
    expect(await recordedOnce('case.escalated')).toBe(3);
  });

  it('after a restart, timers that fell due while the server was down fire once', async () => {
    await d.create();
    await d.create({ subject: 'Another one' });
    crash(); // the server goes down before any sweep
    d.h.clock.set(berlin('2026-03-03T12:00'));

    const restarted = await secondServices();
    const first = await runSlaSweep(restarted);
    expect(first.sweep).toMatchObject({ breaches: 2, warnings: 0 });
    expect(first.outbox.done).toBeGreaterThanOrEqual(2);
    const again = await secondServices();
    expect((await runSlaSweep(again)).sweep.breaches).toBe(0);
    expect(await rowIn(again, `SELECT count(*) AS n FROM case_events WHERE type = 'sla.breached'`)).toEqual({ n: 2 });
    expect(await rowIn(again, `SELECT count(*) AS n FROM case_events WHERE type = 'case.escalated'`)).toEqual({ n: 2 });
  });

  it('a crash between the sweep and the escalation loses nothing and escalates once', async () => {
    const id = await d.create();
    d.h.clock.set(berlin('2026-03-03T12:00'));
    expect((await sweepSla(d.h.services)).breaches).toBe(1); // recorded, escalation still in the outbox
    crash();

    const restarted = await secondServices();
    const run = await runSlaSweep(restarted);
    expect(run.sweep.breaches).toBe(0);
    expect(run.outbox.done).toBeGreaterThanOrEqual(1);
    const row = await rowIn(restarted, `SELECT queue_id AS queue, tier FROM cases WHERE id = ${Number(id.slice(2))}`);
    expect(row).toEqual({ queue: 'advanced', tier: 2 });
    expect(await rowIn(restarted, `SELECT count(*) AS n FROM case_events WHERE type = 'case.escalated'`)).toEqual({ n: 1 });
  });
});

// SQLite only: SQLite's query plan and its INDEXED BY (PostgreSQL's planner chooses its own way; the index itself: test/postgres/schema.test.ts).
describe('a warning per due time', () => {
  const setPriority = async (id: string, priority: string) => expect((await d.call('PATCH', `/api/v1/cases/${id}`, ADMIN_TOKEN, { priority })).status).toBe(200);
  /** Two sweeps at once on two connections, both holding the same due timers before either writes. */
  const sweepTwice = async () => {
    const race = readTogether();
    const [a, b] = await Promise.all([sweepSla(race(d.h.services)), sweepSla(race(await secondServices()))]);
    return { warnings: a.warnings + b.warnings, breaches: a.breaches + b.breaches };
  };
  const warnings = async (id: string) => (await d.events(id)).filter((e) => e.type === 'sla.warning').map((e) => [e.data.metric, e.data.dueAt]);

  it('warns at once, once, when a target moved earlier is past its warning point, and again before a later target', async () => {
    const id = await d.create(); // normal, Monday 10:00: firstResponse 8h, due Tuesday 10:00, warns Monday 16:24
    d.h.clock.set(berlin('2026-03-02T11:40'));
    await setPriority(id, 'high'); // 2h: 100 min used, past its warning point (96) → due 12:00, warns at once
    expect((await d.timers(id)).firstResponse).toMatchObject({ dueAt: berlin('2026-03-02T12:00'), warnAt: berlin('2026-03-02T11:40'), warnedAt: null });
    d.h.clock.set(berlin('2026-03-02T11:41'));
    expect(await sweepTwice()).toEqual({ warnings: 1, breaches: 0 });
    expect((await sweep()).sweep).toMatchObject({ warnings: 0, breaches: 0 });

    // Lowered again before the breach: due Tuesday 10:00 once more, and warned about that due time too — at 16:24, not before.
    d.h.clock.set(berlin('2026-03-02T11:45'));
    await setPriority(id, 'normal');
    expect((await d.timers(id)).firstResponse).toMatchObject({ dueAt: berlin('2026-03-03T10:00'), warnAt: berlin('2026-03-02T16:24'), warnedAt: null });
    d.h.clock.set(berlin('2026-03-02T16:23'));
    expect((await sweep()).sweep).toMatchObject({ warnings: 0 });
    d.h.clock.set(berlin('2026-03-02T16:24'));
    expect(await sweepTwice()).toEqual({ warnings: 1, breaches: 0 });
    d.h.clock.set(berlin('2026-03-02T16:50'));
    expect((await sweep()).sweep).toMatchObject({ warnings: 0, breaches: 0 });
    expect(await warnings(id)).toEqual([
      ['firstResponse', Date.parse(berlin('2026-03-02T12:00'))],
      ['firstResponse', Date.parse(berlin('2026-03-03T10:00'))],
    ]);
    expect((await d.timers(id)).firstResponse).toMatchObject({ warnedAt: berlin('2026-03-02T16:24') });
    // The escalation rules mailed the assignee both times.
    expect((await d.events(id, 'notification.')).map((e) => e.data.template)).toEqual(['sla-warning', 'sla-warning']);
  });

  it('does not warn twice about one due time (the same priority set again)', async () => {
    const id = await d.create({ priority: 'urgent' }); // firstResponse 1h: warns 10:48, due 11:00
    d.h.clock.set(berlin('2026-03-02T10:50'));
    expect(await sweepTwice()).toEqual({ warnings: 1, breaches: 0 });
    await setPriority(id, 'urgent'); // nothing changes
    d.h.clock.set(berlin('2026-03-02T10:55'));
    expect((await sweep()).sweep).toMatchObject({ warnings: 0, breaches: 0 });
    expect(await warnings(id)).toEqual([['firstResponse', Date.parse(berlin('2026-03-02T11:00'))]]);
  });

  it('records the due time a warning is about as marked, when a re-apply moved it after the sweep read the timer', async () => {
    const id = await d.create(); // normal: firstResponse 8h, warns 16:24, due Tuesday 10:00
    d.h.clock.set(berlin('2026-03-02T16:30'));
    const config = (await d.call('GET', '/api/v1/sla-config')).json.config as Json;
    config.policies.standard.targets.normal.firstResponse = '7h';
    expect((await d.call('PUT', '/api/v1/sla-config', ADMIN_TOKEN, { config })).status).toBe(200);
    // The sweep reads the timer due Tuesday 10:00; before it marks it, the re-apply makes it due today 17:00 (390 of 420 min used).
    const services = d.h.services;
    const store: Store = Object.create(services.store);
    let first = true;
    store.query = async (fn) => {
      const rows = await services.store.query(fn);
      if (first) {
        first = false;
        expect((await d.call('POST', '/api/v1/sla/reapply', ADMIN_TOKEN, {})).status).toBe(200);
      }
      return rows;
    };
    expect(await sweepSla({ ...services, store })).toMatchObject({ warnings: 1, breaches: 0, entries: [{ type: 'sla.warning', metric: 'firstResponse', dueAt: berlin('2026-03-02T17:00') }] });
    const warning = (await d.events(id)).find((e) => e.type === 'sla.warning')!;
    expect(warning.data).toMatchObject({ metric: 'firstResponse', dueAt: Date.parse(berlin('2026-03-02T17:00')), minutesLeft: 30 });
  });

  it('warns again after a pause pushed the due time out', async () => {
    const id = await d.create({ priority: 'urgent' }); // resolution 8h: warns Monday 16:24, due Tuesday 10:00
    await d.reply(id);
    d.h.clock.set(berlin('2026-03-02T16:30'));
    expect((await sweep()).sweep).toMatchObject({ warnings: 1 });
    d.h.clock.set(berlin('2026-03-02T16:40')); // 400 of 480 min used
    await d.transition(id, 'waitOnCustomer');
    d.h.clock.set(berlin('2026-03-03T14:00'));
    await d.customerReply(id, 'Here are the logs.'); // resumes: 80 min left, within the 96-minute warning: warns at once
    expect((await d.timers(id)).resolution).toMatchObject({ state: 'running', dueAt: berlin('2026-03-03T15:20'), warnedAt: null });
    d.h.clock.set(berlin('2026-03-03T14:01'));
    expect(await sweepTwice()).toEqual({ warnings: 1, breaches: 0 }); // the message's nextResponse (1h) warns at 14:48, not yet
    expect(await warnings(id)).toEqual([
      ['resolution', Date.parse(berlin('2026-03-03T10:00'))],
      ['resolution', Date.parse(berlin('2026-03-03T15:20'))],
    ]);
  });
});

describe.skipIf(ON_POSTGRES)('finding due timers', () => {
  it('goes through the one partial index on the next instant due, never a scan of the timers', () => {
    const plan = (d.h.db.$client.prepare(`EXPLAIN QUERY PLAN ${DUE_TIMERS_SQL}`).all({ now: 0, limit: 10 }) as { detail: string }[]).map((r) => r.detail);
    // A range on the partial index over the expression (it holds no NULLs: "IS NOT NULL" is its condition).
    expect(plan[0]).toMatch(/^SEARCH t USING INDEX sla_timers_next_idx \((<expr>>\? AND )?<expr><\?\)$/);
    expect(plan[1]).toMatch(/^SEARCH c USING INTEGER PRIMARY KEY/);
    expect(plan.some((p) => p.includes('TEMP B-TREE'))).toBe(false);
  });

  it('indexes one entry per timer with a warning or breach pending, none for the rest', async () => {
    await d.create();
    const sqlite = d.h.db.$client;
    const indexed = () => (sqlite.prepare(`SELECT count(*) AS n FROM sla_timers INDEXED BY sla_timers_next_idx WHERE (${slaNextAtSql()}) IS NOT NULL`).get() as { n: number }).n;
    const pending = () => (sqlite.prepare(`SELECT count(*) AS n FROM sla_timers WHERE (warned_at IS NULL AND warn_at IS NOT NULL) OR (breached_at IS NULL AND due_at IS NOT NULL)`).get() as { n: number }).n;
    expect(indexed()).toBeGreaterThan(0);
    expect(indexed()).toBe(pending());
    const next = sqlite.prepare(`SELECT warn_at, due_at, (${slaNextAtSql()}) AS next FROM sla_timers WHERE warn_at IS NOT NULL`).all() as { warn_at: number; due_at: number; next: number }[];
    for (const r of next) expect(r.next).toBe(Math.min(r.warn_at, r.due_at));
  });
});

describe('workflows that react to SLA events with transitions', () => {
  it('moves the case through an `on: sla.breached` transition once, without re-recording the breach', async () => {
    d.h.close();
    const files = loadRepoDefinitions();
    const support = structuredClone(files.workflows.get('support')!);
    support.body.transitions.breachToPending = { label: 'Overdue: ask the customer', from: ['open'], to: 'pending', on: ['sla.breached'] };
    delete support.body.triggers!['sla.breached'];
    files.workflows.set('support', support);
    d = createDesk({ files });

    const id = await d.create();
    d.h.clock.set(berlin('2026-03-03T10:01'));
    const run = await sweep();
    expect(run.sweep.breaches).toBe(1);
    const view = await d.get(id);
    expect(view).toMatchObject({ status: 'pending', queue: 'general', tier: 1 });
    expect(await d.events(id, 'case.transitioned')).toHaveLength(2); // start, then the breach transition
    expect(await recordedOnce('sla.breached')).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM outbox WHERE type = 'sla.dispatch' AND done_at IS NOT NULL`)).toBe(1);
    expect(await count(`SELECT count(*) AS n FROM outbox WHERE type = 'case.event' AND ${jsonField('payload', 'type')} = 'sla.breached'`)).toBe(0);
    // The resolution clock paused in the pending state.
    expect((await d.timers(id)).resolution).toMatchObject({ state: 'paused', pauseReason: 'Pending customer' });
  });
});
