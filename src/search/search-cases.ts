/**
 * The case part of a search: the cases the caller may see that match the words and the
 * filters, newest case first, one entry per case with the documents that matched.
 *
 * With words, the index is read newest first in growing chunks (rowids only, no table read);
 * each chunk's cases are checked against the conditions in one statement, and reading stops
 * when the page is full. Filters that name few cases (the customer's own cases, `assignee:`,
 * `customer:`) are applied inside the index scan instead, from a set built once, and bound it
 * below by their oldest case. The scan has a budget: when that many documents were read
 * without filling the page, the page says so (`partial`) and its cursor continues the scan.
 * Without words (filters only) cases are read by id, newest first, in a bounded id window.
 */
import { DomainError, ValidationError } from '../errors.js';
import type { Services } from '../services.js';
import { statement } from '../db/fast.js';
import type { CaseConditions, Narrowing } from './case-conditions.js';
import { caseDocEnd, caseDocStart, caseOfDoc, documentOf, type SearchDocument } from './documents.js';

export interface CaseMatch {
  caseId: number;
  /** The documents of the case that matched, newest first (none when searching by filters only). */
  docs: SearchDocument[];
}

export interface CasePage {
  items: CaseMatch[];
  /** Continues after this page; null at the end. */
  nextCursor: string | null;
  /** The scan reached its budget before the page was full: older cases were not searched yet. */
  partial: boolean;
}

/** Where the documents are searched: the search index, or a customer's own documents (own-cases.ts). */
export interface Source {
  /** The FTS5 table, e.g. `search_fts`. */
  table: string;
  /** Its name on the left of MATCH. */
  match: string;
}

export const SEARCH_INDEX: Source = { table: 'search_fts', match: 'search_fts' };

export interface SearchCasesOptions {
  limit: number;
  cursor: string | null;
  /** Documents read from the index before a page gives up (default 3,000). */
  budget?: number;
  /** Case ids scanned per page without words (default 20,000). */
  window?: number;
  /** Default: the search index. */
  source?: Source;
}

const FIRST_CHUNK = 64;
const MAX_CHUNK = 1024;
export const DEFAULT_BUDGET = 3000;
export const DEFAULT_WINDOW = 20_000;
const TOP = Number.MAX_SAFE_INTEGER;

function encodeCursor(kind: 'd' | 'c', at: number): string {
  return Buffer.from(`${kind}:${at}`).toString('base64url');
}

function decodeCursor(cursor: string | null, kind: 'd' | 'c'): number {
  if (cursor === null) return TOP;
  const match = /^([dc]):(-?\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || match[1] !== kind) throw new ValidationError([{ path: 'cursor', message: 'not a cursor from this search' }], 'The cursor does not belong to this search.');
  return Number(match[2]);
}

/** The oldest case of a narrowing set, as the lowest rowid worth reading; null when the set is empty. */
function lowerBound(services: Services, narrowing: Narrowing): number | null {
  const row = statement<unknown[], { id: number | null }>(services.db, `SELECT min(id) AS id FROM (${narrowing.sql})`).get(...narrowing.params);
  return row?.id == null ? null : caseDocStart(row.id);
}

/** Of `ids`, those that exist and meet the conditions. */
function passing(services: Services, conditions: CaseConditions, ids: number[]): Set<number> {
  const where = ['c.id IN (SELECT value FROM json_each(?))', ...conditions.sql].join(' AND ');
  const rows = statement<unknown[], { id: number }>(services.db, `SELECT c.id FROM cases c WHERE ${where}`).all(JSON.stringify(ids), ...conditions.params);
  return new Set(rows.map((r) => r.id));
}

export function searchCasesByText(services: Services, fts: string, conditions: CaseConditions, options: SearchCasesOptions): CasePage {
  const { narrowing } = conditions;
  const budget = options.budget ?? DEFAULT_BUDGET;
  let before = decodeCursor(options.cursor, 'd');
  let floor = 0;
  if (narrowing) {
    const bound = lowerBound(services, narrowing);
    if (bound === null) return { items: [], nextCursor: null, partial: false };
    floor = bound - 1;
  }
  const docFilter = [conditions.notes ? '' : ' AND (rowid & 1) = 0', narrowing ? ` AND (rowid >> 20) IN (${narrowing.sql})` : ''].join('');
  const source = options.source ?? SEARCH_INDEX;
  const chunkSql = `SELECT rowid AS doc FROM ${source.table} WHERE ${source.match} MATCH ? AND rowid > ? AND rowid < ?${docFilter} ORDER BY rowid DESC LIMIT ?`;
  const items = new Map<number, SearchDocument[]>();
  let scanned = 0;
  let chunk = Math.min(FIRST_CHUNK, budget);
  for (;;) {
    let docs: number[];
    try {
      docs = statement<unknown[], { doc: number }>(services.db, chunkSql)
        .all(fts, floor, before, ...(narrowing?.params ?? []), chunk)
        .map((r) => r.doc);
    } catch (error) {
      throw ftsError(error);
    }
    if (docs.length === 0) return { items: toItems(items), nextCursor: null, partial: false };
    scanned += docs.length;
    const ok = passing(services, conditions, [...new Set(docs.map(caseOfDoc))]);
    for (const doc of docs) {
      const caseId = caseOfDoc(doc);
      if (!ok.has(caseId)) continue;
      let found = items.get(caseId);
      if (!found) {
        if (items.size === options.limit) return { items: toItems(items), nextCursor: encodeCursor('d', caseDocEnd(caseId)), partial: false };
        found = [];
        items.set(caseId, found);
      }
      found.push(documentOf(doc));
    }
    before = docs.at(-1)!;
    if (docs.length < chunk) return { items: toItems(items), nextCursor: null, partial: false };
    if (scanned >= budget) {
      const last = caseOfDoc(before);
      // A case already on the page is not continued on the next one.
      return { items: toItems(items), nextCursor: encodeCursor('d', items.has(last) ? caseDocStart(last) : before), partial: true };
    }
    chunk = Math.max(1, Math.min(chunk * 4, MAX_CHUNK, budget - scanned));
  }
}

export function searchCasesByFilters(services: Services, conditions: CaseConditions, options: SearchCasesOptions): CasePage {
  const { narrowing } = conditions;
  const before = decodeCursor(options.cursor, 'c');
  const where = [...conditions.sql];
  const params = [...conditions.params];
  let floor = 0;
  if (narrowing) {
    where.push(`c.id IN (${narrowing.sql})`);
    params.push(...narrowing.params);
  } else {
    floor = Math.max(0, Math.min(before, lastCaseId(services) + 1) - (options.window ?? DEFAULT_WINDOW));
  }
  const sql = `SELECT c.id FROM cases c WHERE c.id < ? AND c.id >= ?${where.map((w) => ` AND ${w}`).join('')} ORDER BY c.id DESC LIMIT ?`;
  const rows = statement<unknown[], { id: number }>(services.db, sql).all(before, floor, ...params, options.limit + 1);
  const items = rows.slice(0, options.limit).map((r) => ({ caseId: r.id, docs: [] }));
  if (rows.length > options.limit) return { items, nextCursor: encodeCursor('c', items.at(-1)!.caseId), partial: false };
  if (floor > 0 && floor > firstCaseId(services)) return { items, nextCursor: encodeCursor('c', floor), partial: true };
  return { items, nextCursor: null, partial: false };
}

function lastCaseId(services: Services): number {
  return statement<[], { id: number | null }>(services.db, 'SELECT max(id) AS id FROM cases').get()?.id ?? 0;
}

function firstCaseId(services: Services): number {
  return statement<[], { id: number | null }>(services.db, 'SELECT min(id) AS id FROM cases').get()?.id ?? 0;
}

function toItems(items: Map<number, SearchDocument[]>): CaseMatch[] {
  return [...items].map(([caseId, docs]) => ({ caseId, docs }));
}

/** The queries are built from quoted user text; an FTS5 error here is ours, not the caller's. */
function ftsError(error: unknown): Error {
  if (error instanceof Error && /fts5/i.test(error.message)) return new DomainError('INTERNAL', `The search index refused a query: ${error.message}`);
  return error as Error;
}
