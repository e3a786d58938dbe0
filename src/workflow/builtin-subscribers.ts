/**
 * Case bookkeeping that follows from events, whatever the workflow: first response time,
 * reopen count. The SLA module and the email channel add their own subscribers; the
 * composition root (src/compose.ts) registers them all.
 */
import type { Subscribers } from './subscribers.js';

export function registerCaseBookkeeping(subscribers: Subscribers): Subscribers {
  subscribers.on('staff.replied', (ctx) => {
    ctx.case.firstResponseAt ??= ctx.now;
  });
  subscribers.on('case.reopened', (ctx) => {
    ctx.case.reopenCount += 1;
  });
  return subscribers;
}
