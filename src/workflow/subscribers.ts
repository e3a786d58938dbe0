/**
 * In-transaction reactions to case events that are not workflow transitions: the SLA
 * clocks (start, pause, fulfil), capacity bookkeeping, and whatever a later module
 * needs. Subscribers run inside the case's transaction, one after the other (each awaited):
 * they await only the database (the handle `ctx.q`).
 */
import type { Handle } from '../db/store/index.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import type { CaseContext } from './context.js';

export interface CaseEventPayload {
  type: string;
  data: Record<string, unknown>;
}

export type Subscriber = (ctx: CaseContext, event: CaseEventPayload) => void | Promise<void>;

/** Runs after a case is saved when an agent's load dropped (assignment offers them waiting cases). */
export type CapacityFreedHandler = (q: Handle, services: Services, staffId: number, actor: Actor) => unknown;

const DONE: Promise<void> = Promise.resolve();
const NONE: readonly Subscriber[] = [];

export class Subscribers {
  readonly #byType = new Map<string, Subscriber[]>();
  readonly #capacityFreed: CapacityFreedHandler[] = [];

  /** Subscribe to one event type, or `*` for all. */
  on(type: string, subscriber: Subscriber): this {
    const list = this.#byType.get(type) ?? [];
    list.push(subscriber);
    this.#byType.set(type, list);
    return this;
  }

  /** Runs the event's subscribers, then `*`'s, each awaited; none made for an event nobody subscribed to. */
  emit(ctx: CaseContext, event: CaseEventPayload): Promise<void> {
    const own = this.#byType.get(event.type);
    const all = this.#byType.get('*');
    if (own === undefined && all === undefined) return DONE;
    return this.#emit(ctx, event, own ?? NONE, all ?? NONE);
  }

  async #emit(ctx: CaseContext, event: CaseEventPayload, own: readonly Subscriber[], all: readonly Subscriber[]): Promise<void> {
    for (const subscriber of own) await subscriber(ctx, event);
    for (const subscriber of all) await subscriber(ctx, event);
  }

  onCapacityFreed(handler: CapacityFreedHandler): this {
    this.#capacityFreed.push(handler);
    return this;
  }

  async capacityFreed(q: Handle, services: Services, staffId: number, actor: Actor): Promise<void> {
    for (const handler of this.#capacityFreed) await handler(q, services, staffId, actor);
  }
}
