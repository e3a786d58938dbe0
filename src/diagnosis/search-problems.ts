/**
 * Diagnosis: match a request's text against the problem library with SQLite FTS5.
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
 * tokens, the same bm25 arithmetic), so a request costs no FTS5 query; a request with words
 * that are not plain ASCII is searched by FTS5 itself.
 */
import type { Db } from '../db/client.js';
import { statement } from '../db/fast.js';
import { stemWord } from '../rules/words.js';
import { porterStem } from './porter.js';
import { problemIndex, rankProblems, type IndexedProblem } from './problem-index.js';

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

/** Distinct lower-case words worth searching for (at most `max`). */
export function searchTerms(text: string, max = MAX_TERMS): string[] {
  const words = text.toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '').match(/[\p{L}\p{N}]+/gu) ?? [];
  const out: string[] = [];
  for (const word of words) {
    if (word.length < 3 || STOP_WORDS.has(word) || out.includes(word)) continue;
    out.push(word);
    if (out.length >= max) break;
  }
  return out;
}

interface Row {
  id: number;
  title: string;
  symptoms: string;
  synonyms: string;
  solution: string;
  rank: number;
}

const SEARCH = `
  SELECT p.id, p.title, p.symptoms, p.synonyms, p.solution, bm25(problems_fts, 4.0, 2.0, 0.5, 2.0) AS rank
  FROM problems_fts JOIN problems p ON p.id = problems_fts.rowid
  WHERE problems_fts MATCH ? AND p.active = 1
  ORDER BY rank LIMIT ?`;

/**
 * All of a problem's words, folded to their stems; its synonyms come after long symptom lists
 * and are never cut off.
 */
function stemsOf(text: string): Set<string> {
  return new Set(searchTerms(text, Number.POSITIVE_INFINITY).map(stemWord));
}

/**
 * Two stems name the same word when equal ("charged" and "charges"), or when the shorter, of
 * five letters or more, starts the longer ("connect" and "connection"): "app" is not "appointments".
 */
function sameWord(a: string, b: string): boolean {
  if (a === b) return true;
  return a.length <= b.length ? a.length >= 5 && b.startsWith(a) : b.length >= 5 && a.startsWith(b);
}

/** How many of the request's stems the problem's words name (see `sameWord`). */
function sharedWords(stems: readonly string[], problemWords: ReadonlySet<string>): number {
  const shared = new Set<string>();
  for (const t of stems) {
    if (shared.has(t)) continue;
    if (problemWords.has(t)) {
      shared.add(t);
      continue;
    }
    for (const w of problemWords) {
      if (sameWord(t, w)) {
        shared.add(t);
        break;
      }
    }
  }
  return shared.size;
}

const PLAIN = /^[a-z0-9]+$/;

/** The rows FTS5 finds for `terms`, best bm25 rank first: from the in-memory index, or from FTS5. */
function ranked(db: Db, terms: readonly string[], rows: number): (Row & { indexed?: IndexedProblem })[] {
  const index = terms.every((t) => PLAIN.test(t)) ? problemIndex(db) : null;
  if (index) {
    // A plain ASCII word is one unicode61 token as it is: the porter step is FTS5's.
    return rankProblems(index, terms.map(porterStem), rows).map(({ problem: p, rank }) => ({ id: p.id, title: p.title, symptoms: p.symptoms, synonyms: p.synonyms, solution: p.solution, rank, indexed: p }));
  }
  // Quoted terms: user text never reaches FTS5 as query syntax; the porter tokenizer
  // matches word forms ("charged" finds "charge").
  const query = terms.map((t) => `"${t}"`).join(' OR ');
  return statement<[string, number], Row>(db, SEARCH).all(query, rows);
}

/** The problem library entries that best match `text`, best first. */
export function searchProblems(db: Db, text: string, limit = 3): ProblemMatch[] {
  const terms = searchTerms(text);
  return matchTerms(db, terms, terms.map(stemWord), limit);
}

/** `searchProblems` for the text's terms and their stems, already computed. */
function matchTerms(db: Db, terms: readonly string[], stems: readonly string[], limit: number): ProblemMatch[] {
  if (terms.length === 0) return [];
  const rows = ranked(db, terms, Math.max(limit * 4, 12));
  const matches = rows.map((row) => {
    const problemStems = row.indexed ? (row.indexed.words ??= stemsOf(`${row.title} ${row.symptoms} ${row.synonyms}`)) : stemsOf(`${row.title} ${row.symptoms} ${row.synonyms}`);
    return { problemId: row.id, title: row.title, solution: row.solution, sharedWords: sharedWords(stems, problemStems), score: Number((-row.rank).toFixed(4)) };
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
  const suggestions = matchTerms(db, words, stems, 3);
  // Distinct words as sharedWords counts them: "charges charged" is one word.
  const terms = new Set(stems).size;
  const best = suggestions[0];
  const matched = best !== undefined && isMatch(best, terms);
  return { matched, problemId: matched ? best.problemId : null, suggestions: suggestions.filter((s) => s.sharedWords > 0) };
}
