/**
 * Outbox handler for `workflow.timer`: a state's timer (e.g. auto-close 72h after
 * resolved) fires its transition if the case is still in the state it was started in.
 */
import { transaction } from '../db/client.js';
import { markDone, type OutboxItem } from '../outbox/outbox.js';
import { SYSTEM_ACTOR } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext } from '../workflow/context.js';

function fire(services: Services, item: OutboxItem): boolean {
  const ctx = CaseContext.load(services, item.caseId!, SYSTEM_ACTOR);
  const { state, enteredAt, transition } = item.payload as { state: string; enteredAt: number; transition: string };
  if (ctx.case.status === state && ctx.case.stateEnteredAt === enteredAt && ctx.fireTimer(transition)) ctx.save();
  markDone(services.db, item.id, ctx.now);
  return true;
}

export function fireWorkflowTimer(services: Services, item: OutboxItem): void {
  transaction(services.db, () => fire(services, item));
}

/** Nothing to wait for: performed inside the drain's transaction. */
fireWorkflowTimer.inTransaction = fire;
