/**
 * Checks a ruleset before it is published, beyond validation (which already refuses
 * unknown queues and policies):
 * - a rule that can never fire because its conditions contradict each other on one fact
 *   (`priority equal urgent` and `priority equal low`; `tier greaterThan 2` and
 *   `tier lessThan 2`; `queue in [a, b]` and `queue equal c`) — a warning;
 * - two rules at the same priority that set different values of the same single-valued
 *   outcome (queue, priority, SLA policy, escalation) and whose conditions can hold at the
 *   same time — a warning: file order silently decides between them.
 *
 * The analysis looks at the conditions every match must meet: leaves reached from the top
 * through `all` only, with constant values. What it cannot decide (`any`, `not`, text
 * operators, fact-to-fact comparisons) it assumes satisfiable, so it never warns wrongly
 * about a contradiction; an overlap warning means "no constraint keeps these apart".
 */
import { problem, type DefinitionProblem } from '../definitions/problems.js';
import type { RuleCondition, RuleJson, RulesetDefinition } from './definition.js';

interface Constraint {
  key: string;
  operator: string;
  value: unknown;
  path: (string | number)[];
}

/** Leaves every match must satisfy: the `all` chain from the top. */
function requiredLeaves(condition: RuleCondition, path: (string | number)[], out: Constraint[]): Constraint[] {
  if (condition.all) {
    condition.all.forEach((child, i) => requiredLeaves(child, [...path, 'all', i], out));
    return out;
  }
  if (condition.any && condition.any.length === 1) return requiredLeaves(condition.any[0]!, [...path, 'any', 0], out);
  if (condition.fact && condition.operator && !isFactRef(condition.value)) {
    out.push({ key: `${condition.fact}${condition.path ?? ''}`, operator: condition.operator, value: condition.value, path });
  }
  return out;
}

function isFactRef(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'fact' in value;
}

type Domain = { allowed: unknown[] | null; excluded: unknown[]; min: number; minOpen: boolean; max: number; maxOpen: boolean };

function emptyDomain(): Domain {
  return { allowed: null, excluded: [], min: -Infinity, minOpen: false, max: Infinity, maxOpen: false };
}

function restrict(d: Domain, c: Constraint): void {
  const v = c.value;
  switch (c.operator) {
    case 'equal':
      d.allowed = d.allowed === null ? [v] : d.allowed.filter((x) => x === v);
      break;
    case 'in':
      if (Array.isArray(v)) d.allowed = d.allowed === null ? [...v] : d.allowed.filter((x) => v.includes(x));
      break;
    case 'notEqual':
      d.excluded.push(v);
      break;
    case 'notIn':
      if (Array.isArray(v)) d.excluded.push(...v);
      break;
    case 'greaterThan':
    case 'greaterThanInclusive':
      if (typeof v === 'number' && (v > d.min || (v === d.min && c.operator === 'greaterThan'))) {
        d.min = v;
        d.minOpen = c.operator === 'greaterThan';
      }
      break;
    case 'lessThan':
    case 'lessThanInclusive':
      if (typeof v === 'number' && (v < d.max || (v === d.max && c.operator === 'lessThan'))) {
        d.max = v;
        d.maxOpen = c.operator === 'lessThan';
      }
      break;
  }
}

function inRange(d: Domain, x: unknown): boolean {
  if (d.min === -Infinity && d.max === Infinity) return true;
  const n = typeof x === 'number' ? x : Number.parseFloat(String(x));
  if (Number.isNaN(n)) return false;
  return (d.minOpen ? n > d.min : n >= d.min) && (d.maxOpen ? n < d.max : n <= d.max);
}

function satisfiable(d: Domain): boolean {
  if (d.min > d.max || (d.min === d.max && (d.minOpen || d.maxOpen))) return false;
  if (d.allowed === null) return true;
  return d.allowed.some((x) => !d.excluded.includes(x) && inRange(d, x));
}

/** The fact (and path) whose constraints contradict each other, or null. */
function contradiction(constraints: Constraint[]): Constraint[] | null {
  const byKey = new Map<string, Constraint[]>();
  for (const c of constraints) byKey.set(c.key, [...(byKey.get(c.key) ?? []), c]);
  for (const list of byKey.values()) {
    const d = emptyDomain();
    for (const c of list) restrict(d, c);
    if (!satisfiable(d)) return list;
  }
  return null;
}

const SINGLE_VALUED: Record<string, string> = { route: 'queue', setPriority: 'case priority', applySlaPolicy: 'SLA policy', escalate: 'escalation' };

function outcomeValue(rule: RuleJson): string {
  return JSON.stringify(rule.event.params ?? {});
}

function label(rule: RuleJson, index: number): string {
  return rule.name ? `"${rule.name}"` : `rules[${index}]`;
}

function describeFact(key: string): string {
  return key.replace('$.', '.');
}

export function lintRuleset(definition: RulesetDefinition): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const leaves = definition.rules.map((rule) => requiredLeaves(rule.conditions, [], []));
  definition.rules.forEach((rule, i) => {
    const clash = contradiction(leaves[i]!);
    if (clash) {
      problems.push(
        problem(
          ['rules', i, 'conditions', ...clash[clash.length - 1]!.path],
          `${label(rule, i)} can never fire: its conditions on ${describeFact(clash[0]!.key)} contradict each other`,
          'warning',
        ),
      );
    }
  });
  for (let i = 0; i < definition.rules.length; i++) {
    const a = definition.rules[i]!;
    const outcome = SINGLE_VALUED[a.event.type];
    if (!outcome || contradiction(leaves[i]!)) continue;
    for (let j = i + 1; j < definition.rules.length; j++) {
      const b = definition.rules[j]!;
      if (b.event.type !== a.event.type || (b.priority ?? 1) !== (a.priority ?? 1) || outcomeValue(a) === outcomeValue(b)) continue;
      if (contradiction([...leaves[i]!, ...leaves[j]!])) continue;
      problems.push(
        problem(
          ['rules', j],
          `${label(b, j)} and ${label(a, i)} set different ${outcome} values at the same rule priority (${a.priority ?? 1}) and can match the same case; ${label(a, i)} wins by file order — give one a higher priority or make their conditions exclusive`,
          'warning',
        ),
      );
    }
  }
  return problems;
}
