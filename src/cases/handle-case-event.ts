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
import { calendarZone, localTimeFact, withinBusinessHours } from '../rules/build-facts.js';
import type { EventFact, SlaFact } from '../rules/facts.js';
import { runTriggers, runTriggersNow } from '../rules/run-triggers.js';
import type { FactInputs } from '../rules/build-facts.js';
import type { Evaluation } from '../rules/evaluate.js';
import { SYSTEM_ACTOR } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext, type CaseRow } from '../workflow/context.js';
import { applyDecisions } from './apply-decisions.js';
import { customerFact } from './customers.js';

const MAX_TRIES = 5;

/** The rulesets the case's workflow runs on the event, and the facts they see. */
function trigger(services: Services, snapshot: CaseRow, type: string, data: Record<string, unknown>): { rulesets: string[]; inputs: FactInputs } {
  const { db } = services;
  const workflow = services.definitions.workflow(snapshot.workflow, snapshot.workflowVersion).definition;
  const customer = rowById(db, customers, snapshot.customerId)!;
  const now = services.clock.now();
  const sla = (data.sla ?? null) as SlaFact | null;
  return {
    rulesets: workflow.triggers?.[type] ?? [],
    inputs: {
      case: snapshot,
      customer: customerFact(db, customer),
      event: { ...data, type } as EventFact,
      ...(sla ? { sla } : {}),
      now,
      withinBusinessHours: withinBusinessHours(services, snapshot.slaPolicy, snapshot.slaConfigVersion, now),
      localTime: localTimeFact(now, calendarZone(services, snapshot.slaPolicy, snapshot.slaConfigVersion)),
    },
  };
}

function apply(services: Services, item: OutboxItem, caseId: number, evaluations: Evaluation[], type: string, data: Record<string, unknown>, version?: number): boolean {
  const ctx = CaseContext.load(services, caseId, SYSTEM_ACTOR);
  if (version !== undefined && ctx.case.version !== version) return false;
  applyDecisions(ctx, evaluations, type, data);
  ctx.save();
  if (!markDone(services.db, item.id, ctx.now)) throw new Error(`outbox item ${item.id} was performed by someone else`);
  return true;
}

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
    const { rulesets, inputs } = trigger(services, snapshot, type, data);
    const evaluations = await runTriggers(services, rulesets, inputs);
    if (await groupCommit(db, () => apply(services, item, snapshot.id, evaluations, type, data, snapshot.version))) return;
  }
  throw new Error(`case ${item.caseId} kept changing while its rules ran`);
}

/** Inside the drain's transaction when the rules are compiled: evaluated on the case as it is, and applied at once. */
handleCaseEvent.inTransaction = (services: Services, item: OutboxItem): boolean => {
  const type = String(item.payload.type);
  const data = (item.payload.data ?? {}) as Record<string, unknown>;
  const snapshot = item.caseId === null ? undefined : rowById(services.db, cases, item.caseId);
  if (!snapshot) return markDone(services.db, item.id, services.clock.now()) || true;
  const { rulesets, inputs } = trigger(services, snapshot, type, data);
  const evaluations = runTriggersNow(services, rulesets, inputs);
  return evaluations !== null && apply(services, item, snapshot.id, evaluations, type, data);
};
