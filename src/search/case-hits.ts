/**
 * A page of matching cases made showable: the case rows, the subject with its hits marked
 * and one snippet — from the description, or the newest matching message (a reply or, for
 * staff, an internal note) with who wrote it and when — read back from the base tables.
 */
import { rowMapper, statement } from '../db/fast.js';
import { cases } from '../db/schema/index.js';
import type { Services } from '../services.js';
import type { CaseRow } from '../workflow/context.js';
import type { CaseMatch } from './search-cases.js';
import { excerpt, highlightAll, plain, type HighlightInput, type Marked } from './highlight.js';

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
  /** Other matching messages of the case, not shown. */
  moreMatches: number;
}

interface EventRow {
  id: number;
  type: string;
  at: number;
  actorType: 'customer' | 'staff' | 'system';
  actorId: number | null;
  data: string;
}

const KIND: Record<string, MatchKind> = { 'customer.replied': 'reply', 'staff.replied': 'reply', 'staff.noted': 'note' };

function loadRows(services: Services, ids: number[]): Map<number, CaseRow> {
  const mapper = rowMapper(cases);
  const rows = statement<[string], Record<string, unknown>>(services.db, 'SELECT * FROM cases WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids));
  return new Map(rows.map((r) => mapper.fromRow(r)).map((row) => [row.id, row]));
}

/** The message at `position` (1-based) in the case's timeline. */
function messageAt(services: Services, caseId: number, position: number): EventRow | undefined {
  return statement<[number, number], EventRow>(services.db, 'SELECT id, type, at, actor_type AS actorType, actor_id AS actorId, data FROM case_events WHERE case_id = ? ORDER BY id LIMIT 1 OFFSET ?').get(
    caseId,
    position - 1,
  );
}

function names(services: Services, table: 'customers' | 'staff', ids: number[]): Map<number, string> {
  const rows = statement<[string], { id: number; name: string }>(services.db, `SELECT id, name FROM ${table} WHERE id IN (SELECT value FROM json_each(?))`).all(JSON.stringify([...new Set(ids)]));
  return new Map(rows.map((r) => [r.id, r.name]));
}

/**
 * `notes`: whether internal notes may be shown (staff). `fts`: the query the documents
 * matched (null when searching by filters only: nothing is highlighted).
 */
export function caseHits(services: Services, matches: CaseMatch[], fts: string | null, notes: boolean): CaseHit[] {
  const rows = loadRows(services, matches.map((m) => m.caseId));
  const customerNames = names(services, 'customers', [...rows.values()].map((r) => r.customerId));
  const inputs: HighlightInput[] = [];
  const plans: { row: CaseRow; caseInput: number; message: { input: number; event: EventRow; data: Record<string, unknown> } | null; more: number }[] = [];
  for (const m of matches) {
    const row = rows.get(m.caseId);
    if (!row) continue;
    const caseInput = inputs.push({ title: row.subject, body: row.description }) - 1;
    let message: (typeof plans)[number]['message'] = null;
    const messageDocs = m.docs.filter((d) => d.kind === 'message' && (notes || !d.note));
    for (const doc of messageDocs) {
      if (doc.kind !== 'message') continue;
      const event = messageAt(services, m.caseId, doc.position);
      if (!event || !(event.type in KIND) || (!notes && event.type === 'staff.noted')) continue;
      const data = JSON.parse(event.data) as Record<string, unknown>;
      message = { input: inputs.push({ title: null, body: typeof data.body === 'string' ? data.body : '' }) - 1, event, data };
      break;
    }
    plans.push({ row, caseInput, message, more: Math.max(0, messageDocs.length - (message ? 1 : 0)) });
  }
  const marked = highlightAll(services.db, fts, inputs);
  // Names as the timeline shows them (customer-view.ts): the account's name now.
  const staffNames = names(
    services,
    'staff',
    plans.flatMap((p) => (p.message?.event.actorType === 'staff' && p.message.event.actorId !== null ? [p.message.event.actorId] : [])),
  );
  return plans.map(({ row, caseInput, message, more }) => {
    const own = marked[caseInput]!;
    const description: MatchShown = { kind: 'description', at: row.createdAt, author: null, snippet: own.body ?? plain(excerpt(row.description)) };
    let match = description;
    const inDescription = own.matched && (own.body?.highlights.length ?? 0) > 0;
    if (message && !inDescription) {
      const shown = marked[message.input]!;
      const { event, data } = message;
      const author =
        event.actorType === 'customer'
          ? { type: 'customer' as const, name: customerNames.get(event.actorId ?? row.customerId) ?? 'Customer' }
          : { type: 'staff' as const, name: staffNames.get(event.actorId ?? -1) ?? (typeof data.author === 'string' ? data.author : 'Support') };
      match = { kind: KIND[event.type]!, at: event.at, author, snippet: shown.body ?? plain('') };
    } else if (message && inDescription) {
      more += 1;
    }
    return { row, subject: own.title ?? plain(row.subject), match, moreMatches: more };
  });
}
