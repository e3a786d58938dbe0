/**
 * The built-in lane types and the two indexes that split the pending items by them (drizzle/0052:
 * `outbox_lane_due_idx`, `outbox_local_due_idx`): they split by exactly the types the built-in
 * handlers perform in lanes, and the looks that read them answer what the looks over every
 * pending item answer.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtinOutboxHandlers } from '../../src/compose.js';
import { laneTypes } from '../../src/outbox/drain.js';
import { LANE_ITEM_TYPES, LANE_ITEM_TYPES_JSON, LANE_TYPE_CONDITION, LOCAL_TYPE_CONDITION } from '../../src/outbox/limits.js';
import { dueInLanes, dueItems, outboxStatements } from '../../src/outbox/statements.js';
import { createHarness, type Harness } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';

describe('the built-in lane types', () => {
  it('are the types of the built-in handlers that have a lane, as the drain names them', () => {
    const handlers = builtinOutboxHandlers();
    const withLane = [...handlers].filter(([, h]) => h.lane).map(([type]) => type);
    expect([...withLane].sort()).toEqual(LANE_ITEM_TYPES);
    expect(laneTypes(handlers)).toBe(LANE_ITEM_TYPES_JSON);
  });
});

/** SQLite's statements (src/outbox/statements.ts); PostgreSQL's look is src/outbox/pg.ts, held by test/postgres/outbox.test.ts. */
describe.skipIf(ON_POSTGRES)('the look for lane items on SQLite', () => {
  let h: Harness;
  beforeEach(() => {
    h = createHarness();
  });
  afterEach(() => h.close());

  it('has the indexes that the migrations made for exactly those types', () => {
    const sqlOf = (name: string) => (h.db.$client.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?").get(name) as { sql: string } | undefined)?.sql;
    expect(sqlOf('outbox_lane_due_idx')).toContain(`AND ${LANE_TYPE_CONDITION}`);
    expect(sqlOf('outbox_local_due_idx')).toContain(`AND ${LOCAL_TYPE_CONDITION}`);
    expect(sqlOf('outbox_lane_target_idx')).toContain(`AND ${LANE_TYPE_CONDITION}`);
  });

  it('skips a busy receiver’s thousands of due items by target, and finds what the look over every item finds', () => {
    const insert = h.db.$client.prepare('INSERT INTO outbox (type, case_id, payload, created_at, available_at, locked_until) VALUES (?, NULL, ?, 0, ?, ?)');
    const now = 1_000_000;
    h.db.$client.transaction(() => {
      // A slow subscription's backlog, due before everything else; its slots are full.
      for (let i = 0; i < 3000; i++) insert.run('webhook.deliver', JSON.stringify({ target: 'sub:slow' }), i, null);
      insert.run('webhook.deliver', JSON.stringify({ target: 'sub:a' }), now - 10, null);
      insert.run('webhook.deliver', JSON.stringify({ target: 'sub:b' }), now - 30, now + 60_000); // in flight
      insert.run('webhook.deliver', JSON.stringify({ target: 'sub:b' }), now - 20, null);
      insert.run('webhook.deliver', JSON.stringify({ target: 'sub:a' }), now + 5, null); // not yet due
      insert.run('im.post', JSON.stringify({ target: 'https://hooks.example/x' }), now - 40, null);
      insert.run('im.post', JSON.stringify({}), now - 50, null); // names no target: ''
      insert.run('webhook.deliver', JSON.stringify({ target: 7 }), now - 60, null); // not text
      insert.run('case.event', JSON.stringify({ target: 'sub:a' }), now - 70, null); // not a lane item
    })();
    const general = (limit: number, busy: string) => outboxStatements(h.db).dueInAnyLanes(limit).all(now, LANE_ITEM_TYPES_JSON, now, busy);
    for (const busy of [['sub:slow'], ['sub:slow', 'sub:a'], ['sub:slow', ''], ['nobody']]) {
      const json = JSON.stringify(busy);
      const found = dueInLanes(h.db, 64, now, LANE_ITEM_TYPES_JSON, json);
      expect(found).toEqual(general(64, json));
      expect(dueInLanes(h.db, 2, now, LANE_ITEM_TYPES_JSON, json)).toEqual(general(2, json));
    }
    expect(dueInLanes(h.db, 64, now, LANE_ITEM_TYPES_JSON, JSON.stringify(['sub:slow'])).map((r) => [JSON.parse(r.payload).target ?? '', r.available_at])).toEqual([
      [7, now - 60],
      ['', now - 50],
      ['https://hooks.example/x', now - 40],
      ['sub:b', now - 20],
      ['sub:a', now - 10],
    ]);
  });

  it('finds the due items outside the lanes behind thousands of due lane items, as the look over every item does', () => {
    const insert = h.db.$client.prepare('INSERT INTO outbox (type, case_id, payload, created_at, available_at, done_at, failed_at) VALUES (?, NULL, ?, 0, ?, ?, ?)');
    const now = 1_000_000;
    h.db.$client.transaction(() => {
      // Deliveries waiting for a slow receiver's slots, due before the other work.
      for (let i = 0; i < 3000; i++) insert.run(i % 2 ? 'webhook.deliver' : 'im.post', JSON.stringify({ target: 'sub:slow' }), i, null, null);
      insert.run('case.event', '{}', now - 10, null, null);
      insert.run('notification.send', '{}', now - 20, null, null);
      insert.run('case.event', '{}', now + 1, null, null); // not yet due
      insert.run('case.event', '{}', now - 30, now - 1, null); // done
      insert.run('workflow.timer', '{}', now - 40, null, now - 1); // failed
      insert.run('workflow.timer', '{}', now - 50, null, null);
    })();
    const found = dueItems(h.db, 384, now, LANE_ITEM_TYPES_JSON);
    expect(found.map((r) => [r.type, r.available_at])).toEqual([
      ['workflow.timer', now - 50],
      ['notification.send', now - 20],
      ['case.event', now - 10],
    ]);
    expect(outboxStatements(h.db).dueOutsideAnyLanes(384).all(now, LANE_ITEM_TYPES_JSON)).toEqual(found);
    expect(dueItems(h.db, 1, now, LANE_ITEM_TYPES_JSON)).toEqual(found.slice(0, 1));
    // Without lanes (or with a test's own lane types) every pending item is looked at.
    expect(dueItems(h.db, 10, now, '[]')).toHaveLength(10);
  });

  it('finds the due lane items behind thousands of other pending items, as the look over every item does', () => {
    const insert = h.db.$client.prepare(
      'INSERT INTO outbox (type, case_id, payload, created_at, available_at, locked_until, done_at, failed_at) VALUES (?, NULL, ?, 0, ?, ?, ?, ?)',
    );
    const now = 1_000_000;
    h.db.$client.transaction(() => {
      // A backlog of other work (an SLA sweep's rule runs), due before any lane item.
      for (let i = 0; i < 3000; i++) insert.run('case.event', '{}', i, null, null, null);
      // Lane items: due, not yet due, done, failed, held by a drain, of a busy target.
      const lane = [
        ['webhook.deliver', { target: 'sub:1' }, now - 50, null, null, null],
        ['im.post', { target: 'https://hooks.example/a' }, now - 60, null, null, null],
        ['webhook.deliver', { target: 'sub:2' }, now - 70, null, null, null],
        ['webhook.deliver', { target: 'sub:1' }, now + 1, null, null, null],
        ['webhook.deliver', { target: 'sub:1' }, now - 80, null, now - 1, null],
        ['im.post', { target: 'https://hooks.example/a' }, now - 90, null, null, now - 1],
        ['webhook.deliver', { target: 'sub:3' }, now - 100, now + 60_000, null, null],
        ['webhook.deliver', { target: 'sub:busy' }, now - 110, null, null, null],
        ['webhook.deliver', { target: 'sub:3' }, now - 120, now - 1, null, null],
      ] as const;
      for (const [type, payload, at, locked, done, failed] of lane) insert.run(type, JSON.stringify(payload), at, locked, done, failed);
    })();
    const busy = JSON.stringify(['sub:busy']);
    const found = dueInLanes(h.db, 64, now, LANE_ITEM_TYPES_JSON, busy);
    expect(found.map((r) => [r.type, r.available_at])).toEqual([
      ['webhook.deliver', now - 120], // its claim ran out
      ['webhook.deliver', now - 70],
      ['im.post', now - 60],
      ['webhook.deliver', now - 50],
    ]);
    expect(outboxStatements(h.db).dueInAnyLanes(64).all(now, LANE_ITEM_TYPES_JSON, now, busy)).toEqual(found);
    expect(dueInLanes(h.db, 2, now, LANE_ITEM_TYPES_JSON, busy)).toEqual(found.slice(0, 2));
    // Other lane types (a test's handlers) are looked for over every pending item.
    expect(dueInLanes(h.db, 64, now, JSON.stringify(['case.event']), '[]')).toHaveLength(64);
  });

  it('reads each kind’s index, not every pending item', () => {
    const planOf = (statement: unknown, ...params: unknown[]) =>
      (h.db.$client.prepare(`EXPLAIN QUERY PLAN ${(statement as { source: string }).source}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(planOf(outboxStatements(h.db).dueInBuiltinLanes(64), 0, 0)).toMatch(/SEARCH outbox USING INDEX outbox_lane_due_idx \(available_at<\?\)/);
    expect(planOf(outboxStatements(h.db).dueOutsideBuiltinLanes(384), 0)).toMatch(/SEARCH outbox USING INDEX outbox_local_due_idx \(available_at<\?\)/);
    expect(planOf(outboxStatements(h.db).dueInLaneOfTarget(64), 't', 0, 0)).toMatch(/SEARCH outbox USING INDEX outbox_lane_target_idx \(<expr>=\? AND available_at<\?\)/);
    expect(planOf(outboxStatements(h.db).nextLaneTarget, 't')).toMatch(/SEARCH outbox USING (COVERING )?INDEX outbox_lane_target_idx \(<expr>>\?\)/);
    expect(planOf(outboxStatements(h.db).firstLaneTarget)).toMatch(/SCAN outbox USING (COVERING )?INDEX outbox_lane_target_idx/);
  });
});
