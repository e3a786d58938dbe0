/**
 * The case part of a search: the cases the caller may see that match the words and the
 * filters, newest case first, one entry per case with the documents that matched.
 *
 * A case matches the words when each searched word or phrase is in one of its documents the
 * caller may see (subject and description, a reply, an internal note for staff) — not
 * necessarily the same one; a phrase within one document — and no excluded one is in any.
 * The index is read newest first in growing chunks (rowids only, no table read) for the
 * documents of one term, the driving term (the rarest of a first chunk of each); each chunk's
 * cases are checked against the conditions in one statement, then every term in every
 * visible document of those cases in one more (termDocuments), and reading stops when the
 * page is full. A chunk's last case is read whole, so a cursor always falls between cases. Filters that name few cases (the customer's own cases, `assignee:`,
 * `customer:`) are applied inside the index scan instead, from a set built once, and bound it
 * below by their oldest case. The scan has a budget: when that many documents were read
 * without filling the page, the page says so (`partial`) and its cursor continues the scan.
 * Without words (filters only) cases are read by id, newest first, in a bounded id window.
 */
import { max, min } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';
import { ValidationError } from '../errors.js';
import type { CaseConditions } from './case-conditions.js';
import { caseDocEnd, caseDocStart, caseOfDoc, documentOf, type SearchDocument } from './documents.js';
import { searchQueries, type Source, type Words } from './queries.js';

/** A document of a matching case and how many of the searched terms it holds (at least one). */
export type MatchedDocument = SearchDocument & { terms: number };

export interface CaseMatch {
  caseId: number;
  /** The documents of the case holding a searched term, newest first (none when searching by filters only). */
  docs: MatchedDocument[];
}

export interface CasePage {
  items: CaseMatch[];
  /** Continues after this page; null at the end. */
  nextCursor: string | null;
  /** The scan reached its budget before the page was full: older cases were not searched yet. */
  partial: boolean;
}

export interface SearchCasesOptions {
  limit: number;
  cursor: string | null;
  /** Documents read from the index before a page gives up (default 3,000). */
  budget?: number;
  /** Case ids scanned per page without words (default 20,000). */
  window?: number;
  /** SQLite: a customer's own documents (own-cases.ts); default the search index. */
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

export async function searchCasesByText(q: Handle, words: Words, conditions: CaseConditions, options: SearchCasesOptions): Promise<CasePage> {
  const dialect = searchQueries(q);
  const { narrowing } = conditions;
  const budget = options.budget ?? DEFAULT_BUDGET;
  let before = decodeCursor(options.cursor, 'd');
  let floor = 0;
  if (narrowing) {
    const oldest = await dialect.oldestCase(q, narrowing);
    if (oldest === null) return { items: [], nextCursor: null, partial: false };
    floor = caseDocStart(oldest) - 1;
  }
  const source = options.source ? { source: options.source } : {};
  const scanOf = (limit: number) => ({ floor, before, notes: conditions.notes, narrowing, limit, ...source });
  const terms = [...words.terms, ...words.excluded];
  let chunk = Math.min(FIRST_CHUNK, budget);
  // The driving term: a matching case holds every term, so the documents of any one of them
  // find it. The rarest here (fewest documents in a first chunk, or reaching furthest back)
  // reads the fewest documents.
  let driver = words.terms[0]!;
  let pending: number[] | null = null;
  if (words.terms.length > 1) {
    for (const term of words.terms) {
      const docs = await dialect.documents(q, { terms: [term], excluded: [] }, scanOf(chunk));
      if (pending === null || reach(docs, chunk) < reach(pending, chunk)) [driver, pending] = [term, docs];
    }
  }
  const items = new Map<number, MatchedDocument[]>();
  let scanned = 0;
  for (;;) {
    const docs = pending ?? (await dialect.documents(q, { terms: [driver], excluded: [] }, scanOf(chunk)));
    pending = null;
    if (docs.length === 0) return { items: toItems(items), nextCursor: null, partial: false };
    scanned += docs.length;
    const ok = await dialect.passing(q, conditions, [...new Set(docs.map(caseOfDoc))]);
    const candidates = [...ok].sort((a, b) => b - a);
    // Every term in every visible document of the candidate cases, in one statement. A lone
    // word needs it only for the chunk's last case, whose older documents may lie below the chunk:
    // the others' documents with the word are the chunk's own.
    const held = new Map<number, Set<number>>();
    const hold = (doc: number, term: number) => {
      const set = held.get(doc) ?? new Set<number>();
      set.add(term);
      held.set(doc, set);
    };
    const alone = terms.length === 1;
    if (alone) for (const doc of docs) if (ok.has(caseOfDoc(doc))) hold(doc, 0);
    const last = caseOfDoc(docs.at(-1)!);
    const check = !alone ? candidates : docs.length === chunk && ok.has(last) ? [last] : [];
    for (const row of await dialect.termDocuments(q, terms, { cases: check, notes: conditions.notes, ...source })) hold(row.doc, row.term);
    const byCase = new Map<number, number[]>();
    for (const doc of [...held.keys()].sort((a, b) => b - a)) {
      const list = byCase.get(caseOfDoc(doc)) ?? [];
      list.push(doc);
      byCase.set(caseOfDoc(doc), list);
    }
    for (const caseId of candidates) {
      const docs = byCase.get(caseId) ?? [];
      const found = new Set(docs.flatMap((doc) => [...held.get(doc)!]));
      if (words.terms.some((_, i) => !found.has(i)) || words.excluded.some((_, j) => found.has(words.terms.length + j))) continue;
      if (items.size === options.limit) return { items: toItems(items), nextCursor: encodeCursor('d', caseDocEnd(caseId)), partial: false };
      items.set(
        caseId,
        docs.flatMap((doc) => {
          const count = [...held.get(doc)!].filter((i) => i < words.terms.length).length;
          return count > 0 ? [{ ...documentOf(doc), terms: count }] : [];
        }),
      );
    }
    // The last case was read whole (termDocuments): the next chunk starts below it.
    before = caseDocStart(last);
    if (docs.length < chunk) return { items: toItems(items), nextCursor: null, partial: false };
    if (scanned >= budget) return { items: toItems(items), nextCursor: encodeCursor('d', before), partial: true };
    chunk = Math.max(1, Math.min(chunk * 4, MAX_CHUNK, budget - scanned));
  }
}

/** How far back a term's first chunk reaches: lower is rarer; a chunk not full holds all its documents. */
function reach(docs: number[], chunk: number): number {
  return docs.length < chunk ? -1 - (chunk - docs.length) : docs.at(-1)!;
}

export async function searchCasesByFilters(q: Handle, conditions: CaseConditions, options: SearchCasesOptions): Promise<CasePage> {
  const before = decodeCursor(options.cursor, 'c');
  const floor = conditions.narrowing ? 0 : Math.max(0, Math.min(before, (await caseIdEnd(q, 'last')) + 1) - (options.window ?? DEFAULT_WINDOW));
  const ids = await searchQueries(q).casesByFilters(q, conditions, { before, floor, limit: options.limit + 1 });
  const items = ids.slice(0, options.limit).map((caseId) => ({ caseId, docs: [] }));
  if (ids.length > options.limit) return { items, nextCursor: encodeCursor('c', items.at(-1)!.caseId), partial: false };
  if (floor > 0 && floor > (await caseIdEnd(q, 'first'))) return { items, nextCursor: encodeCursor('c', floor), partial: true };
  return { items, nextCursor: null, partial: false };
}

/** The newest (`last`) or oldest case id; 0 without cases. */
async function caseIdEnd(q: Handle, end: 'first' | 'last'): Promise<number> {
  const { cases } = q.tables;
  const [row] = await q.db.select({ id: end === 'last' ? max(cases.id) : min(cases.id) }).from(cases);
  return row?.id ?? 0;
}

function toItems(items: Map<number, MatchedDocument[]>): CaseMatch[] {
  return [...items].map(([caseId, docs]) => ({ caseId, docs }));
}
