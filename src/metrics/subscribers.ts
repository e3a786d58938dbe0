/** Counts live intakes: `case.created` is dispatched for new cases, never for imported history. */
import type { Subscribers } from '../workflow/subscribers.js';

export function registerMetricSubscribers(subscribers: Subscribers): void {
  subscribers.on('case.created', (ctx) => ctx.services.metrics.countIntake(ctx.case.channel));
}
