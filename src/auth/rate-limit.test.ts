import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { DomainError } from '../errors.js';
import { describeRate, parseRate, RateLimiter, type Limit } from './rate-limit.js';

function refused(fn: () => void): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected TOO_MANY_REQUESTS');
}

describe('parseRate', () => {
  it.each([
    ['10/10m', { count: 10, windowMs: 600_000 }],
    ['60/m', { count: 60, windowMs: 60_000 }],
    ['500 / 1h', { count: 500, windowMs: 3_600_000 }],
    ['5/30s', { count: 5, windowMs: 30_000 }],
    ['off', { count: 0, windowMs: 60_000 }],
    ['0', { count: 0, windowMs: 60_000 }],
  ])('%j', (raw, rate) => expect(parseRate(raw)).toEqual(rate));

  it.each(['', 'ten', '10', '10/0m', '0/1m', '10/48h', '-1/1m', '10/1d'])('refuses %j', (raw) => expect(parseRate(raw)).toBeNull());

  it('describes rates for messages', () => {
    expect([describeRate({ count: 10, windowMs: 600_000 }), describeRate({ count: 60, windowMs: 60_000 }), describeRate({ count: 5, windowMs: 30_000 })]).toEqual([
      '10 per 10 minutes',
      '60 per minute',
      '5 per 30 seconds',
    ]);
  });
});

describe('RateLimiter', () => {
  const perCustomer: Limit = { key: 'cases:customer:1', rate: { count: 3, windowMs: 60_000 }, what: 'new requests' };
  const perToken: Limit = { key: 'cases:token:a', rate: { count: 5, windowMs: 60_000 }, what: 'requests with this token' };

  it('lets a burst of N through, then one every window/N, on the injected clock', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(clock);
    for (let i = 0; i < 3; i++) limiter.take([perCustomer]);
    const error = refused(() => limiter.take([perCustomer]));
    expect(error).toMatchObject({ code: 'TOO_MANY_REQUESTS', details: { retryAfterSeconds: 20 } });
    expect(error.message).toBe('Too many new requests: at most 3 per minute. Try again in 20 seconds.');
    clock.advance(19_999);
    expect(refused(() => limiter.take([perCustomer])).details.retryAfterSeconds).toBe(1);
    clock.advance(1);
    limiter.take([perCustomer]);
    clock.advance(10 * 60_000);
    for (let i = 0; i < 3; i++) limiter.take([perCustomer]);
  });

  it('takes from every limit or from none', () => {
    const limiter = new RateLimiter(new ManualClock());
    for (let i = 0; i < 3; i++) limiter.take([perToken, perCustomer]);
    refused(() => limiter.take([perToken, perCustomer]));
    // the refusal took nothing from the token's bucket: two left
    const other: Limit = { ...perCustomer, key: 'cases:customer:2' };
    limiter.take([perToken, other]);
    limiter.take([perToken, other]);
    refused(() => limiter.take([perToken, other]));
  });

  it('keeps keys apart and ignores limits that are off', () => {
    const limiter = new RateLimiter(new ManualClock());
    for (let i = 0; i < 3; i++) limiter.take([perCustomer]);
    limiter.take([{ ...perCustomer, key: 'cases:customer:9' }]);
    for (let i = 0; i < 100; i++) limiter.take([{ ...perCustomer, rate: { count: 0, windowMs: 60_000 } }]);
  });

  it('stays bounded under a flood of fresh keys: forgets full buckets first, then the least recently used', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(clock, 100);
    const rate = { count: 2, windowMs: 60_000 };
    // A busy key, used up, stays remembered through the first prune (it is not full again).
    const busy: Limit = { key: 'links:address:victim', rate: { count: 1, windowMs: 120_000 }, what: 'links' };
    limiter.take([busy]);
    for (let i = 0; i < 50; i++) limiter.take([{ key: `links:address:${i}`, rate, what: 'links' }]);
    clock.advance(30_000); // every fresh key (one taken of two) is full again; the busy one is not
    for (let i = 50; i < 100; i++) limiter.take([{ key: `links:address:${i}`, rate, what: 'links' }]);
    expect(limiter.size).toBeLessThanOrEqual(100);
    expect(refused(() => limiter.take([busy])).code).toBe('TOO_MANY_REQUESTS');
    // A flood within one window: the room never grows past maxKeys.
    for (let i = 0; i < 10_000; i++) limiter.take([{ key: `links:address:flood-${i}`, rate, what: 'links' }]);
    expect(limiter.size).toBeLessThanOrEqual(100);
  });
});
