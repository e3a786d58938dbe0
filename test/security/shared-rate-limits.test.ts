/**
 * Rate limits shared through the database (src/auth/shared-rate-limit.ts): what several
 * instances on one PostgreSQL database use, so a client spread over them still gets the
 * configured rate. The limiter itself runs on either database (tested on both); the server
 * uses it on PostgreSQL and keeps its buckets in memory on SQLite, where one process serves a
 * store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS, RateLimiter, type Limit } from '../../src/auth/rate-limit.js';
import { bucketKey, purgeRateBuckets, SharedRateLimiter } from '../../src/auth/shared-rate-limit.js';
import { DomainError } from '../../src/errors.js';
import { createApp } from '../../src/http/app.js';
import { eraseCustomer } from '../../src/privacy/erase-customer.js';
import { ADMIN, ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.close());

const perToken: Limit = { key: 'cases:token:t1', rate: { count: 5, windowMs: 60_000 }, what: 'new cases with this API token' };
const perCustomer: Limit = { key: 'cases:customer:7', rate: { count: 2, windowMs: 60_000 }, what: 'new requests from your account' };

/** The outcome of one take: 'ok', or the refusal's seconds to wait. */
async function attempt(limiter: { take(limits: readonly Limit[]): unknown }, limits: readonly Limit[]): Promise<'ok' | number> {
  try {
    await limiter.take(limits);
    return 'ok';
  } catch (error) {
    if (error instanceof DomainError && error.code === 'TOO_MANY_REQUESTS') return error.details.retryAfterSeconds as number;
    throw error;
  }
}

/** The rows, named by the keys they stand for (a row's key is a hash of its limit's key). */
async function buckets(): Promise<{ key: string; tokens: number; at: number; full_at: number }[]> {
  const names = new Map([perToken, perCustomer, ...['links:address:chloe@example.com', 'links:address:sam@example.org'].map((key) => ({ key }))].map((l) => [bucketKey(l.key), l.key]));
  const rows = await h.all<{ key: string; tokens: number; at: number; full_at: number }>('SELECT key, tokens, at, full_at FROM rate_buckets');
  return rows.map((r) => ({ ...r, key: names.get(r.key) ?? r.key })).sort((a, b) => (a.key < b.key ? -1 : 1));
}

describe('the shared limiter', () => {
  it('takes from the same buckets as another instance: five in all, then a refusal on either', async () => {
    await h.settled();
    const a = new SharedRateLimiter(h.services.store, h.clock);
    const b = new SharedRateLimiter(h.services.store, h.clock);
    const outcomes = [];
    for (let i = 0; i < 6; i++) outcomes.push(await attempt(i % 2 === 0 ? a : b, [perToken]));
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 12]);
    expect(await attempt(a, [perToken])).toBe(12);
    // One every 12 s comes back, on both.
    h.clock.advance(12_000);
    expect(await attempt(a, [perToken])).toBe('ok');
    expect(await attempt(b, [perToken])).toBe(12);
  });

  it('answers exactly as the in-memory limiter does, step for step', async () => {
    await h.settled();
    const shared = new SharedRateLimiter(h.services.store, h.clock);
    const memory = new RateLimiter(h.clock);
    const steps = [0, 0, 0, 1_000, 5_000, 0, 30_000, 0, 0, 90_000, 0];
    for (const step of steps) {
      h.clock.advance(step);
      expect(await attempt(shared, [perToken, perCustomer])).toEqual(await attempt(memory, [perToken, perCustomer]));
    }
  });

  it('takes from every limit or from none: a refusal by one leaves the others as they were', async () => {
    await h.settled();
    const limiter = new SharedRateLimiter(h.services.store, h.clock);
    expect(await attempt(limiter, [perToken, perCustomer])).toBe('ok');
    expect(await attempt(limiter, [perToken, perCustomer])).toBe('ok');
    const before = await buckets();
    expect(await attempt(limiter, [perToken, perCustomer])).toBe(30);
    expect(await buckets()).toEqual(before);
    expect(before.map((r) => [r.key, r.tokens])).toEqual([
      ['cases:customer:7', 0],
      ['cases:token:t1', 3],
    ]);
  });

  it('lets through exactly the rate when requests race on two instances', async () => {
    await h.settled();
    const a = new SharedRateLimiter(h.services.store, h.clock);
    const b = new SharedRateLimiter(h.services.store, h.clock);
    // The rows exist already: the racers do not queue behind the first one's INSERT.
    expect(await attempt(a, [perToken, perCustomer])).toBe('ok');
    // PostgreSQL: every connection of the pool open (a slow query on each), so the racers' transactions overlap.
    if (h.dialect === 'postgres') await Promise.all(Array.from({ length: 4 }, () => h.run('SELECT pg_sleep(0.05)')));
    const outcomes = await Promise.all(Array.from({ length: 16 }, (_, i) => attempt(i % 2 === 0 ? a : b, [perToken, perCustomer])));
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
    expect((await buckets()).map((r) => [r.key, r.tokens])).toEqual([
      ['cases:customer:7', 0],
      ['cases:token:t1', 3],
    ]);
  });

  it('keeps rates whose refill is not a whole number of milliseconds (7 per minute, 3 per 7 s)', async () => {
    await h.settled();
    const limiter = new SharedRateLimiter(h.services.store, h.clock);
    const odd: Limit[] = [
      { key: 'chat:site:1', rate: { count: 7, windowMs: 60_000 }, what: 'chat messages on this website' },
      { key: 'chat:visitor:1', rate: { count: 3, windowMs: 7_000 }, what: 'chat messages from you' },
    ];
    for (let i = 0; i < 3; i++) expect(await attempt(limiter, odd)).toBe('ok');
    expect(await attempt(limiter, odd)).toBe(3);
    h.clock.advance(1_234);
    expect(await attempt(limiter, odd)).toBe(2);
    h.clock.advance(1_100);
    expect(await attempt(limiter, odd)).toBe('ok');
  });

  it('ignores limits that are off, and keeps no row for them', async () => {
    await h.settled();
    const limiter = new SharedRateLimiter(h.services.store, h.clock);
    const off: Limit = { key: 'cases:token:off', rate: { count: 0, windowMs: 60_000 }, what: 'anything' };
    for (let i = 0; i < 3; i++) expect(await attempt(limiter, [off])).toBe('ok');
    expect(await buckets()).toEqual([]);
  });

  it('forgets buckets once they are full again (the hourly purge)', async () => {
    await h.settled();
    const limiter = new SharedRateLimiter(h.services.store, h.clock);
    await limiter.take([perToken]);
    await limiter.take([perCustomer]);
    await limiter.take([perCustomer]);
    // perToken is full 12 s later, perCustomer (empty) 60 s later.
    h.clock.advance(12_000);
    expect(await h.services.store.write((q) => purgeRateBuckets(q, h.clock.now()))).toBe(1);
    expect((await buckets()).map((r) => r.key)).toEqual(['cases:customer:7']);
    // A purged bucket is as good as new; the other still refuses.
    expect(await attempt(limiter, [perCustomer])).toBe(18);
    h.clock.advance(48_000);
    expect(await h.services.store.write((q) => purgeRateBuckets(q, h.clock.now()))).toBe(1);
    expect(await buckets()).toEqual([]);
  });
});

describe.runIf(process.env.CASEBOOK_TEST_DATABASE === 'postgres')('two servers on one PostgreSQL database', () => {
  it('share the intake limit of an API token: the third case is refused by the other server', async () => {
    standardQueues(h);
    const alice = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], capacity: 500 });
    const token = h.tokenFor(alice);
    const rateLimits = { ...DEFAULT_RATE_LIMITS, casesPerToken: { count: 2, windowMs: 60_000 } };
    const one = createApp(h.services, { adminToken: ADMIN_TOKEN, rateLimits });
    const two = createApp(h.services, { adminToken: ADMIN_TOKEN, rateLimits });
    const post = (app: typeof one, i: number) =>
      app.request('/api/v1/cases', {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ subject: `Printer ${i}`, description: 'It jams.', customer: { email: `c${i}@example.com` } }),
      });
    expect((await post(one, 1)).status).toBe(201);
    expect((await post(two, 2)).status).toBe(201);
    const refused = await post(one, 3);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('Retry-After')).toBe('30');
    expect((await post(two, 4)).status).toBe(429);
  });
});

describe('erasing a customer', () => {
  it('removes the buckets named by their address or their id (rows keep only hashes of the keys)', async () => {
    standardQueues(h);
    const chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
    await h.settled();
    const limiter = new SharedRateLimiter(h.services.store, h.clock);
    const rate = { count: 5, windowMs: 60_000 };
    await limiter.take([
      { key: 'links:address:chloe@example.com', rate, what: 'links' },
      { key: `cases:customer:${chloe.id}`, rate, what: 'cases' },
      { key: `messages:customer:${chloe.id}`, rate, what: 'messages' },
      { key: 'links:address:sam@example.org', rate, what: 'links' },
    ]);
    // The rows are named by hashes: no address is written.
    expect(JSON.stringify(await h.all('SELECT * FROM rate_buckets'))).not.toMatch(/@example/);
    const erased = await eraseCustomer(h.services, chloe.id, ADMIN);
    expect(erased.summary).toMatchObject({ rateBuckets: 3 });
    expect((await buckets()).map((r) => r.key)).toEqual(['links:address:sam@example.org']);
  });
});
