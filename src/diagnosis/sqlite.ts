/**
 * Diagnosis on SQLite: the ranking runs on an in-memory copy of the FTS5 index
 * (problem-index.ts, built from `fts5vocab`: the same tokens, the same bm25 arithmetic), so a
 * request costs no FTS5 query; a request with words that are not plain ASCII is searched by
 * FTS5 itself.
 */
import type { Db } from '../db/client.js';
import { statement } from '../db/fast.js';
import { sqliteOf } from '../db/store/index.js';
import { porterStem } from './porter.js';
import { problemIndex, rankProblems, type IndexedProblem } from './problem-index.js';
import type { DiagnosisQueries } from './search-problems.js';

export interface RankedProblem {
  id: number;
  title: string;
  symptoms: string;
  synonyms: string;
  solution: string;
  /** bm25, lower is better. */
  rank: number;
  /** The index entry (its stems are kept on it). */
  indexed?: IndexedProblem;
}

const SEARCH = `
  SELECT p.id, p.title, p.symptoms, p.synonyms, p.solution, bm25(problems_fts, 4.0, 2.0, 0.5, 2.0) AS rank
  FROM problems_fts JOIN problems p ON p.id = problems_fts.rowid
  WHERE problems_fts MATCH ? AND p.active = 1
  ORDER BY rank LIMIT ?`;

const PLAIN = /^[a-z0-9]+$/;

/** The rows FTS5 finds for `terms`, best bm25 rank first: from the in-memory index, or from FTS5. */
export function rankedOnSqlite(db: Db, terms: readonly string[], rows: number): RankedProblem[] {
  const index = terms.every((t) => PLAIN.test(t)) ? problemIndex(db) : null;
  if (index) {
    // A plain ASCII word is one unicode61 token as it is: the porter step is FTS5's.
    return rankProblems(index, terms.map(porterStem), rows).map(({ problem: p, rank }) => ({ id: p.id, title: p.title, symptoms: p.symptoms, synonyms: p.synonyms, solution: p.solution, rank, indexed: p }));
  }
  // Quoted terms: user text never reaches FTS5 as query syntax; the porter tokenizer
  // matches word forms ("charged" finds "charge").
  const query = terms.map((t) => `"${t}"`).join(' OR ');
  return statement<[string, number], RankedProblem>(db, SEARCH).all(query, rows);
}

export const sqliteDiagnosis: DiagnosisQueries = {
  ranked: (q, terms, rows) => Promise.resolve(rankedOnSqlite(sqliteOf(q), terms, rows)),
};
