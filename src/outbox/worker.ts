/**
 * Drives the outbox in-process: `settle(caseId)` performs a command's follow-up work
 * before the response goes out (so a reopen's escalation is visible at once); `kick()`
 * drains everything else in the background without overlapping runs. The cron sweep and
 * start-up call `drain()` too, so nothing depends on this process staying up.
 *
 * Items for receivers outside the process (webhooks, Slack/Teams) run in the worker's lanes
 * (lanes.ts): neither a command's settle nor a background drain waits for them; `drain()`
 * returns once they have settled too, and `idle()` waits for them. When one ends, the worker
 * drains again (its slot is free).
 */
import type { Services } from '../services.js';
import type { Db } from '../db/client.js';
import { drainOutbox, type DrainResult } from './drain.js';
import { OutboxLanes } from './lanes.js';
import type { OutboxHandler, OutboxItem } from './outbox.js';
import { performWrittenItems } from './perform-now.js';

/** A retry due within this long gets a timer of its own; later ones are found by the minute sweep (SLA_SWEEP_CRON). */
export const WAKE_WITHIN_MS = 60_000;

export class OutboxWorker {
  readonly #services: Services;
  readonly #handlers: ReadonlyMap<string, OutboxHandler>;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;
  readonly #abort = new AbortController();
  readonly #lanes: OutboxLanes;
  /** Times (on the services' clock) to drain again before the next sweep (wakeAt), and the timer of the earliest. */
  #wakes: number[] = [];
  #wake: { at: number; timer: ReturnType<typeof setTimeout> } | null = null;

  constructor(services: Services, handlers: ReadonlyMap<string, OutboxHandler>) {
    this.#services = services;
    this.#handlers = handlers;
    this.#lanes = new OutboxLanes({ graceMs: services.integrations.shutdownGraceMs, onFree: () => this.kick() });
  }

  /**
   * Drains due items, and returns once the lane items it met have settled (unless
   * `waitForLanes` is false: the sweep and the catch-up, which must not wait on a slow
   * receiver); after `stop()` a running drain ends at the next item and new ones do nothing.
   */
  drain(limit?: number, { waitForLanes = true }: { waitForLanes?: boolean } = {}): Promise<DrainResult> {
    const options = { signal: this.#abort.signal, lanes: this.#lanes, waitForLanes };
    return drainOutbox(this.#services, this.#handlers, limit === undefined ? options : { ...options, limit });
  }

  /** Performs the case's own follow-up work now (not its posts to receivers), then leaves the rest (mail) to the background. */
  async settle(caseId: number): Promise<DrainResult> {
    const result = await drainOutbox(this.#services, this.#handlers, { caseId, lanes: this.#lanes });
    this.kick();
    return result;
  }

  /**
   * Inside the transaction that just wrote them: performs a new case's leading mail items whose
   * handler works in a transaction (perform-now.ts); the others stay for the drain.
   */
  performWritten(db: Db, items: readonly OutboxItem[]): number {
    return this.#stopped ? 0 : performWrittenItems(this.#services, this.#handlers, db, items);
  }

  /** Drains in the background soon; calls while a drain runs schedule one more. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => drainOutbox(this.#services, this.#handlers, { signal: this.#abort.signal, lanes: this.#lanes, background: true }))
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

  /**
   * Drains again at `at` (a retry's time, on the services' clock) when that is before the next
   * minute sweep would: a webhook's first retry 5 s after a failure is sent then, not up to a
   * minute later. One timer, for the earliest time asked for; it keeps no process alive.
   */
  wakeAt(at: number): void {
    if (this.#stopped || at - this.#services.clock.now() > WAKE_WITHIN_MS) return;
    this.#wakes.push(at);
    this.#arm();
  }

  #arm(): void {
    const now = this.#services.clock.now();
    const next = this.#wakes.length === 0 ? null : Math.min(...this.#wakes);
    // A timer already set for the earliest time stays, unless that time has passed (then it is due now).
    if (this.#wake !== null && this.#wake.at === next && next > now) return;
    if (this.#wake) clearTimeout(this.#wake.timer);
    this.#wake = null;
    if (next === null || this.#stopped) return;
    const timer = setTimeout(() => {
      this.#wake = null;
      const at = this.#services.clock.now();
      this.#wakes = this.#wakes.filter((t) => t > at);
      this.kick();
      this.#arm();
    }, Math.max(0, next - now));
    timer.unref();
    this.#wake = { at: next, timer };
  }

  /** Resolves when no background drain is running and no lane item is in flight (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#running || this.#lanes.size > 0) {
      await this.#running;
      await this.#lanes.settled();
    }
  }

  /**
   * No more background drains; running ones stop between items (what is left stays due). Lane
   * items in flight get `integrations.shutdownGraceMs` to finish, then are aborted.
   */
  stop(): void {
    this.#stopped = true;
    if (this.#wake) clearTimeout(this.#wake.timer);
    this.#wake = null;
    this.#wakes = [];
    this.#abort.abort();
    this.#lanes.stop();
  }

  /** Aborted by `stop()`: long jobs using the outbox (catch-up sweeps) stop with it. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }
}
