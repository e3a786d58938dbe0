/**
 * The problem library in memory, for diagnosis without an FTS5 query per request. The
 * library is small and read-mostly; FTS5's bm25 costs a query of its own per search word
 * (its IDF) on every request, far more than the search itself.
 *
 * The index is built from FTS5's own index (`fts5vocab` instances: every token of every
 * problem, as `porter unicode61 remove_diacritics 2` made it), so the library's side is
 * FTS5's exactly; a request's words are stemmed by the same porter steps (porter.ts), and the
 * ranking is FTS5's `bm25()` formula with the same weights, row count, lengths and IDFs.
 * Words that are not plain ASCII go to FTS5 itself (search-problems.ts), as every search did
 * before.
 *
 * It follows the library: `problem_library_revision` changes with every insert, update or
 * delete of a problem (triggers), in this process or another; a search that finds another
 * revision than the index was built at rebuilds it first.
 */
import type { Db, Sqlite } from '../db/client.js';
import { statement } from '../db/fast.js';

/** bm25() column weights: title, symptoms, solution, synonyms (the FTS5 table's column order). */
export const COLUMN_WEIGHTS: Readonly<Record<string, number>> = { title: 4.0, symptoms: 2.0, solution: 0.5, synonyms: 2.0 };

export interface IndexedProblem {
  id: number;
  title: string;
  symptoms: string;
  synonyms: string;
  solution: string;
  active: boolean;
  /** Tokens in the problem, all columns (bm25's D). */
  length: number;
  /** Token → its occurrences weighted by column (bm25's phrase frequency). */
  frequency: Map<string, number>;
  /** Memo of the problem's words for `sharedWords` (search-problems.ts). */
  words?: Set<string>;
}

export interface ProblemIndex {
  revision: number;
  /** Problems in the FTS5 index (bm25's N). */
  rows: number;
  /** Average tokens per problem (bm25's avgdl). */
  averageLength: number;
  /** Token → the problems that contain it (its length is bm25's nHit). */
  postings: Map<string, IndexedProblem[]>;
}

const indexes = new WeakMap<Sqlite, ProblemIndex>();

interface ProblemRow {
  id: number;
  title: string;
  symptoms: string;
  synonyms: string;
  solution: string;
  active: number;
}

function build(db: Db, revision: number): ProblemIndex {
  const sqlite = db.$client;
  // A per-connection view of the FTS5 index's tokens (temp schema: nothing is written to the database).
  sqlite.exec('CREATE VIRTUAL TABLE IF NOT EXISTS temp.problems_fts_instances USING fts5vocab(main, problems_fts, instance)');
  const problems = new Map<number, IndexedProblem>();
  for (const row of sqlite.prepare<[], ProblemRow>('SELECT id, title, symptoms, synonyms, solution, active FROM problems').iterate()) {
    problems.set(row.id, { id: row.id, title: row.title, symptoms: row.symptoms, synonyms: row.synonyms, solution: row.solution, active: row.active === 1, length: 0, frequency: new Map() });
  }
  const postings = new Map<string, IndexedProblem[]>();
  let tokens = 0;
  for (const { term, doc, col } of sqlite.prepare<[], { term: string; doc: number; col: string }>('SELECT term, doc, col FROM temp.problems_fts_instances').iterate()) {
    const problem = problems.get(doc);
    if (!problem) continue;
    tokens++;
    problem.length++;
    const seen = problem.frequency.get(term);
    problem.frequency.set(term, (seen ?? 0) + (COLUMN_WEIGHTS[col] ?? 1.0));
    if (seen === undefined) {
      const list = postings.get(term);
      if (list) list.push(problem);
      else postings.set(term, [problem]);
    }
  }
  return { revision, rows: problems.size, averageLength: problems.size === 0 ? 0 : tokens / problems.size, postings };
}

/** The index at the library's current revision (rebuilt if it changed); null without a revision to follow. */
export function problemIndex(db: Db): ProblemIndex | null {
  const row = statement<[], { revision: number }>(db, 'SELECT revision FROM problem_library_revision WHERE id = 1').get();
  if (!row) return null;
  let index = indexes.get(db.$client);
  if (!index || index.revision !== row.revision) {
    index = build(db, row.revision);
    indexes.set(db.$client, index);
  }
  return index;
}

const K1 = 1.2;
const B = 0.75;

/**
 * The active problems that contain any of `tokens` (stemmed search words, in query order),
 * ranked as `ORDER BY bm25(problems_fts, 4.0, 2.0, 0.5, 2.0)` ranks them (lower is better),
 * the first `limit`. The arithmetic is bm25()'s own (sqlite3.c, fts5Bm25Function), in its order.
 */
export function rankProblems(index: ProblemIndex, tokens: readonly string[], limit: number): { problem: IndexedProblem; rank: number }[] {
  const idf = tokens.map((token) => {
    const hits = index.postings.get(token)?.length ?? 0;
    const value = Math.log((index.rows - hits + 0.5) / (hits + 0.5));
    return value <= 0.0 ? 1e-6 : value;
  });
  const candidates = new Set<IndexedProblem>();
  for (const token of tokens) for (const problem of index.postings.get(token) ?? []) if (problem.active) candidates.add(problem);
  const ranked = [...candidates].map((problem) => {
    const d = problem.length;
    let score = 0.0;
    for (let i = 0; i < tokens.length; i++) {
      const f = problem.frequency.get(tokens[i]!) ?? 0;
      score += idf[i]! * ((f * (K1 + 1.0)) / (f + K1 * (1 - B + (B * d) / index.averageLength)));
    }
    return { problem, rank: -1.0 * score };
  });
  ranked.sort((a, b) => a.rank - b.rank || a.problem.id - b.problem.id);
  return ranked.slice(0, limit);
}
