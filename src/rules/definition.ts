/**
 * The ruleset format (`rules/<name>.json`): `{ "ruleset": name, "rules": [...] }`, each
 * rule exactly in json-rules-engine's JSON (conditions with all/any/not, fact, path,
 * operator, value, params; name, priority, event { type, params }), and optionally the
 * shared conditions its rules refer to (`"sharedConditions"`, `{ "condition": name }`:
 * shared-conditions.ts).
 *
 * Validation goes beyond the shape: facts, operators and event types must be known, event
 * params must fit their type, and queues / SLA policies / templates must exist. Every
 * problem is reported (not just the first), each with its JSON path.
 */
import { z } from 'zod';
import { PRIORITIES } from '../db/schema/cases.js';
import { escalationTargetProblems } from '../definitions/escalation-target.js';
import { hasErrors, problem, problemsFromZod, type DefinitionProblem, type PathSegment } from '../definitions/problems.js';
import { NOTIFY_TARGETS, TEMPLATE_NAMES } from '../notifications/templates.js';
import { ruleRefusal } from './engine.js';
import { CRM_FIELDS, FACT_FIELDS, FACT_NAMES, OPEN_FACTS } from './facts.js';
import { IM_TARGETS, imUrlSchema } from '../im/targets.js';
import { OPERATOR_DECORATORS, OPERATOR_NAMES } from './operators.js';
import { parsePlainPath } from './path.js';
import { conditionPriority, isWholePriority, MAX_PRIORITY, rulePriority } from './priority.js';
import { textWords } from './words.js';
import { tagSchema } from './tags.js';
import { validateExamples, type RuleExample } from './example-format.js';
import { SHARED_CONDITION_NAME_MAX, sharedConditionProblems, type SharedConditions } from './shared-conditions.js';

export interface RuleCondition {
  fact?: string;
  operator?: string;
  value?: unknown;
  path?: string;
  params?: Record<string, unknown>;
  all?: RuleCondition[];
  any?: RuleCondition[];
  not?: RuleCondition;
  condition?: string;
  name?: string;
  priority?: number;
}

export interface RuleJson {
  name?: string;
  priority?: number;
  /** `false` keeps the rule in the file without running it (absent: enabled). */
  enabled?: boolean;
  conditions: RuleCondition;
  event: { type: string; params?: Record<string, unknown> };
}

export interface RulesetDefinition {
  ruleset: string;
  description?: string;
  rules: RuleJson[];
  /** Conditions the rules refer to by name (`{ "condition": name }`), json-rules-engine's `setCondition`. */
  sharedConditions?: SharedConditions;
  /** Cases and what must happen to them, checked on every save and publish (examples.ts). */
  examples?: RuleExample[];
}

/** The rules that run: those not switched off with `"enabled": false`, in file order. */
export function enabledRules(definition: RulesetDefinition): RulesetDefinition {
  return definition.rules.some((r) => r.enabled === false) ? { ...definition, rules: definition.rules.filter((r) => r.enabled !== false) } : definition;
}

const tag = tagSchema;

/** Rule event types (the actions rules can take) and their params. */
export const EVENT_PARAMS = {
  route: z.strictObject({ queue: z.string().min(1) }),
  setPriority: z.strictObject({ priority: z.enum(PRIORITIES) }),
  addTags: z.strictObject({ tags: z.array(tag).min(1) }),
  requireSkills: z.strictObject({ skills: z.array(tag).min(1) }),
  applySlaPolicy: z.strictObject({ policy: z.string().min(1) }),
  escalate: z.strictObject({
    tier: z.number().int().min(1).max(9),
    queue: z.string().min(1).optional(),
    reason: z.string().min(1).max(500).optional(),
  }),
  /** Mail (`to` a recipient or an address), or a chat post (`to` slack or teams, `url` optional: else the queue's). */
  notify: z
    .strictObject({
      to: z.union([z.enum(NOTIFY_TARGETS), z.enum(IM_TARGETS), z.email()]),
      template: z.enum(TEMPLATE_NAMES),
      url: imUrlSchema.optional(),
    })
    .refine((p) => p.url === undefined || (IM_TARGETS as readonly string[]).includes(p.to), { path: ['url'], message: 'only the slack and teams targets take a url' }),
  /** Offer the diagnosed known problem's solution to the customer (portal and mail). */
  offerSolution: z.strictObject({}),
} as const;
export type RuleEventType = keyof typeof EVENT_PARAMS;
export const RULE_EVENT_TYPES = Object.keys(EVENT_PARAMS) as RuleEventType[];

export interface RulesetValidationContext {
  /** Existing queue ids; null skips the check. */
  queues: ReadonlySet<string> | null;
  /**
   * The active queues' tiers, where an `escalate` event can go (its queue at its tier, or some
   * queue of its tier: src/definitions/escalation-target.ts); absent or null skips the check.
   */
  queueTiers?: ReadonlyMap<string, number> | null;
  /** Existing SLA policy names; null skips the check. */
  policies: ReadonlySet<string> | null;
  /**
   * The version is already stored (a stored version being loaded, a file read at start-up):
   * a priority json-rules-engine runs as another whole number (10.5 as 10) is a warning, not
   * an error, and the version runs as json-rules-engine reads it (priority.ts). New versions
   * are refused for it.
   */
  stored?: boolean;
}

/** Ruleset names: they become file names (`rules/<name>.json`) and URL segments. */
export const RULESET_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** Names a ruleset cannot have: `rules/sla.json` is the SLA configuration. */
export const RESERVED_RULESET_NAMES: ReadonlySet<string> = new Set(['sla']);
/** Deepest nesting of all / any / not accepted (validation walks it recursively). */
export const MAX_CONDITION_DEPTH = 32;

/** Why `name` cannot name a ruleset, or null when it can. */
export function rulesetNameProblem(name: string): string | null {
  if (!RULESET_NAME.test(name)) return 'a ruleset name is 1 to 64 lower-case letters, digits and "-", starting with a letter or digit';
  if (RESERVED_RULESET_NAMES.has(name)) return `"${name}" is reserved (rules/${name}.json is the SLA configuration)`;
  return null;
}

export type RulesetValidation =
  | { ok: true; definition: RulesetDefinition; problems: DefinitionProblem[] }
  | { ok: false; problems: DefinitionProblem[] };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates a ruleset document. `expectedName` (from the file name or URL) must match `ruleset`. */
export function validateRuleset(json: unknown, context: RulesetValidationContext, expectedName?: string): RulesetValidation {
  const problems: DefinitionProblem[] = [];
  if (!isObject(json)) return { ok: false, problems: [problem([], 'a ruleset is an object { "ruleset": name, "rules": [...] }')] };

  for (const key of Object.keys(json)) {
    if (!['ruleset', 'description', 'rules', 'sharedConditions', 'examples', '$schema'].includes(key)) problems.push(problem([key], `unknown key "${key}"`));
  }
  const nameProblem = typeof json.ruleset === 'string' ? rulesetNameProblem(json.ruleset) : 'the ruleset needs a name';
  if (nameProblem !== null) {
    problems.push(problem(['ruleset'], nameProblem));
  } else if (expectedName !== undefined && json.ruleset !== expectedName) {
    problems.push(problem(['ruleset'], `the ruleset is named "${json.ruleset}" but is stored as "${expectedName}"`));
  }
  if (json.description !== undefined && typeof json.description !== 'string') {
    problems.push(problem(['description'], 'must be a string'));
  }
  if (!Array.isArray(json.rules)) {
    problems.push(problem(['rules'], 'must be an array of rules'));
    return { ok: false, problems };
  }

  const shared = validateSharedConditions(json.sharedConditions, problems, context.stored === true);
  const names = new Map<string, number>();
  json.rules.forEach((rule, i) => {
    const before = problems.length;
    validateRule(rule, ['rules', i], context, problems);
    if (!hasErrors(problems.slice(before))) problems.push(...engineRefusal(rule, ['rules', i]));
    if (isObject(rule) && typeof rule.name === 'string') {
      const first = names.get(rule.name);
      if (first !== undefined) problems.push(problem(['rules', i, 'name'], `the name "${rule.name}" is already used by rules[${first}]`));
      else names.set(rule.name, i);
    }
  });

  if (shared !== null && !hasErrors(problems)) problems.push(...sharedConditionProblems(shared, json.rules));
  if (json.examples !== undefined) validateExamples(json.examples, ['examples'], problems);

  if (problems.some((p) => p.severity === 'error')) return { ok: false, problems };
  return { ok: true, definition: json as unknown as RulesetDefinition, problems };
}

/** The `sharedConditions` object: each a condition whose top is all / any / not (or another reference), as `engine.setCondition` requires. */
function validateSharedConditions(value: unknown, problems: DefinitionProblem[], stored: boolean): SharedConditions | null {
  if (value === undefined) return {};
  if (!isObject(value)) {
    problems.push(problem(['sharedConditions'], 'must be an object of named conditions: { "name": { "all": [...] } }'));
    return null;
  }
  for (const [name, condition] of Object.entries(value)) {
    if (name.trim() === '' || name.length > SHARED_CONDITION_NAME_MAX) {
      problems.push(problem(['sharedConditions', name], `a shared condition's name is 1 to ${SHARED_CONDITION_NAME_MAX} characters, not only spaces`));
      continue;
    }
    validateTopCondition(condition, ['sharedConditions', name], problems, stored);
  }
  return value as SharedConditions;
}

function validateRule(rule: unknown, at: PathSegment[], context: RulesetValidationContext, problems: DefinitionProblem[]): void {
  if (!isObject(rule)) {
    problems.push(problem(at, 'a rule is an object with "conditions" and "event"'));
    return;
  }
  for (const key of Object.keys(rule)) {
    if (!['name', 'priority', 'enabled', 'conditions', 'event'].includes(key)) {
      problems.push(problem([...at, key], key === 'onSuccess' || key === 'onFailure' ? 'callbacks cannot be stored in JSON' : `unknown key "${key}"`));
    }
  }
  if (rule.name !== undefined && (typeof rule.name !== 'string' || rule.name.trim() === '')) {
    problems.push(problem([...at, 'name'], 'must be a non-empty string'));
  }
  if (rule.priority !== undefined) validatePriority(rule.priority, null, [...at, 'priority'], context.stored === true, problems);
  if (rule.enabled !== undefined && typeof rule.enabled !== 'boolean') problems.push(problem([...at, 'enabled'], 'must be true or false'));
  if (rule.conditions === undefined) problems.push(problem([...at, 'conditions'], 'missing: a rule needs conditions (all, any or not)'));
  else validateTopCondition(rule.conditions, [...at, 'conditions'], problems, context.stored === true);
  validateEvent(rule.event, [...at, 'event'], context, problems);
}

/**
 * A rule's or a condition's priority: a whole number from 1, which json-rules-engine reads
 * unchanged (it parseInt's a rule's and a group's: priority.ts). Stored before this check, a
 * priority it runs as another number from 1 only warns (the version runs as json-rules-engine
 * reads it); a leaf's runs as written.
 */
function validatePriority(value: unknown, of: Record<string, unknown> | null, at: PathSegment[], stored: boolean, problems: DefinitionProblem[]): void {
  if (isWholePriority(value)) return;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    problems.push(problem(at, 'must be a whole number, 1 or more'));
    return;
  }
  const read = of === null ? rulePriority(value) : conditionPriority(of);
  // What was accepted before whole numbers were asked for: any number above 0.
  if (stored && value > 0 && read >= 1) {
    if (read !== value) problems.push(problem(at, `${value} is not a whole number: json-rules-engine reads it as ${read}, and this version runs so (publish a version with a whole number)`, 'warning'));
    return;
  }
  if (Number.isInteger(value)) {
    problems.push(problem(at, value > MAX_PRIORITY ? `must be a whole number from 1 to ${MAX_PRIORITY}` : 'must be a whole number, 1 or more'));
    return;
  }
  const reading = read === value ? '' : `: json-rules-engine reads ${value} as ${read}${of === null && read < 1 ? ' and refuses the rule' : ''}`;
  problems.push(problem(at, `must be a whole number, 1 or more${reading}`));
}

/** What json-rules-engine itself says when it builds the rule (engine.ts), as a problem: a last check that what passed will build. */
function engineRefusal(rule: unknown, at: PathSegment[]): DefinitionProblem[] {
  const refusal = ruleRefusal(rule as RuleJson);
  return refusal === null ? [] : [problem(at, `json-rules-engine refuses the rule: ${refusal}`)];
}

function validateTopCondition(condition: unknown, at: PathSegment[], problems: DefinitionProblem[], stored: boolean): void {
  if (!isObject(condition) || !('all' in condition || 'any' in condition || 'not' in condition || 'condition' in condition)) {
    problems.push(problem(at, 'the top level of conditions must be { "all": [...] }, { "any": [...] }, { "not": {...} } or a shared condition { "condition": name }'));
    return;
  }
  validateCondition(condition, at, problems, 0, stored);
}

function validateCondition(condition: unknown, at: PathSegment[], problems: DefinitionProblem[], depth: number, stored: boolean): void {
  if (depth > MAX_CONDITION_DEPTH) {
    problems.push(problem(at, `conditions nest deeper than ${MAX_CONDITION_DEPTH} levels of all / any / not`));
    return;
  }
  if (!isObject(condition)) {
    problems.push(problem(at, 'a condition is an object'));
    return;
  }
  const boolKeys = ['all', 'any', 'not', 'condition'].filter((k) => k in condition);
  if (boolKeys.length > 1) {
    problems.push(problem(at, `use only one of ${boolKeys.join(', ')} in one condition`));
    return;
  }
  const common = ['name', 'priority'];
  if (condition.priority !== undefined) validatePriority(condition.priority, condition, [...at, 'priority'], stored, problems);
  const key = boolKeys[0];
  if (key === 'condition') {
    // Whether the name is defined, and cycles, are checked once all are read (shared-conditions.ts).
    for (const k of Object.keys(condition)) if (k !== key && !common.includes(k)) problems.push(problem([...at, k], `unknown key "${k}" (a reference is { "condition": name }, with "name" and "priority" optional)`));
    if (typeof condition.condition !== 'string' || condition.condition === '') problems.push(problem([...at, 'condition'], 'names a shared condition of the ruleset (its "sharedConditions")'));
    return;
  }
  if (key === 'all' || key === 'any') {
    for (const k of Object.keys(condition)) if (k !== key && !common.includes(k)) problems.push(problem([...at, k], `unknown key "${k}"`));
    const list = condition[key];
    if (!Array.isArray(list)) {
      problems.push(problem([...at, key], 'must be an array of conditions'));
      return;
    }
    list.forEach((child, i) => validateCondition(child, [...at, key, i], problems, depth + 1, stored));
    return;
  }
  if (key === 'not') {
    for (const k of Object.keys(condition)) if (k !== key && !common.includes(k)) problems.push(problem([...at, k], `unknown key "${k}"`));
    validateCondition(condition.not, [...at, 'not'], problems, depth + 1, stored);
    return;
  }
  validateLeaf(condition, at, problems);
}

function validateLeaf(condition: Record<string, unknown>, at: PathSegment[], problems: DefinitionProblem[]): void {
  for (const k of Object.keys(condition)) {
    if (!['fact', 'operator', 'value', 'path', 'params', 'name', 'priority'].includes(k)) problems.push(problem([...at, k], `unknown key "${k}"`));
  }
  const fact = condition.fact;
  if (typeof fact !== 'string') {
    problems.push(problem([...at, 'fact'], `missing: name a fact (${[...FACT_NAMES].join(', ')})`));
  } else if (!FACT_NAMES.has(fact)) {
    problems.push(problem([...at, 'fact'], `unknown fact "${fact}" (known: ${[...FACT_NAMES].join(', ')})`));
  } else {
    validatePath(fact, condition.path, [...at, 'path'], problems);
  }

  const operator = condition.operator;
  if (typeof operator !== 'string') {
    problems.push(problem([...at, 'operator'], 'missing: name an operator'));
  } else {
    const parts = operator.split(':');
    const base = parts.pop()!;
    const badDecorator = parts.find((d) => !(OPERATOR_DECORATORS as readonly string[]).includes(d));
    if (badDecorator !== undefined) problems.push(problem([...at, 'operator'], `unknown operator decorator "${badDecorator}"`));
    else if (!OPERATOR_NAMES.has(base)) {
      problems.push(problem([...at, 'operator'], `unknown operator "${base}" (known: ${[...OPERATOR_NAMES].join(', ')})`));
    } else if (parts.length === 0) {
      validateOperand(base, condition.value, [...at, 'value'], problems);
    } else {
      validateDecoratedOperand(operator, parts, base, condition.value, [...at, 'value'], problems);
    }
  }
  if (!('value' in condition)) problems.push(problem([...at, 'value'], 'missing: a condition compares against a value'));
  else if (isFactReference(condition.value)) validateFactReference(condition.value, [...at, 'value'], problems);
  if (condition.params !== undefined && !isObject(condition.params)) problems.push(problem([...at, 'params'], 'must be an object'));
}

function validatePath(fact: string, path: unknown, at: PathSegment[], problems: DefinitionProblem[]): void {
  if (path === undefined) return;
  if (typeof path !== 'string') {
    problems.push(problem(at, 'a path is a string such as "$.priority"'));
    return;
  }
  const parsed = parsePlainPath(path);
  if (!parsed.ok) {
    problems.push(problem(at, `a path is a plain property path such as $.a.b, $.a[0] or $['a b'] (no filters, scripts, wildcards, unions or ".."): ${parsed.reason}`));
    return;
  }
  if (OPEN_FACTS.has(fact)) return;
  const fields = FACT_FIELDS[fact as keyof typeof FACT_FIELDS];
  if (fields === null) {
    problems.push(problem(at, `the fact "${fact}" is a single value; drop the path`));
    return;
  }
  const first = parsed.keys[0];
  if (first !== undefined && !fields.includes(first)) {
    problems.push(problem(at, `the fact "${fact}" has no field "${first}" (fields: ${fields.join(', ')})`));
  }
  const second = parsed.keys[1];
  if (fact === 'customer' && first === 'crm' && second !== undefined && !CRM_FIELDS.includes(String(second))) {
    problems.push(problem(at, `customer.crm has no field "${String(second)}" (fields: ${CRM_FIELDS.join(', ')})`));
  }
}

/** What json-rules-engine takes for a fact reference: any object with an own `fact` key. */
function isFactReference(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, 'fact');
}

function validateFactReference(value: Record<string, unknown>, at: PathSegment[], problems: DefinitionProblem[]): void {
  for (const k of Object.keys(value)) {
    if (k !== 'fact' && k !== 'path' && k !== 'params') problems.push(problem([...at, k], `unknown key "${k}" (a fact reference is { "fact", "path", "params" })`));
  }
  if (value.params !== undefined && !isObject(value.params)) problems.push(problem([...at, 'params'], 'must be an object'));
  if (typeof value.fact !== 'string' || !FACT_NAMES.has(value.fact)) {
    problems.push(problem([...at, 'fact'], `unknown fact ${JSON.stringify(value.fact)} (known: ${[...FACT_NAMES].join(', ')})`));
  } else {
    validatePath(value.fact, value.path, [...at, 'path'], problems);
  }
}

/**
 * The value of a decorated operator. json-rules-engine applies the decorators outermost first
 * ("someValue:not:in" is someValue of not of in): `someValue` / `everyValue` call the rest once
 * per element of the value (`value.some(…)`), so any value but an array throws on every case —
 * and with it the whole ruleset, whose decisions are then dropped for every case (`rules.failed`)
 * — and each element is what the rest compares with; `swap` gives the rest the fact as its value
 * (not known here); `not`, `someFact` and `everyFact` pass the value on as it is.
 */
function validateDecoratedOperand(operator: string, decorators: readonly string[], base: string, value: unknown, here: PathSegment[], problems: DefinitionProblem[]): void {
  if (value === undefined || isFactReference(value)) return;
  let operands: { value: unknown; at: PathSegment[] }[] = [{ value, at: here }];
  for (const decorator of decorators) {
    if (decorator === 'swap') return;
    if (decorator !== 'someValue' && decorator !== 'everyValue') continue;
    const notList = operands.find((o) => !Array.isArray(o.value));
    if (notList) {
      problems.push(problem(notList.at, `${operator} compares with an array: "${decorator}" tries the operator with each of its values, and json-rules-engine fails on any other value (the whole ruleset would fail on every case)`));
      return;
    }
    operands = operands.flatMap((o) => (o.value as unknown[]).map((v, i) => ({ value: v, at: [...o.at, i] })));
  }
  // One problem for the first element that does not fit the operator (they tend to share it).
  for (const operand of operands) {
    const before = problems.length;
    validateOperand(base, operand.value, operand.at, problems);
    if (problems.length > before) return;
  }
}

function validateOperand(operator: string, value: unknown, here: PathSegment[], problems: DefinitionProblem[]): void {
  if (value === undefined || isFactReference(value)) return;
  switch (operator) {
    case 'textContains':
      if (typeof value !== 'string' || value === '') problems.push(problem(here, 'textContains compares with a non-empty string'));
      break;
    case 'textContainsAny':
      if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || v === '')) {
        problems.push(problem(here, 'textContainsAny compares with a non-empty array of non-empty strings'));
      }
      break;
    case 'textHasWord':
      if (typeof value !== 'string' || textWords(value).length === 0) problems.push(problem(here, 'textHasWord compares with a string of at least one word'));
      break;
    case 'textHasAnyWord':
      if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || textWords(v).length === 0)) {
        problems.push(problem(here, 'textHasAnyWord compares with a non-empty array of strings of at least one word each'));
      }
      break;
    case 'in':
    case 'notIn':
      if (!Array.isArray(value)) problems.push(problem(here, `${operator} compares with an array`));
      break;
    case 'lessThan':
    case 'lessThanInclusive':
    case 'greaterThan':
    case 'greaterThanInclusive':
      if (typeof value !== 'number') problems.push(problem(here, `${operator} compares with a number`));
      break;
  }
}

function validateEvent(event: unknown, at: PathSegment[], context: RulesetValidationContext, problems: DefinitionProblem[]): void {
  if (!isObject(event)) {
    problems.push(problem(at, `missing: a rule needs an event { "type": ..., "params": {...} } (types: ${RULE_EVENT_TYPES.join(', ')})`));
    return;
  }
  for (const k of Object.keys(event)) if (k !== 'type' && k !== 'params') problems.push(problem([...at, k], `unknown key "${k}"`));
  const type = event.type;
  if (typeof type !== 'string' || !Object.hasOwn(EVENT_PARAMS, type)) {
    problems.push(problem([...at, 'type'], `unknown event type ${JSON.stringify(type)} (known: ${RULE_EVENT_TYPES.join(', ')})`));
    return;
  }
  const schema = EVENT_PARAMS[type as RuleEventType];
  const given = event.params ?? {};
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    problems.push(...problemsFromZod(parsed.error.issues, [...at, 'params'], given));
    return;
  }
  const params = parsed.data as Record<string, unknown>;
  if (typeof params.queue === 'string' && context.queues && !context.queues.has(params.queue)) {
    problems.push(problem([...at, 'params', 'queue'], `unknown queue "${params.queue}" (known: ${[...context.queues].join(', ')})`));
  }
  if (type === 'escalate' && context.queueTiers) {
    problems.push(...escalationTargetProblems(params.tier as number, params.queue as string | undefined, context.queueTiers, [...at, 'params']));
  }
  if (typeof params.policy === 'string' && context.policies && !context.policies.has(params.policy)) {
    problems.push(problem([...at, 'params', 'policy'], `unknown SLA policy "${params.policy}" (known: ${[...context.policies].join(', ')})`));
  }
}
