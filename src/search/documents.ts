/**
 * What a row of the search index (`search_fts`, drizzle/0015_search.sql) stands for, read
 * from its rowid alone:
 *   caseId << 20                           the case: subject and description
 *   caseId << 20 | position << 1 | note    a message: its place in the case's timeline
 *                                          (1-based); `note` 1 for an internal note
 *   -customerId                            a customer: name, email, organization
 * Descending rowids are newest case first, and a case's documents are adjacent.
 */

/** Timeline entries that are messages, and so searchable. */
export const MESSAGE_TYPES = ['customer.replied', 'staff.replied', 'staff.noted'] as const;

export const CASE_SHIFT = 20;
const CASE_SPAN = 2 ** CASE_SHIFT;
/** Messages past this place in a timeline are not indexed (the triggers skip them). */
export const MAX_POSITION = 2 ** (CASE_SHIFT - 1) - 1;

export type SearchDocument =
  | { kind: 'case'; caseId: number }
  | { kind: 'message'; caseId: number; position: number; note: boolean }
  | { kind: 'customer'; customerId: number };

/** The rowid of a case's own document; its messages follow up to `caseDocEnd`. */
export function caseDocStart(caseId: number): number {
  return caseId * CASE_SPAN;
}

/** The first rowid after the documents of `caseId`. */
export function caseDocEnd(caseId: number): number {
  return (caseId + 1) * CASE_SPAN;
}

export function caseOfDoc(rowid: number): number {
  return Math.floor(rowid / CASE_SPAN);
}

export function documentOf(rowid: number): SearchDocument {
  if (rowid < 0) return { kind: 'customer', customerId: -rowid };
  const caseId = caseOfDoc(rowid);
  const rest = rowid - caseId * CASE_SPAN;
  if (rest === 0) return { kind: 'case', caseId };
  return { kind: 'message', caseId, position: Math.floor(rest / 2), note: rest % 2 === 1 };
}
