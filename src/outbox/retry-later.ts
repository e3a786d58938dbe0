/**
 * A handler's failure that names when to try again: a receiver's `Retry-After` (a Slack or
 * Teams 429). The outbox waits at least that long — or its own back-off, if longer — before
 * the item's next attempt (src/outbox/queue.ts `failureOf`).
 */
export class RetryLaterError extends Error {
  /** The least wait before the next attempt, in ms (already bounded by the thrower). */
  readonly waitMs: number;

  constructor(message: string, waitMs: number) {
    super(message);
    this.name = 'RetryLaterError';
    this.waitMs = waitMs;
  }
}
