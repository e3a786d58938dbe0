/**
 * The search box's language, parsed (PURE): free words, "exact phrases", -excluded words or
 * phrases, and filters — `status:`, `queue:`, `assignee:`, `tag:`, `priority:`, `customer:` (each may
 * list values with commas: `status:new,open`) and `created:` (`>2026-11-01`, `>=`, `<`,
 * `<=`, a day `2026-11-01`, or a range `2026-11-01..2026-11-30`; dates are UTC days or ISO
 * instants). A query that is a case reference alone (`C-1042`) is a jump.
 *
 * User text never reaches FTS5 as query syntax: every word and phrase is handed over inside
 * double quotes (a quote in it doubled), so `NEAR(`, `AND`, `*`, `:` or a stray `"` are
 * just text. Words match whole, in any form (the porter stemmer: "charged" finds "charges");
 * never as prefixes — an FTS5 prefix query reads every document of every word it covers
 * before it returns one (`acc*` over 1,000,000 cases: ~160 ms), where a word query returns
 * the newest documents first and stops.
 */
import type { FieldIssue } from '../errors.js';
import { searchText } from '../text/search-text.js';

export const FILTER_KEYS = ['status', 'queue', 'assignee', 'tag', 'priority', 'customer', 'created'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export const MAX_QUERY_LENGTH = 500;
/** Words and phrases (searched and excluded) in one query. */
export const MAX_TERMS = 16;

export interface Term {
  text: string;
  phrase: boolean;
}

/** Epoch milliseconds: `from` inclusive, `to` exclusive. */
export interface TimeRange {
  from: number | null;
  to: number | null;
}

export interface Filters {
  status: string[];
  queue: string[];
  assignee: string[];
  tag: string[];
  priority: string[];
  customer: string[];
  created: TimeRange[];
}

export interface ParsedQuery {
  terms: Term[];
  excluded: Term[];
  filters: Filters;
  /** The case id when the whole query is a reference such as `C-1042`. */
  ref: number | null;
  /** Problems found; the caller refuses the query with them (422). */
  issues: FieldIssue[];
}

const TOKEN_CHAR = /[\p{L}\p{N}\p{Co}]/u;
const DAY = 86_400_000;

export function emptyFilters(): Filters {
  return { status: [], queue: [], assignee: [], tag: [], priority: [], customer: [], created: [] };
}

export function hasFilters(filters: Filters): boolean {
  return FILTER_KEYS.some((key) => filters[key].length > 0);
}

/** A date or instant: `2026-11-01` is that UTC day (its start and the next day's start). */
function parseInstant(text: string): { start: number; end: number } | null {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (day) {
    const start = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
    const check = new Date(start);
    if (Number.isNaN(start) || check.getUTCDate() !== Number(day[3]) || check.getUTCMonth() !== Number(day[2]) - 1) return null;
    return { start, end: start + DAY };
  }
  if (!/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})$/.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : { start: at, end: at + 1 };
}

/** `>2026-11-01` (after that day), `>=`, `<`, `<=`, `2026-11-01`, `2026-11-01..2026-11-30`. */
export function parseCreated(value: string): TimeRange | null {
  const range = /^(.+?)\.\.(.+)$/.exec(value);
  if (range) {
    const from = parseInstant(range[1]!);
    const to = parseInstant(range[2]!);
    return from && to && from.start < to.end ? { from: from.start, to: to.end } : null;
  }
  const op = /^(>=|<=|>|<|=)?(.+)$/.exec(value)!;
  const at = parseInstant(op[2]!);
  if (!at) return null;
  switch (op[1]) {
    case '>':
      return { from: at.end, to: null };
    case '>=':
      return { from: at.start, to: null };
    case '<':
      return { from: null, to: at.start };
    case '<=':
      return { from: null, to: at.end };
    default:
      return { from: at.start, to: at.end };
  }
}

interface Token {
  text: string;
  quoted: boolean;
  negated: boolean;
  /** The filter key when the token is `key:value`. */
  key: FilterKey | null;
  /** A filter's values (`status:a,"b c"` → `a`, `b c`): a quoted member keeps its commas and spaces. */
  values: string[];
}

/**
 * Splits the query into words, quoted phrases and `key:value` filters. A filter's value is a
 * comma list whose members are bare (`open`) or quoted (`"Pending customer"`), mixed freely:
 * `status:open,"Pending customer"`. An unclosed quote runs to the end.
 */
function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const readQuoted = (): string => {
    // i is just past the opening quote; an unclosed quote runs to the end.
    const close = query.indexOf('"', i);
    const text = query.slice(i, close === -1 ? query.length : close);
    i = close === -1 ? query.length : close + 1;
    return text;
  };
  const readList = (): string[] => {
    const values: string[] = [];
    for (;;) {
      if (query[i] === '"') {
        i++;
        values.push(readQuoted());
      } else {
        const start = i;
        while (i < query.length && !/\s/.test(query[i]!) && query[i] !== '"' && query[i] !== ',') i++;
        values.push(query.slice(start, i));
      }
      if (query[i] !== ',') return values;
      i++;
    }
  };
  while (i < query.length) {
    if (/\s/.test(query[i]!)) {
      i++;
      continue;
    }
    let negated = false;
    if (query[i] === '-' && i + 1 < query.length && !/\s/.test(query[i + 1]!)) {
      negated = true;
      i++;
    }
    if (query[i] === '"') {
      i++;
      tokens.push({ text: readQuoted(), quoted: true, negated, key: null, values: [] });
      continue;
    }
    const filter = /^([A-Za-z]+):/.exec(query.slice(i, i + 20));
    const key = filter ? filter[1]!.toLowerCase() : '';
    if ((FILTER_KEYS as readonly string[]).includes(key)) {
      i += filter![0].length;
      const start = i;
      const values = readList();
      tokens.push({ text: query.slice(start, i), quoted: false, negated, key: key as FilterKey, values });
      continue;
    }
    const start = i;
    while (i < query.length && !/\s/.test(query[i]!) && query[i] !== '"') i++;
    tokens.push({ text: query.slice(start, i), quoted: false, negated, key: null, values: [] });
  }
  return tokens;
}

const CASE_REF = /^\s*[Cc]-(\d{1,15})\s*$/;

/** Control characters (NUL among them) are never part of a search: they become spaces. */
const CONTROL = /\p{Cc}/gu;

export function parseQuery(raw: string): ParsedQuery {
  const query = raw.replace(CONTROL, ' ');
  const issues: FieldIssue[] = [];
  const filters = emptyFilters();
  const terms: Term[] = [];
  const excluded: Term[] = [];
  const refMatch = CASE_REF.exec(query);
  const refId = refMatch ? Number(refMatch[1]) : null;
  const ref = refId !== null && Number.isSafeInteger(refId) && refId > 0 ? refId : null;
  if (query.length > MAX_QUERY_LENGTH) {
    issues.push({ path: 'q', message: `at most ${MAX_QUERY_LENGTH} characters` });
    return { terms, excluded, filters, ref: null, issues };
  }
  for (const token of tokenize(query)) {
    if (token.key !== null) {
      const label = `${token.key}:`;
      if (token.negated) {
        issues.push({ path: 'q', message: `-${label} is not supported: exclude words, not filters` });
        continue;
      }
      const values = token.values.map((v) => v.trim()).filter((v) => v !== '');
      if (values.length === 0) {
        issues.push({ path: 'q', message: `${label} needs a value, e.g. ${example(token.key)}` });
        continue;
      }
      if (token.key === 'created') {
        // One time span per created: (conditions all hold, so two days in one would find nothing): say how to write it.
        if (values.length > 1) {
          issues.push({ path: 'q', message: `${label}${token.text} names several dates: give one date or a range (created:2026-11-01..2026-11-30); several created: conditions must all hold` });
          continue;
        }
        for (const value of values) {
          const range = parseCreated(value);
          if (range) filters.created.push(range);
          else issues.push({ path: 'q', message: `${label}${value} is not a date: use e.g. created:>2026-11-01, created:2026-11-01..2026-11-30` });
        }
        continue;
      }
      filters[token.key].push(...values.map((v) => v.toLowerCase()));
      continue;
    }
    // Words and phrases with nothing FTS5 would index (punctuation only) are dropped.
    if (!TOKEN_CHAR.test(token.text)) continue;
    (token.negated ? excluded : terms).push({ text: token.text, phrase: token.quoted });
  }
  if (terms.length + excluded.length > MAX_TERMS) issues.push({ path: 'q', message: `at most ${MAX_TERMS} words and phrases` });
  if (excluded.length > 0 && terms.length === 0) issues.push({ path: 'q', message: 'add a word to search for: -word only excludes' });
  return { terms, excluded, filters, ref, issues };
}

function example(key: FilterKey): string {
  const examples: Record<FilterKey, string> = {
    status: 'status:open',
    queue: 'queue:billing',
    assignee: 'assignee:me',
    tag: 'tag:vip',
    priority: 'priority:urgent',
    customer: 'customer:pat@example.com',
    created: 'created:>2026-11-01',
  };
  return examples[key];
}

/** A term as the search index holds its texts (`searchText`: CJK pairs, folds), quoted. */
function quote(text: string, indexed: (text: string) => string = searchText): string {
  return `"${indexed(text).replaceAll('"', '""')}"`;
}

/**
 * The FTS5 query for the words and phrases: all of them (AND), none of the excluded. Null
 * when there is nothing to search for. Each term is given as the index's texts are
 * (`searchText`: 退款 becomes the phrase of its pairs, ß ss); the problem library's index
 * (`problems_fts`) holds its texts as written: `indexed` is then the identity.
 */
export function ftsQuery(parsed: Pick<ParsedQuery, 'terms' | 'excluded'>, indexed: (text: string) => string = searchText): string | null {
  if (parsed.terms.length === 0) return null;
  let query = `(${parsed.terms.map((term) => quote(term.text, indexed)).join(' AND ')})`;
  for (const term of parsed.excluded) query = `(${query} NOT ${quote(term.text, indexed)})`;
  return query;
}

/**
 * The FTS5 query for one term alone (a word, or a phrase of its tokens), or for any of the
 * terms (`anyOf`: what highlighting marks in each text of a case, where every term is found
 * somewhere in the case but not necessarily in one text). Excluded terms play no part.
 */
export function ftsTermQuery(term: Term): string {
  return quote(term.text);
}

export function ftsAnyQuery(parsed: Pick<ParsedQuery, 'terms'>): string | null {
  if (parsed.terms.length === 0) return null;
  return `(${parsed.terms.map((term) => quote(term.text)).join(' OR ')})`;
}
