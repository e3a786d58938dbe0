/**
 * Outbox handler for `sla.dispatch`: the sweep recorded an SLA warning or breach in bulk,
 * without loading the case; this lets the workflow's `on` transitions (and subscribers) react
 * to it, in one transaction that also marks the item done, so it happens exactly once. The
 * event is not recorded again and no rules run here (the sweep wrote a `case.event` item for
 * those).
 */
import { groupCommit } from '../db/group-commit.js';
import { DomainError } from '../errors.js';
import { markDone, type OutboxItem } from '../outbox/outbox.js';
import { SYSTEM_ACTOR } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext } from '../workflow/context.js';

/** Lets the case react; inside a transaction. */
function dispatch(services: Services, item: OutboxItem): boolean {
  const type = String(item.payload.type);
  const data = (item.payload.data ?? {}) as Record<string, unknown>;
  let ctx: CaseContext;
  try {
    ctx = CaseContext.load(services, item.caseId ?? 0, SYSTEM_ACTOR);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'CASE_NOT_FOUND') {
      markDone(services.db, item.id, services.clock.now());
      return true;
    }
    throw error;
  }
  const before = JSON.stringify(ctx.case);
  ctx.dispatch(type, data);
  if (JSON.stringify(ctx.case) !== before) ctx.save();
  if (!markDone(services.db, item.id, ctx.now)) throw new Error(`outbox item ${item.id} was performed by someone else`);
  return true;
}

export async function dispatchSlaEvent(services: Services, item: OutboxItem): Promise<void> {
  await groupCommit(services.db, () => dispatch(services, item));
}

/** Nothing to wait for: performed inside the drain's transaction. */
dispatchSlaEvent.inTransaction = dispatch;
