/**
 * Customers by words on PostgreSQL: the customer documents of `search_documents` (`doc < 0`,
 * docs/postgres.md "Search on PostgreSQL"), every word a prefix (`:*` on its normalised,
 * stemmed form) as FTS5's `"word"*`. The words are runs of letters and digits only
 * (find-customers.ts), so none carries tsquery syntax; each is a parameter all the same.
 */
import type { Handle } from '../../db/store/index.js';
import { all } from '../../db/store/rows.js';

export function customersMatching<R>(q: Handle, columns: string, words: readonly string[], limit: number): Promise<R[]> {
  // A word of CJK characters is several pairs (casebook_search_text: 王小明 → 王小 小明): their phrase, the last a prefix.
  const query = words.map(() => "to_tsquery('casebook', regexp_replace(btrim(casebook_search_text(CAST(? AS text))), '\\s+', ' <-> ', 'g') || ':*')").join(' && ');
  return all<R>(
    q,
    `SELECT ${columns} FROM customers c WHERE c.id IN (SELECT -doc FROM search_documents WHERE doc < 0 AND words @@ (${query}) ORDER BY doc LIMIT ?) ORDER BY c.name, c.id`,
    [...words, limit],
  );
}
