/**
 * Taking back the claims of a process that died mid-drain (start-up: src/sla/run-sweep.ts),
 * so its items are performed now instead of when their lease (`LOCK_MS`) runs out.
 */
import type { Store } from '../db/store/index.js';
import { isProcessGone, PROCESS_ID } from '../process-identity.js';
import { outboxQueue } from './dialect.js';

export interface ReleasedClaims {
  /** Items whose claim was taken back. */
  items: number;
  /** The dead processes that held them. */
  holders: string[];
}

/**
 * Frees the claims of processes that are certainly gone (crashed mid-drain on this host), so
 * their items are performed now instead of when the lock expires. Attempts already counted
 * stay counted: an item that crashes the process every time still gives up after MAX_ATTEMPTS.
 * Claims of other hosts' processes (instances sharing a PostgreSQL database) are never judged:
 * their leases run out instead (src/scheduler/claim-tick.ts explains why).
 */
export async function releaseDeadClaims(store: Store, now: number, self: string = PROCESS_ID): Promise<ReleasedClaims> {
  const queue = outboxQueue(store.dialect);
  const holders = await store.query((q) => queue.holders(q, now));
  // Judged outside any transaction (it reads /proc); a gone process claims nothing more.
  const gone = holders.filter((holder) => isProcessGone(holder, self));
  const result: ReleasedClaims = { items: 0, holders: [] };
  for (const holder of gone) {
    result.items += await store.query((q) => queue.release(q, holder));
    result.holders.push(holder);
  }
  return result;
}
