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
 * - a shared condition (`{ "condition": name }`) is grouped among its siblings by the
 *   reference's own priority and evaluates as the shared condition (json-rules-engine's
 *   `realize`: shared-conditions.ts); each is compiled once per ruleset;
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
import { isConditionRef, type SharedConditions } from './shared-conditions.js';

type FactBag = Record<string, unknown>;
type Predicate = (facts: FactBag) => boolean;

interface OperatorLike {
  evaluate(factValue: unknown, jsonValue: unknown): boolean;
}

interface OperatorMapLike {
  get(name: string): OperatorLike | null;
}

/** What compiling a ruleset's conditions needs: the operators, and its shared conditions compiled once each. */
interface Compiler {
  operators: OperatorMapLike;
  shared: SharedConditions;
  /** Per name, the compiled shared condition (null until built, or when the ruleset has none of that name). */
  compiledShared: Map<string, { test: Predicate | null }>;
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

function compileGroup(children: RuleCondition[], mode: 'all' | 'any', compiler: Compiler): Predicate {
  if (children.length === 0) return () => true;
  if (children.length === 1) return compileCondition(children[0]!, compiler);
  const byPriority = new Map<number, Predicate[]>();
  for (const child of children) {
    const p = conditionPriority(child);
    const list = byPriority.get(p) ?? [];
    list.push(compileCondition(child, compiler));
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

/**
 * A reference: evaluates the shared condition compiled after the rules (json-rules-engine
 * builds the rules first, then `setCondition`s: their refusals come in that order).
 */
function compileReference(name: string, compiler: Compiler): Predicate {
  let holder = compiler.compiledShared.get(name);
  if (holder === undefined) compiler.compiledShared.set(name, (holder = { test: null }));
  const target = holder;
  return (facts) => {
    if (target.test === null) throw new Error(`No condition ${name} exists`);
    return target.test(facts);
  };
}

function compileCondition(condition: RuleCondition, compiler: Compiler): Predicate {
  if (isConditionRef(condition)) return compileReference(condition.condition, compiler);
  if (condition.all) return compileGroup(condition.all, 'all', compiler);
  if (condition.any) return compileGroup(condition.any, 'any', compiler);
  if (condition.not) {
    const inner = compileCondition(condition.not, compiler);
    return (facts) => !inner(facts);
  }
  // json-rules-engine refuses these when a rule is built; so do we.
  if (!('value' in condition)) throw new Error('Condition: constructor "value" property required');
  if (!condition.operator) throw new Error('Condition: constructor "operator" property required');
  if (!condition.fact) throw new Error('Condition: constructor "fact" property required');
  const name = String(condition.operator);
  const operator = compiler.operators.get(name);
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
  const compiler: Compiler = { operators: operatorMap(), shared: definition.sharedConditions ?? {}, compiledShared: new Map() };
  const rules: FastRule[] = definition.rules.map((rule, index) => {
    const test = compileCondition(rule.conditions, compiler);
    // json-rules-engine's Rule.setPriority (after the conditions, as its constructor), word for word.
    const priority = rulePriority(rule.priority);
    if (priority <= 0) throw new Error('Priority must be greater than zero');
    const event = frozen({ type: rule.event.type, ...(rule.event.params ? { params: structuredClone(rule.event.params) } : {}) });
    return { index, label: rule.name ?? `#${index}`, priority, event, recorded: frozen(hideNotifyUrls(event)), test };
  });
  // Every shared condition is built, used or not, after the rules: engine.setCondition builds
  // (and refuses) each in that order (engine.ts).
  for (const [name, shared] of Object.entries(compiler.shared)) {
    if (!isPlainObject(shared) || !['all', 'any', 'not', 'condition'].some((k) => Object.hasOwn(shared, k))) {
      throw new Error('"conditions" root must contain a single instance of "all", "any", "not", or "condition"');
    }
    const test = compileCondition(shared, compiler);
    const holder = compiler.compiledShared.get(name);
    if (holder) holder.test = test;
    else compiler.compiledShared.set(name, { test });
  }
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

function conditionProblems(condition: unknown, at: string, operators: OperatorMapLike, shared: SharedConditions, out: string[]): void {
  if (!isPlainObject(condition)) {
    out.push(`${at}: not a condition object`);
    return;
  }
  const group = (['all', 'any', 'not'] as const).filter((k) => k in condition);
  if ('condition' in condition) {
    if (group.length > 0 || typeof condition.condition !== 'string' || !Object.hasOwn(shared, condition.condition)) out.push(`${at}.condition: not a reference to a shared condition of the ruleset`);
    for (const k of Object.keys(condition)) if (k !== 'condition' && !GROUP_KEYS.has(k)) out.push(`${at}.${k}: unknown key`);
    return;
  }
  if (group.length > 1) out.push(`${at}: more than one of all / any / not`);
  if (condition.priority !== undefined && typeof condition.priority !== 'number') out.push(`${at}.priority: not a number`);
  if (group.length === 1) {
    const key = group[0]!;
    for (const k of Object.keys(condition)) if (k !== key && !GROUP_KEYS.has(k)) out.push(`${at}.${k}: unknown key`);
    if (key === 'not') conditionProblems(condition.not, `${at}.not`, operators, shared, out);
    else if (!Array.isArray(condition[key])) out.push(`${at}.${key}: not an array`);
    else (condition[key] as unknown[]).forEach((c, i) => conditionProblems(c, `${at}.${key}[${i}]`, operators, shared, out));
    return;
  }
  for (const k of Object.keys(condition)) if (!LEAF_KEYS.has(k)) out.push(`${at}.${k}: unknown key`);
  if (typeof condition.fact !== 'string') out.push(`${at}.fact: not a string`);
  if (typeof condition.operator !== 'string' || operators.get(condition.operator) === null) out.push(`${at}.operator: unknown operator ${JSON.stringify(condition.operator)}`);
  if (condition.path !== undefined && (typeof condition.path !== 'string' || !parsePlainPath(condition.path).ok)) out.push(`${at}.path: not a plain property path`);
  if (!('value' in condition)) out.push(`${at}.value: missing`);
  operandProblem(condition.value, at, out);
}

/**
 * The constructs of `definition` the compiled form does not reproduce exactly (json-rules-engine
 * then runs the ruleset): a reference to a shared condition the ruleset does not define, a
 * cycle of shared conditions, unknown operators or keys, paths that are not plain. Empty for every ruleset that passed validation.
 */
export function unsupportedConstructs(definition: RulesetDefinition): string[] {
  const out: string[] = [];
  const operators = operatorMap();
  const shared = definition.sharedConditions ?? {};
  if (!isPlainObject(shared)) return ['sharedConditions: not an object'];
  for (const [name, condition] of Object.entries(shared)) conditionProblems(condition, `sharedConditions[${JSON.stringify(name)}]`, operators, shared, out);
  if (sharedCycle(shared)) out.push('sharedConditions: a shared condition refers back to itself');
  definition.rules.forEach((rule, i) => {
    if (rule.priority !== undefined && (typeof rule.priority !== 'number' || rulePriority(rule.priority) <= 0)) out.push(`rules[${i}].priority: not a priority json-rules-engine accepts`);
    if (!isPlainObject(rule.event) || typeof rule.event.type !== 'string') out.push(`rules[${i}].event: not an event`);
    conditionProblems(rule.conditions, `rules[${i}].conditions`, operators, shared, out);
  });
  return out;
}

/** Whether some shared condition reaches itself through its references. */
function sharedCycle(shared: SharedConditions): boolean {
  const state = new Map<string, 'open' | 'done'>();
  const refs = (c: unknown, out: string[]): string[] => {
    if (!isPlainObject(c)) return out;
    if (isConditionRef(c)) out.push(String(c.condition));
    for (const key of ['all', 'any'] as const) if (Array.isArray(c[key])) (c[key] as unknown[]).forEach((x) => refs(x, out));
    if (c.not !== undefined) refs(c.not, out);
    return out;
  };
  const cyclic = (name: string): boolean => {
    if (state.get(name) === 'done' || !Object.hasOwn(shared, name)) return false;
    if (state.get(name) === 'open') return true;
    state.set(name, 'open');
    const found = refs(shared[name], []).some(cyclic);
    state.set(name, 'done');
    return found;
  };
  return Object.keys(shared).some(cyclic);
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
