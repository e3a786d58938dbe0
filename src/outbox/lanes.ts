/**
 * Lanes: outbox items that wait on someone else's server (webhook deliveries, Slack/Teams
 * posts) are performed off the drain's critical path. Their handler names a lane (`lane` on
 * the handler); the drain claims such an item only when its lane and its target (one
 * receiver) have a free slot, starts it and goes on with its next wave without waiting for
 * it, so mail and in-process work never queue behind a slow or dead receiver. A lane's items
 * of one case stay in order (one at a time per case).
 *
 * An item in a lane is claimed in the database like any other (LOCK_MS, the process's
 * identity), so at-least-once and crash recovery are unchanged: a process killed with an item
 * in flight leaves the claim for `releaseDeadClaims`. Each attempt has its own deadline
 * (the handler's, e.g. `integrations.timeoutMs`, well under LOCK_MS). On shutdown no new item
 * starts; those in flight get `graceMs` to finish, then their signal aborts them.
 */
import type { OutboxItem } from './outbox.js';
import type { Services } from '../services.js';

export interface OutboxLane {
  /** For logs and the target key's default: `webhook`, `im`. */
  name: string;
  /** Most items of the lane in flight at once (in this process). */
  concurrency: number;
  /** Most items in flight at once per target. */
  perTarget: number;
  /**
   * The receiver an item goes to, when the item does not name it as `payload.target` (a
   * string, which lets the drain leave a busy target's items out in SQL); without either,
   * the lane is one target.
   */
  target?: (services: Services, item: OutboxItem) => string;
}

/** What a lane's handler gets besides the item: aborted when the process stops (after the grace). */
export interface LaneContext {
  signal: AbortSignal;
}

interface Flight {
  lane: string;
  target: string;
  caseId: number | null;
  done: Promise<void>;
  /**
   * Its own, not one shared by every item in flight: the webhook and IM lanes run up to 20
   * posts at once, each listening for the abort, and a shared signal passed Node's limit of 10
   * listeners (MaxListenersExceededWarning), the warning that would tell a leak.
   */
  abort: AbortController;
}

export interface LanesOptions {
  /** On shutdown, how long items in flight may still take before they are aborted. */
  graceMs: number;
  /** Called when an item leaves its lane (a slot is free: drain again). */
  onFree: () => void;
}

/** The lanes of one outbox worker: what is in flight, by lane, target and case. */
export class OutboxLanes {
  readonly #flights = new Map<number, Flight>();
  readonly #byLane = new Map<string, number>();
  /** Items in flight per target, with the target's lane's limit. */
  readonly #byTarget = new Map<string, { n: number; limit: number }>();
  readonly #cases = new Set<number>();
  readonly #options: LanesOptions;
  #stopped = false;

  constructor(options: LanesOptions) {
    this.#options = options;
  }

  static targetOf(services: Services, lane: OutboxLane, item: OutboxItem): string {
    if (typeof item.payload.target === 'string') return item.payload.target;
    return lane.target ? `${lane.name}:${lane.target(services, item)}` : lane.name;
  }

  /** Whether the lane has a free slot at all. */
  open(lane: OutboxLane): boolean {
    return !this.#stopped && (this.#byLane.get(lane.name) ?? 0) < lane.concurrency;
  }

  /** Targets that have no free slot (the drain leaves their items in the database). */
  busyTargets(): string[] {
    const busy: string[] = [];
    for (const [target, { n, limit }] of this.#byTarget) if (n >= limit) busy.push(target);
    return busy;
  }

  /**
   * Reserves a slot for the item (before its claim is made): false when its lane or target is
   * full, another item of its case is in flight, or the lanes are stopped.
   */
  reserve(lane: OutboxLane, target: string, item: OutboxItem): boolean {
    if (!this.open(lane) || this.#flights.has(item.id)) return false;
    const inFlight = this.#byTarget.get(target);
    if (inFlight && inFlight.n >= lane.perTarget) return false;
    if (item.caseId !== null && this.#cases.has(item.caseId)) return false;
    this.#byLane.set(lane.name, (this.#byLane.get(lane.name) ?? 0) + 1);
    if (inFlight) inFlight.n++;
    else this.#byTarget.set(target, { n: 1, limit: lane.perTarget });
    if (item.caseId !== null) this.#cases.add(item.caseId);
    this.#flights.set(item.id, { lane: lane.name, target, caseId: item.caseId, done: Promise.resolve(), abort: new AbortController() });
    return true;
  }

  /** Gives a reservation back (its claim was not committed, or it was never made). */
  release(id: number): void {
    const flight = this.#flights.get(id);
    if (!flight) return;
    this.#flights.delete(id);
    const lane = (this.#byLane.get(flight.lane) ?? 1) - 1;
    if (lane > 0) this.#byLane.set(flight.lane, lane);
    else this.#byLane.delete(flight.lane);
    const target = this.#byTarget.get(flight.target);
    if (target && --target.n === 0) this.#byTarget.delete(flight.target);
    if (flight.caseId !== null) this.#cases.delete(flight.caseId);
  }

  /** Starts a reserved item once its claim is committed; the slot is freed when `run` settles. */
  start(id: number, run: (context: LaneContext) => Promise<void>): Promise<void> {
    const flight = this.#flights.get(id);
    if (!flight) throw new Error(`outbox item ${id} has no reserved lane slot`);
    flight.done = run({ signal: flight.abort.signal }).finally(() => {
      this.release(id);
      if (!this.#stopped) this.#options.onFree();
    });
    return flight.done;
  }

  /** Items in flight now. */
  get size(): number {
    return this.#flights.size;
  }

  /** Resolves when the items in flight now have settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#flights.values()].map((f) => f.done));
  }

  /** No more items start; those in flight are aborted after the grace. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#flights.size === 0) return;
    const timer = setTimeout(() => {
      const reason = new Error('Casebook is shutting down');
      for (const flight of this.#flights.values()) flight.abort.abort(reason);
    }, this.#options.graceMs);
    timer.unref();
    void this.settled().then(() => clearTimeout(timer));
  }
}
