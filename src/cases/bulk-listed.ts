/**
 * What the inbox list showed of each ticked case (the row's hidden `listed` field), so a bulk
 * action is not applied over a change the agent has not seen (src/cases/bulk-update.ts).
 */
import { parseCaseRef } from './case-ref.js';

/**
 * What the list showed of a case when its box was ticked (the inbox row's hidden `listed`
 * field): who it was assigned to, its state and queue. An assignment, a status or a macro is
 * not applied over a change the agent did not see (a colleague took the case, resolved it,
 * moved it): the case is listed as failed with what it is now.
 */
export interface ListedCase {
  assigneeId: number | null;
  status: string;
  queueId: string;
}

/** The `listed` field of an inbox row: `C-1042 <assignee id or -> <state> <queue>`, each part URI-encoded. */
export function listedValue(ref: string, row: { assigneeId: number | null; status: string; queueId: string }): string {
  return [ref, row.assigneeId === null ? '-' : String(row.assigneeId), row.status, row.queueId].map(encodeURIComponent).join(' ');
}

/** The `listed` fields of a bulk form, by case id (malformed ones are ignored: the case is then not checked). */
export function parseListed(values: readonly string[]): Map<number, ListedCase> {
  const out = new Map<number, ListedCase>();
  for (const value of values) {
    const parts = value.split(' ');
    if (parts.length !== 4) continue;
    let decoded: string[];
    try {
      decoded = parts.map(decodeURIComponent);
    } catch {
      continue;
    }
    const [ref, assignee, status, queueId] = decoded as [string, string, string, string];
    const id = parseCaseRef(ref);
    if (id === null || (assignee !== '-' && !/^\d{1,12}$/.test(assignee))) continue;
    out.set(id, { assigneeId: assignee === '-' ? null : Number(assignee), status, queueId });
  }
  return out;
}
