/**
 * Empty condition groups (`"any": []`, `"all": []`). json-rules-engine evaluates a group with
 * no conditions as true — both kinds (7.3: `prioritizeAndRun` resolves `true` for an empty
 * list) — so `{ "any": [] }` at the top fires on every case, `{ "not": { "all": [] } }` never
 * fires, and an empty group inside others is a constant that changes nothing or everything.
 * Valid json-rules-engine, so a warning, never a refusal; `compile.ts` reads them the same way.
 */
import { problem, type DefinitionProblem, type PathSegment } from '../definitions/problems.js';
import type { RuleCondition, RuleJson } from './definition.js';

/** What a condition always evaluates to, when that does not depend on the case. */
type Constant = true | false | null;

function constantOf(condition: RuleCondition): Constant {
  if (condition.all) {
    const values = condition.all.map(constantOf);
    if (values.includes(false)) return false;
    return values.every((v) => v === true) ? true : null;
  }
  if (condition.any) {
    if (condition.any.length === 0) return true;
    const values = condition.any.map(constantOf);
    if (values.includes(true)) return true;
    return values.every((v) => v === false) ? false : null;
  }
  if (condition.not) {
    const inner = constantOf(condition.not);
    return inner === null ? null : !inner;
  }
  return null;
}

/** The path of the first empty `all` / `any` group, depth first, and which kind it is. */
function firstEmptyGroup(condition: RuleCondition, path: PathSegment[]): { path: PathSegment[]; kind: 'all' | 'any' } | null {
  for (const kind of ['all', 'any'] as const) {
    const children = condition[kind];
    if (!children) continue;
    if (children.length === 0) return { path: [...path, kind], kind };
    for (let i = 0; i < children.length; i++) {
      const found = firstEmptyGroup(children[i]!, [...path, kind, i]);
      if (found) return found;
    }
  }
  return condition.not ? firstEmptyGroup(condition.not, [...path, 'not']) : null;
}

/** One warning for a rule with an empty group: what the group makes of the rule. */
export function emptyGroupProblem(rule: RuleJson, index: number, label: string): DefinitionProblem | null {
  const found = firstEmptyGroup(rule.conditions, []);
  if (!found) return null;
  const where = ['rules', index, 'conditions', ...found.path];
  const why = `json-rules-engine treats an empty "${found.kind}" group as true`;
  const always = constantOf(rule.conditions);
  if (always === true) return problem(where, `${label} fires on every case: ${why} — add conditions or remove the group`, 'warning');
  if (always === false) return problem(where, `${label} never fires: ${why}, and "not" makes it false — add conditions or remove the group`, 'warning');
  return problem(where, `${label} has an empty "${found.kind}" group: ${why}, so it narrows nothing — add conditions or remove it`, 'warning');
}
