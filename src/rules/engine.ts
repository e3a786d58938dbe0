/**
 * One json-rules-engine Engine per ruleset version, built once and reused. Rules run
 * exactly as json-rules-engine runs them; we only add our operators.
 */
import { Engine, type RuleProperties, type TopLevelCondition } from 'json-rules-engine';
import type { FastRuleset } from './compile.js';
import type { RulesetDefinition } from './definition.js';
import { CUSTOM_OPERATORS } from './operators.js';
import { resolvePath } from './path.js';

export interface CompiledRule {
  /** Position in the file: breaks priority ties (earlier wins). */
  index: number;
  /** The rule's name, or `#<index>` when it has none. */
  label: string;
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

export function compileRuleset(definition: RulesetDefinition, version: number): CompiledRuleset {
  const rules = new Map<string, CompiledRule>();
  const props: RuleProperties[] = definition.rules.map((rule, index) => {
    const label = engineName(rule, index);
    const priority = rule.priority ?? 1;
    rules.set(label, { index, label, priority });
    return {
      name: label,
      priority,
      conditions: structuredClone(rule.conditions) as TopLevelCondition,
      event: structuredClone(rule.event) as RuleProperties['event'],
    };
  });
  return { name: definition.ruleset, version, definition, engine: createEngine(props), rules, fast: null };
}
