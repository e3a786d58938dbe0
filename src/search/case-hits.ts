/**
 * A page of matching cases made showable: the case rows, the subject with its hits marked
 * and one snippet — from the document of the case holding the most of the searched terms:
 * the description, or a matching message (a reply or, for staff, an internal note; the newest
 * of those holding as many) with who wrote it and when; the description on a tie when it
 * holds a term itself — read back from the base tables, every term it holds marked.
 */
import { asc, eq, inArray } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';
import type { CaseRow } from '../workflow/context.js';
import type { CaseMatch } from './search-cases.js';
import { excerpt, plain, type HighlightInput, type Marked } from './highlight.js';
import { searchQueries, type Words } from './queries.js';

export type MatchKind = 'description' | 'reply' | 'note';

export interface MatchShown {
  kind: MatchKind;
  /** When the message was written (the case's creation for the description). */
  at: number;
  /** Who wrote a message; null for the description. */
  author: { type: 'customer' | 'staff'; name: string } | null;
  snippet: Marked;
}

export interface CaseHit {
  row: CaseRow;
  subject: Marked;
  /** What to show under the subject: where the words were found (the description's start when searching by filters only). */
  match: MatchShown;
  /**
   * The case's other messages the searcher may see that match the whole query by themselves —
   * each searched word and phrase in that one message, as a search of it alone would find it —
   * not counting the one shown (a case's words may be spread over its texts: a message holding
   * only some of them is not counted).
   */
  moreMatches: number;
}

interface EventRow {
  id: number;
  type: string;
  at: number;
  actorType: 'customer' | 'staff' | 'system';
  actorId: number | null;
  data: Record<string, unknown>;
}

const KIND: Record<string, MatchKind> = { 'customer.replied': 'reply', 'staff.replied': 'reply', 'staff.noted': 'note' };

async function loadRows(q: Handle, ids: number[]): Promise<Map<number, CaseRow>> {
  if (ids.length === 0) return new Map();
  const { cases } = q.tables;
  const rows = await q.db.select().from(cases).where(inArray(cases.id, ids));
  return new Map(rows.map((row) => [row.id, row]));
}

/** The message at `position` (1-based) in the case's timeline. */
async function messageAt(q: Handle, caseId: number, position: number): Promise<EventRow | undefined> {
  const e = q.tables.caseEvents;
  const [row] = await q.db
    .select({ id: e.id, type: e.type, at: e.at, actorType: e.actorType, actorId: e.actorId, data: e.data })
    .from(e)
    .where(eq(e.caseId, caseId))
    .orderBy(asc(e.id))
    .limit(1)
    .offset(position - 1);
  return row;
}

async function names(q: Handle, table: 'customers' | 'staff', ids: number[]): Promise<Map<number, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const t = q.tables[table];
  const rows = await q.db.select({ id: t.id, name: t.name }).from(t).where(inArray(t.id, unique));
  return new Map(rows.map((r) => [r.id, r.name]));
}

/**
 * `notes`: whether internal notes may be shown (staff). `words`: what the documents matched
 * (null when searching by filters only: nothing is highlighted).
 */
export async function caseHits(q: Handle, matches: CaseMatch[], words: Words | null, notes: boolean): Promise<CaseHit[]> {
  const rows = await loadRows(q, matches.map((m) => m.caseId));
  const customerNames = await names(q, 'customers', [...rows.values()].map((r) => r.customerId));
  const inputs: HighlightInput[] = [];
  const plans: { row: CaseRow; caseInput: number; caseTerms: number; message: { input: number; event: EventRow; data: Record<string, unknown>; terms: number } | null; more: number }[] = [];
  for (const m of matches) {
    const row = rows.get(m.caseId);
    if (!row) continue;
    const caseInput = inputs.push({ title: row.subject, body: row.description }) - 1;
    let message: (typeof plans)[number]['message'] = null;
    const messageDocs = m.docs.filter((d) => d.kind === 'message' && (notes || !d.note));
    // The message holding the most terms; among those the newest (docs are newest first).
    const best = [...messageDocs].sort((a, b) => b.terms - a.terms);
    for (const doc of best) {
      if (doc.kind !== 'message') continue;
      const event = await messageAt(q, m.caseId, doc.position);
      if (!event || !(event.type in KIND) || (!notes && event.type === 'staff.noted')) continue;
      const { data } = event;
      message = { input: inputs.push({ title: null, body: typeof data.body === 'string' ? data.body : '' }) - 1, event, data, terms: doc.terms };
      break;
    }
    const caseTerms = m.docs.find((d) => d.kind === 'case')?.terms ?? 0;
    // Messages matching the whole query (excluded words are in none: the case would not match).
    const whole = (terms: number) => words !== null && terms === words.terms.length;
    const full = messageDocs.filter((d) => whole(d.terms)).length;
    plans.push({ row, caseInput, caseTerms, message, more: full - (message && whole(message.terms) ? 1 : 0) });
  }
  // Each text marked with every term it holds: a case's terms may be spread over its texts.
  const marked = await searchQueries(q).highlight(q, words, inputs, { any: true });
  // Names as the timeline shows them (customer-view.ts): the account's name now.
  const staffNames = await names(
    q,
    'staff',
    plans.flatMap((p) => (p.message?.event.actorType === 'staff' && p.message.event.actorId !== null ? [p.message.event.actorId] : [])),
  );
  return plans.map(({ row, caseInput, caseTerms, message, more }) => {
    const own = marked[caseInput]!;
    const description: MatchShown = { kind: 'description', at: row.createdAt, author: null, snippet: own.body ?? plain(excerpt(row.description)) };
    let match = description;
    const inDescription = own.matched && (own.body?.highlights.length ?? 0) > 0;
    // The description unless a message holds more of the terms (or it holds none of them itself).
    if (message && (!inDescription || message.terms > caseTerms)) {
      const shown = marked[message.input]!;
      const { event, data } = message;
      const author =
        event.actorType === 'customer'
          ? { type: 'customer' as const, name: customerNames.get(event.actorId ?? row.customerId) ?? 'Customer' }
          : { type: 'staff' as const, name: staffNames.get(event.actorId ?? -1) ?? (typeof data.author === 'string' ? data.author : 'Support') };
      match = { kind: KIND[event.type]!, at: event.at, author, snippet: shown.body ?? plain('') };
    } else if (message && message.terms === words?.terms.length) {
      more += 1; // the description is shown: the message is one more
    }
    return { row, subject: own.title ?? plain(row.subject), match, moreMatches: more };
  });
}
