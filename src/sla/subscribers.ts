/**
 * SLA clocks follow case events (filled in by the SLA engine): started at creation,
 * paused and stopped by workflow states, fulfilled by public staff replies.
 */
import type { Subscribers } from '../workflow/subscribers.js';

export function registerSlaSubscribers(subscribers: Subscribers): Subscribers {
  return subscribers;
}
