/**
 * Highlighting what matched. The index is contentless, so the texts of the results shown
 * (a page: a few dozen) are put in a small in-memory FTS5 table of this connection with the
 * same tokenizer, and FTS5's own `highlight()` and `snippet()` mark exactly what the query
 * matched there (word forms, phrases, prefixes) between two control characters. Those never
 * survive in the text (removed before), and `parseMarked` turns the output into plain
 * segments: nothing FTS5 returns is ever used as HTML. Views escape each segment and wrap
 * the hits in <mark>; the API returns the text with the hits' offsets.
 *
 * The table is given each text as the index is (`casebook_search_text`: CJK runs as pairs,
 * folded letters); a text that changes so is highlighted whole there, its marks put back on
 * the characters of the original they stand for (`onOriginal`), and a body then cut to a
 * snippet here (`snippet`), since FTS5's snippet() would cut the changed text.
 */
import type { Db } from '../db/client.js';
import { statement } from '../db/fast.js';
import { searchTextMap, searchTextUnchanged, type SearchTextMap } from '../text/search-text.js';

export const OPEN = '\u0002';
export const CLOSE = '\u0003';
const MARKERS = /[\u0002\u0003]/g;

export interface Segment {
  text: string;
  hit: boolean;
}

/** A text with its hits: what views render and the API returns. */
export interface Marked {
  text: string;
  /** [start, end) offsets (UTF-16) of the hits in `text`. */
  highlights: [number, number][];
}

/** Splits marked output into segments; stray or unbalanced markers are dropped, never shown. */
export function parseMarked(marked: string): Segment[] {
  const segments: Segment[] = [];
  let hit = false;
  let text = '';
  const flush = () => {
    const last = segments.at(-1);
    if (text !== '' && last?.hit === hit) last.text += text;
    else if (text !== '') segments.push({ text, hit });
    text = '';
  };
  for (const ch of marked) {
    if (ch === OPEN || ch === CLOSE) {
      const wantHit = ch === OPEN;
      if (wantHit !== hit) {
        flush();
        hit = wantHit;
      }
      continue;
    }
    text += ch;
  }
  flush();
  return segments;
}

export function toMarked(segments: Segment[]): Marked {
  let text = '';
  const highlights: [number, number][] = [];
  for (const s of segments) {
    if (s.hit) highlights.push([text.length, text.length + s.text.length]);
    text += s.text;
  }
  return { text, highlights };
}

export function segmentsOf(marked: Marked): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const [start, end] of marked.highlights) {
    if (start > at) out.push({ text: marked.text.slice(at, start), hit: false });
    out.push({ text: marked.text.slice(start, end), hit: true });
    at = end;
  }
  if (at < marked.text.length) out.push({ text: marked.text.slice(at), hit: false });
  return out;
}

export function plain(text: string): Marked {
  return { text, highlights: [] };
}

/** Text to highlight: `title` is shown whole, `body` as a snippet around the hits. */
export interface HighlightInput {
  title: string | null;
  body: string | null;
}

export interface Highlighted {
  title: Marked | null;
  body: Marked | null;
  /** Whether the query matched this text at all (in title or body). */
  matched: boolean;
}

const TABLE = 'temp.search_highlight';
/**
 * Created when first needed, checked every time: created inside a transaction that then
 * rolls back (a search inside a command), the table is gone again.
 */
function ensureTable(db: Db): void {
  statement(db, `CREATE VIRTUAL TABLE IF NOT EXISTS ${TABLE} USING fts5(title, body, tokenize='porter unicode61 remove_diacritics 2')`).run();
}

/** Snippet length in tokens. */
export const SNIPPET_TOKENS = 28;

/**
 * The snippet's words: a run of letters and digits, or one CJK character (a Chinese or
 * Japanese text has no spaces: its snippet is SNIPPET_TOKENS characters around the hits).
 */
const CJK_CHAR = '[\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\u30fc]';
const SNIPPET_WORD = new RegExp(`${CJK_CHAR}|(?:(?!${CJK_CHAR})[\\p{L}\\p{N}\\p{Co}\\p{M}])+`, 'gu');

/** The part of a long marked text around its hits: `size` words, '…' where it was cut. */
export function snippet(marked: Marked, size = SNIPPET_TOKENS): Marked {
  const words = [...marked.text.matchAll(SNIPPET_WORD)].map((m) => [m.index, m.index + m[0].length] as const);
  if (words.length <= size) return marked;
  const hit = words.map(([s, e]) => marked.highlights.some(([hs, he]) => hs < e && he > s));
  let start = 0;
  let best = -1;
  for (let i = 0; i + size <= words.length; i++) {
    const count = hit.slice(i, i + size).filter(Boolean).length;
    if (count > best) [best, start] = [count, i];
  }
  const first = hit.indexOf(true, start);
  if (first !== -1 && first < start + size) {
    const last = hit.lastIndexOf(true, start + size - 1);
    start = Math.max(0, Math.min(words.length - size, first - Math.floor((size - (last - first + 1)) / 2)));
  }
  const from = start === 0 ? 0 : words[start]![0];
  const end = start + size;
  const to = end >= words.length ? marked.text.length : words[end - 1]![1];
  const lead = from > 0 ? '…' : '';
  const text = `${lead}${marked.text.slice(from, to)}${to < marked.text.length ? '…' : ''}`;
  const shift = lead.length - from;
  const highlights = marked.highlights.filter(([s, e]) => s >= from && e <= to).map(([s, e]) => [s + shift, e + shift] as [number, number]);
  return { text, highlights };
}

/** Marks on a search text (`searchTextMap`) put back on the original's characters, overlapping ones merged. */
export function onOriginal(original: string, map: SearchTextMap, marked: Marked): Marked {
  const spans = marked.highlights
    .filter(([s, e]) => e > s && e <= map.starts.length)
    .map(([s, e]) => [map.starts[s]!, map.ends[e - 1]!] as [number, number])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const highlights: [number, number][] = [];
  for (const span of spans) {
    const last = highlights.at(-1);
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else highlights.push(span);
  }
  return { text: original, highlights };
}

function clean(text: string | null): string | null {
  return text === null ? null : text.replace(MARKERS, ' ');
}

/**
 * The texts with what `query` (an FTS5 query from `ftsQuery`) matches marked; a text the
 * query does not match comes back unmarked, its body cut to its beginning.
 */
export function highlightAll(db: Db, query: string | null, inputs: HighlightInput[]): Highlighted[] {
  const texts = inputs.map((i) => ({ title: clean(i.title), body: clean(i.body) }));
  const out: Highlighted[] = texts.map((t) => ({ title: t.title === null ? null : plain(t.title), body: t.body === null ? null : plain(excerpt(t.body)), matched: false }));
  if (query === null || texts.length === 0) return out;
  const mapOf = (text: string | null) => (text === null || searchTextUnchanged(text) ? null : searchTextMap(text));
  const maps = texts.map((t) => ({ title: mapOf(t.title), body: mapOf(t.body) }));
  ensureTable(db);
  statement(db, `DELETE FROM ${TABLE}`).run();
  const insert = statement(db, `INSERT INTO ${TABLE}(rowid, title, body) VALUES (?, ?, ?)`);
  texts.forEach((t, i) => insert.run(i + 1, maps[i]!.title?.text ?? t.title, maps[i]!.body?.text ?? t.body));
  const rows = statement<[string], { i: number; title: string | null; body: string | null; whole: string | null }>(
    db,
    `SELECT rowid AS i, highlight(search_highlight, 0, char(2), char(3)) AS title,
            snippet(search_highlight, 1, char(2), char(3), '…', ${SNIPPET_TOKENS}) AS body,
            highlight(search_highlight, 1, char(2), char(3)) AS whole
     FROM ${TABLE} WHERE search_highlight MATCH ?`,
  ).all(query);
  for (const row of rows) {
    const slot = out[row.i - 1]!;
    const text = texts[row.i - 1]!;
    const map = maps[row.i - 1]!;
    slot.matched = true;
    if (row.title !== null && text.title !== null) {
      const marked = toMarked(parseMarked(row.title));
      slot.title = map.title ? onOriginal(text.title, map.title, marked) : marked;
    }
    if (text.body === null) continue;
    if (map.body && row.whole !== null) slot.body = snippet(onOriginal(text.body, map.body, toMarked(parseMarked(row.whole))));
    else if (row.body !== null) slot.body = toMarked(parseMarked(row.body));
  }
  statement(db, `DELETE FROM ${TABLE}`).run();
  return out;
}

/** The beginning of a text, about a snippet long. */
export function excerpt(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.lastIndexOf(' ', max);
  return `${flat.slice(0, cut > max / 2 ? cut : max)}…`;
}
