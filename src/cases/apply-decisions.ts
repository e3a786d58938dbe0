/**
 * Applies rule decisions to an existing case inside its unit of work. The workflow never
 * calls json-rules-engine: rules produce typed decisions, and this is where they land.
 */
import { IM_POST } from '../im/post-message.js';
import { isImTarget } from '../im/targets.js';
import { mergeDecisions, type Decisions, type Evaluation } from '../rules/evaluate.js';
import { DomainError } from '../errors.js';
import type { CaseContext } from '../workflow/context.js';
import { escalateCase, findQueue, transferCase } from './move-case.js';
import { offerSolution } from './solution-offer.js';
import { STATE_ENTERED } from '../workflow/definition.js';

/**
 * Records each evaluation on the timeline (`rules.evaluated`, and `rules.failed` on errors);
 * `entered`: a runRuleset action's `state.entered` event as the rules saw it (the dry-run
 * replays it: the case may have moved on before the ruleset ran).
 */
export async function recordEvaluations(ctx: CaseContext, evaluations: readonly Evaluation[], event: string, entered?: Record<string, unknown>): Promise<void> {
  const extra = entered ? { entered } : {};
  for (const e of evaluations) {
    if (e.error !== null) {
      await ctx.record('rules.failed', { ruleset: e.ruleset, version: e.version, event, ...extra, error: e.error });
    } else {
      await ctx.record('rules.evaluated', { ruleset: e.ruleset, version: e.version, event, ...extra, fired: e.fired });
    }
  }
}

export async function applyDecisions(ctx: CaseContext, evaluations: readonly Evaluation[], event: string, eventData: Record<string, unknown> = {}): Promise<void> {
  const entered = event === STATE_ENTERED ? { state: eventData.state ?? null, from: eventData.from ?? null, transition: eventData.transition ?? null } : undefined;
  await recordEvaluations(ctx, evaluations, event, entered);
  const d = mergeDecisions(evaluations.filter((e) => e.error === null));
  const c = ctx.case;
  const changes: Record<string, [unknown, unknown]> = {};

  if (d.priority && d.priority !== c.priority) {
    changes.priority = [c.priority, d.priority];
    c.priority = d.priority;
  }
  const tags = [...new Set([...c.tags, ...d.tags])];
  if (tags.length !== c.tags.length) {
    changes.tags = [c.tags, tags];
    c.tags = tags;
  }
  const skills = [...new Set([...c.skills, ...d.skills])];
  if (skills.length !== c.skills.length) {
    changes.skills = [c.skills, skills];
    c.skills = skills;
  }
  if (d.slaPolicy && d.slaPolicy !== c.slaPolicy) {
    changes.slaPolicy = [c.slaPolicy, d.slaPolicy];
    c.slaPolicy = d.slaPolicy;
  }
  if (Object.keys(changes).length > 0) {
    await ctx.record('case.updated', { changes, by: 'rules', event });
    await ctx.services.subscribers.emit(ctx, { type: 'case.updated', data: { changes } });
  }

  if (d.queue && d.queue !== c.queueId) {
    const queue = await findQueue(ctx, d.queue);
    if (queue?.active) await transferCase(ctx, d.queue, `routed by rules on ${event}`);
    else await ctx.record('rules.failed', { event, error: `queue "${d.queue}" does not exist or is inactive; the case stays in ${c.queueId}` });
  }
  await applyFollowUps(ctx, d, event, eventData);
}

/**
 * What rules decide beyond the case's fields: the escalation (a missing or inactive target
 * queue is recorded as `rules.failed`, the case stays where it is), the known solution
 * offered to the customer, and the notifications, sent after commit. Shared by intake and later events.
 */
export async function applyFollowUps(ctx: CaseContext, d: Decisions, event: string, eventData: Record<string, unknown> = {}, options: { mailCustomer?: boolean } = {}): Promise<void> {
  if (d.escalate) {
    try {
      const { tier, queue, reason, rule, ruleset, version } = d.escalate;
      await escalateCase(ctx, { tier, queue, reason, rule, ruleset, version });
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'QUEUE_NOT_FOUND') throw error;
      await ctx.record('rules.failed', { event, error: `cannot escalate: ${error.message}` });
    }
  }
  if (d.offerSolution) {
    // An acknowledgement mail sent now carries the offer: then no second mail for it.
    const acknowledged = d.notify.some((n) => n.to === 'customer' && n.template === 'case-received');
    await offerSolution(ctx, d.offerSolution.rule, event, { mail: !acknowledged && options.mailCustomer !== false });
  }
  for (const n of d.notify) {
    if (isImTarget(n.to)) await ctx.enqueue(IM_POST, { to: n.to, template: n.template, source: n.rule, ...(n.url ? { url: n.url } : {}) });
    else await ctx.enqueue('notification.send', { to: n.to, template: n.template, source: n.rule, event, data: eventData });
  }
}
