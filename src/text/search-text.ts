/**
 * The text the search index is given (docs/ui.md "Search", docs/postgres.md "Search on
 * PostgreSQL") (PURE), the same on both databases:
 * - **CJK bigrams**: a run of Han, Hiragana, Katakana or Hangul characters (written without
 *   spaces between words) becomes its overlapping pairs, as Lucene's CJKAnalyzer does:
 *   我想申请退款 → 我想 想申 申请 请退 退款; a lone character stays itself. A query's word is
 *   given the same treatment, so 退款 is the phrase of its pairs and matches inside the run.
 *   A run is set apart from letters or digits next to it ("iPhone退款" is iPhone, 退款).
 * - **Folds** (SQLite only: PostgreSQL's configuration runs `unaccent` on every word): the
 *   letters unaccent folds beyond what FTS5's `remove_diacritics 2` does (ß → ss, æ → ae,
 *   œ → oe, ø → o, ł → l…: search-folds.ts), so "hauptstrasse" finds "Hauptstraße" on both.
 *
 * SQLite runs it inside FTS5's triggers as the SQL function `casebook_search_text`, registered
 * on every connection that writes (src/db/client.ts `openDatabase`); PostgreSQL has its own
 * `casebook_search_text` (drizzle/pg/0009_search_cjk.sql) whose bigrams are the same. Text
 * with nothing to change (all Latin, no folded letter) comes back as it is, after one test.
 *
 * Hangul is paired too: Korean separates words with spaces, but particles and endings are
 * written onto the word (환불을 "the refund" + object particle), so 환불 must match inside
 * 환불을 — which the pairs do (환불 불을).
 */
import { SEARCH_FOLDS } from './search-folds.js';

/**
 * The characters paired, as code point ranges (PostgreSQL's function lists the same). Han:
 * CJK ideographs with extensions A–H, compatibility ideographs, 々 〻; Hiragana; Katakana with
 * its phonetic extensions and halfwidth forms, and the prolonged sound mark ー (Unicode's script
 * "Common", used inside Japanese words); Hangul syllables and jamo. Not 〇 (a number that
 * unaccent folds to 0) nor ・ (punctuation).
 */
export const CJK_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x11ff], // Hangul Jamo
  [0x3005, 0x3005], // 々
  [0x303b, 0x303b], // 〻
  [0x3041, 0x309f], // Hiragana
  [0x30a0, 0x30fa], // Katakana
  [0x30fc, 0x30ff], // ー ヽ ヾ ヿ
  [0x3130, 0x318f], // Hangul Compatibility Jamo
  [0x31f0, 0x31ff], // Katakana Phonetic Extensions
  [0x3400, 0x4dbf], // CJK Extension A
  [0x4e00, 0x9fff], // CJK Unified Ideographs
  [0xa960, 0xa97f], // Hangul Jamo Extended-A
  [0xac00, 0xd7af], // Hangul Syllables
  [0xd7b0, 0xd7ff], // Hangul Jamo Extended-B
  [0xf900, 0xfaff], // CJK Compatibility Ideographs
  [0xff66, 0xff9f], // Halfwidth Katakana
  [0xffa0, 0xffdc], // Halfwidth Hangul
  [0x20000, 0x2fa1f], // CJK Extensions B–F, Compatibility Supplement
  [0x30000, 0x323af], // CJK Extensions G–H
];

const rangeClass = (ranges: readonly (readonly [number, number])[]) =>
  ranges.map(([a, b]) => (a === b ? `\\u{${a.toString(16)}}` : `\\u{${a.toString(16)}}-\\u{${b.toString(16)}}`)).join('');

const CJK_CLASS = rangeClass(CJK_RANGES);
const FOLD = new Map(SEARCH_FOLDS.map(([from, to]) => [from, to]));
const FOLD_CLASS = [...FOLD.keys()].map((ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`).join('');
/** Nothing below U+00C6 is paired or folded: most text is decided by this simpler test alone. */
const BEYOND_LATIN_1 = /[^\u0000-\u00c5]/;
/** Anything to change: a CJK character or a folded letter. */
const NEEDS_WORK = new RegExp(`[${CJK_CLASS}${FOLD_CLASS}]`, 'u');
const IS_CJK = new RegExp(`^[${CJK_CLASS}]$`, 'u');
/** A character FTS5 and PostgreSQL take as part of a word (casebook_search_tokens). */
const TOKEN_CHAR = /^[\p{L}\p{N}\p{M}\p{Co}]$/u;

/** The search text and, for each of its UTF-16 units, the range [start, end) of the original it stands for. */
export interface SearchTextMap {
  text: string;
  starts: number[];
  ends: number[];
}

/** Whether `text` needs no change for the index (all the Latin text of old). */
export function searchTextUnchanged(text: string): boolean {
  return !BEYOND_LATIN_1.test(text) || !NEEDS_WORK.test(text);
}

/** The text the index is given for `text` (see the module comment). */
export function searchText(text: string): string {
  return searchTextUnchanged(text) ? text : searchTextMap(text).text;
}

/** As `searchText`, with where each unit of the result comes from (to put highlights back on the original). */
export function searchTextMap(text: string): SearchTextMap {
  let out = '';
  const starts: number[] = [];
  const ends: number[] = [];
  const emit = (piece: string, start: number, end: number) => {
    out += piece;
    for (let k = 0; k < piece.length; k++) {
      starts.push(start);
      ends.push(end);
    }
  };
  const chars: { ch: string; at: number; cjk: boolean }[] = [];
  let at = 0;
  for (const ch of text) {
    chars.push({ ch, at, cjk: IS_CJK.test(ch) });
    at += ch.length;
  }
  for (let i = 0; i < chars.length; i++) {
    const { ch, at: start, cjk } = chars[i]!;
    const end = start + ch.length;
    if (!cjk) {
      emit(FOLD.get(ch) ?? ch, start, end);
      // A word character right before a CJK run is set apart from it.
      if (chars[i + 1]?.cjk && TOKEN_CHAR.test(ch)) emit(' ', end, end);
      continue;
    }
    const before = chars[i - 1]?.cjk === true;
    const after = chars[i + 1]?.cjk === true;
    // Inside a run a character ends one pair and begins the next: "c c" (我想申 → 我想 想申).
    if (before && after) {
      emit(ch, start, end);
      emit(' ', end, end);
      emit(ch, start, end);
    } else emit(ch, start, end);
    if (!after && chars[i + 1] && TOKEN_CHAR.test(chars[i + 1]!.ch)) emit(' ', end, end);
  }
  return { text: out, starts, ends };
}

/** The CJK character class as a PostgreSQL regular expression bracket body (\uXXXX / \UXXXXXXXX escapes). */
export function postgresCjkClass(): string {
  const esc = (n: number) => (n > 0xffff ? `\\U${n.toString(16).padStart(8, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`);
  return CJK_RANGES.map(([a, b]) => (a === b ? esc(a) : `${esc(a)}-${esc(b)}`)).join('');
}
