/**
 * Highlighting on PostgreSQL: what highlight.ts does with FTS5's highlight() and snippet(), with
 * `ts_headline` of the `casebook` configuration and the same OPEN/CLOSE markers, so the output
 * goes through `parseMarked` unchanged and nothing PostgreSQL returns is ever used as HTML.
 *
 * ts_headline reads the text with PostgreSQL's parser, which would take `pat@example.com` or
 * `don’t` as one token where FTS5 sees several; it is given the text as the documents are
 * indexed (`casebook_search_text`: every character that is no part of a word a space, one for
 * one), and the marked result is put back onto the original characters, code point by code
 * point. The whole text is highlighted (HighlightAll); a body is then cut to a snippet of
 * SNIPPET_TOKENS words around its hits here, as FTS5's snippet() does.
 */
import { CLOSE, excerpt, type Highlighted, type HighlightInput, type Marked, OPEN, parseMarked, plain, toMarked } from '../highlight.js';
import type { ParsedQuery } from '../parse-query.js';
import type { Queryable } from './match-documents.js';
import { tsQuery } from './ts-query.js';

const MARKERS = /[\u0002\u0003]/g;
/** Snippet length in words (highlight.ts's for FTS5's snippet()). */
export const SNIPPET_TOKENS = 28;
const WORD = /[\p{L}\p{N}\p{Co}\p{M}]+/gu;

function clean(text: string | null): string | null {
  return text === null ? null : text.replace(MARKERS, ' ');
}

/** The text handed to ts_headline: lower-cased too when that keeps its length in code points (it nearly always does). */
const HEADLINE_TEXT = (column: string) =>
  `CASE WHEN char_length(casebook_search_text(${column})) = char_length(${column}) THEN casebook_search_text(${column}) ELSE casebook_search_tokens(${column}) END`;

/** `marked` is `original` normalised one code point for one, with markers: the markers on the original. */
export function restore(original: string, marked: string): string {
  const source = [...original];
  let at = 0;
  let out = '';
  for (const ch of marked) {
    if (ch === OPEN || ch === CLOSE) out += ch;
    else out += source[at++] ?? '';
  }
  return at === source.length ? out : original;
}

/** The part of a long marked text around its hits: `size` words, '…' where it was cut. */
export function snippet(marked: Marked, size = SNIPPET_TOKENS): Marked {
  const words = [...marked.text.matchAll(WORD)].map((m) => [m.index, m.index + m[0].length] as const);
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

/**
 * The texts with what the words of `parsed` match marked; `matched` when the text (title and
 * body as two columns) matches the whole query, as FTS5's MATCH does. A text the query does
 * not match comes back unmarked, its body cut to its beginning (highlight.ts's contract).
 */
export async function highlightAll(client: Queryable, parsed: Pick<ParsedQuery, 'terms' | 'excluded'>, inputs: HighlightInput[]): Promise<Highlighted[]> {
  const texts = inputs.map((i) => ({ title: clean(i.title), body: clean(i.body) }));
  const out: Highlighted[] = texts.map((t) => ({ title: t.title === null ? null : plain(t.title), body: t.body === null ? null : plain(excerpt(t.body)), matched: false }));
  const ts = tsQuery(parsed, 3);
  if (ts === null || texts.length === 0) return out;
  const { rows } = await client.query<{ i: number; title: string | null; body: string | null }>(
    `SELECT i::int AS i,
            ts_headline('casebook', ${HEADLINE_TEXT('title')}, ${ts.positive}, $3) AS title,
            ts_headline('casebook', ${HEADLINE_TEXT('body')}, ${ts.positive}, $3) AS body
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(title, body, i)
      WHERE ${ts.guard} AND casebook_search_vector(title, body) @@ (${ts.query})`,
    [texts.map((t) => t.title), texts.map((t) => t.body), `HighlightAll=true, StartSel="${OPEN}", StopSel="${CLOSE}"`, ...ts.params],
  );
  for (const row of rows) {
    const text = texts[row.i - 1]!;
    const slot = out[row.i - 1]!;
    slot.matched = true;
    if (row.title !== null && text.title !== null) slot.title = toMarked(parseMarked(restore(text.title, row.title)));
    if (row.body !== null && text.body !== null) slot.body = snippet(toMarked(parseMarked(restore(text.body, row.body))));
  }
  return out;
}
