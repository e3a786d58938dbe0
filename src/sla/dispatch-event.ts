/**
 * Outbox handler for `sla.dispatch`: the sweep recorded an SLA warning or breach in bulk,
 * without loading the case; this lets the workflow's `on` transitions (and subscribers) react
 * to it, in one transaction that also marks the item done, so it happens exactly once. The
 * event is not recorded again and no rules run here (the sweep wrote a `case.event` item for
 * those).
 */
import type { Handle } from '../db/store/index.js';
import { DomainError } from '../errors.js';
import { markItemDone } from '../outbox/dialect.js';
import type { OutboxItem } from '../outbox/outbox.js';
import { SYSTEM_ACTOR } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext } from '../workflow/context.js';

/** Lets the case react; inside a transaction. */
async function dispatch(q: Handle, services: Services, item: OutboxItem): Promise<void> {
  const type = String(item.payload.type);
  const data = (item.payload.data ?? {}) as Record<string, unknown>;
  let ctx: CaseContext;
  try {
    ctx = await CaseContext.load(q, services, item.caseId ?? 0, SYSTEM_ACTOR);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'CASE_NOT_FOUND') {
      await markItemDone(q, item.id, services.clock.now());
      return;
    }
    throw error;
  }
  const before = JSON.stringify(ctx.case);
  await ctx.dispatch(type, data);
  if (JSON.stringify(ctx.case) !== before) await ctx.save();
  if (!(await markItemDone(q, item.id, ctx.now))) throw new Error(`outbox item ${item.id} was performed by someone else`);
}

export async function dispatchSlaEvent(services: Services, item: OutboxItem): Promise<void> {
  await services.store.write((q) => dispatch(q, services, item));
}
