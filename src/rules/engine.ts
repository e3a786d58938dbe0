/**
 * One json-rules-engine Engine per ruleset version, built once and reused. Rules run
 * exactly as json-rules-engine runs them; we only add our operators.
 */
import { Engine, Rule, type RuleProperties, type TopLevelCondition } from 'json-rules-engine';
import type { DefinitionProblem } from '../definitions/problems.js';
import type { FastRuleset } from './compile.js';
import type { RuleJson, RulesetDefinition } from './definition.js';
import { CUSTOM_OPERATORS } from './operators.js';
import { resolvePath } from './path.js';
import { rulePriority } from './priority.js';

export interface CompiledRule {
  /** Position in the file: breaks priority ties (earlier wins). */
  index: number;
  /** The rule's name, or `#<index>` when it has none. */
  label: string;
  /** As json-rules-engine reads it (priority.ts: 10.5 is 10). */
  priority: number;
}

export interface CompiledRuleset {
  name: string;
  version: number;
  definition: RulesetDefinition;
  engine: Engine;
  /** By the name given to json-rules-engine (always unique: see `engineName`). */
  rules: Map<string, CompiledRule>;
  /** The same rules compiled to plain functions (compile.ts), when they support every construct; set by `prepareRuleset`. */
  fast: FastRuleset | null;
  /** A stored version: what loading it warned about, though it runs (registry.ts). */
  warnings?: DefinitionProblem[];
}

/** Names handed to json-rules-engine; unnamed rules get their position. */
function engineName(rule: { name?: string }, index: number): string {
  return rule.name ?? `#${index}`;
}

export function createEngine(rules: RuleProperties[] = []): Engine {
  const engine = new Engine(rules, { allowUndefinedFacts: true, replaceFactsInEventParams: false, pathResolver: resolvePath });
  for (const operator of CUSTOM_OPERATORS) engine.addOperator(operator);
  return engine;
}

/** A rule as handed to json-rules-engine (its priority as written: the engine reads it itself). */
function ruleProperties(rule: RuleJson, label: string): RuleProperties {
  return {
    name: label,
    ...(rule.priority === undefined ? {} : { priority: rule.priority }),
    conditions: structuredClone(rule.conditions) as TopLevelCondition,
    event: structuredClone(rule.event) as RuleProperties['event'],
  };
}

/**
 * The condition tree with each node copied (values shared): all json-rules-engine's
 * constructors change in what they are given is a leaf's `priority` (parseInt'd).
 */
function nodesCopied(condition: unknown): unknown {
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) return condition;
  const copy: Record<string, unknown> = { ...condition };
  for (const key of ['all', 'any'] as const) if (Array.isArray(copy[key])) copy[key] = (copy[key] as unknown[]).map(nodesCopied);
  if ('not' in copy) copy.not = nodesCopied(copy.not);
  return copy;
}

/** Why json-rules-engine refuses to build `rule` (its own message), or null when it builds it. */
export function ruleRefusal(rule: RuleJson): string | null {
  try {
    new Rule({ name: rule.name ?? '#0', ...(rule.priority === undefined ? {} : { priority: rule.priority }), conditions: nodesCopied(rule.conditions) as TopLevelCondition, event: rule.event });
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Throws json-rules-engine's own error when it refuses a rule (validated rulesets never do). */
export function compileRuleset(definition: RulesetDefinition, version: number): CompiledRuleset {
  const rules = new Map<string, CompiledRule>();
  const props: RuleProperties[] = definition.rules.map((rule, index) => {
    const label = engineName(rule, index);
    rules.set(label, { index, label, priority: rulePriority(rule.priority) });
    return ruleProperties(rule, label);
  });
  const engine = createEngine(props);
  for (const [name, condition] of Object.entries(definition.sharedConditions ?? {})) engine.setCondition(name, nodesCopied(condition) as TopLevelCondition);
  return { name: definition.ruleset, version, definition, engine, rules, fast: null };
}
