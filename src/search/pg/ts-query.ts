/**
 * The search box's words as a PostgreSQL tsquery (docs/postgres.md "Search on PostgreSQL"), the
 * counterpart of parse-query.ts's `ftsQuery` (PURE: SQL text and its parameters).
 *
 * User text never becomes query syntax: each word and each phrase is a parameter handed to
 * `phraseto_tsquery` of the `casebook` configuration (drizzle/pg/0001_search.sql), after the same
 * normalising the documents get (`casebook_search_text`). As FTS5 treats every quoted term as a
 * phrase of its tokens, so does this: `pat@example.com` is the phrase "pat example com", a word
 * is itself in any stemmed form, never a prefix. All terms must match (`&&`), no excluded one may
 * (`!!`).
 */
import type { ParsedQuery } from '../parse-query.js';

export interface TsQuery {
  /** The whole query: every term, none of the excluded. */
  query: string;
  /** The terms alone (what highlighting marks). */
  positive: string;
  /** Any of the terms (a text of a case holding some of them: what case highlighting marks). */
  any: string;
  /**
   * True when every term has a word PostgreSQL indexes: a term with none is an empty tsquery,
   * which `&&` would drop (matching more than FTS5 does), so such a query matches nothing.
   */
  guard: string;
  params: string[];
}

/** The tsquery for the words and phrases of `parsed`, its parameters numbered from `$offset + 1`; null without words. */
export function tsQuery(parsed: Pick<ParsedQuery, 'terms' | 'excluded'>, offset = 0): TsQuery | null {
  if (parsed.terms.length === 0) return null;
  const params: string[] = [];
  const phrase = (text: string) => {
    params.push(text);
    return `phraseto_tsquery('casebook', casebook_search_text($${offset + params.length}::text))`;
  };
  const terms = parsed.terms.map((t) => phrase(t.text));
  const excluded = parsed.excluded.map((t) => phrase(t.text));
  const positive = terms.map((t) => `(${t})`).join(' && ');
  const any = terms.map((t) => `(${t})`).join(' || ');
  const query = [positive, ...excluded.map((e) => `(!! ${e})`)].join(' && ');
  const guard = terms.map((t) => `numnode(${t}) > 0`).join(' AND ');
  return { query, positive, any, guard, params };
}
