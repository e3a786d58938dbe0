/**
 * What the inbox list showed of each ticked case (the row's hidden `listed` field), so a bulk
 * action is not applied over a change the agent has not seen (src/cases/bulk-update.ts).
 */
import { parseCaseRef } from './case-ref.js';

/**
 * What the list showed of a case when its box was ticked (the inbox row's hidden `listed`
 * field): who it was assigned to, its state and queue. An assignment, a status or a macro is
 * not applied over a change the agent did not see (a colleague took the case, resolved it,
 * moved it): the case is listed as failed with what it is now. `seen`: the newest timeline
 * entry when the list was read; a status that answers the customer or closes the loop, or a
 * macro's reply, is not applied over a customer message written after it (a customer writing
 * on an open case changes none of the other three).
 */
export interface ListedCase {
  assigneeId: number | null;
  status: string;
  queueId: string;
  seen?: number;
}

/** The `listed` field of an inbox row: `C-1042 <assignee id or -> <state> <queue> [<seen>]`, each part URI-encoded. */
export function listedValue(ref: string, row: { assigneeId: number | null; status: string; queueId: string }, seen?: number): string {
  const parts = [ref, row.assigneeId === null ? '-' : String(row.assigneeId), row.status, row.queueId];
  if (seen !== undefined) parts.push(String(seen));
  return parts.map(encodeURIComponent).join(' ');
}

/** The `listed` fields of a bulk form, by case id (malformed ones are ignored: the case is then not checked). */
export function parseListed(values: readonly string[]): Map<number, ListedCase> {
  const out = new Map<number, ListedCase>();
  for (const value of values) {
    const parts = value.split(' ');
    // Four parts from a list rendered before `seen` was added: nothing about messages is checked.
    if (parts.length !== 4 && parts.length !== 5) continue;
    let decoded: string[];
    try {
      decoded = parts.map(decodeURIComponent);
    } catch {
      continue;
    }
    const [ref, assignee, status, queueId, seen] = decoded as [string, string, string, string, string | undefined];
    const id = parseCaseRef(ref);
    if (id === null || (assignee !== '-' && !/^\d{1,12}$/.test(assignee))) continue;
    if (seen !== undefined && !/^\d{1,15}$/.test(seen)) continue;
    out.set(id, { assigneeId: assignee === '-' ? null : Number(assignee), status, queueId, ...(seen !== undefined ? { seen: Number(seen) } : {}) });
  }
  return out;
}
