/**
 * Rate limits for intake, messages and mailed links: token buckets per key (an API token, a customer),
 * on the injected clock. A rate "N per window" lets N through at once and refills one every
 * window/N, so a steady N per window is always allowed. Where the buckets live: in memory
 * (`RateLimiter`) on SQLite, where one process serves a store; in the database
 * (`SharedRateLimiter`, shared-rate-limit.ts) on PostgreSQL, where every instance takes from
 * the same buckets. Both take with `takeFrom` below.
 */
import type { Clock } from '../clock.js';
import { normalizeEmail } from '../cases/customers.js';
import { DomainError } from '../errors.js';

export interface Rate {
  /** Requests per window; 0 turns the limit off. */
  count: number;
  windowMs: number;
}

export interface RateLimits {
  /** New cases per API token (every token but the ADMIN_TOKEN). */
  casesPerToken: Rate;
  /** New cases per customer submitting them themselves (all their tokens and the portal together). */
  casesPerCustomer: Rate;
  /** Messages per API token. */
  messagesPerToken: Rate;
  /** Messages per customer (all their tokens and the portal together). */
  messagesPerCustomer: Rate;
  /** Mailed links (sign-in, password reset, sign-up) asked for one address, from anywhere. */
  linksPerAddress: Rate;
  /** Mailed links asked for from one client address, for any addresses. */
  linksPerClient: Rate;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  casesPerToken: { count: 60, windowMs: 60_000 },
  casesPerCustomer: { count: 10, windowMs: 10 * 60_000 },
  messagesPerToken: { count: 120, windowMs: 60_000 },
  messagesPerCustomer: { count: 30, windowMs: 10 * 60_000 },
  linksPerAddress: { count: 5, windowMs: 3_600_000 },
  linksPerClient: { count: 20, windowMs: 3_600_000 },
};

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** "10/10m", "60/1m", "500/1h", "5/30s"; "off" or "0" for no limit. Null when malformed. */
export function parseRate(raw: string): Rate | null {
  const text = raw.trim().toLowerCase();
  if (text === 'off' || text === '0') return { count: 0, windowMs: 60_000 };
  const match = /^(\d{1,6})\s*\/\s*(\d{1,5})?\s*([smh])$/.exec(text);
  if (!match) return null;
  const count = Number(match[1]);
  const windowMs = Number(match[2] ?? 1) * UNITS[match[3]!]!;
  if (count < 1 || windowMs < 1000 || windowMs > 24 * 3_600_000) return null;
  return { count, windowMs };
}

export function describeRate(rate: Rate): string {
  const [unit, ms] = rate.windowMs % 3_600_000 === 0 ? ['hour', 3_600_000] : rate.windowMs % 60_000 === 0 ? ['minute', 60_000] : ['second', 1000];
  const n = rate.windowMs / (ms as number);
  return `${rate.count} per ${n === 1 ? unit : `${n} ${unit}s`}`;
}

export interface Limit {
  /** Bucket key, e.g. "cases:customer:7". */
  key: string;
  rate: Rate;
  /** What is limited, for the message: "new requests for your account". */
  what: string;
  /** The policy's name in the `RateLimit` answer headers (`token`, `customer`); a limit without one sends none. */
  policy?: string;
}

/**
 * The keys of the limits that name a person: one place for the routes that count against them
 * and for erasure, which removes the shared buckets (shared-rate-limit.ts) of a customer.
 */
export const personLimitKey = {
  /** Mailed links asked for one address. */
  address: (email: string) => `links:address:${normalizeEmail(email).slice(0, 254)}`,
  /** New cases, messages or changes of state (a transition: mark solved, reopen) of a customer acting themselves. */
  customer: (kind: 'cases' | 'messages' | 'changes', customerId: number) => `${kind}:customer:${customerId}`,
};

/** A bucket: requests left (fractional while refilling) as of `at`. */
export interface Bucket {
  tokens: number;
  at: number;
  /** When the bucket is full again if nothing more is taken (then it is as good as new). */
  fullAt: number;
}

/** A limit after a request was taken from it: for the `RateLimit` answer headers (src/http/limits.ts). */
export interface LimitState {
  limit: Limit;
  /** Whole requests left now. */
  remaining: number;
  /** Seconds until the bucket is full again (the whole quota back) if nothing more is taken. */
  resetSeconds: number;
}

/** What takes one request from every limit of a request, or none (TOO_MANY_REQUESTS); returns each active limit's state after. */
export interface Limiter {
  take(limits: readonly Limit[]): LimitState[] | Promise<LimitState[]>;
}

/** The state of each limit after `takeFrom` took one request from it, at `now`. */
export function limitStates(limits: readonly Limit[], taken: readonly Bucket[], now: number): LimitState[] {
  return limits.map((limit, i) => ({
    limit,
    remaining: Math.max(0, Math.floor(taken[i]!.tokens)),
    resetSeconds: Math.max(0, Math.ceil((taken[i]!.fullAt - now) / 1000)),
  }));
}

/** The limits that count (a rate of 0 is off). */
export function activeLimits(limits: readonly Limit[]): Limit[] {
  return limits.filter((l) => l.rate.count > 0);
}

/** `bucket` refilled up to `now`; a bucket never seen (or forgotten) is full. */
function refill(rate: Rate, bucket: Bucket | undefined, now: number): Bucket {
  if (!bucket) return { tokens: rate.count, at: now, fullAt: now };
  const elapsed = Math.max(0, now - bucket.at);
  return { tokens: Math.min(rate.count, bucket.tokens + (elapsed * rate.count) / rate.windowMs), at: now, fullAt: bucket.fullAt };
}

/**
 * One request from every limit, or none: the buckets after taking, in the order of `limits`
 * (each found with `current`); TOO_MANY_REQUESTS with `retryAfterSeconds` (the longest wait
 * among the exhausted limits) when any is used up.
 */
export function takeFrom(limits: readonly Limit[], current: (limit: Limit) => Bucket | undefined, now: number): Bucket[] {
  let waitMs = 0;
  let blocking: Limit | null = null;
  const buckets = limits.map((limit) => {
    const bucket = refill(limit.rate, current(limit), now);
    if (bucket.tokens < 1) {
      const wait = ((1 - bucket.tokens) * limit.rate.windowMs) / limit.rate.count;
      if (wait > waitMs) (waitMs = wait), (blocking = limit);
    }
    return bucket;
  });
  if (blocking) {
    const { what, rate } = blocking as Limit;
    const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    const when = retryAfterSeconds < 90 ? (retryAfterSeconds === 1 ? '1 second' : `${retryAfterSeconds} seconds`) : `${Math.ceil(retryAfterSeconds / 60)} minutes`;
    throw new DomainError('TOO_MANY_REQUESTS', `Too many ${what}: at most ${describeRate(rate)}. Try again in ${when}.`, { retryAfterSeconds });
  }
  return limits.map((limit, i) => {
    const tokens = buckets[i]!.tokens - 1;
    // Whole milliseconds (rounded up: full by then), as the shared limiter's integer column holds them.
    return { tokens, at: now, fullAt: now + Math.ceil(((limit.rate.count - tokens) * limit.rate.windowMs) / limit.rate.count) };
  });
}

/** Buckets in memory: one process's counts. */
export class RateLimiter implements Limiter {
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(clock: Clock, maxKeys = 100_000) {
    this.#clock = clock;
    this.#maxKeys = maxKeys;
  }

  /** See `takeFrom`. */
  take(limits: readonly Limit[]): LimitState[] {
    const now = this.#clock.now();
    const active = activeLimits(limits);
    const taken = takeFrom(active, (limit) => this.#buckets.get(limit.key), now);
    active.forEach((limit, i) => {
      // Deleted first so that the map's order is the order of last use (oldest first).
      this.#buckets.delete(limit.key);
      this.#buckets.set(limit.key, taken[i]!);
    });
    if (this.#buckets.size > this.#maxKeys) this.#prune(now);
    return limitStates(active, taken, now);
  }

  /** Buckets held (for tests and metrics). */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Over `maxKeys` buckets: forgets those full again (as good as new), then, under a flood of
   * fresh keys, the least recently used until a tenth of the room is free — so memory stays
   * bounded and pruning runs once per maxKeys/10 new keys, not on every request.
   */
  #prune(now: number): void {
    for (const [key, bucket] of this.#buckets) if (now >= bucket.fullAt) this.#buckets.delete(key);
    const keep = Math.floor(this.#maxKeys * 0.9);
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size <= keep) break;
      this.#buckets.delete(key);
    }
  }
}
