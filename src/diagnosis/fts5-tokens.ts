/**
 * FTS5's `porter unicode61 remove_diacritics 2` tokenizer in JavaScript (PURE), for building the
 * problem index without FTS5 (problem-index.ts `indexProblems`: PostgreSQL has no fts5vocab).
 * problem-index.test.ts compares it with FTS5 itself, on the demo library and on random texts.
 *
 * unicode61: a token is a run of letters, numbers, private-use characters and code points
 * SQLite's Unicode tables (Unicode 6.1) do not assign, plus the combining diacritics it removes;
 * everything else separates. Each character is case-folded and, with remove_diacritics 2, a Latin
 * letter loses its diacritics (é → e, ǖ → u; ø, ł and ß stay). Characters Unicode assigned after
 * 6.1 (newer emoji, scripts) are where this and FTS5 may disagree: FTS5 takes them as letters.
 * porter: FTS5 stems the token's UTF-8 bytes (3 to 64 of them), so non-ASCII bytes count as
 * consonants: porter.ts runs on the bytes as Latin-1 characters.
 */
import { porterStem } from './porter.js';

/** Combining diacritics FTS5 accepts inside a token and drops (sqlite3Fts5UnicodeIsdiacritic). */
const DIACRITIC = /[\u0300-\u0304\u0306-\u030C\u030F\u0311\u031B\u0323-\u0328\u032D\u032E\u0330\u0331]/u;
const TOKEN_CHAR = /[\p{L}\p{N}\p{Co}\p{Cn}]/u;
const MARKS = /\p{M}/gu;
/** Letters with two diacritics FTS5 keeps as they are. */
const KEPT = new Set(['ǡ']);
/** Letters FTS5 does not fold: dotless ı (its upper case is I), and letters assigned after Unicode 6.1. */
const UNFOLDED = /[\u0131\u037F\u0528-\u052F]/u;

const folded = new Map<string, string>();

function single(text: string): boolean {
  const cp = text.codePointAt(0)!;
  return text.length === (cp > 0xffff ? 2 : 1);
}

/** One character as FTS5 folds it: lower case (Unicode case folding), a Latin letter without its diacritics; '' for a diacritic. */
function fold(ch: string): string {
  if (DIACRITIC.test(ch)) return '';
  if (UNFOLDED.test(ch)) return ch;
  let up = ch.toUpperCase();
  if (!single(up)) up = ch;
  let low = up.toLowerCase();
  if (!single(low)) low = ch.toLowerCase().normalize('NFD').replace(MARKS, '');
  if (!single(low) || low === '') low = ch;
  if (KEPT.has(low)) return low;
  const base = low.normalize('NFD').replace(MARKS, '');
  return base.length === 1 && base >= 'a' && base <= 'z' ? base : low;
}

/** The tokens `unicode61 remove_diacritics 2` makes of `text`, in order (before porter). */
export function unicode61Tokens(text: string): string[] {
  const tokens: string[] = [];
  let token = '';
  let inToken = false;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    const isToken = code < 0x80 ? /[0-9A-Za-z]/.test(ch) : TOKEN_CHAR.test(ch) || DIACRITIC.test(ch);
    if (isToken) {
      inToken = true;
      if (code < 0x80) token += ch.toLowerCase();
      else {
        let f = folded.get(ch);
        if (f === undefined) folded.set(ch, (f = fold(ch)));
        token += f;
      }
    } else if (inToken) {
      if (token !== '') tokens.push(token);
      token = '';
      inToken = false;
    }
  }
  if (token !== '') tokens.push(token);
  return tokens;
}

/** FTS5's porter step on a token: on its UTF-8 bytes. */
export function porterToken(token: string): string {
  if (/^[\x00-\x7f]*$/.test(token)) return porterStem(token);
  return Buffer.from(porterStem(Buffer.from(token, 'utf8').toString('latin1')), 'latin1').toString('utf8');
}

/** The tokens `porter unicode61 remove_diacritics 2` makes of `text`, in order. */
export function fts5Tokens(text: string): string[] {
  return unicode61Tokens(text).map(porterToken);
}
