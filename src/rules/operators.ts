/**
 * Casebook's operators, added to json-rules-engine by name beside its built-ins.
 * Both are case-insensitive substring tests on a text fact.
 */
import { Operator } from 'json-rules-engine';

// Conditions on one case often test the same description several times in a row:
// remember recent lower-cased texts and needles (dry-runs over 100,000 cases profit most).
const recent = new Map<string, string>();

function lower(value: string): string {
  let out = recent.get(value);
  if (out === undefined) {
    out = value.toLocaleLowerCase();
    if (recent.size >= 512) recent.delete(recent.keys().next().value!);
    recent.set(value, out);
  }
  return out;
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return lower(value);
  if (typeof value === 'number') return String(value);
  return null;
}

/** `textContains`: the fact's text contains `value` (a string), ignoring case. */
export const textContains = new Operator<unknown, unknown>(
  'textContains',
  (factValue, value) => {
    const haystack = text(factValue);
    const needle = text(value);
    return haystack !== null && needle !== null && haystack.includes(needle);
  },
);

/** `textContainsAny`: the fact's text contains at least one of `value` (strings), ignoring case. */
export const textContainsAny = new Operator<unknown, unknown>(
  'textContainsAny',
  (factValue, value) => {
    const haystack = text(factValue);
    if (haystack === null || !Array.isArray(value)) return false;
    return value.some((needle) => {
      const n = text(needle);
      return n !== null && n.length > 0 && haystack.includes(n);
    });
  },
);

export const CUSTOM_OPERATORS = [textContains, textContainsAny];

/** json-rules-engine's built-in operators and decorators (v7). */
export const BUILTIN_OPERATORS = [
  'equal',
  'notEqual',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
] as const;
export const OPERATOR_DECORATORS = ['someFact', 'someValue', 'everyFact', 'everyValue', 'swap', 'not'] as const;

export const OPERATOR_NAMES: ReadonlySet<string> = new Set([...BUILTIN_OPERATORS, ...CUSTOM_OPERATORS.map((o) => o.name)]);
