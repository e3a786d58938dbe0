/**
 * Paths in rule conditions (`"path": "$.customer.tier"`) are plain property paths only:
 * `$`, then any number of `.name`, `[0]`, `['any name']` or `["any name"]` steps. No
 * filters, scripts, wildcards, unions, slices or recursive descent: a path is parsed here
 * into a list of keys and read by walking own properties, so nothing in a path is ever
 * evaluated (json-rules-engine's default resolver, jsonpath-plus, evaluates filter
 * expressions). Used by the engine (as its `pathResolver`), by compiled rules and by
 * ruleset validation, so the three agree on what a path is.
 *
 * Reading follows jsonpath-plus (`wrap: false`) on plain paths exactly: each step reads an
 * own property of a truthy value; anything missing gives `undefined`.
 */

/** Longest path accepted, in characters, and most steps. */
export const MAX_PATH_LENGTH = 256;
export const MAX_PATH_STEPS = 16;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*/;
const INDEX = /^\[(0|[1-9][0-9]{0,8})\]/;
const QUOTED = /^\[(?:'([^'\\\u0000-\u001f]*)'|"([^"\\\u0000-\u001f]*)")\]/;

export type PlainPath = { ok: true; keys: string[] } | { ok: false; reason: string };

/** Parses a plain property path into its keys, or says why it is not one. */
export function parsePlainPath(path: string): PlainPath {
  if (path.length > MAX_PATH_LENGTH) return { ok: false, reason: `longer than ${MAX_PATH_LENGTH} characters` };
  if (!path.startsWith('$')) return { ok: false, reason: 'it does not start with "$"' };
  const keys: string[] = [];
  let rest = path.slice(1);
  while (rest !== '') {
    if (keys.length === MAX_PATH_STEPS) return { ok: false, reason: `more than ${MAX_PATH_STEPS} steps` };
    let match: RegExpExecArray | null;
    if (rest.startsWith('..')) return { ok: false, reason: 'recursive descent ("..") is not allowed' };
    if (rest.startsWith('.') && (match = IDENTIFIER.exec(rest.slice(1)))) {
      keys.push(match[0]);
      rest = rest.slice(1 + match[0].length);
    } else if ((match = INDEX.exec(rest))) {
      keys.push(match[1]!);
      rest = rest.slice(match[0].length);
    } else if ((match = QUOTED.exec(rest))) {
      const key = match[1] ?? match[2]!;
      if (key === '') return { ok: false, reason: 'an empty property name' };
      keys.push(key);
      rest = rest.slice(match[0].length);
    } else {
      return { ok: false, reason: `"${rest.slice(0, 24)}" is not a property step (.name, [0] or ['name'])` };
    }
  }
  return { ok: true, keys };
}

/** Refused when a path that is not plain reaches evaluation (validation refuses it first). */
export class RulePathError extends Error {
  constructor(path: string, reason: string) {
    super(`the rule path ${JSON.stringify(path.slice(0, 80))} is not a plain property path: ${reason}`);
    this.name = 'RulePathError';
  }
}

function readKeys(keys: readonly string[], value: unknown): unknown {
  let current = value;
  for (const key of keys) {
    if (!current || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const readers = new Map<string, (value: object) => unknown>();

/**
 * A reader for `path`. A path that is not plain gives a reader that throws when used, so
 * a rule with one fails like any rule that throws at run time, in the engine and in
 * compiled rules alike.
 */
export function pathReader(path: string): (value: object) => unknown {
  let reader = readers.get(path);
  if (reader) return reader;
  const parsed = parsePlainPath(path);
  if (parsed.ok) {
    const keys = parsed.keys;
    reader = (value) => readKeys(keys, value);
  } else {
    const error = new RulePathError(path, parsed.reason);
    reader = () => {
      throw error;
    };
  }
  if (readers.size < 10_000) readers.set(path, reader);
  return reader;
}

/** json-rules-engine's `pathResolver` signature. */
export function resolvePath(value: object, path: string): unknown {
  if (typeof path !== 'string') throw new RulePathError(String(path), 'a path is a string');
  return pathReader(path)(value);
}
