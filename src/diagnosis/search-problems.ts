/**
 * Diagnosis: match a request's text against the problem library, ranked as SQLite FTS5 ranks
 * it (the ranking per dialect: sqlite.ts, pg.ts; `searchProblemsOn`/`diagnoseOn` on the
 * storage port, `searchProblems`/`diagnose` synchronously on SQLite for the intake).
 *
 * The text is reduced to distinct meaningful words (stop words dropped) and searched with
 * OR, ranked by bm25. A problem counts as a *match* (the `diagnosis.matched` fact) when
 * it shares at least two of those words with the request, or the only word of a
 * one-word request: a single common word is a suggestion, not a diagnosis.
 *
 * Synonyms are indexed with each problem (the `synonyms` column of `problems_fts`) and
 * count like its symptoms: "billed 2 times" on the "charged twice" problem makes a request
 * saying "Billed 2 times" share two words with it. Indexing them with the problem (rather
 * than expanding queries) keeps bm25 ranking each problem on its own vocabulary.
 *
 * The ranking runs on an in-memory copy of the FTS5 index (problem-index.ts: the same
 * tokens, the same bm25 arithmetic), so a request costs no FTS5 query.
 */
import type { Db } from '../db/client.js';
import type { Handle } from '../db/store/index.js';
import { stemWord } from '../rules/words.js';
import { pgDiagnosis } from './pg.js';
import type { ProblemWords } from './problem-index.js';
import { rankedOnSqlite, sqliteDiagnosis, type RankedProblem } from './sqlite.js';

export interface ProblemMatch {
  problemId: number;
  title: string;
  solution: string;
  /** Meaningful request words found in the problem. */
  sharedWords: number;
  /** bm25 rank, lower is better (negated so higher is better). */
  score: number;
}

export interface Diagnosis {
  matched: boolean;
  problemId: number | null;
  suggestions: ProblemMatch[];
}

const STOP_WORDS = new Set(
  `a about above after again against all am an and any are as at be because been before being below between both but by can
  cannot could did do does doing down during each few for from further had has have having he her here hers him his how i if in
  into is it its itself just me more most my no nor not now of off on once only or other our ours out over own same she should so
  some such than that the their them then there these they this those through to too under until up very was we were what when
  where which while who whom why will with would you your yours hello hi please thanks thank help issue problem still get got
  also its im ive dont doesnt cant wont isnt`.split(/\s+/),
);

const MAX_TERMS = 12;

/** Characters of text folded and split at a time (up to the next space or line break). */
const CHUNK = 256;

/**
 * Distinct lower-case words worth searching for (at most `max`): the first ones of the text,
 * which is folded and split a chunk at a time until `max` are found, not whole. An intake reads
 * 12 of them; a mail of 8 KB was folded and split whole for them: ~70 µs an intake, now ~3.5 µs
 * (docs/performance.md, thirteenth session). A chunk ends before a space or a line break, which
 * neither lower case (the final sigma looks past marks and apostrophes, not past a space), NFKD
 * (it reorders runs of combining marks, and a space is none) nor a word reaches across: the words
 * are those of the text folded whole (tested against that in search-problems.test.ts). A text
 * without spaces past its first chunk (CJK, a pasted blob) is folded whole from there, as before.
 */
export function searchTerms(text: string, max = MAX_TERMS): string[] {
  const out: string[] = [];
  for (let start = 0; start < text.length && out.length < max; ) {
    const end = chunkEnd(text, start + CHUNK);
    addTerms(text.slice(start, end), out, max);
    start = end;
  }
  return out;
}

/** Where a chunk that should end near `at` ends: before the first space or line break from there, or at the text's end. */
function chunkEnd(text: string, at: number): number {
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10) return i;
  }
  return text.length;
}

function addTerms(chunk: string, out: string[], max: number): void {
  const words = chunk.toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '').match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const word of words) {
    if (word.length < 3 || STOP_WORDS.has(word) || out.includes(word)) continue;
    out.push(word);
    if (out.length >= max) return;
  }
}

/** Two stems name the same word when equal, or when the shorter, of this many letters or more, starts the longer. */
const SAME_BEGINNING = 5;

/**
 * All of a problem's words, folded to their stems (its synonyms come after long symptom lists
 * and are never cut off), with their beginnings for `sharedWords`.
 */
function wordsOf(text: string): ProblemWords {
  return problemWords(searchTerms(text, Number.POSITIVE_INFINITY).map(stemWord));
}

/** A problem's stems as `sharedWords` looks them up. */
export function problemWords(stems: Iterable<string>): ProblemWords {
  const words = { stems: new Set(stems), beginnings: new Set<string>() };
  for (const stem of words.stems) for (let n = SAME_BEGINNING; n <= stem.length; n++) words.beginnings.add(stem.slice(0, n));
  return words;
}

/**
 * Whether the problem has a word that names the same as the request's stem `t`: the same stem
 * ("charged" and "charges"), or one of five letters or more that starts the other ("connect"
 * and "connection", either way round); "app" is not "appointments".
 */
function namedBy(t: string, words: ProblemWords): boolean {
  if (words.stems.has(t)) return true;
  // t starts a longer problem word.
  if (t.length >= SAME_BEGINNING && words.beginnings.has(t)) return true;
  // A shorter problem word starts t.
  for (let n = SAME_BEGINNING; n < t.length; n++) if (words.stems.has(t.slice(0, n))) return true;
  return false;
}

/** How many of the request's distinct stems the problem's words name (see `namedBy`). */
export function sharedWords(stems: readonly string[], words: ProblemWords): number {
  const shared = new Set<string>();
  for (const t of stems) if (!shared.has(t) && namedBy(t, words)) shared.add(t);
  return shared.size;
}

/** The problem ranking that differs per dialect: FTS5 and its vocabulary on SQLite, the JavaScript tokenizer on PostgreSQL. */
export interface DiagnosisQueries {
  /** The active problems FTS5 would find for `terms` (OR), best bm25 rank first, at most `rows`. */
  ranked(q: Handle, terms: readonly string[], rows: number): Promise<RankedProblem[]>;
}

function diagnosisQueries(q: Handle): DiagnosisQueries {
  return q.dialect === 'sqlite' ? sqliteDiagnosis : pgDiagnosis;
}

/** How many rows to rank for `limit` matches (shared words decide among them). */
function rowsFor(limit: number): number {
  return Math.max(limit * 4, 12);
}

/** The problem library entries that best match `text`, best first (on the storage port). */
export async function searchProblemsOn(q: Handle, text: string, limit = 3): Promise<ProblemMatch[]> {
  const terms = searchTerms(text);
  if (terms.length === 0) return [];
  return scoreRows(await diagnosisQueries(q).ranked(q, terms, rowsFor(limit)), terms.map(stemWord), limit);
}

/** `searchProblemsOn` synchronously on SQLite (the intake's diagnosis runs inside its own reads). */
export function searchProblems(db: Db, text: string, limit = 3): ProblemMatch[] {
  const terms = searchTerms(text);
  return matchTerms(db, terms, terms.map(stemWord), limit);
}

/** `searchProblems` for the text's terms and their stems, already computed. */
function matchTerms(db: Db, terms: readonly string[], stems: readonly string[], limit: number): ProblemMatch[] {
  if (terms.length === 0) return [];
  return scoreRows(rankedOnSqlite(db, terms, rowsFor(limit)), stems, limit);
}

/** The ranked rows as matches: shared words first, then bm25, then id. */
function scoreRows(rows: readonly RankedProblem[], stems: readonly string[], limit: number): ProblemMatch[] {
  const matches = rows.map((row) => {
    const words = row.indexed ? (row.indexed.words ??= wordsOf(`${row.title} ${row.symptoms} ${row.synonyms}`)) : wordsOf(`${row.title} ${row.symptoms} ${row.synonyms}`);
    return { problemId: row.id, title: row.title, solution: row.solution, sharedWords: sharedWords(stems, words), score: Number((-row.rank).toFixed(4)) };
  });
  matches.sort((a, b) => b.sharedWords - a.sharedWords || b.score - a.score || a.problemId - b.problemId);
  return matches.slice(0, limit);
}

export function isMatch(match: ProblemMatch, termCount: number): boolean {
  return match.sharedWords >= Math.min(2, termCount);
}

export function diagnose(db: Db, subject: string, description: string): Diagnosis {
  // The text's words once: for the search and for the count of distinct words.
  const words = searchTerms(`${subject}\n${description}`);
  const stems = words.map(stemWord);
  return diagnosis(matchTerms(db, words, stems, 3), stems);
}

/** `diagnose` on the storage port. */
export async function diagnoseOn(q: Handle, subject: string, description: string): Promise<Diagnosis> {
  const words = searchTerms(`${subject}\n${description}`);
  const stems = words.map(stemWord);
  const suggestions = words.length === 0 ? [] : scoreRows(await diagnosisQueries(q).ranked(q, words, rowsFor(3)), stems, 3);
  return diagnosis(suggestions, stems);
}

function diagnosis(suggestions: ProblemMatch[], stems: readonly string[]): Diagnosis {
  // Distinct words as sharedWords counts them: "charges charged" is one word.
  const terms = new Set(stems).size;
  const best = suggestions[0];
  const matched = best !== undefined && isMatch(best, terms);
  return { matched, problemId: matched ? best.problemId : null, suggestions: suggestions.filter((s) => s.sharedWords > 0) };
}
