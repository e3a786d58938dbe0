/**
 * Outbox handler for `case.event`: an event on an existing case whose workflow names
 * rulesets for it (reopen, SLA warning or breach…), or a state entered whose `runRuleset`
 * action names one (the item carries `rulesets`). Rules are evaluated on a snapshot;
 * the decisions are applied in one transaction that also marks the item done, and only if
 * the case has not changed meanwhile (otherwise: evaluate again on the new snapshot).
 */
import type { Handle } from '../db/store/index.js';
import { byId } from '../db/store/rows.js';
import { markItemDone } from '../outbox/dialect.js';
import type { OutboxItem } from '../outbox/outbox.js';
import { calendarZone, localTimeFact, withinBusinessHours } from '../rules/build-facts.js';
import type { EventFact, SlaFact } from '../rules/facts.js';
import { runTriggers } from '../rules/run-triggers.js';
import type { FactInputs } from '../rules/build-facts.js';
import type { Evaluation } from '../rules/evaluate.js';
import { SYSTEM_ACTOR } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext, type CaseRow } from '../workflow/context.js';
import { applyDecisions } from './apply-decisions.js';
import { customerFact } from './customers.js';

const MAX_TRIES = 5;

/**
 * The rulesets run on the event — the item's own (a `runRuleset` action on entering a state),
 * else the ones the case's workflow names in `triggers` — and the facts they see.
 */
async function trigger(q: Handle, services: Services, snapshot: CaseRow, type: string, data: Record<string, unknown>, named: string[] | null): Promise<{ rulesets: string[]; inputs: FactInputs }> {
  const workflow = services.definitions.workflow(snapshot.workflow, snapshot.workflowVersion).definition;
  const customer = (await byId(q, q.tables.customers, snapshot.customerId))!;
  const now = services.clock.now();
  const sla = (data.sla ?? null) as SlaFact | null;
  return {
    rulesets: named ?? workflow.triggers?.[type] ?? [],
    inputs: {
      case: snapshot,
      customer: await customerFact(q, customer),
      event: { ...data, type } as EventFact,
      ...(sla ? { sla } : {}),
      now,
      withinBusinessHours: withinBusinessHours(services, snapshot.slaPolicy, snapshot.slaConfigVersion, now),
      localTime: localTimeFact(now, calendarZone(services, snapshot.slaPolicy, snapshot.slaConfigVersion)),
    },
  };
}

async function apply(q: Handle, services: Services, item: OutboxItem, caseId: number, evaluations: Evaluation[], type: string, data: Record<string, unknown>, version?: number): Promise<boolean> {
  const ctx = await CaseContext.load(q, services, caseId, SYSTEM_ACTOR);
  if (version !== undefined && ctx.case.version !== version) return false;
  await applyDecisions(ctx, evaluations, type, data);
  await ctx.save();
  if (!(await markItemDone(q, item.id, ctx.now))) throw new Error(`outbox item ${item.id} was performed by someone else`);
  return true;
}

export async function handleCaseEvent(services: Services, item: OutboxItem): Promise<void> {
  const type = String(item.payload.type);
  const data = (item.payload.data ?? {}) as Record<string, unknown>;
  const named = Array.isArray(item.payload.rulesets) ? item.payload.rulesets.map(String) : null;
  const { caseId } = item;
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    // The snapshot and its facts in one read; the rules (json-rules-engine may run) outside any transaction.
    // store.query, not store.read: on SQLite a read transaction held across awaits would refuse other requests' writes meanwhile.
    const read = await services.store.query(async (q) => {
      const snapshot = caseId === null ? undefined : await byId(q, q.tables.cases, caseId);
      return snapshot ? { snapshot, ...(await trigger(q, services, snapshot, type, data, named)) } : null;
    });
    if (!read) {
      await services.store.write((q) => markItemDone(q, item.id, services.clock.now()));
      return;
    }
    const { snapshot, rulesets, inputs } = read;
    const evaluations = await runTriggers(services, rulesets, inputs);
    if (await services.store.write((q) => apply(q, services, item, snapshot.id, evaluations, type, data, snapshot.version))) return;
  }
  throw new Error(`case ${item.caseId} kept changing while its rules ran`);
}
