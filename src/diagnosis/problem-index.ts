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
 *
 * Without FTS5 (PostgreSQL), `indexProblems` builds the same index from the problems' rows with
 * fts5-tokens.ts, FTS5's tokenizer in JavaScript (problem-index.test.ts: equal on the demo
 * library and on random texts), so diagnosis ranks the same there; SQLite keeps fts5vocab.
 */
import type { Db, Sqlite } from '../db/client.js';
import { statement } from '../db/fast.js';
import { fts5Tokens } from './fts5-tokens.js';

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
  words?: ProblemWords;
}

/** A problem's words as `sharedWords` (search-problems.ts) looks them up. */
export interface ProblemWords {
  /** Its words' stems. */
  stems: Set<string>;
  /** Every beginning of five letters or more of those stems (each stem of five or more included). */
  beginnings: Set<string>;
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

/** A problem as the library stores it. */
export interface ProblemRow {
  id: number;
  title: string;
  symptoms: string;
  synonyms: string;
  solution: string;
  active: boolean;
}

/** Collects the tokens of the library's problems into an index. */
function collector(revision: number, rows: Iterable<ProblemRow>) {
  const problems = new Map<number, IndexedProblem>();
  for (const row of rows) problems.set(row.id, { ...row, length: 0, frequency: new Map() });
  const postings = new Map<string, IndexedProblem[]>();
  let tokens = 0;
  return {
    problems,
    add(term: string, doc: number, col: string): void {
      const problem = problems.get(doc);
      if (!problem) return;
      tokens++;
      problem.length++;
      const seen = problem.frequency.get(term);
      problem.frequency.set(term, (seen ?? 0) + (COLUMN_WEIGHTS[col] ?? 1.0));
      if (seen === undefined) {
        const list = postings.get(term);
        if (list) list.push(problem);
        else postings.set(term, [problem]);
      }
    },
    index: (): ProblemIndex => ({ revision, rows: problems.size, averageLength: problems.size === 0 ? 0 : tokens / problems.size, postings }),
  };
}

function build(db: Db, revision: number): ProblemIndex {
  const sqlite = db.$client;
  // A per-connection view of the FTS5 index's tokens (temp schema: nothing is written to the database).
  sqlite.exec('CREATE VIRTUAL TABLE IF NOT EXISTS temp.problems_fts_instances USING fts5vocab(main, problems_fts, instance)');
  const rows = sqlite.prepare<[], Omit<ProblemRow, 'active'> & { active: number }>('SELECT id, title, symptoms, synonyms, solution, active FROM problems').all();
  const index = collector(revision, rows.map((r) => ({ ...r, active: r.active === 1 })));
  for (const { term, doc, col } of sqlite.prepare<[], { term: string; doc: number; col: string }>('SELECT term, doc, col FROM temp.problems_fts_instances').iterate()) index.add(term, doc, col);
  return index.index();
}

/** FTS5's columns of a problem, in problems_fts's order. */
const COLUMNS = ['title', 'symptoms', 'solution', 'synonyms'] as const;

/**
 * The index of `rows` without FTS5: each column tokenized as `porter unicode61
 * remove_diacritics 2` would (fts5-tokens.ts). Problems are added in id order, as fts5vocab
 * lists them per token; a problem's weights are sums of 4, 2 and 0.5, exact in any order.
 */
export function indexProblems(revision: number, rows: readonly ProblemRow[]): ProblemIndex {
  const index = collector(revision, rows);
  for (const row of [...rows].sort((a, b) => a.id - b.id)) for (const col of COLUMNS) for (const term of fts5Tokens(row[col])) index.add(term, row.id, col);
  return index.index();
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
