/**
 * What the rule builder can show as forms: a condition (a field from the catalogue, an
 * operator offered for its type, a value that fits), a group (all / any / not), an event
 * (a known type with params of the right kinds), a rule. Anything else is shown as JSON,
 * with the reason these functions give.
 */
import { catalogueField, eventChoice, operatorChoice, type CatalogueField, type FieldType, type OperatorChoice } from './catalogue.js';

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function keysWithin(value: Json, allowed: readonly string[]): string | null {
  return Object.keys(value).find((k) => !allowed.includes(k)) ?? null;
}

/** A condition the builder shows as a form, or why it shows it as JSON. */
export type LeafShape = { ok: true; field: CatalogueField; operator: OperatorChoice } | { ok: false; reason: string };

export function valueFits(type: FieldType, shape: OperatorChoice['value'], value: unknown): boolean {
  if (shape === 'list') {
    if (!Array.isArray(value)) return false;
    return type === 'number' ? value.every((v) => typeof v === 'number') : value.every((v) => typeof v === 'string');
  }
  switch (type) {
    case 'text':
    case 'choice':
    case 'list':
      return typeof value === 'string';
    case 'number':
    case 'time':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
  }
}

export function leafShape(node: unknown): LeafShape {
  if (!isObject(node)) return { ok: false, reason: 'not a condition object' };
  const extra = keysWithin(node, ['fact', 'path', 'operator', 'value']);
  if (extra !== null) return { ok: false, reason: `it has "${extra}", which the builder does not edit` };
  const field = catalogueField(node.fact, node.path);
  if (!field) return { ok: false, reason: `the field ${JSON.stringify(node.fact)}${node.path === undefined ? '' : ` ${JSON.stringify(node.path)}`} is not in the builder's catalogue` };
  const operator = operatorChoice(field.type, node.operator);
  if (!operator) return { ok: false, reason: `the operator ${JSON.stringify(node.operator)} is not offered for ${field.label.toLowerCase()}` };
  if (isObject(node.value) && Object.hasOwn(node.value, 'fact')) return { ok: false, reason: 'it compares with another fact' };
  if (!valueFits(field.type, operator.value, node.value)) return { ok: false, reason: `its value ${JSON.stringify(node.value)} does not fit "${operator.label}"` };
  return { ok: true, field, operator };
}

export type GroupKind = 'all' | 'any' | 'not';
export type NodeShape = { kind: 'group'; group: GroupKind } | { kind: 'leaf'; leaf: Extract<LeafShape, { ok: true }> } | { kind: 'json'; reason: string };

export function nodeShape(node: unknown): NodeShape {
  if (isObject(node)) {
    for (const group of ['all', 'any'] as const) {
      if (Object.hasOwn(node, group)) {
        const extra = keysWithin(node, [group]);
        if (extra !== null) return { kind: 'json', reason: `the group has "${extra}", which the builder does not edit` };
        return Array.isArray(node[group]) ? { kind: 'group', group } : { kind: 'json', reason: `"${group}" is not a list` };
      }
    }
    if (Object.hasOwn(node, 'not')) {
      const extra = keysWithin(node, ['not']);
      if (extra !== null) return { kind: 'json', reason: `"not" has "${extra}", which the builder does not edit` };
      return isObject(node.not) ? { kind: 'group', group: 'not' } : { kind: 'json', reason: '"not" does not hold a condition' };
    }
    if (Object.hasOwn(node, 'condition')) return { kind: 'json', reason: `it refers to the shared condition ${JSON.stringify(node.condition)}, edited in the ruleset's JSON ("sharedConditions")` };
  }
  const leaf = leafShape(node);
  return leaf.ok ? { kind: 'leaf', leaf } : { kind: 'json', reason: leaf.reason };
}

/** Whether the builder shows a rule's event as fields (else: JSON). */
export function eventShape(event: unknown): { ok: true } | { ok: false; reason: string } {
  if (!isObject(event)) return { ok: false, reason: 'the rule has no event object' };
  const extra = keysWithin(event, ['type', 'params']);
  if (extra !== null) return { ok: false, reason: `the event has "${extra}"` };
  const choice = eventChoice(event.type);
  if (!choice) return { ok: false, reason: `the event type ${JSON.stringify(event.type)} is not known` };
  if (event.params === undefined) return choice.params.some((p) => p.required) ? { ok: false, reason: 'the event has no params' } : { ok: true };
  if (!isObject(event.params)) return { ok: false, reason: 'the params are not an object' };
  for (const [key, value] of Object.entries(event.params)) {
    const param = choice.params.find((p) => p.name === key);
    if (!param) return { ok: false, reason: `the param "${key}" is not one of ${choice.type}'s` };
    const fits = param.kind === 'list' ? Array.isArray(value) && value.every((v) => typeof v === 'string') : param.kind === 'number' ? typeof value === 'number' : typeof value === 'string';
    if (!fits) return { ok: false, reason: `the param "${key}" is ${JSON.stringify(value)}` };
  }
  return { ok: true };
}

/** Whether the builder shows a rule as a form; why not, else. */
export function ruleShape(rule: unknown): { ok: true } | { ok: false; reason: string } {
  if (!isObject(rule)) return { ok: false, reason: 'the rule is not an object' };
  const extra = keysWithin(rule, ['name', 'priority', 'enabled', 'conditions', 'event']);
  if (extra !== null) return { ok: false, reason: `the rule has "${extra}", which the builder does not edit` };
  if (rule.name !== undefined && typeof rule.name !== 'string') return { ok: false, reason: 'the name is not text' };
  if (rule.enabled !== undefined && typeof rule.enabled !== 'boolean') return { ok: false, reason: '"enabled" is not true or false' };
  const top = nodeShape(rule.conditions);
  if (top.kind !== 'group') return { ok: false, reason: 'its conditions do not start with all, any or not' };
  return { ok: true };
}
