/**
 * The published escalations a change of queue tiers would break. A ruleset's `escalate` event
 * and a workflow's `escalate` action are checked against the active queues' tiers when they are
 * saved (src/definitions/escalation-target.ts); a queue changing its tier afterwards must not
 * undo that check: `{ tier: 2, queue: "advanced" }` would put cases marked tier 2 in a tier-1
 * queue, and `{ tier: 2 }` would fail on every case once no active queue is at tier 2. Nor may
 * deactivating a queue: an escalation naming it, or to its tier when it is the last active queue
 * of that tier, would fail on every case ("No active queue at tier 2."), and so would a workflow
 * `transfer` naming it (whatever its tier: a transfer goes to any tier).
 */
import { escalationTargetProblems } from '../definitions/escalation-target.js';
import type { Services } from '../services.js';

interface Escalation {
  tier: number;
  queue: string | undefined;
  /** "ruleset escalation, rule \"VIP outages\"", "workflow support, transition \"escalate\"". */
  where: string;
}

/** Every action call of the published workflows, with where it is. */
function publishedWorkflowActions(services: Services): { where: string; call: { action: string; [key: string]: unknown } }[] {
  const { definitions } = services;
  const out: { where: string; call: { action: string; [key: string]: unknown } }[] = [];
  for (const name of definitions.names('workflow')) {
    const workflow = definitions.workflow(name).definition;
    const calls: [string, readonly { action: string; [key: string]: unknown }[] | undefined][] = [
      ...Object.entries(workflow.transitions).map(([t, def]): [string, typeof def.actions] => [`transition "${t}"`, def.actions]),
      ...Object.entries(workflow.states).flatMap(([s, def]): [string, typeof def.onEnter][] => [
        [`entering state "${s}"`, def.onEnter],
        [`leaving state "${s}"`, def.onExit],
      ]),
    ];
    for (const [where, list] of calls) for (const call of list ?? []) out.push({ where: `workflow ${name}, ${where}`, call });
  }
  return out;
}

function publishedEscalations(services: Services): Escalation[] {
  const out: Escalation[] = [];
  const { definitions } = services;
  for (const name of definitions.names('ruleset')) {
    definitions.publishedRules(name).forEach((rule, i) => {
      if (rule.enabled === false || rule.event.type !== 'escalate') return;
      const params = (rule.event.params ?? {}) as { tier?: unknown; queue?: unknown };
      if (typeof params.tier !== 'number') return;
      out.push({ tier: params.tier, queue: typeof params.queue === 'string' ? params.queue : undefined, where: `ruleset ${name}, rule "${rule.name ?? `#${i}`}"` });
    });
  }
  for (const { where, call } of publishedWorkflowActions(services)) {
    if (call.action !== 'escalate' || typeof call.tier !== 'number') continue;
    out.push({ tier: call.tier, queue: typeof call.queue === 'string' ? call.queue : undefined, where });
  }
  return out;
}

/**
 * The published escalations that can go where they should with the active queues' tiers as
 * they are (`before`) and cannot with `after`, each with why.
 */
export function escalationsBrokenBy(services: Services, before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): string[] {
  return publishedEscalations(services).flatMap((e) => {
    if (escalationTargetProblems(e.tier, e.queue, before, []).length > 0) return [];
    const [problem] = escalationTargetProblems(e.tier, e.queue, after, []);
    if (!problem) return [];
    return [e.queue !== undefined ? `${e.where} escalates to tier ${e.tier} in "${e.queue}"` : `${e.where} escalates to tier ${e.tier}, and no other active queue is at tier ${e.tier}`];
  });
}

/**
 * The published escalations that need the active queue `id` (`tiers`: the active queues' tiers,
 * `id` among them), each with why: workflow transfers naming it, escalations naming it, and
 * those to its tier without a queue when no other active queue is at that tier. Deactivating it would make each fail on every case.
 */
export function escalationsNeedingQueue(services: Services, id: string, tiers: ReadonlyMap<string, number>): string[] {
  const after = new Map(tiers);
  after.delete(id);
  const transfers = publishedWorkflowActions(services)
    .filter(({ call }) => call.action === 'transfer' && call.queue === id)
    .map(({ where }) => `${where} transfers cases to "${id}"`);
  return transfers.concat(publishedEscalations(services).flatMap((e) => {
    if (escalationTargetProblems(e.tier, e.queue, tiers, []).length > 0) return []; // refused already, whatever this queue does
    if (e.queue === id) return [`${e.where} escalates to tier ${e.tier} in "${e.queue}"`];
    return e.queue === undefined && escalationTargetProblems(e.tier, undefined, after, []).length > 0
      ? [`${e.where} escalates to tier ${e.tier}, and no other active queue is at tier ${e.tier}`]
      : [];
  }));
}
