/**
 * The SQL of search that differs between the dialects — FTS5 on SQLite (sqlite.ts), tsvector
 * on PostgreSQL (pg.ts, over src/search/pg/) — chosen here, in one place, by the handle's
 * dialect. Both answer the same contract: the same documents newest first, the same
 * conditions, hits marked as highlight.ts's `Marked` (docs/postgres.md "Search on PostgreSQL").
 */
import type { Handle } from '../db/store/index.js';
import type { CaseConditions, Narrowing, Visibility } from './case-conditions.js';
import type { Highlighted, HighlightInput } from './highlight.js';
import type { ParsedQuery, Term } from './parse-query.js';
import { pgSearch } from './pg.js';
import { sqliteSearch } from './sqlite.js';

export type Words = Pick<ParsedQuery, 'terms' | 'excluded'>;

/** Where a customer's words are searched on SQLite (own-cases.ts); PostgreSQL narrows the index instead. */
export interface Source {
  /** The FTS5 table, e.g. `search_fts`. */
  table: string;
  /** Its name on the left of MATCH. */
  match: string;
}

export interface DocumentScan {
  /** Only documents above this id and below `before`. */
  floor: number;
  before: number;
  /** Internal notes' documents too. */
  notes: boolean;
  narrowing: Narrowing | null;
  limit: number;
  /** SQLite: the FTS5 table to read (default the search index). */
  source?: Source;
}

export interface CustomerRow {
  id: number;
  name: string;
  email: string;
  organization: string | null;
  /** Cases of the customer the caller may see. */
  cases: number;
}

export interface SearchQueries {
  /** Case and message documents matching `words`, newest first (descending document id). */
  documents(q: Handle, words: Words, scan: DocumentScan): Promise<number[]>;
  /**
   * Which documents of the cases `cases` hold which term: a row per (document, term) for every
   * term of `terms` a document holds, `term` its index in `terms`. Only the documents the scan
   * may see (no internal notes without `notes`; a customer's own documents with `source`).
   * One statement for every case and term: the cases of a page are checked together.
   */
  termDocuments(q: Handle, terms: Term[], scan: { cases: number[]; notes: boolean; source?: Source }): Promise<{ doc: number; term: number }[]>;
  /** Of `ids`, the cases that exist and meet the conditions. */
  passing(q: Handle, conditions: CaseConditions, ids: number[]): Promise<Set<number>>;
  /** The oldest case of a narrowing set; null when the set is empty. */
  oldestCase(q: Handle, narrowing: Narrowing): Promise<number | null>;
  /** Cases meeting the conditions with `floor <= id < before`, newest first. */
  casesByFilters(q: Handle, conditions: CaseConditions, scan: { before: number; floor: number; limit: number }): Promise<number[]>;
  /** Customers whose name, email or organization match `words`, newest first (ids). */
  customersMatching(q: Handle, words: Words, limit: number): Promise<number[]>;
  /** Of the customers `ids`, those with a case the caller sees, newest first, with that count. */
  customerRows(q: Handle, visibility: Visibility, ids: number[], limit: number): Promise<CustomerRow[]>;
  /** Active problems of the library matching `words`, best first. */
  library(q: Handle, words: Words, limit: number): Promise<{ id: number; title: string; solution: string }[]>;
  /**
   * The texts with what `words` match marked (highlight.ts's contract). With `any`, a text is
   * matched and marked when it holds any of the terms (a case's texts: its terms may be spread
   * over several of them); otherwise only when it matches the whole query.
   */
  highlight(q: Handle, words: Words | null, inputs: HighlightInput[], options?: { any?: boolean }): Promise<Highlighted[]>;
  /**
   * A customer's own documents to search instead of the shared index (SQLite, own-cases.ts);
   * null to search the index narrowed to their cases. Call `done()` after searching.
   */
  ownDocuments(q: Handle, customerId: number): Promise<(Source & { done(): Promise<void> }) | null>;
}

export function searchQueries(q: Handle): SearchQueries {
  return q.dialect === 'sqlite' ? sqliteSearch : pgSearch;
}
