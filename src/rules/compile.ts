/**
 * Rules compiled to plain synchronous functions. They run intake and escalation (and the
 * dry-run's replays) whenever they support every construct of the ruleset — always, for a
 * ruleset that passed validation — and `RULES_ENGINE=reference` is not set; otherwise
 * json-rules-engine runs (`run-ruleset.ts`). json-rules-engine's promise-based evaluation
 * costs 65–90 µs per evaluation, this a few µs.
 *
 * The compiled form reproduces json-rules-engine's semantics exactly, and uses its own
 * operator implementations (taken from an Engine's operator map, so decorators and our
 * operators behave identically):
 * - a fact missing from the facts is `undefined` (the engine runs with allowUndefinedFacts);
 * - a `path` is resolved with the engine's own `pathResolver` (`resolvePath`, plain property
 *   paths only) on object-like fact values, otherwise the fact value itself is used;
 *   `value: { fact, path }` references likewise;
 * - `all` / `any` with no conditions are true; one condition is that condition;
 * - more conditions are grouped by `priority` (default 1, read as json-rules-engine reads it:
 *   priority.ts), highest first; every condition of
 *   a group is evaluated (so an operator that throws throws), then `all` stops at the first
 *   failing group and `any` at the first passing one;
 * - a rule that throws makes the whole evaluation fail, as `engine.run()` rejects;
 * - a rule's priority is json-rules-engine's reading of it (10.5 runs as 10), and a priority it
 *   refuses (0.5, read as 0) refuses the ruleset with its message.
 * `compile.test.ts` checks all of this against json-rules-engine with random rules and facts.
 */
import type { Engine } from 'json-rules-engine';
import type { FiredRule } from '../db/schema/cases.js';
import { hideNotifyUrls } from '../im/hidden-urls.js';
import type { RuleCondition, RulesetDefinition } from './definition.js';
import { compileRuleset, createEngine, type CompiledRuleset } from './engine.js';
import { parsePlainPath, pathReader } from './path.js';
import { decide, emptyDecisions, type Decisions, type Evaluation } from './evaluate.js';
import { conditionPriority, rulePriority } from './priority.js';

type FactBag = Record<string, unknown>;
type Predicate = (facts: FactBag) => boolean;

interface OperatorLike {
  evaluate(factValue: unknown, jsonValue: unknown): boolean;
}

interface OperatorMapLike {
  get(name: string): OperatorLike | null;
}

function factReader(fact: string, path: string | undefined): (facts: FactBag) => unknown {
  if (!path) return (facts) => facts[fact];
  const read = pathReader(path);
  return (facts) => {
    const value = facts[fact];
    return value !== null && typeof value === 'object' ? read(value) : value;
  };
}

function isFactRef(value: unknown): value is { fact: string; path?: string } {
  return value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, 'fact');
}

function compileGroup(children: RuleCondition[], mode: 'all' | 'any', operators: OperatorMapLike): Predicate {
  if (children.length === 0) return () => true;
  if (children.length === 1) return compileCondition(children[0]!, operators);
  const byPriority = new Map<number, Predicate[]>();
  for (const child of children) {
    const p = conditionPriority(child);
    const list = byPriority.get(p) ?? [];
    list.push(compileCondition(child, operators));
    byPriority.set(p, list);
  }
  const sets = [...byPriority.entries()].sort((a, b) => b[0] - a[0]).map(([, list]) => list);
  if (mode === 'all') {
    return (facts) => {
      for (const set of sets) {
        let ok = true;
        for (const predicate of set) if (!predicate(facts)) ok = false;
        if (!ok) return false;
      }
      return true;
    };
  }
  return (facts) => {
    for (const set of sets) {
      let ok = false;
      for (const predicate of set) if (predicate(facts)) ok = true;
      if (ok) return true;
    }
    return false;
  };
}

function compileCondition(condition: RuleCondition, operators: OperatorMapLike): Predicate {
  if (condition.all) return compileGroup(condition.all, 'all', operators);
  if (condition.any) return compileGroup(condition.any, 'any', operators);
  if (condition.not) {
    const inner = compileCondition(condition.not, operators);
    return (facts) => !inner(facts);
  }
  // json-rules-engine refuses these when a rule is built; so do we.
  if (!('value' in condition)) throw new Error('Condition: constructor "value" property required');
  if (!condition.operator) throw new Error('Condition: constructor "operator" property required');
  if (!condition.fact) throw new Error('Condition: constructor "fact" property required');
  const name = String(condition.operator);
  const operator = operators.get(name);
  const left = factReader(String(condition.fact), condition.path);
  const value = condition.value;
  const right = isFactRef(value) ? factReader(value.fact, value.path) : () => value;
  if (!operator) {
    return () => {
      throw new Error(`Unknown operator: ${name}`);
    };
  }
  return (facts) => {
    const r = right(facts);
    return operator.evaluate(left(facts), r);
  };
}

export interface FastRule {
  index: number;
  label: string;
  /** As json-rules-engine reads it (priority.ts). */
  priority: number;
  event: FiredRule['event'];
  /** The event as fired rules report it (timeline, case view): a notify `url` hidden (src/im/hidden-urls.ts). */
  recorded: FiredRule['event'];
  test: Predicate;
}

export interface FastRuleset {
  name: string;
  version: number;
  rules: FastRule[];
  /** Rules whose conditions hold, in file order; throws like `engine.run()` would. */
  fired(facts: FactBag): FiredRule[];
  /** Fired rules turned into decisions (same conflict resolution as evaluateRuleset). */
  decide(facts: FactBag): { fired: FiredRule[]; decisions: Decisions };
}

let sharedEngine: Engine | null = null;

function operatorMap(): OperatorMapLike {
  sharedEngine ??= createEngine();
  return (sharedEngine as unknown as { operators: OperatorMapLike }).operators;
}

/** Freezes a rule's event (its params are shared by every evaluation's fired rules). */
function frozen<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) frozen(v);
    Object.freeze(value);
  }
  return value;
}

export function compileFast(definition: RulesetDefinition, version: number): FastRuleset {
  const operators = operatorMap();
  const rules: FastRule[] = definition.rules.map((rule, index) => {
    const test = compileCondition(rule.conditions, operators);
    // json-rules-engine's Rule.setPriority (after the conditions, as its constructor), word for word.
    const priority = rulePriority(rule.priority);
    if (priority <= 0) throw new Error('Priority must be greater than zero');
    const event = frozen({ type: rule.event.type, ...(rule.event.params ? { params: structuredClone(rule.event.params) } : {}) });
    return { index, label: rule.name ?? `#${index}`, priority, event, recorded: frozen(hideNotifyUrls(event)), test };
  });
  // The engine evaluates higher rule priorities first; the order matters only for which
  // error is thrown first, and results are reported in file order either way.
  const evaluationOrder = [...rules].sort((a, b) => b.priority - a.priority || a.index - b.index);
  const hitsOf = (facts: FactBag): FastRule[] => {
    const hits: FastRule[] = [];
    for (const rule of evaluationOrder) if (rule.test(facts)) hits.push(rule);
    return hits.sort((a, b) => a.index - b.index);
  };
  const toFired = (r: FastRule): FiredRule => ({ rule: r.label, priority: r.priority, event: r.recorded });
  return {
    name: definition.ruleset,
    version,
    rules,
    fired: (facts) => hitsOf(facts).map(toFired),
    decide(facts) {
      const hits = hitsOf(facts);
      // Decisions need the real event (a notify rule's url); what is reported hides it.
      return { fired: hits.map(toFired), decisions: decide(hits.map((h) => ({ rule: h.label, priority: h.priority, event: h.event, index: h.index }))) };
    },
  };
}

const LEAF_KEYS = new Set(['fact', 'operator', 'value', 'path', 'params', 'name', 'priority']);
const GROUP_KEYS = new Set(['name', 'priority']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function operandProblem(value: unknown, at: string, out: string[]): void {
  if (!isFactRef(value)) return;
  if (typeof value.fact !== 'string') out.push(`${at}.value: a fact reference names its fact with a string`);
  if (value.path !== undefined && (typeof value.path !== 'string' || !parsePlainPath(value.path).ok)) out.push(`${at}.value.path: not a plain property path`);
}

function conditionProblems(condition: unknown, at: string, operators: OperatorMapLike, out: string[]): void {
  if (!isPlainObject(condition)) {
    out.push(`${at}: not a condition object`);
    return;
  }
  const group = (['all', 'any', 'not'] as const).filter((k) => k in condition);
  if ('condition' in condition) out.push(`${at}.condition: shared condition references`);
  if (group.length > 1) out.push(`${at}: more than one of all / any / not`);
  if (condition.priority !== undefined && typeof condition.priority !== 'number') out.push(`${at}.priority: not a number`);
  if (group.length === 1) {
    const key = group[0]!;
    for (const k of Object.keys(condition)) if (k !== key && !GROUP_KEYS.has(k)) out.push(`${at}.${k}: unknown key`);
    if (key === 'not') conditionProblems(condition.not, `${at}.not`, operators, out);
    else if (!Array.isArray(condition[key])) out.push(`${at}.${key}: not an array`);
    else (condition[key] as unknown[]).forEach((c, i) => conditionProblems(c, `${at}.${key}[${i}]`, operators, out));
    return;
  }
  if ('condition' in condition) return;
  for (const k of Object.keys(condition)) if (!LEAF_KEYS.has(k)) out.push(`${at}.${k}: unknown key`);
  if (typeof condition.fact !== 'string') out.push(`${at}.fact: not a string`);
  if (typeof condition.operator !== 'string' || operators.get(condition.operator) === null) out.push(`${at}.operator: unknown operator ${JSON.stringify(condition.operator)}`);
  if (condition.path !== undefined && (typeof condition.path !== 'string' || !parsePlainPath(condition.path).ok)) out.push(`${at}.path: not a plain property path`);
  if (!('value' in condition)) out.push(`${at}.value: missing`);
  operandProblem(condition.value, at, out);
}

/**
 * The constructs of `definition` the compiled form does not reproduce exactly (json-rules-engine
 * then runs the ruleset): shared condition references, unknown operators or keys, paths that are
 * not plain. Empty for every ruleset that passed validation.
 */
export function unsupportedConstructs(definition: RulesetDefinition): string[] {
  const out: string[] = [];
  const operators = operatorMap();
  definition.rules.forEach((rule, i) => {
    if (rule.priority !== undefined && (typeof rule.priority !== 'number' || rulePriority(rule.priority) <= 0)) out.push(`rules[${i}].priority: not a priority json-rules-engine accepts`);
    if (!isPlainObject(rule.event) || typeof rule.event.type !== 'string') out.push(`rules[${i}].event: not an event`);
    conditionProblems(rule.conditions, `rules[${i}].conditions`, operators, out);
  });
  return out;
}

/**
 * The ruleset for the registry: json-rules-engine's engine (the reference and the fallback)
 * and, when it supports every construct, the compiled form that runs instead.
 */
export function prepareRuleset(definition: RulesetDefinition, version: number): CompiledRuleset {
  const ruleset = compileRuleset(definition, version);
  ruleset.fast = unsupportedConstructs(definition).length === 0 ? compileFast(definition, version) : null;
  return ruleset;
}

/** `evaluateRuleset`'s result, computed by the compiled form: the same fired rules, decisions and errors. */
export function evaluateFast(ruleset: FastRuleset, facts: object): Evaluation {
  try {
    const { fired, decisions } = ruleset.decide(facts as FactBag);
    return { ruleset: ruleset.name, version: ruleset.version, fired, decisions, error: null };
  } catch (error) {
    return { ruleset: ruleset.name, version: ruleset.version, fired: [], decisions: emptyDecisions(), error: error instanceof Error ? error.message : String(error) };
  }
}
