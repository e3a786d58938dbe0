/**
 * Outbox handler for `workflow.timer`: a state's timer (e.g. auto-close 72h after
 * resolved) fires its transition if the case is still in the state it was started in, in one
 * `store.write` that also marks the item done.
 *
 * The item is marked done first, under the case's row lock: a workflow re-apply that cancelled
 * the timer (marked it done) after the drain had claimed it committed first, and the timer then
 * does nothing — it fired from the old version's state otherwise, on top of the re-apply.
 * A re-apply that comes second sees the timer's transition (and the item done).
 */
import type { Handle } from '../db/store/index.js';
import { markItemDone } from '../outbox/dialect.js';
import type { OutboxItem } from '../outbox/outbox.js';
import { SYSTEM_ACTOR } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext } from '../workflow/context.js';

async function fire(q: Handle, services: Services, item: OutboxItem): Promise<void> {
  const ctx = await CaseContext.load(q, services, item.caseId!, SYSTEM_ACTOR);
  const { state, enteredAt, transition } = item.payload as { state: string; enteredAt: number; transition: string };
  if (!(await markItemDone(q, item.id, ctx.now))) return; // cancelled (or done) meanwhile
  if (ctx.case.status === state && ctx.case.stateEnteredAt === enteredAt && (await ctx.fireTimer(transition))) await ctx.save();
}

export function fireWorkflowTimer(services: Services, item: OutboxItem): Promise<void> {
  return services.store.write((q) => fire(q, services, item));
}
