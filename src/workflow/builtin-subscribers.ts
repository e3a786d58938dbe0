/**
 * Case bookkeeping that follows from events, whatever the workflow: first response time,
 * reopen count. The SLA module adds its own subscribers (see `src/sla`), the email channel
 * queues the mail of public staff replies (`src/channels/email/outbound.ts`).
 */
import { registerEmailSubscribers } from '../channels/email/outbound.js';
import { registerSlaSubscribers } from '../sla/subscribers.js';
import type { Subscribers } from './subscribers.js';

export function registerBuiltinSubscribers(subscribers: Subscribers): Subscribers {
  subscribers.on('staff.replied', (ctx) => {
    ctx.case.firstResponseAt ??= ctx.now;
  });
  subscribers.on('case.reopened', (ctx) => {
    ctx.case.reopenCount += 1;
  });
  registerSlaSubscribers(subscribers);
  registerEmailSubscribers(subscribers);
  return subscribers;
}
