/**
 * Drives the outbox in-process: `settle(caseId)` performs a command's follow-up work
 * before the response goes out (so a reopen's escalation is visible at once); `kick()`
 * drains everything else in the background without overlapping runs. The cron sweep and
 * start-up call `drain()` too, so nothing depends on this process staying up.
 */
import type { Services } from '../services.js';
import { drainOutbox, type DrainResult } from './drain.js';
import type { OutboxHandler } from './outbox.js';

export class OutboxWorker {
  readonly #services: Services;
  readonly #handlers: ReadonlyMap<string, OutboxHandler>;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;
  readonly #abort = new AbortController();

  constructor(services: Services, handlers: ReadonlyMap<string, OutboxHandler>) {
    this.#services = services;
    this.#handlers = handlers;
  }

  /** Drains due items; after `stop()` a running drain ends at the next item and new ones do nothing. */
  drain(limit?: number): Promise<DrainResult> {
    const signal = this.#abort.signal;
    return drainOutbox(this.#services, this.#handlers, limit === undefined ? { signal } : { limit, signal });
  }

  /** Performs the case's own follow-up work now, then leaves the rest (mail) to the background. */
  async settle(caseId: number): Promise<DrainResult> {
    const result = await drainOutbox(this.#services, this.#handlers, { caseId });
    this.kick();
    return result;
  }

  /** Drains in the background soon; calls while a drain runs schedule one more. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .then(
        () => undefined,
        (error: unknown) => this.#services.logger.error('outbox drain failed', { error }),
      )
      .finally(() => {
        this.#running = null;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  /** Resolves when no background drain is running (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** No more background drains; running ones stop between items (what is left stays due). */
  stop(): void {
    this.#stopped = true;
    this.#abort.abort();
  }

  /** Aborted by `stop()`: long jobs using the outbox (catch-up sweeps) stop with it. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }
}
