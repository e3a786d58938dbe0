/**
 * JSONPath for rule conditions, as json-rules-engine resolves it (jsonpath-plus with
 * `wrap: false`), with a fast lane for plain property chains such as `$.customer.tier`:
 * those are read directly when every step is a plain own property, and anything else goes
 * to jsonpath-plus. Used by the engine (as its pathResolver) and by compiled rules.
 */
import { JSONPath } from 'jsonpath-plus';

const SIMPLE_PATH = /^\$((?:\.[A-Za-z_][A-Za-z0-9_]*)+)$/;
const readers = new Map<string, (value: object) => unknown>();

export function pathReader(path: string): (value: object) => unknown {
  let reader = readers.get(path);
  if (reader) return reader;
  const simple = SIMPLE_PATH.exec(path);
  if (simple) {
    const keys = simple[1]!.slice(1).split('.');
    reader = (value) => {
      let current: unknown = value;
      for (const key of keys) {
        if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, key)) {
          return JSONPath({ path, json: value, wrap: false });
        }
        current = (current as Record<string, unknown>)[key];
      }
      return current === undefined ? JSONPath({ path, json: value, wrap: false }) : current;
    };
  } else {
    reader = (value) => JSONPath({ path, json: value, wrap: false });
  }
  if (readers.size < 10_000) readers.set(path, reader);
  return reader;
}

/** json-rules-engine's `pathResolver` signature. */
export function resolvePath(value: object, path: string): unknown {
  return pathReader(path)(value);
}
