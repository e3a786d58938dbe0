/**
 * Which documents of `search_documents` (drizzle/pg/0001_search.sql) match a search, in the
 * order SQLite's search reads `search_fts`: cases' documents newest first (descending document
 * id, search-cases.ts reads its chunks that way), customers newest first (ascending negative
 * ids, search-people.ts). The ids are src/search/documents.ts's.
 */
import type { ParsedQuery } from '../parse-query.js';
import { tsQuery } from './ts-query.js';

/** A pool, a pool's client, a client or a store handle (queryable.ts): whatever runs one query. */
export interface Queryable {
  query<R extends object = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

export interface MatchOptions {
  /** Only documents below this id (a cursor: search-cases.ts's `before`); default: all. */
  before?: number;
  /** Only documents above this id; default 0: cases' documents, no customers. */
  after?: number;
  limit: number;
  /** Internal notes' documents too (default true); false for callers who may not see notes. */
  notes?: boolean;
}

type Words = Pick<ParsedQuery, 'terms' | 'excluded'>;

/** Case and message documents matching the words, newest first. Empty without words. */
export async function matchingDocuments(client: Queryable, parsed: Words, options: MatchOptions): Promise<number[]> {
  const ts = tsQuery(parsed, 3);
  if (!ts) return [];
  const notes = options.notes === false ? ' AND (doc & 1) = 0' : '';
  const { rows } = await client.query<{ doc: number }>(
    `SELECT doc FROM search_documents
      WHERE doc > $1 AND doc < $2${notes} AND ${ts.guard} AND words @@ (${ts.query})
      ORDER BY doc DESC LIMIT $3`,
    [options.after ?? 0, options.before ?? Number.MAX_SAFE_INTEGER, options.limit, ...ts.params],
  );
  return rows.map((r) => Number(r.doc));
}

/** Customers whose name, e-mail or organization match the words, newest customer first (their ids). */
export async function matchingCustomers(client: Queryable, parsed: Words, options: { limit: number }): Promise<number[]> {
  const ts = tsQuery(parsed, 1);
  if (!ts) return [];
  const { rows } = await client.query<{ id: number }>(
    `SELECT -doc AS id FROM search_documents WHERE doc < 0 AND ${ts.guard} AND words @@ (${ts.query}) ORDER BY doc LIMIT $1`,
    [options.limit, ...ts.params],
  );
  return rows.map((r) => Number(r.id));
}
