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

/**
 * A handler's failure that is the receiver's, not the item's: a mail server down, unreachable,
 * timing out or answering "try again later" (4xx). Such an item is not given up after
 * MAX_ATTEMPTS: it is retried with the back-off (capped at an hour) as long as the next attempt
 * starts by `until` (an MTA keeps mail for days the same way), so a mail server that is back after
 * hours still gets every mail (src/outbox/queue.ts `failureOf`).
 */
export class RetryUntilError extends Error {
  /** The last instant (ms) an attempt may start. */
  readonly until: number;

  constructor(message: string, until: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryUntilError';
    this.until = until;
  }
}

/** Whether the failure of attempt `attempts` is the last (the outbox's rule, for handlers that log it). */
export function givesUp(error: unknown, attempts: number, now: number, maxAttempts: number, delayMs: (attempts: number) => number): boolean {
  if (error instanceof RetryUntilError) return now + delayMs(attempts) > error.until;
  return attempts >= maxAttempts;
}
