/**
 * Conditions that compare a field with a value it never has, or with an operator that never
 * holds on it (`contains` on a text, `greaterThan` on a priority). json-rules-engine's `equal`,
 * `notEqual`, `in` and `notIn` compare with `===`, so the text "1" is never the tier 1, the
 * text "true" never `true`, "Urgent" never the priority `urgent`, "portal" is no channel and
 * "waiting" no state of any workflow. Such a condition is a constant — `equal` / `in` never
 * hold, `notEqual` / `notIn` always do — which a rule typed by hand in the JSON editor gets
 * easily and nobody sees: the rule reads "if the tier is 1" and never fires. Valid
 * json-rules-engine, so a warning (one per condition), never a refusal.
 *
 * A list (tags, skills) compared as one value never holds either (`listMisfit`). A value that
 * is a fact reference (`{ fact, path }`) is the other fact's at run time: not judged.
 *
 * Fields are the builder's catalogue (catalogue.ts): numbers, yes/no, text and the choices
 * whose values are known — priorities, channels, SLA metrics and clock states always, the
 * queues and workflow states when the caller passes them. `null` fits every field (a
 * customer without an organization). Fields outside the catalogue are not judged, nor the
 * CRM's (`customer.crm.*`: another system's data, whose types Casebook does not decide).
 */
import { PRIORITIES, CHANNELS, SLA_METRICS, TIMER_STATES } from '../db/schema/cases.js';
import { problem, type DefinitionProblem, type PathSegment } from '../definitions/problems.js';
import { catalogueField, type CatalogueField, type OptionSource } from './catalogue.js';
import type { RuleCondition, RuleJson } from './definition.js';

/** Values known to exist besides the fixed ones: every queue id, every state of any workflow version. */
export interface KnownValues {
  queues?: readonly string[];
  states?: readonly string[];
}

const FIXED: Partial<Record<OptionSource, { values: readonly string[]; name: string }>> = {
  priorities: { values: PRIORITIES, name: 'priorities' },
  channels: { values: CHANNELS, name: 'channels' },
  metrics: { values: SLA_METRICS, name: 'SLA metrics' },
  timerStates: { values: TIMER_STATES, name: 'SLA clock states' },
};

function choicesOf(field: CatalogueField, known: KnownValues): { values: readonly string[]; name: string } | null {
  if (!field.options) return null;
  const fixed = FIXED[field.options];
  if (fixed) return fixed;
  if (field.options === 'queues' && known.queues) return { values: known.queues, name: 'queues' };
  if (field.options === 'states' && known.states) return { values: known.states, name: 'states of the workflows' };
  return null;
}

/** Why `value` can never be the field's value, or null when it can. */
function misfit(field: CatalogueField, value: unknown, known: KnownValues): string | null {
  if (value === null) return null;
  const shown = JSON.stringify(value);
  switch (field.type) {
    case 'number':
    case 'time':
      if (typeof value === 'number') return null;
      return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))
        ? `${field.label} is a number, never the text ${shown} (write ${Number(value)} without quotes)`
        : `${field.label} is a number, never ${shown}`;
    case 'boolean':
      if (typeof value === 'boolean') return null;
      return value === 'true' || value === 'false' ? `${field.label} is true or false, never the text ${shown} (write ${value} without quotes)` : `${field.label} is true or false, never ${shown}`;
    case 'text':
      return typeof value === 'string' ? null : `${field.label} is text, never ${shown}`;
    case 'choice': {
      if (typeof value !== 'string') return `${field.label} is text, never ${shown}`;
      const choices = choicesOf(field, known);
      if (!choices || choices.values.includes(value)) return null;
      const near = choices.values.find((v) => v.toLowerCase() === value.trim().toLowerCase());
      return `${field.label} is never ${shown}: it is one of the ${choices.name} (${choices.values.join(', ')}${near ? `; "${near}" is written so` : ''})`;
    }
    default:
      return null;
  }
}

const LIST_OPERATORS: ReadonlySet<unknown> = new Set(['contains', 'doesNotContain']);
const NUMBER_OPERATORS: ReadonlySet<unknown> = new Set(['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive']);

/**
 * Why the operator never holds on the field, whatever the value, or null. json-rules-engine
 * checks the fact before comparing: `contains` and `doesNotContain` only look into a list
 * (anything else: false, so `doesNotContain` on a text is false too — "the subject does not
 * contain 'spam'" never fires), and the comparisons of numbers only take what parseFloat reads
 * as a number (a priority, a channel or true/false never is).
 */
function operatorMisfit(field: CatalogueField, operator: unknown): string | null {
  if (LIST_OPERATORS.has(operator) && field.type !== 'list') {
    const instead = field.type === 'text' || field.type === 'choice' ? ` (for words in a text: textContains, or textHasWord${operator === 'doesNotContain' ? ', under "not"' : ''})` : '';
    return `${field.label} is not a list: json-rules-engine's "${String(operator)}" looks into lists only and is false for anything else, so this condition never holds${instead}`;
  }
  if (NUMBER_OPERATORS.has(operator) && (field.type === 'choice' || field.type === 'boolean')) {
    return `${field.label} is never a number: json-rules-engine's "${String(operator)}" is false for anything that is not one, so this condition never holds`;
  }
  return null;
}

/** `{ fact, path }`: json-rules-engine compares with that fact's value at run time, not with this object. */
function isFactRef(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, 'fact');
}

const ONE_OF_SEVERAL = 'for any of several values: one "contains" per value, in an "any" group';

/**
 * A list (tags, skills) compared as if it were one value: `equal` and `in` compare the whole
 * list with `===` (never the same as a text, nor as an array written in the rule: JSON gives a
 * new one), and `contains` looks for its value itself among the list's texts, so an array or a
 * number there is never found. Each such condition never holds, its negation always does.
 */
function listMisfit(field: CatalogueField, c: RuleCondition): { at: 'operator' | 'value'; why: string } | null {
  const holds = c.operator === 'equal' || c.operator === 'in' || c.operator === 'contains' ? 'never holds' : 'always holds';
  if ((c.operator === 'equal' || c.operator === 'notEqual') && c.value !== null) {
    return { at: 'operator', why: `${field.label} is a list, never ${JSON.stringify(c.value)}: json-rules-engine's "${c.operator}" compares the whole list, so this condition ${holds} (for one value in the list: contains${c.operator === 'notEqual' ? ' under "not", or doesNotContain' : ''})` };
  }
  if ((c.operator === 'in' || c.operator === 'notIn') && Array.isArray(c.value)) {
    return { at: 'operator', why: `${field.label} is a list: json-rules-engine's "${c.operator}" looks for the whole list among the values, where it never is, so this condition ${holds} (${ONE_OF_SEVERAL})` };
  }
  if ((c.operator === 'contains' || c.operator === 'doesNotContain') && c.value !== null && typeof c.value !== 'string') {
    const several = Array.isArray(c.value) ? ` (${ONE_OF_SEVERAL})` : '';
    return { at: 'value', why: `${field.label} holds texts, never ${JSON.stringify(c.value)}: json-rules-engine's "${c.operator}" looks for the value itself in the list, so this condition ${holds}${several}` };
  }
  return null;
}

function leafProblems(c: RuleCondition, at: PathSegment[], label: string, known: KnownValues, out: DefinitionProblem[]): void {
  const field = catalogueField(c.fact, c.path);
  if (!field || field.key.startsWith('customer.crm.')) return;
  const never = operatorMisfit(field, c.operator);
  if (never) {
    out.push(problem([...at, 'operator'], `${label}: ${never}`, 'warning'));
    return;
  }
  // Compared with another fact: what it holds is known only when the rule runs.
  if (isFactRef(c.value)) return;
  if (field.type === 'list') {
    const misfit = listMisfit(field, c);
    if (misfit) out.push(problem([...at, misfit.at], `${label}: ${misfit.why}`, 'warning'));
    return;
  }
  const single = c.operator === 'equal' || c.operator === 'notEqual';
  const many = c.operator === 'in' || c.operator === 'notIn';
  const holds = c.operator === 'equal' || c.operator === 'in' ? 'never holds' : 'always holds';
  if (single) {
    const why = misfit(field, c.value, known);
    if (why) out.push(problem([...at, 'value'], `${label}: ${why}, so this condition ${holds}`, 'warning'));
    return;
  }
  if (!many || !Array.isArray(c.value)) return;
  const bad = c.value.map((v, i) => ({ i, why: misfit(field, v, known) })).filter((x): x is { i: number; why: string } => x.why !== null);
  if (bad.length === 0) return;
  if (bad.length === c.value.length) {
    out.push(problem([...at, 'value'], `${label}: ${bad.map((b) => b.why).join('; ')}, so this condition ${holds}`, 'warning'));
    return;
  }
  for (const b of bad) out.push(problem([...at, 'value', b.i], `${label}: ${b.why}, so this value never matches`, 'warning'));
}

function walk(c: RuleCondition, at: PathSegment[], label: string, known: KnownValues, out: DefinitionProblem[]): void {
  for (const kind of ['all', 'any'] as const) {
    const children = c[kind];
    if (children) children.forEach((child, i) => walk(child, [...at, kind, i], label, known, out));
  }
  if (c.not) walk(c.not, [...at, 'not'], label, known, out);
  if (c.fact !== undefined && c.operator !== undefined) leafProblems(c, at, label, known, out);
}

/** Every condition of `rule` (at `index`) whose value its field never has. */
export function valueProblems(rule: RuleJson, index: number, label: string, known: KnownValues = {}): DefinitionProblem[] {
  const out: DefinitionProblem[] = [];
  walk(rule.conditions, ['rules', index, 'conditions'], label, known, out);
  return out;
}
