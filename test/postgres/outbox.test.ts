/**
 * The outbox's worker side on PostgreSQL (src/outbox/pg.ts): a harness seeded on SQLite and
 * copied over (moveToPostgres), then workers — each a services with a store (a pool) of its
 * own, as instances would have — draining one database: the claim with FOR UPDATE SKIP LOCKED,
 * exactly once, in order per case, retries with back-off and the dead letter, a crashed
 * worker's rows back after their lease, and lanes.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/db/store/index.js';
import { openStore } from '../../src/db/store/open.js';
import { releaseDeadClaims } from '../../src/outbox/dead-claims.js';
import { markItemDone } from '../../src/outbox/dialect.js';
import { drainOutbox, type DrainResult } from '../../src/outbox/drain.js';
import { OutboxLanes, type OutboxLane } from '../../src/outbox/lanes.js';
import { LOCK_MS, MAX_ATTEMPTS, retryDelayMs } from '../../src/outbox/limits.js';
import type { OutboxHandler } from '../../src/outbox/outbox.js';
import { pgQueue } from '../../src/outbox/pg.js';
import { HOST } from '../../src/process-identity.js';
import type { WaveContext } from '../../src/outbox/queue.js';
import type { Services } from '../../src/services.js';
import { createHarness, standardQueues, type Harness } from '../support/harness.js';
import { moveToPostgres, type Moved } from '../support/on-postgres.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

let cluster: PostgresCluster;
let h: Harness;
let moved: Moved;
const stores: Store[] = [];
let caseIds: number[] = [];
/** What the handlers did: `start|end <name> <worker>`. */
const log: string[] = [];
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A worker on its own pool, as another instance would be. */
function worker(): Services {
  const store = openStore({ postgresUrl: moved.url, max: 3 });
  stores.push(store);
  return { ...h.services, store };
}

/** Work that takes a few turns of the event loop, then marks the item done in a write of its own. */
const work: OutboxHandler = async (services, item) => {
  const who = (services as Services & { who?: string }).who ?? '?';
  log.push(`start ${String(item.payload.name)} ${who}`);
  await turn();
  await turn();
  await services.store.write((q) => markItemDone(q, item.id, services.clock.now()));
  log.push(`end ${String(item.payload.name)} ${who}`);
};
const failing: OutboxHandler = () => {
  throw new Error('the receiver said no');
};
const handlers = new Map<string, OutboxHandler>([
  ['test.work', work],
  ['test.fail', failing],
]);

async function enqueue(items: { type?: string; caseId?: number | null; name: string; target?: string }[]): Promise<void> {
  const now = h.clock.now();
  await h.services.store.write(async (q) => {
    await q.db.insert(q.tables.outbox).values(
      items.map((item) => ({
        type: item.type ?? 'test.work',
        caseId: item.caseId ?? null,
        payload: { name: item.name, ...(item.target ? { target: item.target } : {}) },
        createdAt: now,
        availableAt: now,
      })),
    );
  });
}

interface OutboxRow {
  name: string;
  attempts: number;
  doneAt: number | null;
  failedAt: number | null;
  availableAt: number;
  lockedBy: string | null;
  lastError: string | null;
}

function rows(): Promise<OutboxRow[]> {
  return h.services.store.query((q) =>
    q.all<OutboxRow>(sql`SELECT payload->>'name' AS name, attempts, done_at AS "doneAt", failed_at AS "failedAt", available_at AS "availableAt", locked_by AS "lockedBy", last_error AS "lastError" FROM outbox ORDER BY id`),
  );
}

beforeAll(async () => {
  cluster = await startPostgres();
  h = createHarness();
  standardQueues(h);
  for (let i = 0; i < 4; i++) {
    const res = await h.api('POST', '/api/v1/cases', { token: 'test-admin-token-0123456789abcdef', body: { customer: { email: `c${i}@example.com` }, subject: 'Hello', description: 'A question' } });
    caseIds.push(Number(((await res.json()) as { id: string }).id.slice(2)));
  }
  await h.services.outbox.idle();
  moved = await moveToPostgres(h.services, h.dbPath, cluster);
});

beforeEach(async () => {
  log.length = 0;
  // Only the test's items: what the seeding queued is out of the way.
  await h.services.store.write((q) => q.run(sql`DELETE FROM outbox`));
});

afterAll(async () => {
  for (const store of stores) await store.close();
  await moved?.close();
  h?.close();
  await cluster?.stop();
});

/**
 * Runs `drain` while another transaction holds the case's due row locked — a drain's claim
 * between its UPDATE and its tracking in this process, which here then rolls back — and checks
 * that `drain` has not returned 100 ms in; its result once the row is free.
 */
async function whileAnotherClaimHolds(caseId: number, drain: () => Promise<DrainResult>): Promise<DrainResult> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let locked = false;
  const other = worker()
    .store.write(async (q) => {
      await q.run(sql`SELECT id FROM outbox WHERE case_id = ${caseId} FOR UPDATE`);
      locked = true;
      await held;
      throw new Error('the claim rolls back');
    })
    .catch(() => undefined);
  while (!locked) await turn();
  let returned = false;
  const running = drain().finally(() => (returned = true));
  try {
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(returned).toBe(false);
  } finally {
    release();
    await other;
  }
  return running;
}

describe('the outbox on PostgreSQL', () => {
  it('three workers draining at once perform every item exactly once, each case’s items in order', async () => {
    const items = [];
    for (let n = 0; n < 5; n++) for (const caseId of caseIds) items.push({ caseId, name: `c${caseId}-${n}` });
    for (let n = 0; n < 12; n++) items.push({ name: `free-${n}` });
    await enqueue(items);
    const workers = [1, 2, 3].map((i) => Object.assign(worker(), { who: `w${i}` }));
    // Each drain claims a few at a time and stops when nothing is claimable for it; rounds until all are done.
    for (let round = 0; round < 30 && (await rows()).some((r) => r.doneAt === null); round++) {
      await Promise.all(workers.map((w) => drainOutbox(w, handlers, { owner: `host:${w.who}:1`, limit: 3 })));
    }
    const starts = log.filter((line) => line.startsWith('start'));
    expect(starts).toHaveLength(items.length);
    expect(new Set(starts.map((line) => line.split(' ')[1])).size).toBe(items.length);
    expect((await rows()).every((r) => r.doneAt !== null && r.attempts === 1)).toBe(true);
    expect(new Set(starts.map((line) => line.split(' ')[2])).size).toBeGreaterThan(1);
    // A case's item n+1 starts only after item n ended, whichever workers performed them.
    for (const caseId of caseIds) {
      for (let n = 1; n < 5; n++) {
        const ended = log.findIndex((line) => line.startsWith(`end c${caseId}-${n - 1} `));
        const started = log.findIndex((line) => line.startsWith(`start c${caseId}-${n} `));
        expect(started).toBeGreaterThan(ended);
      }
    }
  });

  it('a claim skips the rows another worker’s open transaction has locked instead of waiting for them', async () => {
    await enqueue([{ name: 'a' }, { name: 'b' }, { name: 'c' }, { caseId: caseIds[0]!, name: 'x1' }, { caseId: caseIds[0]!, name: 'x2' }]);
    const [one, two] = [worker(), worker()];
    const context = (services: Services, owner: string, limit: number): WaveContext => ({
      services, handlers, now: h.clock.now(), owner, limit, caseId: undefined, inLanes: '[]', lookLanes: () => false, busyTargets: () => '[]',
      inFlight: new Map(), lanes: undefined, result: { done: 0, failed: 0 }, track: () => undefined, toLanes: [],
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let first: string[] = [];
    const firstDone = one.store.write(async (q) => {
      first = (await pgQueue.claimWave(q, context(one, 'one', 2))).wave.map((item) => String(item.payload.name));
      await held; // the transaction stays open, its rows locked
    });
    while (first.length === 0) await turn();
    const second = await two.store.write(async (q) => (await pgQueue.claimWave(q, context(two, 'two', 32))).wave.map((item) => String(item.payload.name)));
    release();
    await firstDone;
    expect(first).toEqual(['a', 'b']);
    // Not a or b (locked), and x2 not before x1 (the first of its case).
    expect(second).toEqual(['c', 'x1']);
    // Both committed: every claimed row leased once, to its claimer.
    expect((await rows()).map((r) => [r.name, r.lockedBy, r.attempts])).toEqual([['a', 'one', 1], ['b', 'one', 1], ['c', 'two', 1], ['x1', 'two', 1], ['x2', null, 0]]);
  });

  it('a case’s settle does not return while another drain’s claim of its item is under way (locked, not yet in flight here)', async () => {
    await enqueue([{ caseId: caseIds[1]!, name: 'follow-up' }]);
    const services = Object.assign(worker(), { who: 'settle' });
    // Before, the settle found the row skipped and nothing in flight, and returned at once.
    expect(await whileAnotherClaimHolds(caseIds[1]!, () => drainOutbox(services, handlers, { caseId: caseIds[1]!, owner: 'host:settle:1' }))).toEqual({ done: 1, failed: 0 });
    expect(log).toEqual(['start follow-up settle', 'end follow-up settle']);
  });

  it('a full drain does not return while another drain’s claim of a due item is under way (locked, not yet in flight here)', async () => {
    await enqueue([{ caseId: caseIds[2]!, name: 'auto-close' }]);
    const services = Object.assign(worker(), { who: 'full' });
    // `drain()` (the sweep's, a test's) returned the same way, before the background drain
    // holding the item had performed it.
    expect(await whileAnotherClaimHolds(caseIds[2]!, () => drainOutbox(services, handlers, { owner: 'host:full:1' }))).toEqual({ done: 1, failed: 0 });
    expect(log).toEqual(['start auto-close full', 'end auto-close full']);
  });

  it('a full drain does not return while another drain’s claim of a due lane item is under way (locked, not yet reserved here)', async () => {
    const LANE: OutboxLane = { name: 'test', concurrency: 2, perTarget: 1 };
    const post: OutboxHandler = Object.assign(async (services: Services, item: Parameters<OutboxHandler>[1]) => {
      log.push(`post ${String(item.payload.name)}`);
      await turn();
      await services.store.write((q) => markItemDone(q, item.id, services.clock.now()));
    }, { lane: LANE });
    await enqueue([{ type: 'test.post', caseId: caseIds[0]!, name: 'case.updated', target: 'crm' }]);
    const lanes = new OutboxLanes({ graceMs: 50, onFree: () => undefined });
    // `outbox.drain()` returned {0, 0} at once: the wave's look saw the row held, the lanes'
    // (SKIP LOCKED) did not, and no lane slot was reserved yet — while the background drain of
    // the same process was about to post it (test/integrations/webhook-case-updated.test.ts).
    const full = () => drainOutbox(worker(), new Map([['test.post', post]]), { owner: 'host:full:1', lanes, waitForLanes: true });
    expect(await whileAnotherClaimHolds(caseIds[0]!, full)).toEqual({ done: 1, failed: 0 });
    expect(log).toEqual(['post case.updated']);
    expect(lanes.size).toBe(0);
  });

  it('a full drain beside the background drain of the same process returns only once the item due is performed', async () => {
    // A full drain: `outbox.drain()`'s (waitForLanes) and the sweep's (not), by turns.
    // The background drain's claim comes into flight here, and commits, while the full drain's
    // look or claim is on its way: that query then finds nothing due. Before, the full drain
    // returned then, with the item still being performed (34 of these 300 tries; a test's
    // outbox.drain() returned before the mail "Webhook disabled" was sent). The turns between
    // the two starts move the full drain's queries across the background's.
    const w = worker();
    const early: string[] = [];
    for (let n = 0; n < 300; n++) {
      await enqueue([{ name: `r${n}` }]);
      const background = drainOutbox(w, handlers, { background: true });
      for (let t = 0; t < n % 7; t++) await turn();
      await drainOutbox(w, handlers, { waitForLanes: n % 2 === 0 });
      if ((await rows()).find((r) => r.name === `r${n}`)!.doneAt === null) early.push(`r${n}`);
      await background;
    }
    expect(early).toEqual([]);
  });

  it('a full drain waits for an item another drain of this process is still performing after its lease ran out, then performs the case’s next one', async () => {
    await enqueue([{ caseId: caseIds[3]!, name: 'slow mail' }]);
    const w = worker();
    let claimed!: () => void;
    const started = new Promise<void>((resolve) => (claimed = resolve));
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const slow: OutboxHandler = async (services, item) => {
      log.push(`start ${String(item.payload.name)} background`);
      claimed();
      await finished;
      await services.store.write((q) => markItemDone(q, item.id, services.clock.now()));
      log.push(`end ${String(item.payload.name)} background`);
    };
    // It stops once this item is performed: which of the two drains would claim the case's
    // next item is a race (under load the background won it), and this test is about the other.
    const stop = new AbortController();
    const background = drainOutbox(w, new Map([['test.work', slow]]), { signal: stop.signal });
    await started;
    stop.abort();
    // Longer than a lease (a slow receiver; in the tests, a clock moved on), and the case's next item queued.
    h.clock.advance(LOCK_MS + 1);
    await enqueue([{ caseId: caseIds[3]!, name: 'escalation rules' }]);
    // The sweep's drain, in the same process: it claimed the expired lease again, found the
    // item already in flight here, neither performed nor waited for it, and returned {0, 0}
    // before the rules had run (POST /api/v1/sla/sweep answered before its work was done).
    let returned = false;
    const full = drainOutbox({ ...w, who: 'full' } as Services, handlers).finally(() => (returned = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(returned).toBe(false);
    finish();
    expect(await background).toEqual({ done: 1, failed: 0 });
    expect(await full).toEqual({ done: 1, failed: 0 });
    expect(log).toEqual(['start slow mail background', 'end slow mail background', 'start escalation rules full', 'end escalation rules full']);
    // Performed once, claimed once.
    expect((await rows()).map((r) => [r.name, r.attempts, r.doneAt !== null])).toEqual([['slow mail', 1, true], ['escalation rules', 1, true]]);
  });

  it('retries a failing item with back-off by the clock, then gives up on it for good', async () => {
    await enqueue([{ type: 'test.fail', name: 'f' }]);
    const w = worker();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      expect(await drainOutbox(w, handlers)).toEqual({ done: 0, failed: 1 });
      const [row] = await rows();
      expect(row).toMatchObject({ attempts: attempt, lastError: 'the receiver said no', lockedBy: null, doneAt: null });
      if (attempt < MAX_ATTEMPTS) {
        expect(row!.availableAt).toBe(h.clock.now() + retryDelayMs(attempt));
        expect(row!.failedAt).toBeNull();
        // Not due before its back-off has passed.
        h.clock.advance(retryDelayMs(attempt) - 1);
        expect(await drainOutbox(w, handlers)).toEqual({ done: 0, failed: 0 });
        h.clock.advance(1);
      } else {
        expect(row!.failedAt).toBe(h.clock.now());
      }
    }
    // Given up: never tried again.
    h.clock.advance(86_400_000);
    expect(await drainOutbox(w, handlers)).toEqual({ done: 0, failed: 0 });
  });

  it('performs again, after its lease, an item whose worker died holding it', async () => {
    await enqueue([{ caseId: caseIds[1]!, name: 'd1' }, { caseId: caseIds[1]!, name: 'd2' }]);
    const dead = worker();
    let claimed!: () => void;
    const started = new Promise<void>((resolve) => (claimed = resolve));
    const hang: OutboxHandler = () => {
      claimed();
      return new Promise<void>(() => undefined); // never finishes: the process died here
    };
    void drainOutbox(dead, new Map([['test.work', hang]]), { owner: 'gone-host:4242:1' });
    await started;
    const live = Object.assign(worker(), { who: 'live' });
    // Held: neither d1 nor the case's next item are taken; another host's claim is not judged dead.
    expect(await drainOutbox(live, handlers)).toEqual({ done: 0, failed: 0 });
    expect(await releaseDeadClaims(live.store, h.clock.now())).toEqual({ items: 0, holders: [] });
    h.clock.advance(LOCK_MS);
    expect(await drainOutbox(live, handlers)).toEqual({ done: 2, failed: 0 });
    expect(log.filter((line) => line.startsWith('start'))).toEqual(['start d1 live', 'start d2 live']);
    expect((await rows()).map((r) => [r.name, r.attempts, r.doneAt !== null])).toEqual([['d1', 2, true], ['d2', 1, true]]);
  });

  it('takes back at start-up the claims of a process of this host that is gone', async () => {
    await enqueue([{ name: 'r1' }]);
    const gone = `${HOST}:${process.pid}:an-earlier-start`;
    const w = worker();
    await w.store.write((q) => q.run(sql`UPDATE outbox SET locked_by = ${gone}, locked_until = ${h.clock.now() + LOCK_MS}, attempts = 1`));
    expect(await releaseDeadClaims(w.store, h.clock.now())).toEqual({ items: 1, holders: [gone] });
    expect(await drainOutbox(Object.assign(w, { who: 'w' }), handlers)).toEqual({ done: 1, failed: 0 });
  });

  it('lanes: a lane item waits for a free slot of its target, and a case’s lane items stay in order across workers', async () => {
    const LANE: OutboxLane = { name: 'test', concurrency: 3, perTarget: 1 };
    const answers = new Map<string, () => void>();
    const post: OutboxHandler = Object.assign(
      async (services: Services, item: Parameters<OutboxHandler>[1]) => {
        const name = String(item.payload.name);
        log.push(`start ${name}`);
        await new Promise<void>((resolve) => answers.set(name, resolve));
        await services.store.write((q) => markItemDone(q, item.id, services.clock.now()));
        log.push(`end ${name}`);
      },
      { lane: LANE },
    );
    const laneHandlers = new Map<string, OutboxHandler>([['test.post', post]]);
    await enqueue([
      { type: 'test.post', name: 'a1', target: 'a' },
      { type: 'test.post', name: 'a2', target: 'a' },
      { type: 'test.post', caseId: caseIds[2]!, name: 'x1', target: 'c' },
      { type: 'test.post', caseId: caseIds[2]!, name: 'x2', target: 'd' },
    ]);
    const [one, two] = [worker(), worker()];
    const lanesOf = () => new OutboxLanes({ graceMs: 50, onFree: () => undefined });
    const [lanesOne, lanesTwo] = [lanesOf(), lanesOf()];
    await drainOutbox(one, laneHandlers, { lanes: lanesOne });
    await turn();
    // a2 waits for target a's slot, x2 for x1.
    expect(log).toEqual(['start a1', 'start x1']);
    // Another worker (its own slots) may post a2, never x2 while x1 is in flight.
    await drainOutbox(two, laneHandlers, { lanes: lanesTwo });
    await turn();
    expect(log).toEqual(['start a1', 'start x1', 'start a2']);
    answers.get('x1')!();
    while (!log.includes('end x1')) await turn();
    await drainOutbox(two, laneHandlers, { lanes: lanesTwo });
    await turn();
    expect(log).toContain('start x2');
    for (const name of ['a1', 'a2', 'x2']) answers.get(name)!();
    await Promise.all([lanesOne.settled(), lanesTwo.settled()]);
    expect((await rows()).every((r) => r.doneAt !== null && r.attempts === 1)).toBe(true);
  });
});
