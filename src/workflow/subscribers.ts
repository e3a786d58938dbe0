/**
 * In-transaction reactions to case events that are not workflow transitions: the SLA
 * clocks (start, pause, fulfil), capacity bookkeeping, and whatever a later module
 * needs. Subscribers run synchronously inside the case's transaction.
 */
import type { CaseContext } from './context.js';

export interface CaseEventPayload {
  type: string;
  data: Record<string, unknown>;
}

export type Subscriber = (ctx: CaseContext, event: CaseEventPayload) => void;

export class Subscribers {
  readonly #byType = new Map<string, Subscriber[]>();

  /** Subscribe to one event type, or `*` for all. */
  on(type: string, subscriber: Subscriber): this {
    const list = this.#byType.get(type) ?? [];
    list.push(subscriber);
    this.#byType.set(type, list);
    return this;
  }

  emit(ctx: CaseContext, event: CaseEventPayload): void {
    for (const subscriber of this.#byType.get(event.type) ?? []) subscriber(ctx, event);
    for (const subscriber of this.#byType.get('*') ?? []) subscriber(ctx, event);
  }
}
