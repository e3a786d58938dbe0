/** Customers by words on SQLite: FTS5's customer documents (`-rowid`), every word a prefix. */
import type { Handle } from '../../db/store/index.js';
import { all } from '../../db/store/rows.js';
import { searchText } from '../../text/search-text.js';

export function customersMatching<R>(q: Handle, columns: string, words: readonly string[], limit: number): Promise<R[]> {
  // As the index holds names (casebook_search_text): 王小明 is the phrase "王小 小明", its last pair a prefix.
  const fts = words.map((w) => `"${searchText(w)}"*`).join(' ');
  return all<R>(
    q,
    `SELECT ${columns} FROM customers c WHERE c.id IN (SELECT -rowid FROM search_fts WHERE search_fts MATCH ? AND rowid < 0 ORDER BY rowid LIMIT ?) ORDER BY c.name, c.id`,
    [fts, limit],
  );
}
