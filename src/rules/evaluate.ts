/**
 * Runs a compiled ruleset against facts and turns the rule events that fired into typed
 * decisions. Conflicts (PRODUCT.md): for single-valued outcomes (queue, priority, SLA
 * policy, escalation) the fired rule with the highest json-rules-engine priority wins,
 * ties going to the rule earlier in the file; tags and skills accumulate; every notify
 * is kept; offering the known solution is decided once. Losing rules are still reported as fired.
 */
import type { FiredRule, Priority } from '../db/schema/cases.js';
import { hideNotifyUrls } from '../im/hidden-urls.js';
import type { CompiledRuleset } from './engine.js';
import type { Facts } from './facts.js';

export interface Escalation {
  tier: number;
  queue: string | null;
  reason: string | null;
  rule: string;
  /** The rule's ruleset and its version: set when evaluations are merged (`mergeDecisions`). */
  ruleset?: string;
  version?: number;
}

export interface Decisions {
  queue: string | null;
  priority: Priority | null;
  tags: string[];
  skills: string[];
  slaPolicy: string | null;
  escalate: Escalation | null;
  notify: { to: string; template: string; rule: string; url?: string }[];
  /** Offer the diagnosed known problem's solution to the customer; the rule that decided it. */
  offerSolution: { rule: string } | null;
}

export interface Evaluation {
  ruleset: string;
  version: number;
  fired: FiredRule[];
  decisions: Decisions;
  /** Set when evaluation threw: no decisions are taken from this ruleset. */
  error: string | null;
}

export function emptyDecisions(): Decisions {
  return { queue: null, priority: null, tags: [], skills: [], slaPolicy: null, escalate: null, notify: [], offerSolution: null };
}

interface Fired extends FiredRule {
  index: number;
}

/** Orders fired rules: higher priority first, then file order. */
function byPrecedence(a: Fired, b: Fired): number {
  return b.priority - a.priority || a.index - b.index;
}

export function decide(fired: readonly Fired[]): Decisions {
  const decisions = emptyDecisions();
  const ordered = [...fired].sort(byPrecedence);
  const tags = new Set<string>();
  const skills = new Set<string>();
  for (const rule of ordered) {
    const params = (rule.event.params ?? {}) as Record<string, unknown>;
    switch (rule.event.type) {
      case 'route':
        decisions.queue ??= params.queue as string;
        break;
      case 'setPriority':
        decisions.priority ??= params.priority as Priority;
        break;
      case 'applySlaPolicy':
        decisions.slaPolicy ??= params.policy as string;
        break;
      case 'addTags':
        for (const t of params.tags as string[]) tags.add(t);
        break;
      case 'requireSkills':
        for (const s of params.skills as string[]) skills.add(s);
        break;
      case 'escalate':
        decisions.escalate ??= {
          tier: params.tier as number,
          queue: (params.queue as string | undefined) ?? null,
          reason: (params.reason as string | undefined) ?? null,
          rule: rule.rule,
        };
        break;
      case 'notify':
        decisions.notify.push({ to: params.to as string, template: params.template as string, rule: rule.rule, ...(typeof params.url === 'string' ? { url: params.url } : {}) });
        break;
      case 'offerSolution':
        decisions.offerSolution ??= { rule: rule.rule };
        break;
    }
  }
  decisions.tags = [...tags];
  decisions.skills = [...skills];
  return decisions;
}

export async function evaluateRuleset(ruleset: CompiledRuleset, facts: Facts): Promise<Evaluation> {
  try {
    const { results } = await ruleset.engine.run({ ...facts });
    const fired: Fired[] = results.map((result) => {
      const rule = ruleset.rules.get(result.name);
      return {
        rule: result.name,
        priority: result.priority ?? rule?.priority ?? 1,
        index: rule?.index ?? Number.MAX_SAFE_INTEGER,
        event: { type: result.event!.type, ...(result.event!.params ? { params: result.event!.params } : {}) },
      };
    });
    fired.sort((a, b) => a.index - b.index);
    const decisions = decide(fired);
    return {
      ruleset: ruleset.name,
      version: ruleset.version,
      // Decided with the real events; reported with a notify rule's url hidden (src/im/hidden-urls.ts).
      fired: fired.map(({ index: _index, ...rest }) => ({ ...rest, event: hideNotifyUrls(rest.event) })),
      decisions,
      error: null,
    };
  } catch (error) {
    return {
      ruleset: ruleset.name,
      version: ruleset.version,
      fired: [],
      decisions: emptyDecisions(),
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

/** Merges evaluations of several rulesets run for one event, in workflow order (first wins). */
export function mergeDecisions(evaluations: readonly Evaluation[]): Decisions {
  const merged = emptyDecisions();
  const tags = new Set<string>();
  const skills = new Set<string>();
  for (const { ruleset, version, decisions } of evaluations) {
    merged.queue ??= decisions.queue;
    merged.priority ??= decisions.priority;
    merged.slaPolicy ??= decisions.slaPolicy;
    merged.escalate ??= decisions.escalate && { ...decisions.escalate, ruleset, version };
    merged.offerSolution ??= decisions.offerSolution;
    decisions.tags.forEach((t) => tags.add(t));
    decisions.skills.forEach((s) => skills.add(s));
    merged.notify.push(...decisions.notify);
  }
  merged.tags = [...tags];
  merged.skills = [...skills];
  return merged;
}
