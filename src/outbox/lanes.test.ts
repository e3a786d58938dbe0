import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, standardQueues, type Harness } from '../../test/support/harness.js';
import { drainOutbox } from './drain.js';
import { OutboxLanes, type OutboxLane } from './lanes.js';
import { markDone, type OutboxHandler } from './outbox.js';

let h: Harness;
const log: string[] = [];
/** Lane items in flight, by name: the test answers them (a receiver that answers when told). */
const pending = new Map<string, () => void>();

const LANE: OutboxLane = { name: 'test', concurrency: 3, perTarget: 2 };

/** A post to a receiver: waits until the test answers it. */
const post: OutboxHandler = Object.assign(
  async (services: Parameters<OutboxHandler>[0], item: Parameters<OutboxHandler>[1]) => {
    const name = String(item.payload.name);
    log.push(`start ${name}`);
    await new Promise<void>((resolve) => pending.set(name, resolve));
    pending.delete(name);
    markDone(services.sqlite!, item.id, services.clock.now());
    log.push(`end ${name}`);
  },
  { lane: LANE },
);

/** Work in the process (mail, say): done in a turn. */
const local: OutboxHandler = async (services, item) => {
  await new Promise((resolve) => setImmediate(resolve));
  markDone(services.sqlite!, item.id, services.clock.now());
  log.push(`local ${item.payload.name}`);
};

/** Local work that queues a post (a webhook event's fan-out, say). */
const fanOut: OutboxHandler = async (services, item) => {
  await new Promise((resolve) => setImmediate(resolve));
  services.sqlite!.$client
    .prepare('INSERT INTO outbox (type, case_id, payload, created_at, available_at) VALUES (?, NULL, ?, ?, ?)')
    .run('test.post', JSON.stringify({ name: `${String(item.payload.name)}-post` }), services.clock.now(), services.clock.now());
  markDone(services.sqlite!, item.id, services.clock.now());
};

const handlers = new Map<string, OutboxHandler>([
  ['test.post', post],
  ['test.local', local],
  ['test.fanout', fanOut],
]);
let freed = 0;
let lanes: OutboxLanes;

beforeEach(() => {
  h = createHarness();
  standardQueues(h);
  log.length = 0;
  pending.clear();
  freed = 0;
  lanes = new OutboxLanes({ graceMs: 50, onFree: () => freed++ });
});
afterEach(() => h.close());

function enqueue(type: string, name: string, extra: { caseId?: number; target?: string } = {}): void {
  h.db.$client
    .prepare('INSERT INTO outbox (type, case_id, payload, created_at, available_at) VALUES (?, ?, ?, ?, ?)')
    .run(type, extra.caseId ?? null, JSON.stringify({ name, ...(extra.target ? { target: extra.target } : {}) }), h.clock.now(), h.clock.now());
}

async function oneCase(): Promise<number> {
  const res = await h.api('POST', '/api/v1/cases', { token: 'test-admin-token-0123456789abcdef', body: { customer: { email: 'c@example.com' }, subject: 'Hello', description: 'A question' } });
  await h.services.outbox.idle();
  h.db.$client.prepare('UPDATE outbox SET done_at = 1 WHERE done_at IS NULL').run(); // only the test's items are due
  return Number(((await res.json()) as { id: string }).id.slice(2));
}

const answer = (name: string) => pending.get(name)!();
const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('outbox lanes', () => {
  it('never lets local work wait for a lane, and keeps each target and the lane within its slots', async () => {
    await oneCase();
    for (const name of ['a1', 'a2', 'a3']) enqueue('test.post', name, { target: 'test:a' });
    enqueue('test.post', 'b1', { target: 'test:b' });
    enqueue('test.post', 'c1', { target: 'test:c' });
    enqueue('test.local', 'mail');
    // The drain returns with the local work done, the posts still in flight.
    expect(await drainOutbox(h.services, handlers, { lanes })).toEqual({ done: 1, failed: 0 });
    expect(log).toContain('local mail');
    // Two for target a (its limit), one for b; the lane's three slots are used: c1 waits too.
    expect([...pending.keys()].sort()).toEqual(['a1', 'a2', 'b1']);
    expect(lanes.size).toBe(3);
    const claimed = h.db.$client.prepare("SELECT json_extract(payload, '$.name') AS name FROM outbox WHERE locked_by IS NOT NULL AND done_at IS NULL ORDER BY id").pluck().all();
    expect(claimed).toEqual(['a1', 'a2', 'b1']);

    answer('a1');
    await turns();
    expect(freed).toBe(1);
    // With one slot free in the lane (and one for target a), the next drain gives it to a3,
    // due before c1.
    await drainOutbox(h.services, handlers, { lanes });
    expect([...pending.keys()].sort()).toEqual(['a2', 'a3', 'b1']);
    for (const name of ['a2', 'a3', 'b1']) answer(name);
    await turns();
    // A full drain waits for what it starts.
    const full = drainOutbox(h.services, handlers, { lanes, waitForLanes: true });
    await turns();
    expect([...pending.keys()]).toEqual(['c1']);
    answer('c1');
    expect(await full).toEqual({ done: 1, failed: 0 });
    expect(h.db.$client.prepare('SELECT count(*) FROM outbox WHERE done_at IS NULL').pluck().get()).toBe(0);
  });

  it('a full drain that waited for another drain’s item waits for the post it queued too', async () => {
    await oneCase();
    enqueue('test.fanout', 'event');
    // The background drain claims the fan-out; the full drain finds it in flight and waits for it.
    const background = drainOutbox(h.services, handlers, { lanes });
    let fullDone = false;
    const full = drainOutbox(h.services, handlers, { lanes, waitForLanes: true }).then((result) => {
      fullDone = true;
      return result;
    });
    await background;
    await turns();
    expect([...pending.keys()]).toEqual(['event-post']);
    expect(fullDone).toBe(false);
    answer('event-post');
    await full;
    expect(log).toEqual(['start event-post', 'end event-post']);
  });

  it('performs a case’s lane items one after the other, in order', async () => {
    const id = await oneCase();
    enqueue('test.post', 'first', { caseId: id, target: 'test:x' });
    enqueue('test.post', 'second', { caseId: id, target: 'test:y' });
    await drainOutbox(h.services, handlers, { lanes });
    expect([...pending.keys()]).toEqual(['first']);
    answer('first');
    await turns();
    await drainOutbox(h.services, handlers, { lanes });
    expect([...pending.keys()]).toEqual(['second']);
    answer('second');
    await turns();
    expect(log).toEqual(['start first', 'end first', 'start second', 'end second']);
  });

  it('leaves lane items to the background when a command settles its case', async () => {
    const id = await oneCase();
    enqueue('test.post', 'post', { caseId: id });
    expect(await drainOutbox(h.services, handlers, { caseId: id, lanes })).toEqual({ done: 0, failed: 0 });
    expect(log).toEqual([]);
  });

  it('starts nothing once stopped, and aborts what is in flight after the grace', async () => {
    await oneCase();
    let signal: AbortSignal | undefined;
    const aborting: OutboxHandler = Object.assign(
      async (_services: Parameters<OutboxHandler>[0], _item: Parameters<OutboxHandler>[1], context?: { signal: AbortSignal }) => {
        signal = context!.signal;
        await new Promise<void>((_resolve, reject) => signal!.addEventListener('abort', () => reject(signal!.reason as Error)));
      },
      { lane: LANE },
    );
    const mine = new Map<string, OutboxHandler>([['test.abort', aborting]]);
    enqueue('test.abort', 'hangs');
    await drainOutbox(h.services, mine, { lanes });
    expect(lanes.size).toBe(1);
    lanes.stop();
    enqueue('test.abort', 'later');
    await drainOutbox(h.services, mine, { lanes });
    expect(lanes.size).toBe(1); // nothing new started
    await lanes.settled();
    expect(signal!.aborted).toBe(true);
    const rows = h.db.$client.prepare("SELECT json_extract(payload, '$.name') AS name, attempts, locked_by, last_error FROM outbox WHERE done_at IS NULL ORDER BY id").all();
    expect(rows).toEqual([
      { name: 'hangs', attempts: 1, locked_by: null, last_error: 'Casebook is shutting down' },
      { name: 'later', attempts: 0, locked_by: null, last_error: null },
    ]);
  });

  it('lets as many posts as the lanes allow listen for the abort at once, without a listener warning, and aborts each', async () => {
    await oneCase();
    const wide: OutboxLane = { name: 'wide', concurrency: 16, perTarget: 16 };
    const signals: AbortSignal[] = [];
    const listening: OutboxHandler = Object.assign(
      async (_services: Parameters<OutboxHandler>[0], _item: Parameters<OutboxHandler>[1], context?: { signal: AbortSignal }) => {
        const signal = context!.signal;
        signals.push(signal);
        // As a webhook post does (src/net/guarded-post.ts): it listens while it waits for its receiver.
        await new Promise<void>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
      },
      { lane: wide },
    );
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 16; i++) enqueue('test.listen', `p${i}`);
      await drainOutbox(h.services, new Map([['test.listen', listening]]), { lanes });
      expect(lanes.size).toBe(16);
      await turns();
      lanes.stop();
      await lanes.settled();
      await turns(); // Node emits its warnings on a later tick
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
      expect(signals).toHaveLength(16);
      expect(signals.every((s) => s.aborted)).toBe(true);
      expect(h.db.$client.prepare("SELECT count(*) FROM outbox WHERE done_at IS NULL AND last_error = 'Casebook is shutting down'").pluck().get()).toBe(16);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
