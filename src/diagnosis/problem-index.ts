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
  /** Memo of the problem's words for `sharedWords` (search-problems.ts). */
  words?: ProblemWords;
  /** Its place in `ProblemIndex.problems`: where `rankProblems` keeps its running sum. */
  slot: number;
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
  /** The problems by `slot`. */
  problems: IndexedProblem[];
  /** Token → what `rankProblems` adds up for it: see `TokenTerms`. */
  terms: Map<string, TokenTerms>;
}

/**
 * A token's postings as `rankProblems` reads them, in two flat arrays: the slots of the active
 * problems that contain it and, for each, bm25's term without the IDF (`(f * (k1 + 1)) / (f + k1 *
 * (1 - b + b * D / avgdl))`, f the token's occurrences in the problem weighted by column, computed
 * once at build). Walking a list of problem objects and a Map of frequencies per problem instead
 * was bound by memory: ~250 ns a posting with a library of 3,000 problems.
 */
export interface TokenTerms {
  /** Problems that contain the token, active or not (bm25's nHit: FTS5 counts them all). */
  hits: number;
  slots: Int32Array;
  parts: Float64Array;
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

/** bm25()'s parameters (FTS5's: k1 1.2, b 0.75). */
const K1 = 1.2;
const B = 0.75;

/** A token's postings while the index is built: slots in the order met, f summed per slot. */
interface TokenBuilder {
  slots: number[];
  frequencies: number[];
}

/**
 * Collects the tokens of the library's problems into an index. Instances come either in FTS5's
 * order (fts5vocab: by token, then problem) or problem by problem (`indexProblems`); in both, a
 * token's instances in one problem come together, so each adds to the last posting of its token
 * or starts the next. One Map lookup an instance at most (the token's, skipped while the token
 * repeats), where a Map per problem and per token cost ~5 µs an instance (6 s for a library of
 * 10,000 problems of ~100 words).
 */
function collector(revision: number, rows: Iterable<ProblemRow>) {
  const problems: IndexedProblem[] = [];
  const slotOf = new Map<number, number>();
  for (const row of rows) {
    slotOf.set(row.id, problems.length);
    problems.push({ ...row, length: 0, slot: problems.length });
  }
  /** Tokens per slot (bm25's D), counted here and set on the problems at the end: flat, not an object per instance. */
  const lengths = new Int32Array(problems.length);
  const tokens = new Map<string, TokenBuilder>();
  let total = 0;
  let lastTerm: string | null = null;
  let lastBuilder: TokenBuilder | null = null;
  let lastDoc = Number.NaN;
  let lastSlot: number | undefined;
  return {
    add(term: string, doc: number, col: string): void {
      if (doc !== lastDoc) {
        lastDoc = doc;
        lastSlot = slotOf.get(doc);
      }
      const slot = lastSlot;
      if (slot === undefined) return;
      total++;
      lengths[slot]!++;
      let builder = term === lastTerm ? lastBuilder! : tokens.get(term);
      if (!builder) tokens.set(term, (builder = { slots: [], frequencies: [] }));
      lastTerm = term;
      lastBuilder = builder;
      const weight = COLUMN_WEIGHTS[col] ?? 1.0;
      const at = builder.slots.length - 1;
      if (at >= 0 && builder.slots[at] === slot) builder.frequencies[at]! += weight;
      else {
        builder.slots.push(slot);
        builder.frequencies.push(weight);
      }
    },
    index: (): ProblemIndex => {
      const averageLength = problems.length === 0 ? 0 : total / problems.length;
      const active = new Uint8Array(problems.length);
      for (const problem of problems) {
        problem.length = lengths[problem.slot]!;
        active[problem.slot] = problem.active ? 1 : 0;
      }
      const terms = new Map<string, TokenTerms>();
      for (const [term, { slots: all, frequencies }] of tokens) {
        let kept = 0;
        for (const slot of all) kept += active[slot]!;
        const slots = new Int32Array(kept);
        const parts = new Float64Array(kept);
        for (let i = 0, j = 0; i < all.length; i++) {
          const slot = all[i]!;
          if (!active[slot]) continue;
          const f = frequencies[i]!;
          slots[j] = slot;
          // bm25()'s term without the IDF, in its order of operations (sqlite3.c, fts5Bm25Function).
          parts[j++] = (f * (K1 + 1.0)) / (f + K1 * (1 - B + (B * lengths[slot]!) / averageLength));
        }
        terms.set(term, { hits: all.length, slots, parts });
      }
      return { revision, rows: problems.length, averageLength, problems, terms };
    },
  };
}

function build(db: Db, revision: number): ProblemIndex {
  const sqlite = db.$client;
  // A per-connection view of the FTS5 index's tokens (temp schema: nothing is written to the database).
  sqlite.exec('CREATE VIRTUAL TABLE IF NOT EXISTS temp.problems_fts_instances USING fts5vocab(main, problems_fts, instance)');
  const rows = sqlite.prepare<[], Omit<ProblemRow, 'active'> & { active: number }>('SELECT id, title, symptoms, synonyms, solution, active FROM problems').all();
  const index = collector(revision, rows.map((r) => ({ ...r, active: r.active === 1 })));
  const instances = sqlite.prepare<[], [string, number, string]>('SELECT term, doc, col FROM temp.problems_fts_instances').raw();
  for (const [term, doc, col] of instances.iterate()) index.add(term, doc, col);
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

/** Running bm25 sums of one ranking, by problem slot, kept per index and zeroed after use. */
const sums = new WeakMap<ProblemIndex, Float64Array>();

/**
 * The active problems that contain any of `tokens` (stemmed search words, in query order),
 * ranked as `ORDER BY bm25(problems_fts, 4.0, 2.0, 0.5, 2.0)` ranks them (lower is better),
 * then by id, the first `limit`. The arithmetic is bm25()'s own (sqlite3.c, fts5Bm25Function):
 * each problem's sum is added up token by token in query order, as bm25() adds its phrases (a
 * token the problem lacks adds 0 there, nothing here: the same sum).
 *
 * The work follows the postings of the request's tokens (flat arrays: `TokenTerms`), not
 * problems × tokens, and only the best `limit` are kept in order. Scoring every candidate on
 * every token through its objects and sorting them all cost 1 ms a request with a library of
 * 1,000 problems and 31–36 ms with 10,000 (docs/performance.md, "Diagnosis and the size of the
 * problem library").
 */
export function rankProblems(index: ProblemIndex, tokens: readonly string[], limit: number): { problem: IndexedProblem; rank: number }[] {
  if (limit <= 0) return [];
  let sum = sums.get(index);
  if (!sum) sums.set(index, (sum = new Float64Array(index.problems.length)));
  const touched: number[] = [];
  for (const token of tokens) {
    const terms = index.terms.get(token);
    if (!terms) continue;
    const value = Math.log((index.rows - terms.hits + 0.5) / (terms.hits + 0.5));
    const idf = value <= 0.0 ? 1e-6 : value;
    const { slots, parts } = terms;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const soFar = sum[slot]!;
      if (soFar === 0) touched.push(slot); // every term is > 0: a sum of 0 is one not started
      sum[slot] = soFar + idf * parts[i]!;
    }
  }
  const best: { problem: IndexedProblem; rank: number }[] = [];
  for (const slot of touched) {
    const ranked = { problem: index.problems[slot]!, rank: -1.0 * sum[slot]! };
    sum[slot] = 0;
    if (limit > SMALL_LIMIT) best.push(ranked);
    else if (best.length < limit || before(ranked, best[best.length - 1]!)) {
      // Kept in order by insertion: a diagnosis asks for 12.
      let at = best.length;
      while (at > 0 && before(ranked, best[at - 1]!)) at--;
      best.splice(at, 0, ranked);
      if (best.length > limit) best.pop();
    }
  }
  if (limit > SMALL_LIMIT) {
    best.sort((a, b) => a.rank - b.rank || a.problem.id - b.problem.id);
    if (best.length > limit) best.length = limit;
  }
  return best;
}

/** Up to this many best are kept in order as they come; more (a search's every match) are sorted once. */
const SMALL_LIMIT = 64;

/** Whether `a` ranks before `b`: the lower rank, then the lower id. */
function before(a: { problem: IndexedProblem; rank: number }, b: { problem: IndexedProblem; rank: number }): boolean {
  return a.rank < b.rank || (a.rank === b.rank && a.problem.id < b.problem.id);
}
