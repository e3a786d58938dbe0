/**
 * Rate limits shared by every instance on one database (PostgreSQL: several Casebook
 * instances behind a load balancer). The buckets are rows of `rate_buckets`, taken from in one
 * write transaction per request: the upsert finds (or creates, full) each bucket's row, and on
 * PostgreSQL its conflicting update locks the row until COMMIT, so two instances take from a
 * bucket one after the other and a client spread over N instances still gets the configured
 * rate, not N times it. The arithmetic is the in-memory limiter's (`takeFrom`). Keys are
 * locked in sorted order, so two requests sharing two buckets cannot deadlock. A refusal rolls
 * the transaction back: it counts for nothing, as in memory. Rows of buckets that are full
 * again are as good as new; `purgeRateBuckets` (a scheduled job) removes them.
 *
 * A row is named by a SHA-256 of its key (`bucketKey`), not the key: keys name client and
 * e-mail addresses, which the database does not otherwise keep for chats and link requests.
 */
import { createHash } from 'node:crypto';
import { eq, getTableName, lte, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Handle, Store } from '../db/store/index.js';
import { activeLimits, limitStates, takeFrom, type Limit, type Limiter, type LimitState } from './rate-limit.js';

/** The row of a limit's key (`links:address:chloe@example.com` → a SHA-256, base64url). */
export function bucketKey(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

export class SharedRateLimiter implements Limiter {
  readonly #store: Store;
  readonly #clock: Clock;

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /** See `takeFrom` (rate-limit.ts). */
  async take(limits: readonly Limit[]): Promise<LimitState[]> {
    const byRow = new Map(activeLimits(limits).map((limit) => [bucketKey(limit.key), limit]));
    if (byRow.size === 0) return [];
    const rowKeys = [...byRow.keys()].sort();
    const ordered = rowKeys.map((key) => byRow.get(key)!);
    const now = this.#clock.now();
    return this.#store.write(async (q) => {
      const t = q.tables.rateBuckets;
      // The no-op update on a conflict returns the stored row, and locks it on PostgreSQL.
      const rows = await q.db
        .insert(t)
        .values(ordered.map((limit, i) => ({ key: rowKeys[i]!, tokens: limit.rate.count, at: now, fullAt: now })))
        .onConflictDoUpdate({ target: t.key, set: { at: sql`${sql.identifier(getTableName(t))}.${sql.identifier(t.at.name)}` } })
        .returning();
      const stored = new Map(rows.map((row) => [byRow.get(row.key)!, row]));
      const taken = takeFrom(ordered, (limit) => stored.get(limit), now);
      for (const [i, bucket] of taken.entries()) {
        await q.db.update(t).set({ tokens: bucket.tokens, at: bucket.at, fullAt: bucket.fullAt }).where(eq(t.key, rowKeys[i]!));
      }
      return limitStates(ordered, taken, now);
    });
  }
}

/** Removes the buckets full again by `now` (a bucket without a row is full); returns how many. */
export async function purgeRateBuckets(q: Handle, now: number): Promise<number> {
  const t = q.tables.rateBuckets;
  return (await q.db.delete(t).where(lte(t.fullAt, now)).returning({ key: t.key })).length;
}
