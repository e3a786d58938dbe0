/**
 * SLA clocks follow case events: started at creation (or by a workflow state), fulfilled by public staff replies
 * (and by a call in which staff spoke with the customer), started again by customer messages
 * (a customer's call on their case tells `customer.replied`: src/cases/log-call.ts), paused, stopped and
 * resumed by workflow states, and re-targeted when the priority or policy changes. See docs/sla.md for the semantics.
 */
import type { StateCategory } from '../workflow/definition.js';
import type { Subscribers } from '../workflow/subscribers.js';
import {
  applyStateClocks,
  fulfilByReply,
  retargetCaseTimers,
  startCaseTimers,
  startNextResponse,
  startStateClocks,
} from './case-timers.js';

function describeChange(name: string, change: unknown): string {
  const [from, to] = Array.isArray(change) ? change : [undefined, undefined];
  return `${name} ${String(from)} → ${String(to)}`;
}

/** The call that answered, for the `sla.fulfilled` entry: "Phone call logged by Alice", "Outbound call to +49…". */
function callReason(data: Record<string, unknown>): string {
  const what = data.channel === 'walk-in' ? 'Visit' : data.direction === 'outbound' ? 'Outbound call' : 'Phone call';
  if (typeof data.author === 'string') return `${what} logged by ${data.author}`;
  return typeof data.from === 'string' && data.from !== 'withheld' ? `${what} ${data.direction === 'outbound' ? 'to' : 'from'} ${data.from}` : what;
}

export function registerSlaSubscribers(subscribers: Subscribers): Subscribers {
  subscribers.on('case.created', (ctx) => startCaseTimers(ctx));
  subscribers.on('staff.replied', (ctx) => fulfilByReply(ctx));
  subscribers.on('call.logged', (ctx, { data }) => (data.answers === true ? fulfilByReply(ctx, { by: 'call', reason: callReason(data) }) : undefined));
  subscribers.on('customer.replied', (ctx) => startNextResponse(ctx));
  subscribers.on('case.transitioned', async (ctx, event) => {
    await applyStateClocks(ctx, String(event.data.to), event.data.category as StateCategory | undefined);
    await startStateClocks(ctx, String(event.data.to));
  });
  subscribers.on('case.updated', (ctx, event) => {
    const changes = (event.data.changes ?? {}) as Record<string, unknown>;
    const reasons = ['priority', 'slaPolicy'].filter((k) => k in changes).map((k) => describeChange(k, changes[k]));
    return reasons.length > 0 ? retargetCaseTimers(ctx, reasons.join(', ')) : undefined;
  });
  // Staff changed the priority by hand (src/cases/edit-case.ts): the same re-targeting.
  subscribers.on('case.priority_changed', (ctx, event) => {
    return retargetCaseTimers(ctx, describeChange('priority', [event.data.from, event.data.to]));
  });
  return subscribers;
}
