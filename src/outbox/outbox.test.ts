import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, standardQueues, type Harness } from '../../test/support/harness.js';
import { GROUP_SLICE_MS, groupCommit, groupCommitStats, setGroupSlice } from '../db/group-commit.js';
import { drainOutbox } from './drain.js';
import { markDone, type OutboxHandler } from './outbox.js';

let h: Harness;
const log: string[] = [];
/** Test items: a handler that takes a turn of the event loop (as mail sending does) and marks the item done. */
const slow: OutboxHandler = async (services, item) => {
  log.push(`start ${item.payload.name}`);
  await new Promise((resolve) => setImmediate(resolve));
  await groupCommit(services.sqlite!, () => markDone(services.sqlite!, item.id, services.clock.now()));
  log.push(`end ${item.payload.name}`);
};

/** Test items performed inside the drain's transaction; `async` in the payload makes it decline, `fail` makes it throw. */
const quick: OutboxHandler = Object.assign(
  async (services: Parameters<OutboxHandler>[0], item: Parameters<OutboxHandler>[1]) => {
    log.push(`claimed ${item.payload.name}`);
    await groupCommit(services.sqlite!, () => markDone(services.sqlite!, item.id, services.clock.now()));
  },
  {
    inTransaction: (services: Parameters<OutboxHandler>[0], item: Parameters<OutboxHandler>[1]) => {
      if (item.payload.async) return false;
      services.sqlite!.$client.prepare("UPDATE queues SET description = description || ? WHERE id = 'general'").run(`${item.payload.name};`);
      if (item.payload.fail) throw new Error('cannot do it');
      log.push(`here ${item.payload.name}`);
      return markDone(services.sqlite!, item.id, services.clock.now());
    },
  },
);

beforeEach(() => {
  h = createHarness({ services: { outboxHandlers: [['test.slow', slow], ['test.quick', quick]] } });
  standardQueues(h);
  log.length = 0;
});
afterEach(() => h.close());

function enqueue(caseId: number | null, name: string, type = 'test.slow', extra: Record<string, unknown> = {}): void {
  h.db.$client
    .prepare('INSERT INTO outbox (type, case_id, payload, created_at, available_at) VALUES (?, ?, ?, ?, ?)')
    .run(type, caseId, JSON.stringify({ name, ...extra }), h.clock.now(), h.clock.now());
}

/** Cases to hang items on (outbox.case_id references cases). */
async function cases(n: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await h.api('POST', '/api/v1/cases', { token: 'test-admin-token-0123456789abcdef', body: { customer: { email: `c${i}@example.com` }, subject: 'Hello', description: 'A question' } });
    ids.push(Number(((await res.json()) as { id: string }).id.slice(2)));
  }
  await h.services.outbox.idle();
  h.db.$client.prepare("UPDATE outbox SET done_at = 1 WHERE done_at IS NULL").run(); // only the test's items are due
  return ids;
}

const handlers = () => new Map<string, OutboxHandler>([['test.slow', slow], ['test.quick', quick]]);

describe('drainOutbox', () => {
  it('performs the items of different cases side by side, and one case’s items one after the other, in order', async () => {
    const [a, b] = await cases(2);
    enqueue(a!, 'a1');
    enqueue(a!, 'a2');
    enqueue(b!, 'b1');
    enqueue(null, 'n1');
    const result = await drainOutbox(h.services, handlers());
    expect(result).toEqual({ done: 4, failed: 0 });
    // a1, b1 and n1 in one wave (all started before any ended); a2 only after a1 ended.
    expect(log.slice(0, 3).sort()).toEqual(['start a1', 'start b1', 'start n1']);
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
  });

  it('claims a wave in one unit of a group commit, shared with a command written in the same turn', async () => {
    const [a, b] = await cases(2);
    enqueue(a!, 'a1');
    enqueue(b!, 'b1');
    const before = groupCommitStats(h.db);
    // The group counts below are the design's, not the machine's: on a loaded machine a unit
    // can outlast the group's time slice and push the next unit into a group of its own.
    setGroupSlice(h.db, 60_000);
    const [result] = await Promise.all([drainOutbox(h.services, handlers()), groupCommit(h.db, () => h.db.$client.prepare("UPDATE queues SET name = 'General' WHERE id = 'general'").run())]).finally(() => setGroupSlice(h.db, GROUP_SLICE_MS));
    expect(result.done).toBe(2);
    const after = groupCommitStats(h.db);
    // The wave's claims and the command in one group, both items' marks in the next; the
    // drain's last look (nothing due) is a plain read.
    expect(after.groups - before.groups).toBe(2);
    expect(after.units - before.units).toBe(4);
    expect(after.largest).toBeGreaterThanOrEqual(2);
  });

  it('returns only once the items another drain of this process is performing are done', async () => {
    const [a] = await cases(1);
    enqueue(a!, 'a1');
    const doneAt = () => (h.db.$client.prepare("SELECT done_at FROM outbox WHERE json_extract(payload, '$.name') = 'a1'").get() as { done_at: number | null }).done_at;
    // The first claims the item; the second (a command's settle) finds it in flight and waits for it.
    const background = drainOutbox(h.services, handlers());
    // It claims first and starts the item (queued together, a background drain's claim would give way to a settle's).
    while (!log.includes('start a1')) await new Promise((resolve) => setImmediate(resolve));
    const settle = drainOutbox(h.services, handlers(), { caseId: a! }).then((result) => ({ result, doneWhenReturned: doneAt() }));
    const [first, second] = await Promise.all([background, settle]);
    expect(first.done).toBe(1);
    expect(second).toEqual({ result: { done: 0, failed: 0 }, doneWhenReturned: expect.any(Number) });
    expect(log).toEqual(['start a1', 'end a1']);
  });

  it('performs items whose handler can work inside the transaction right in the unit that reads them', async () => {
    const [a, b, c] = await cases(3);
    enqueue(a!, 'q1', 'test.quick');
    enqueue(b!, 'q2', 'test.quick', { fail: true });
    enqueue(c!, 'q3', 'test.quick', { async: true });
    h.db.$client.prepare("UPDATE queues SET description = '' WHERE id = 'general'").run();
    const before = groupCommitStats(h.db);
    // As above: on a loaded machine a unit can outlast the slice and push the next into a group
    // of its own (3 groups in 150 repeats beside two busy loops; none with the slice held open).
    setGroupSlice(h.db, 60_000);
    const result = await drainOutbox(h.services, handlers()).finally(() => setGroupSlice(h.db, GROUP_SLICE_MS));
    expect(result).toEqual({ done: 2, failed: 1 });
    // q1 done in the reading unit; q2's work rolled back, its attempt counted, retried later; q3 declined, so claimed and performed after.
    expect(log).toEqual(['here q1', 'claimed q3']);
    expect(h.db.$client.prepare("SELECT description FROM queues WHERE id = 'general'").get()).toEqual({ description: 'q1;' });
    const q2 = h.db.$client.prepare("SELECT attempts, done_at, locked_by, last_error, available_at > ? AS later FROM outbox WHERE json_extract(payload, '$.name') = 'q2'").get(h.clock.now());
    expect(q2).toEqual({ attempts: 1, done_at: null, locked_by: null, last_error: 'cannot do it', later: 1 });
    // One group read and performed q1 (and claimed q3), one committed q3's mark.
    expect(groupCommitStats(h.db).groups - before.groups).toBe(2);
  });
});
