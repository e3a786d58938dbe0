/**
 * Outbox handler for `case.event`: an event on an existing case whose workflow names
 * rulesets for it (reopen, SLA warning or breach…). Rules are evaluated on a snapshot;
 * the decisions are applied in one transaction that also marks the item done, and only if
 * the case has not changed meanwhile (otherwise: evaluate again on the new snapshot).
 */
import { groupCommit } from '../db/group-commit.js';
import { rowById } from '../db/fast.js';
import { cases, customers } from '../db/schema/index.js';
import { markDone, type OutboxItem } from '../outbox/outbox.js';
import { withinBusinessHours } from '../rules/build-facts.js';
import type { EventFact, SlaFact } from '../rules/facts.js';
import { runTriggers } from '../rules/run-triggers.js';
import { SYSTEM_ACTOR } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext } from '../workflow/context.js';
import { applyDecisions } from './apply-decisions.js';
import { customerFact } from './customers.js';

const MAX_TRIES = 5;

export async function handleCaseEvent(services: Services, item: OutboxItem): Promise<void> {
  const { db } = services;
  const type = String(item.payload.type);
  const data = (item.payload.data ?? {}) as Record<string, unknown>;
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const snapshot = item.caseId === null ? undefined : rowById(db, cases, item.caseId);
    if (!snapshot) {
      markDone(db, item.id, services.clock.now());
      return;
    }
    const workflow = services.definitions.workflow(snapshot.workflow, snapshot.workflowVersion).definition;
    const rulesets = workflow.triggers?.[type] ?? [];
    const customer = rowById(db, customers, snapshot.customerId)!;
    const now = services.clock.now();
    const sla = (data.sla ?? null) as SlaFact | null;
    const evaluations = await runTriggers(services, rulesets, {
      case: snapshot,
      customer: customerFact(db, customer),
      event: { ...data, type } as EventFact,
      ...(sla ? { sla } : {}),
      now,
      withinBusinessHours: withinBusinessHours(services, snapshot.slaPolicy, snapshot.slaConfigVersion, now),
    });
    const applied = await groupCommit(db, () => {
      const ctx = CaseContext.load(services, snapshot.id, SYSTEM_ACTOR);
      if (ctx.case.version !== snapshot.version) return false;
      applyDecisions(ctx, evaluations, type, data);
      ctx.save();
      if (!markDone(db, item.id, ctx.now)) throw new Error(`outbox item ${item.id} was performed by someone else`);
      return true;
    });
    if (applied) return;
  }
  throw new Error(`case ${item.caseId} kept changing while its rules ran`);
}
