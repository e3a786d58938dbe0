/**
 * A customer's search runs over their own cases only, whatever the size of the store: their
 * case texts and public messages (a few hundred documents at most) are put in a small
 * in-memory FTS5 table of this connection, with the same tokenizer, the same texts
 * (`casebook_search_text`) and the same rowids as the search index, and the query runs there. Reading the shared index instead costs what
 * the word costs across every customer's cases (a word in most documents: ~70 ms at
 * 1,000,000 cases). A customer with more than OWN_CASES_LIMIT cases is searched in the
 * shared index, narrowed to their cases.
 */
import type { Db } from '../db/client.js';
import { statement } from '../db/fast.js';
import { MAX_POSITION } from './documents.js';
import type { Source } from './queries.js';

export const OWN_CASES_LIMIT = 300;

const TABLE = 'temp.search_own';
/** Checked every time, as in highlight.ts (a rolled-back transaction takes a new table with it). */
function ensureTable(db: Db): void {
  statement(db, `CREATE VIRTUAL TABLE IF NOT EXISTS ${TABLE} USING fts5(subject, body, content='', columnsize=0, tokenize='porter unicode61 remove_diacritics 2')`).run();
}

/** Fills the table with the customer's documents; null when they have too many cases. Call `done()` after searching. */
export function ownCasesSource(db: Db, customerId: number): (Source & { done(): void }) | null {
  const count = statement<[number, number], { n: number }>(db, 'SELECT count(*) AS n FROM (SELECT 1 FROM cases WHERE customer_id = ? LIMIT ?)').get(customerId, OWN_CASES_LIMIT + 1)!.n;
  if (count > OWN_CASES_LIMIT) return null;
  ensureTable(db);
  statement(db, `INSERT INTO ${TABLE}(${TABLE.slice(5)}) VALUES ('delete-all')`).run();
  statement(db, `INSERT INTO ${TABLE}(rowid, subject, body) SELECT id << 20, casebook_search_text(subject), casebook_search_text(description) FROM cases WHERE customer_id = ?`).run(customerId);
  statement(
    db,
    `INSERT INTO ${TABLE}(rowid, body)
     SELECT (case_id << 20) + (position << 1), casebook_search_text(json_extract(data, '$.body'))
     FROM (SELECT e.case_id, e.type, e.data, row_number() OVER (PARTITION BY e.case_id ORDER BY e.id) AS position
           FROM case_events e WHERE e.case_id IN (SELECT id FROM cases WHERE customer_id = ?))
     WHERE type IN ('customer.replied', 'staff.replied') AND position <= ${MAX_POSITION}`,
  ).run(customerId);
  return {
    table: TABLE,
    match: 'search_own',
    done: () => void statement(db, `INSERT INTO ${TABLE}(${TABLE.slice(5)}) VALUES ('delete-all')`).run(),
  };
}
