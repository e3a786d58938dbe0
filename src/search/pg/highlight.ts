/**
 * Highlighting on PostgreSQL: what highlight.ts does with FTS5's highlight() and snippet(), with
 * `ts_headline` of the `casebook` configuration and the same OPEN/CLOSE markers, so nothing
 * PostgreSQL returns is ever used as HTML and the result is highlight.ts's `Marked`.
 *
 * ts_headline reads the text with PostgreSQL's parser, which would take `pat@example.com` or
 * `don’t` as one token where FTS5 sees several; it is given the text as the documents are
 * indexed (`casebook_search_text`: every character that is no part of a word a space, one for
 * one), so its marks fall on the same code points of the original text. It marks every word of
 * the query wherever it occurs, where FTS5 marks a phrase only where the phrase matched: each
 * word of each term is headlined on its own, and a phrase's marks are kept only where its words
 * follow each other in order (one mark from its first word to its last, as FTS5 draws it). The
 * whole text is highlighted (HighlightAll); a body is then cut to a snippet of SNIPPET_TOKENS
 * words around its hits, as FTS5's snippet() does.
 *
 * A text with CJK characters is given as the index holds it (`searchText`: its runs as pairs,
 * which casebook_search_text leaves as they are), the terms' words as their pairs too, and the
 * marks are put back on the original's characters (`onOriginal`).
 */
import { searchText, searchTextMap, searchTextUnchanged } from '../../text/search-text.js';
import { CLOSE, excerpt, type Highlighted, type HighlightInput, type Marked, onOriginal, OPEN, plain, snippet } from '../highlight.js';
import type { ParsedQuery } from '../parse-query.js';
import type { Queryable } from './match-documents.js';
import { tsQuery } from './ts-query.js';

const MARKERS = /[\u0002\u0003]/g;
export { snippet, SNIPPET_TOKENS } from '../highlight.js';

function clean(text: string | null): string | null {
  return text === null ? null : text.replace(MARKERS, ' ');
}

/** The text handed to ts_headline: lower-cased too when that keeps its length in code points (it nearly always does). */
const HEADLINE_TEXT = (column: string) =>
  `CASE WHEN char_length(casebook_search_text(${column})) = char_length(${column}) THEN casebook_search_text(${column}) ELSE casebook_search_tokens(${column}) END`;

type Span = [number, number];

/** The marks of ts_headline's output and its words (runs of non-spaces), as code point ranges. */
export function readHeadline(marked: string): { marks: Span[]; words: Span[] } {
  const marks: Span[] = [];
  const words: Span[] = [];
  let at = 0;
  let open = -1;
  let word = -1;
  for (const ch of marked) {
    if (ch === OPEN) open = at;
    else if (ch === CLOSE) {
      if (open !== -1 && at > open) marks.push([open, at]);
      open = -1;
    } else {
      if (ch === ' ') {
        if (word !== -1) words.push([word, at]);
        word = -1;
      } else if (word === -1) word = at;
      at++;
    }
  }
  if (word !== -1) words.push([word, at]);
  return { marks, words };
}

/**
 * Where the phrases occur: `marks[j]` are the marks of word j alone; a phrase is a list of word
 * indexes. A phrase occurs where its words mark consecutive words of the text, in order.
 */
export function phraseSpans(words: Span[], marks: Span[][], phrases: number[][]): Span[] {
  const index = new Map(words.map(([start], i) => [start, i]));
  const markedAt = marks.map((list) => new Set(list.map(([start]) => index.get(start) ?? -1)));
  const spans: Span[] = [];
  for (const phrase of phrases) {
    for (let i = 0; i + phrase.length <= words.length; i++) {
      if (phrase.every((j, k) => markedAt[j]!.has(i + k))) spans.push([words[i]![0], words[i + phrase.length - 1]![1]]);
    }
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Span[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && span[0] < last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([...span]);
  }
  return merged;
}

/** `text` with the code point ranges `spans` as its highlights (UTF-16 offsets). */
function markedText(text: string, spans: Span[]): Marked {
  const offsets = [0];
  for (const ch of text) offsets.push(offsets.at(-1)! + ch.length);
  return { text, highlights: spans.filter(([, end]) => end < offsets.length).map(([start, end]) => [offsets[start]!, offsets[end]!]) };
}

/** The words of a term as the documents are indexed (casebook_search_tokens keeps combining diacritics inside a word). */
const WORD_OF_TERM = /[\p{L}\p{N}\p{Co}\p{M}]+/gu;

/**
 * The texts with what the words of `parsed` match marked; `matched` when the text (title and
 * body as two columns) matches the whole query, as FTS5's MATCH does (with `any`: any of its
 * terms, as FTS5 does with parse-query.ts's `ftsAnyQuery`). A text the query does
 * not match comes back unmarked, its body cut to its beginning (highlight.ts's contract).
 */
export async function highlightAll(
  client: Queryable,
  parsed: Pick<ParsedQuery, 'terms' | 'excluded'>,
  inputs: HighlightInput[],
  options: { any?: boolean } = {},
): Promise<Highlighted[]> {
  const texts = inputs.map((i) => ({ title: clean(i.title), body: clean(i.body) }));
  const out: Highlighted[] = texts.map((t) => ({ title: t.title === null ? null : plain(t.title), body: t.body === null ? null : plain(excerpt(t.body)), matched: false }));
  const searched = (text: string | null) => (text === null || searchTextUnchanged(text) ? text : searchTextMap(text).text);
  const ts = tsQuery(parsed, 4);
  if (ts === null || texts.length === 0) return out;
  // Every word of every term once; each term a phrase of word indexes.
  const words: string[] = [];
  const phrases = parsed.terms.map((term) =>
    [...searchText(term.text).matchAll(WORD_OF_TERM)].map(([word]) => {
      const key = word.toLowerCase();
      if (!words.includes(key)) words.push(key);
      return words.indexOf(key);
    }),
  );
  const { rows } = await client.query<{ i: number; j: number; title: string | null; body: string | null }>(
    `WITH matched AS (
       SELECT title, body, i FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(title, body, i)
        WHERE ${ts.guard} AND casebook_search_vector(title, body) @@ (${options.any ? ts.any : ts.query}))
     SELECT m.i::int AS i, w.j::int AS j,
            ts_headline('casebook', ${HEADLINE_TEXT('m.title')}, phraseto_tsquery('casebook', casebook_search_text(w.word)), $4) AS title,
            ts_headline('casebook', ${HEADLINE_TEXT('m.body')}, phraseto_tsquery('casebook', casebook_search_text(w.word)), $4) AS body
       FROM matched m CROSS JOIN unnest($3::text[]) WITH ORDINALITY AS w(word, j)`,
    [texts.map((t) => searched(t.title)), texts.map((t) => searched(t.body)), words, `HighlightAll=true, StartSel="${OPEN}", StopSel="${CLOSE}"`, ...ts.params],
  );
  const headlines = new Map<number, { title: string[]; body: string[] }>();
  for (const row of rows) {
    const slot = headlines.get(row.i) ?? { title: [], body: [] };
    headlines.set(row.i, slot);
    if (row.title !== null) slot.title[row.j - 1] = row.title;
    if (row.body !== null) slot.body[row.j - 1] = row.body;
  }
  const mark = (text: string, marked: string[]): Marked => {
    const read = marked.map(readHeadline);
    if (searchTextUnchanged(text)) return markedText(text, phraseSpans(read[0]?.words ?? [], read.map((r) => r.marks), phrases));
    const map = searchTextMap(text);
    return onOriginal(text, map, markedText(map.text, phraseSpans(read[0]?.words ?? [], read.map((r) => r.marks), phrases)));
  };
  for (const [i, headline] of headlines) {
    const text = texts[i - 1]!;
    const slot = out[i - 1]!;
    slot.matched = true;
    if (text.title !== null && headline.title.length === words.length) slot.title = mark(text.title, headline.title);
    if (text.body !== null && headline.body.length === words.length) slot.body = snippet(mark(text.body, headline.body));
  }
  return out;
}
