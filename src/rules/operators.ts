/**
 * Casebook's operators, added to json-rules-engine by name beside its built-ins:
 * `textContains*` are case-insensitive substring tests on a text fact (`foldCase`), `textHas*Word`
 * whole-word tests (case, accents and simple endings folded, see words.ts).
 */
import { Operator } from 'json-rules-engine';
import { hasSequence, textWords } from './words.js';

/**
 * The last few texts of facts (a case's description is tested by many conditions in a row:
 * dry-runs over 100,000 cases profit most), in slots written in turn — not a cache of hundreds:
 * a case's text must not stay for hundreds of cases after it, long enough to be promoted to V8's
 * old generation with every intake (docs/performance.md, "Issue 11: what the old generation
 * kept"). Keyed by the text, with what was computed from it.
 */
class RecentFacts<T> {
  static readonly SLOTS = 16;
  readonly #keys: (string | undefined)[] = Array<string | undefined>(RecentFacts.SLOTS).fill(undefined);
  readonly #values: (T | undefined)[] = Array<T | undefined>(RecentFacts.SLOTS).fill(undefined);
  #next = 0;

  get(key: string): T | undefined {
    for (let i = 0; i < RecentFacts.SLOTS; i++) if (this.#keys[i] === key) return this.#values[i];
    return undefined;
  }

  set(key: string, value: T): void {
    this.#keys[this.#next] = key;
    this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % RecentFacts.SLOTS;
  }
}

/** The rules' own values (needles, words) kept at most: few and stable, computed once each. */
const RULE_VALUES = 512;

/** `compute` of a text, remembered: a fact's in the few recent slots, a rule's value in a bounded map. */
class TextCache<T> {
  readonly #facts = new RecentFacts<T>();
  readonly #rules = new Map<string, T>();
  readonly #compute: (text: string) => T;

  constructor(compute: (text: string) => T) {
    this.#compute = compute;
  }

  of(text: string, fromFact: boolean): T {
    const known = fromFact ? this.#facts.get(text) : this.#rules.get(text);
    if (known !== undefined) return known;
    const out = this.#compute(text);
    if (fromFact) {
      this.#facts.set(text, out);
    } else {
      if (this.#rules.size >= RULE_VALUES) this.#rules.delete(this.#rules.keys().next().value!);
      this.#rules.set(text, out);
    }
    return out;
  }
}

/**
 * `value` case-folded for the substring operators: lower-cased without the server's locale (a
 * Turkish locale must not change what a rule matches), then the two letters whose lower case is
 * not their folded form: "ß" is "ss" (its upper case is "SS": "STRASSE" contains "straße") and
 * the Greek final sigma "ς" is "σ" ("ΟΔΟΣ" lower-cases to "οδος", found in "οδοσήμανση").
 */
export function foldCase(value: string): string {
  return value.toLowerCase().replaceAll('ß', 'ss').replaceAll('ς', 'σ');
}

const lowered = new TextCache(foldCase);

/** `value` case-folded (a number as it is written); `fromFact`: a fact's text, else a rule's value. */
function text(value: unknown, fromFact: boolean): string | null {
  if (typeof value === 'string') return lowered.of(value, fromFact);
  if (typeof value === 'number') return String(value);
  return null;
}

/** `textContains`: the fact's text contains `value` (a string), ignoring case. */
export const textContains = new Operator<unknown, unknown>(
  'textContains',
  (factValue, value) => {
    const haystack = text(factValue, true);
    const needle = text(value, false);
    return haystack !== null && needle !== null && haystack.includes(needle);
  },
);

/** `textContainsAny`: the fact's text contains at least one of `value` (strings), ignoring case. */
export const textContainsAny = new Operator<unknown, unknown>(
  'textContainsAny',
  (factValue, value) => {
    const haystack = text(factValue, true);
    if (haystack === null || !Array.isArray(value)) return false;
    return value.some((needle) => {
      const n = text(needle, false);
      return n !== null && n.length > 0 && haystack.includes(n);
    });
  },
);

// The same texts are split into words again and again (one description, many conditions).
const split = new TextCache(textWords);

/** `value` split into words; `fromFact`: a fact's text, else a rule's value. */
function words(value: unknown, fromFact: boolean): string[] | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  return split.of(String(value), fromFact);
}

/**
 * `textHasWord`: the fact's text has the word `value` (a string) as a whole word; a value of
 * several words ("log in") must appear as that sequence of words.
 */
export const textHasWord = new Operator<unknown, unknown>(
  'textHasWord',
  (factValue, value) => {
    const haystack = words(factValue, true);
    const phrase = words(value, false);
    return haystack !== null && phrase !== null && hasSequence(haystack, phrase);
  },
);

/** `textHasAnyWord`: the fact's text has at least one of `value` (strings) as whole words. */
export const textHasAnyWord = new Operator<unknown, unknown>(
  'textHasAnyWord',
  (factValue, value) => {
    const haystack = words(factValue, true);
    if (haystack === null || !Array.isArray(value)) return false;
    return value.some((v) => {
      const phrase = words(v, false);
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
