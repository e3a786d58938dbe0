/**
 * A publish check across rulesets: when a workflow runs several rulesets on one event
 * (`triggers`, e.g. `case.created: ["routing", "escalation"]`), each sees the decisions of the
 * ones before it, and a single-valued outcome (queue, priority, SLA policy, escalation) is
 * decided by the first ruleset that sets it (`mergeDecisions`): a later ruleset's rule that
 * sets the same outcome applies only when no earlier one did, whatever the rule priorities
 * (those order rules within one ruleset). A rule written to override an earlier ruleset would
 * silently do nothing, so each such rule gets a warning naming the earlier ruleset, the event
 * and the workflow. Rules switched off are left out, and so are the events a rule's conditions
 * rule out (`event.type` equal to another); published versions of the other rulesets and of the
 * workflows are what is compared.
 */
import { problem, type DefinitionProblem } from '../definitions/problems.js';
import type { Services } from '../services.js';
import type { RuleCondition, RulesetDefinition } from './definition.js';
import { parsePlainPath } from './path.js';

/** Rule event types that set a single-valued outcome, and the outcome's name. */
const SINGLE_VALUED: Readonly<Record<string, string>> = { route: 'queue', setPriority: 'priority', applySlaPolicy: 'SLA policy', escalate: 'escalation' };

function outcomesOf(definition: RulesetDefinition): Set<string> {
  const out = new Set<string>();
  for (const rule of definition.rules) {
    const outcome = rule.enabled === false ? undefined : SINGLE_VALUED[rule.event.type];
    if (outcome) out.add(outcome);
  }
  return out;
}

/** Whether `condition` is the event's type compared by `equal` / `in` / `notEqual` / `notIn` with a literal value. */
function eventTypeTest(condition: RuleCondition): boolean {
  if (condition.fact !== 'event' || typeof condition.path !== 'string') return false;
  const parsed = parsePlainPath(condition.path);
  return parsed.ok && parsed.keys.length === 1 && parsed.keys[0] === 'type';
}

/**
 * Whether `condition` can hold on the event `type`, judging only the tests of the event's type
 * every match must pass (the `all` chain from the top, a lone `any`): a rule written for
 * `sla.breached` never runs on `case.created`, whatever the workflow runs before it then.
 */
function canHoldOn(condition: RuleCondition, type: string): boolean {
  if (condition.all) return condition.all.every((child) => canHoldOn(child, type));
  if (condition.any && condition.any.length === 1) return canHoldOn(condition.any[0]!, type);
  if (!eventTypeTest(condition)) return true;
  const { operator, value } = condition;
  if (operator === 'equal') return value === type;
  if (operator === 'notEqual') return value !== type;
  if (operator === 'in') return !Array.isArray(value) || value.includes(type);
  if (operator === 'notIn') return !Array.isArray(value) || !value.includes(type);
  return true;
}

/** Where `name` runs after other rulesets: per workflow and event, the rulesets before it. */
function runsAfter(services: Services, name: string): { workflow: string; event: string; before: string[] }[] {
  const { definitions } = services;
  const found: { workflow: string; event: string; before: string[] }[] = [];
  for (const workflow of definitions.names('workflow')) {
    if (definitions.publishedVersion('workflow', workflow) === null) continue;
    const triggers = definitions.workflow(workflow).definition.triggers ?? {};
    for (const [event, rulesets] of Object.entries(triggers)) {
      const at = rulesets.indexOf(name);
      if (at > 0) found.push({ workflow, event, before: rulesets.slice(0, at) });
    }
  }
  return found;
}

export function lintRulesetOrder(services: Services, name: string, body: RulesetDefinition): DefinitionProblem[] {
  const { definitions } = services;
  const earlier = new Map<string, Set<string>>();
  const outcomesOfRuleset = (ruleset: string) => {
    let set = earlier.get(ruleset);
    if (!set) {
      const version = definitions.publishedVersion('ruleset', ruleset);
      const body = version === null ? undefined : (definitions.version('ruleset', ruleset, version)?.body as RulesetDefinition | undefined);
      set = Array.isArray(body?.rules) ? outcomesOf(body) : new Set();
      earlier.set(ruleset, set);
    }
    return set;
  };
  const places = runsAfter(services, name);
  const problems: DefinitionProblem[] = [];
  body.rules.forEach((rule, i) => {
    const outcome = rule.enabled === false ? undefined : SINGLE_VALUED[rule.event.type];
    if (!outcome) return;
    for (const place of places) {
      if (!canHoldOn(rule.conditions, place.event)) continue;
      const first = place.before.find((ruleset) => outcomesOfRuleset(ruleset).has(outcome));
      if (!first) continue;
      problems.push(
        problem(
          ['rules', i, 'event', 'type'],
          `"${rule.event.type}" applies only when "${first}" sets no ${outcome}: workflow "${place.workflow}" runs "${first}" before this ruleset on ${place.event}, and the first ruleset to set an outcome decides it, whatever the rule priorities`,
          'warning',
        ),
      );
      return;
    }
  });
  return problems;
}
