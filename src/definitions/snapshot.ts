/**
 * The registry's view of `definition_versions` (registry.ts): every version of every
 * definition, held in memory so the synchronous lookups of the command layer (the published
 * workflow, ruleset and SLA config of each case change) need no query. Versions are immutable
 * rows: a snapshot is rebuilt whenever rows were added, on either database.
 */
import type { DefinitionKind } from '../db/schema/index.js';
import type { DefinitionVersionRow } from './version-rows.js';

export interface Snapshot {
  /** Every version of `kind:name`, newest first. */
  readonly history: ReadonlyMap<string, readonly DefinitionVersionRow[]>;
  /** The published version of `kind:name` (the highest published one). */
  readonly published: ReadonlyMap<string, number>;
  /** Names with at least one published version, sorted, per kind. */
  readonly names: ReadonlyMap<DefinitionKind, readonly string[]>;
}

export const keyOf = (kind: DefinitionKind, name: string) => `${kind}:${name}`;

/** Orders like the database's text comparison (by code unit; the test cluster is C locale). */
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function snapshotOf(rows: readonly DefinitionVersionRow[]): Snapshot {
  const history = new Map<string, DefinitionVersionRow[]>();
  const published = new Map<string, number>();
  const names = new Map<DefinitionKind, Set<string>>();
  for (const row of rows) {
    const key = keyOf(row.kind, row.name);
    const list = history.get(key);
    if (list) list.push(row);
    else history.set(key, [row]);
    if (row.state === 'published') {
      published.set(key, Math.max(published.get(key) ?? 0, row.version));
      const set = names.get(row.kind) ?? new Set<string>();
      set.add(row.name);
      names.set(row.kind, set);
    }
  }
  for (const list of history.values()) list.sort((a, b) => b.version - a.version);
  return { history, published, names: new Map([...names].map(([kind, set]) => [kind, [...set].sort(byName)])) };
}

export const EMPTY_SNAPSHOT = snapshotOf([]);
