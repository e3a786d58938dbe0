/**
 * The cases a dry-run replays (dry-run.ts), read through the storage port in keyset pages so
 * memory stays bounded whatever the selection: `total` first (for progress), then `next()`
 * gives up to `size` rows until it returns []. Each page is a statement of its own
 * (`store.query`): the dry-run yields to the event loop between pages. The SQL is the same on
 * both databases but for the routing record's type (jsonb on PostgreSQL, read as text) and
 * SQLite's cached statements: sqlite.ts / pg.ts, chosen here.
 */
import type { Handle, Store } from '../../db/store/index.js';
import * as pgQueries from './pg.js';
import type { CaseRowLite, EventRowLite } from './rows.js';
import * as sqliteQueries from './sqlite.js';

export type { CaseRowLite, EventRowLite } from './rows.js';

export type CaseSelection = { kind: 'last'; count: number } | { kind: 'range'; from: number; to: number } | { kind: 'queue'; queue: string; count: number };

const queriesOf = (q: Handle) => (q.dialect === 'sqlite' ? sqliteQueries : pgQueries);

export async function caseReader(store: Store, selection: CaseSelection, size: number): Promise<{ total: number; next(): Promise<CaseRowLite[]> }> {
  if (selection.kind === 'range') {
    const { from, to } = selection;
    const total = await store.query((q) => queriesOf(q).countRange(q, from, to));
    let after: [number, number] = [from - 1, 0];
    return {
      total,
      async next() {
        const rows = await store.query((q) => queriesOf(q).pageRange(q, from, to, after[0], after[1], size));
        const last = rows.at(-1);
        if (last) after = [last.created_at, last.id];
        return rows;
      },
    };
  }
  const queue = selection.kind === 'queue' ? selection.queue : null;
  const total = await store.query((q) => queriesOf(q).countLatest(q, queue, selection.count));
  let before = Number.MAX_SAFE_INTEGER;
  let left = total;
  return {
    total,
    async next() {
      if (left <= 0) return [];
      const take = Math.min(size, left);
      const rows = await store.query((q) => queriesOf(q).pageLatest(q, queue, before, take));
      const last = rows.at(-1);
      if (last) before = last.id;
      left -= rows.length;
      return rows;
    },
  };
}

/** The timeline entries of these types of these cases (a page of `caseReader`'s), by case then in order. */
export function caseEvents(store: Store, caseIds: readonly number[], types: readonly string[]): Promise<EventRowLite[]> {
  if (caseIds.length === 0 || types.length === 0) return Promise.resolve([]);
  return store.query((q) => queriesOf(q).eventsOf(q, caseIds, types));
}
