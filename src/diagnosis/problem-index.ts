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
 * revision than the index was built at brings it up to date first: the problems whose words
 * changed are tokenized again (by FTS5 itself, in a temp table), the rest kept (`updatedIndex`),
 * or, when much changed, the whole index is built again from fts5vocab.
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
  /** Whether the problem in each slot is active (only active problems are found). */
  active: Uint8Array;
  /** Token → its postings: see `TokenTerms`. */
  terms: Map<string, TokenTerms>;
}

/**
 * A token's postings as `rankProblems` reads them, in flat arrays: the slots of the problems
 * that contain it (active or not: their number is bm25's nHit, FTS5 counts them all), f (its
 * occurrences in the problem, weighted by column) and bm25's term without the IDF (`(f * (k1 +
 * 1)) / (f + k1 * (1 - b + b * D / avgdl))`, computed at build). Walking a list of problem objects
 * and a Map of frequencies per problem instead was bound by memory: ~250 ns a posting with a
 * library of 3,000 problems.
 */
export interface TokenTerms {
  slots: Int32Array;
  frequencies: Float64Array;
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

/** A token instance as fts5vocab's `instance` table gives it: the token, the problem's id, the column's name. */
type Instance = [term: string, doc: number, col: string];

/** Postings collected for a token: slots in the order met, f summed per slot. */
interface TokenBuilder {
  slots: number[];
  frequencies: number[];
}

/**
 * Collects token instances into postings per token and lengths per slot. Instances come either in
 * FTS5's order (fts5vocab: by token, then problem) or problem by problem (`indexProblems`); in
 * both, a token's instances in one problem come together, so each adds to the last posting of its
 * token or starts the next. One Map lookup an instance at most (the token's, skipped while the
 * token repeats), where a Map per problem and per token cost ~5 µs an instance (6 s for a library
 * of 10,000 problems of ~100 words).
 */
function collect(instances: Iterable<Instance>, slotOf: ReadonlyMap<number, number>, lengths: Int32Array): Map<string, TokenBuilder> {
  const tokens = new Map<string, TokenBuilder>();
  let lastTerm: string | null = null;
  let lastBuilder: TokenBuilder | null = null;
  let lastDoc = Number.NaN;
  let lastSlot: number | undefined;
  for (const [term, doc, col] of instances) {
    if (doc !== lastDoc) {
      lastDoc = doc;
      lastSlot = slotOf.get(doc);
    }
    const slot = lastSlot;
    if (slot === undefined) continue;
    lengths[slot]!++;
    let builder: TokenBuilder | undefined = term === lastTerm ? lastBuilder! : tokens.get(term);
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
  }
  return tokens;
}

/** `slots`' bm25 terms without the IDF, for the index's lengths and average (bm25()'s order of operations: sqlite3.c, fts5Bm25Function). */
function partsOf(slots: Int32Array, frequencies: Float64Array, problems: readonly IndexedProblem[], averageLength: number): Float64Array {
  const parts = new Float64Array(slots.length);
  for (let i = 0; i < slots.length; i++) {
    const f = frequencies[i]!;
    parts[i] = (f * (K1 + 1.0)) / (f + K1 * (1 - B + (B * problems[slots[i]!]!.length) / averageLength));
  }
  return parts;
}

/** The index of `problems` (slots set) from the postings of every token and their lengths. */
function assemble(revision: number, problems: IndexedProblem[], postings: Iterable<[string, Int32Array, Float64Array]>): ProblemIndex {
  let total = 0;
  const active = new Uint8Array(problems.length);
  for (const problem of problems) {
    total += problem.length;
    active[problem.slot] = problem.active ? 1 : 0;
  }
  const averageLength = problems.length === 0 ? 0 : total / problems.length;
  const terms = new Map<string, TokenTerms>();
  for (const [term, slots, frequencies] of postings) if (slots.length > 0) terms.set(term, { slots, frequencies, parts: partsOf(slots, frequencies, problems, averageLength) });
  return { revision, rows: problems.length, averageLength, problems, active, terms };
}

/** The index of `rows` from all their token instances. */
function indexOf(revision: number, rows: readonly ProblemRow[], instances: Iterable<Instance>): ProblemIndex {
  const problems = rows.map((row, slot): IndexedProblem => ({ ...row, length: 0, slot }));
  const lengths = new Int32Array(problems.length);
  const tokens = collect(instances, new Map(rows.map((row, slot) => [row.id, slot])), lengths);
  for (const problem of problems) problem.length = lengths[problem.slot]!;
  return assemble(revision, problems, (function* () {
    for (const [term, { slots, frequencies }] of tokens) yield [term, Int32Array.from(slots), Float64Array.from(frequencies)] as [string, Int32Array, Float64Array];
  })());
}

/** Whether a stored problem still says what its indexed copy does (the words FTS5 indexed: not its flag). */
function sameText(row: ProblemRow, indexed: IndexedProblem): boolean {
  return row.title === indexed.title && row.symptoms === indexed.symptoms && row.synonyms === indexed.synonyms && row.solution === indexed.solution;
}

/** Above this share of the library changed, added or deleted, a whole build is cheaper than an update. */
const UPDATE_AT_MOST = 0.25;

/**
 * `index` brought to the library as `rows` are now, without tokenizing it again: problems whose
 * words are unchanged keep their postings (moved to their new slots; a flag switched is only a
 * flag), those added or edited get theirs from `tokenize` (given only them), those deleted lose
 * theirs, and every term's bm25 part follows the new average length. A manager's edit of a
 * library of 10,000 problems rebuilt the whole index on the next diagnosis (1.3–1.7 s on the
 * event loop, ~1.2 s of it SQLite reading fts5vocab); an update costs a read of the rows and a
 * pass over the postings. Null when more than a quarter changed: build it whole.
 */
export function updatedIndex(index: ProblemIndex, revision: number, rows: readonly ProblemRow[], tokenize: (rows: readonly ProblemRow[]) => Iterable<Instance>): ProblemIndex | null {
  const before = new Map(index.problems.map((problem) => [problem.id, problem]));
  const problems: IndexedProblem[] = [];
  /** Old slot → new slot, −1 for a problem deleted or re-tokenized. */
  const moved = new Int32Array(index.problems.length).fill(-1);
  const tokenized: ProblemRow[] = [];
  const slotOf = new Map<number, number>();
  for (const row of rows) {
    const old = before.get(row.id);
    const slot = problems.length;
    if (old && sameText(row, old)) {
      moved[old.slot] = slot;
      problems.push({ ...old, active: row.active, slot });
    } else {
      tokenized.push(row);
      slotOf.set(row.id, slot);
      problems.push({ ...row, length: 0, slot });
    }
  }
  const deleted = index.problems.length - (problems.length - tokenized.length);
  if (tokenized.length + deleted > Math.max(1, rows.length * UPDATE_AT_MOST)) return null;
  const lengths = new Int32Array(problems.length);
  const added = collect(tokenize(tokenized), slotOf, lengths);
  for (const row of tokenized) problems[slotOf.get(row.id)!]!.length = lengths[slotOf.get(row.id)!]!;
  return assemble(revision, problems, (function* () {
    for (const [term, { slots: oldSlots, frequencies: oldFrequencies }] of index.terms) {
      const more = added.get(term);
      added.delete(term);
      let kept = 0;
      for (let i = 0; i < oldSlots.length; i++) if (moved[oldSlots[i]!]! >= 0) kept++;
      const slots = new Int32Array(kept + (more?.slots.length ?? 0));
      const frequencies = new Float64Array(slots.length);
      let j = 0;
      for (let i = 0; i < oldSlots.length; i++) {
        const slot = moved[oldSlots[i]!]!;
        if (slot < 0) continue;
        slots[j] = slot;
        frequencies[j++] = oldFrequencies[i]!;
      }
      if (more) {
        slots.set(more.slots, j);
        frequencies.set(more.frequencies, j);
      }
      yield [term, slots, frequencies] as [string, Int32Array, Float64Array];
    }
    for (const [term, { slots, frequencies }] of added) yield [term, Int32Array.from(slots), Float64Array.from(frequencies)] as [string, Int32Array, Float64Array];
  })());
}

/** The problems' rows on SQLite, in id order. */
function problemRows(db: Db): ProblemRow[] {
  const rows = db.$client.prepare<[], Omit<ProblemRow, 'active'> & { active: number }>('SELECT id, title, symptoms, synonyms, solution, active FROM problems ORDER BY id').all();
  return rows.map((r) => ({ ...r, active: r.active === 1 }));
}

/** The whole index from FTS5's own index (fts5vocab: every token of every problem). */
function build(db: Db, revision: number, rows: readonly ProblemRow[]): ProblemIndex {
  const sqlite = db.$client;
  // A per-connection view of the FTS5 index's tokens (temp schema: nothing is written to the database).
  sqlite.exec('CREATE VIRTUAL TABLE IF NOT EXISTS temp.problems_fts_instances USING fts5vocab(main, problems_fts, instance)');
  return indexOf(revision, rows, sqlite.prepare<[], Instance>('SELECT term, doc, col FROM temp.problems_fts_instances').raw().iterate());
}

/**
 * The token instances of `rows` as FTS5 makes them: the rows written to a per-connection FTS5
 * table of problems_fts's columns and tokenizer (temp schema), read back through fts5vocab, and
 * removed.
 */
function instancesOf(db: Db, rows: readonly ProblemRow[]): Instance[] {
  const sqlite = db.$client;
  sqlite.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.problems_changed USING fts5(title, symptoms, solution, synonyms, tokenize = 'porter unicode61 remove_diacritics 2')`);
  sqlite.exec('CREATE VIRTUAL TABLE IF NOT EXISTS temp.problems_changed_instances USING fts5vocab(temp, problems_changed, instance)');
  const insert = sqlite.prepare('INSERT INTO temp.problems_changed (rowid, title, symptoms, solution, synonyms) VALUES (?, ?, ?, ?, ?)');
  for (const row of rows) insert.run(row.id, row.title, row.symptoms, row.solution, row.synonyms);
  try {
    return sqlite.prepare<[], Instance>('SELECT term, doc, col FROM temp.problems_changed_instances').raw().all();
  } finally {
    sqlite.exec('DELETE FROM temp.problems_changed');
  }
}

/** FTS5's columns of a problem, in problems_fts's order. */
const COLUMNS = ['title', 'symptoms', 'solution', 'synonyms'] as const;

/** `rows`' token instances without FTS5: each column tokenized as `porter unicode61 remove_diacritics 2` would (fts5-tokens.ts), problem by problem. */
export function* tokenInstances(rows: readonly ProblemRow[]): Iterable<Instance> {
  for (const row of rows) for (const col of COLUMNS) for (const term of fts5Tokens(row[col])) yield [term, row.id, col];
}

/**
 * The index of `rows` without FTS5 (`tokenInstances`). Problems are added in id order, as
 * fts5vocab lists them per token; a problem's weights are sums of 4, 2 and 0.5, exact in any order.
 */
export function indexProblems(revision: number, rows: readonly ProblemRow[]): ProblemIndex {
  const sorted = [...rows].sort((a, b) => a.id - b.id);
  return indexOf(revision, sorted, tokenInstances(sorted));
}

/**
 * The index at the library's current revision; null without a revision to follow. After a
 * change, the index before is updated (`updatedIndex`, the changed problems tokenized by FTS5
 * itself) or, when much changed, built whole from fts5vocab.
 */
export function problemIndex(db: Db): ProblemIndex | null {
  const row = statement<[], { revision: number }>(db, 'SELECT revision FROM problem_library_revision WHERE id = 1').get();
  if (!row) return null;
  let index = indexes.get(db.$client);
  if (!index || index.revision !== row.revision) {
    const rows = problemRows(db);
    // The changed problems' tokens are written to a temp table: not while writes are refused (a full disk: src/db/faults.ts).
    const canWrite = !db.$client.readonly && Number(db.$client.pragma('query_only', { simple: true })) === 0;
    index = (index && canWrite && updatedIndex(index, row.revision, rows, (changed) => instancesOf(db, changed))) || build(db, row.revision, rows);
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
    const { slots, parts } = terms;
    const hits = slots.length;
    const value = Math.log((index.rows - hits + 0.5) / (hits + 0.5));
    const idf = value <= 0.0 ? 1e-6 : value;
    const { active } = index;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      if (!active[slot]) continue;
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
