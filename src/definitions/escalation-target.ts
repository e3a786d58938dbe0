/**
 * Where an escalation can go, checked when a ruleset (`escalate` event) or a workflow
 * (`escalate` action) is saved: `{ tier, queue }` moves the case to `queue` at `tier`, and
 * `{ tier }` alone to the first active queue of that tier (src/cases/move-case.ts). So the
 * queue named must be of that tier — a tier-1 queue would hold a case marked tier 2, worked
 * by tier-1 agents — and without a queue some active queue must be of that tier, or every
 * escalation fails at run time ("No active queue at tier 3."). Whether the queue exists and is
 * active is the callers' own check (their message lists the queues).
 */
import { problem, type DefinitionProblem, type PathSegment } from './problems.js';

/** Problems with escalating to `tier` (and `queue`), given the active queues and their tiers. `at`: the params' path. */
export function escalationTargetProblems(tier: number, queue: string | undefined, tiers: ReadonlyMap<string, number>, at: readonly PathSegment[]): DefinitionProblem[] {
  if (queue !== undefined) {
    const queueTier = tiers.get(queue);
    if (queueTier === undefined || queueTier === tier) return [];
    const ofTier = queuesOfTier(tiers, tier);
    const instead = ofTier.length > 0 ? `name a tier-${tier} queue (${ofTier.join(', ')})` : `no active queue is at tier ${tier}`;
    return [problem([...at, 'queue'], `the queue "${queue}" is at tier ${queueTier}, not tier ${tier}: the case would be marked tier ${tier} in a tier-${queueTier} queue; ${instead}, or escalate to tier ${queueTier}`)];
  }
  if (queuesOfTier(tiers, tier).length > 0) return [];
  const known = [...new Set(tiers.values())].sort((a, b) => a - b);
  return [problem([...at, 'tier'], `no active queue is at tier ${tier}, so this escalation would fail on every case (tiers with active queues: ${known.join(', ') || 'none'}); name a queue or another tier`)];
}

function queuesOfTier(tiers: ReadonlyMap<string, number>, tier: number): string[] {
  return [...tiers].filter(([, t]) => t === tier).map(([id]) => id).sort();
}
