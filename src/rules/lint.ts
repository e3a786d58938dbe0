/**
 * Checks a ruleset before it is published, beyond validation (which already refuses
 * unknown queues and policies):
 * - a rule that can never fire because its conditions contradict each other on one fact
 *   (`priority equal urgent` and `priority equal low`; `tier greaterThan 2` and
 *   `tier lessThan 2`; `queue in [a, b]` and `queue equal c`) — a warning;
 * - two rules at the same priority that set different values of the same single-valued
 *   outcome (queue, priority, SLA policy, escalation) and whose conditions can hold at the
 *   same time — a warning: file order silently decides between them;
 * - an empty `all` / `any` group (true in json-rules-engine): a rule that fires on every
 *   case, never fires, or has a group that narrows nothing — a warning (lint-empty-groups.ts);
 * - a condition comparing a field with a value it never has (the text "1" for the tier,
 *   "Urgent" for the priority, a state no workflow has): it never holds, or always — a
 *   warning (lint-values.ts).
 *
 * The analysis looks at the conditions every match must meet: leaves reached from the top
 * through `all` only, with constant values. What it cannot decide (`any`, `not`, text
 * operators, fact-to-fact comparisons) it assumes satisfiable, so it never warns wrongly
 * about a contradiction; an overlap warning means "no constraint keeps these apart".
 */
import { jsonPath, problem, type DefinitionProblem } from '../definitions/problems.js';
import type { RuleCondition, RuleJson, RulesetDefinition } from './definition.js';
import { emptyGroupProblem } from './lint-empty-groups.js';
import { valueProblems, type KnownValues } from './lint-values.js';
import { parsePlainPath } from './path.js';
import { rulePriority } from './priority.js';

interface Constraint {
  key: string;
  operator: string;
  value: unknown;
  path: (string | number)[];
}

/** One key per fact and property, however the path is spelled (`$.tier`, `$['tier']`). */
function keyOf(fact: string, path: string | undefined): string {
  if (path === undefined) return fact;
  const parsed = parsePlainPath(path);
  return parsed.ok ? `${fact}${jsonPath(parsed.keys)}` : `${fact}${path}`;
}

/** Leaves every match must satisfy: the `all` chain from the top. */
function requiredLeaves(condition: RuleCondition, path: (string | number)[], out: Constraint[]): Constraint[] {
  if (condition.all) {
    condition.all.forEach((child, i) => requiredLeaves(child, [...path, 'all', i], out));
    return out;
  }
  if (condition.any && condition.any.length === 1) return requiredLeaves(condition.any[0]!, [...path, 'any', 0], out);
  if (condition.fact && condition.operator && !isFactRef(condition.value)) {
    out.push({ key: keyOf(condition.fact, condition.path), operator: condition.operator, value: condition.value, path });
  }
  return out;
}

function isFactRef(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, 'fact');
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
      raiseMin(d, v, c.operator === 'greaterThan');
      break;
    case 'lessThan':
    case 'lessThanInclusive':
      lowerMax(d, v, c.operator === 'lessThan');
      break;
  }
}

function raiseMin(d: Domain, v: unknown, open: boolean): void {
  if (typeof v === 'number' && (v > d.min || (v === d.min && open))) {
    d.min = v;
    d.minOpen = open;
  }
}

function lowerMax(d: Domain, v: unknown, open: boolean): void {
  if (typeof v === 'number' && (v < d.max || (v === d.max && open))) {
    d.max = v;
    d.maxOpen = open;
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

/** What one rule's required leaves allow, per fact and property; computed once per rule. */
interface RuleDomains {
  domains: Map<string, Domain>;
  /** The same, as parallel arrays (faster to walk than the map). */
  keys: string[];
  list: Domain[];
  /** The constraints on the first fact whose constraints contradict each other, or null. */
  clash: Constraint[] | null;
}

function domainsOf(constraints: Constraint[]): RuleDomains {
  const byKey = new Map<string, Constraint[]>();
  for (const c of constraints) {
    const list = byKey.get(c.key);
    if (list) list.push(c);
    else byKey.set(c.key, [c]);
  }
  const domains = new Map<string, Domain>();
  let clash: Constraint[] | null = null;
  for (const [key, list] of byKey) {
    const d = emptyDomain();
    for (const c of list) restrict(d, c);
    if (!unconstrained(d)) domains.set(key, d);
    if (clash === null && !satisfiable(d)) clash = list;
  }
  return { domains, keys: [...domains.keys()], list: [...domains.values()], clash };
}

function unconstrained(d: Domain): boolean {
  return d.allowed === null && d.excluded.length === 0 && d.min === -Infinity && d.max === Infinity;
}

/** Whether some value meets both domains (without building their intersection). */
function compatible(a: Domain, b: Domain): boolean {
  if (a.allowed !== null && b.allowed !== null && a.allowed.length === 1 && b.allowed.length === 1 && a.allowed[0] !== b.allowed[0]) return false;
  let min = a.min;
  let minOpen = a.minOpen;
  let max = a.max;
  let maxOpen = a.maxOpen;
  if (b.min > min || (b.min === min && b.minOpen)) {
    min = b.min;
    minOpen = b.minOpen;
  }
  if (b.max < max || (b.max === max && b.maxOpen)) {
    max = b.max;
    maxOpen = b.maxOpen;
  }
  if (min > max || (min === max && (minOpen || maxOpen))) return false;
  if (a.allowed === null && b.allowed === null) return true;
  const bound: Domain = { allowed: null, excluded: [], min, minOpen, max, maxOpen };
  const [candidates, other] = a.allowed === null ? [b.allowed!, null] : [a.allowed, b.allowed];
  return candidates.some((x) => (other === null || other.includes(x)) && !a.excluded.includes(x) && !b.excluded.includes(x) && inRange(bound, x));
}

/** Whether some case can meet the required conditions of both rules. */
function canOverlap(a: RuleDomains, b: RuleDomains): boolean {
  const small = a.keys.length <= b.keys.length ? a : b;
  const large = small === a ? b : a;
  for (let k = 0; k < small.keys.length; k++) {
    const other = large.domains.get(small.keys[k]!);
    if (other !== undefined && !compatible(small.list[k]!, other)) return false;
  }
  return true;
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

/**
 * Linear in the rules for the contradictions; for the overlaps, only rules with the same
 * single-valued event type and rule priority are compared (each rule's constraints are
 * reduced to domains once), and each rule gets one warning, naming the first earlier rule
 * it overlaps with.
 */
export function lintRuleset(definition: RulesetDefinition, known: KnownValues = {}): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const rules = definition.rules.map((rule) => domainsOf(requiredLeaves(rule.conditions, [], [])));
  const groups = new Map<string, number[]>();
  definition.rules.forEach((rule, i) => {
    if (rule.enabled === false) return; // switched off: it never fires, so it conflicts with nothing
    const empty = emptyGroupProblem(rule, i, label(rule, i));
    if (empty) problems.push(empty);
    problems.push(...valueProblems(rule, i, label(rule, i), known));
    const clash = rules[i]!.clash;
    if (clash) {
      problems.push(
        problem(
          ['rules', i, 'conditions', ...clash[clash.length - 1]!.path],
          `${label(rule, i)} can never fire: its conditions on ${describeFact(clash[0]!.key)} contradict each other`,
          'warning',
        ),
      );
      return;
    }
    if (!Object.hasOwn(SINGLE_VALUED, rule.event.type)) return;
    const group = `${rule.event.type} ${rulePriority(rule.priority)}`; // as json-rules-engine reads it (priority.ts)
    const list = groups.get(group);
    if (list) list.push(i);
    else groups.set(group, [i]);
  });
  problems.push(...labelClashes(definition));
  const overlaps: DefinitionProblem[] = [];
  for (const members of groups.values()) {
    const outcomes = members.map((i) => outcomeValue(definition.rules[i]!));
    for (let m = 1; m < members.length; m++) {
      const j = members[m]!;
      let first = -1;
      for (let n = 0; n < m && first === -1; n++) {
        if (outcomes[n] !== outcomes[m] && canOverlap(rules[members[n]!]!, rules[j]!)) first = members[n]!;
      }
      if (first === -1) continue;
      const a = definition.rules[first]!;
      const b = definition.rules[j]!;
      overlaps.push(
        problem(
          ['rules', j],
          `${label(b, j)} and ${label(a, first)} set different ${SINGLE_VALUED[a.event.type]} values at the same rule priority (${rulePriority(a.priority)}) and can match the same case; ${label(a, first)} wins by file order — give one a higher priority or make their conditions exclusive`,
          'warning',
        ),
      );
    }
  }
  overlaps.sort((x, y) => ruleIndex(x) - ruleIndex(y));
  return [...problems, ...overlaps];
}

/**
 * A name that is also how an unnamed rule is recorded: `#<n>`, its position among the rules
 * that run (engine.ts, compiled rulesets hold only those). Valid json-rules-engine, but the
 * fired rules on the timeline and "Why is this case here?" would show two rules as one.
 */
function labelClashes(definition: RulesetDefinition): DefinitionProblem[] {
  const unnamed = new Map<string, number>();
  let position = 0;
  definition.rules.forEach((rule, i) => {
    if (rule.enabled === false) return;
    if (rule.name === undefined) unnamed.set(`#${position}`, i);
    position++;
  });
  const out: DefinitionProblem[] = [];
  definition.rules.forEach((rule, i) => {
    const other = rule.enabled === false || rule.name === undefined ? undefined : unnamed.get(rule.name);
    if (other === undefined) return;
    out.push(problem(['rules', i, 'name'], `"${rule.name}" is also how the unnamed rules[${other}] is recorded (its position among the rules that run), so the timeline and "Why is this case here?" could not tell the two apart: name rules[${other}], or rename this one`, 'warning'));
  });
  return out;
}

function ruleIndex(p: DefinitionProblem): number {
  return Number(/^\$\.rules\[(\d+)\]/.exec(p.path)?.[1] ?? 0);
}
