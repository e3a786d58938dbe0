/**
 * Casebook's operators, added to json-rules-engine by name beside its built-ins:
 * `textContains*` are case-insensitive substring tests on a text fact, `textHas*Word`
 * whole-word tests (case, accents and simple endings folded, see words.ts).
 */
import { Operator } from 'json-rules-engine';
import { hasSequence, textWords } from './words.js';

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

// The same texts are split into words again and again (one description, many conditions).
const recentWords = new Map<string, string[]>();

function words(value: unknown): string[] | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const key = String(value);
  let out = recentWords.get(key);
  if (out === undefined) {
    out = textWords(key);
    if (recentWords.size >= 512) recentWords.delete(recentWords.keys().next().value!);
    recentWords.set(key, out);
  }
  return out;
}

/**
 * `textHasWord`: the fact's text has the word `value` (a string) as a whole word; a value of
 * several words ("log in") must appear as that sequence of words.
 */
export const textHasWord = new Operator<unknown, unknown>(
  'textHasWord',
  (factValue, value) => {
    const haystack = words(factValue);
    const phrase = words(value);
    return haystack !== null && phrase !== null && hasSequence(haystack, phrase);
  },
);

/** `textHasAnyWord`: the fact's text has at least one of `value` (strings) as whole words. */
export const textHasAnyWord = new Operator<unknown, unknown>(
  'textHasAnyWord',
  (factValue, value) => {
    const haystack = words(factValue);
    if (haystack === null || !Array.isArray(value)) return false;
    return value.some((v) => {
      const phrase = words(v);
      return phrase !== null && hasSequence(haystack, phrase);
    });
  },
);

export const CUSTOM_OPERATORS = [textContains, textContainsAny, textHasWord, textHasAnyWord];

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
