/**
 * Looking a name up in a plain object: only the object's own entries count. `record[name]`
 * would also find what every object inherits (`constructor`, `toString`, `__proto__` …),
 * so a name taken from a request or a definition must be looked up here (or in a Map).
 */
export function own<T>(record: Readonly<Record<string, T>> | null | undefined, name: string): T | undefined {
  return record != null && Object.hasOwn(record, name) ? record[name] : undefined;
}
