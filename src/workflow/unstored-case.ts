/**
 * What a new case (`CaseContext.create`, intake) writes before it is in the database: its
 * timeline entries, outbox items and the rows other modules defer until it is stored. `flush`
 * inserts the case once, in its final state, then all of it in multi-row inserts (fewer
 * statements and WAL pages than inserting the case first and updating it at the end).
 */
import type { cases } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { changeSeqForInsert } from '../db/change-seq.js';
import { insertRows, insertWholeRow } from '../db/store/rows.js';
import { MAIL_ITEMS, type OutboxItem } from '../outbox/outbox.js';

type CaseRow = typeof cases.$inferSelect;

export const EVENT_COLUMNS = ['case_id', 'type', 'at', 'actor_type', 'actor_id', 'data'] as const;
export const OUTBOX_COLUMNS = ['type', 'case_id', 'payload', 'created_at', 'available_at'] as const;

/** New cases saved without follow-up work for `settle` (no outbox item but mail due now): their row is the answer. */
const settledRows = new WeakSet<CaseRow>();

/**
 * Whether the command that returned `row` may have left follow-up work a `settle` performs
 * (rules on events) and that may change the case: false only for a new case saved without any.
 */
export function mayHaveFollowUps(row: CaseRow): boolean {
  return !settledRows.has(row);
}

/** New cases whose transaction ended with no outbox item pending and due (their own mail performed in it). */
const quietRows = new WeakSet<CaseRow>();

/**
 * Whether the command that returned `row` may have left outbox work due, which a kick of the
 * drain would perform: false only for a new case saved without follow-up work whose
 * transaction, once its own mail was performed in it, found nothing pending and due.
 */
export function mayHaveLeftWorkDue(row: CaseRow): boolean {
  return !quietRows.has(row);
}

/** Notes that `row`'s transaction left nothing due (see `mayHaveLeftWorkDue`). */
export function markLeftNothingDue(row: CaseRow): void {
  quietRows.add(row);
}

export class UnstoredCase {
  readonly #events: unknown[][] = [];
  /** The same entries, parsed, for reads inside the unit of work (`entries`). */
  readonly #entries: { type: string; data: Record<string, unknown> }[] = [];
  readonly #outbox: unknown[][] = [];
  readonly #after: (() => void | Promise<void>)[] = [];
  /** Outbox items due now that `settle` performs (not mail). */
  #followUps = 0;

  /** A timeline entry: case_id, type, at, actor_type, actor_id, data (JSON). */
  record(values: unknown[], type: string, data: Record<string, unknown>): void {
    this.#events.push(values);
    this.#entries.push({ type, data });
  }

  /** An outbox item: type, case_id, payload (JSON), created_at, available_at. */
  enqueue(values: unknown[], type: string, due: boolean): void {
    this.#outbox.push(values);
    if (due && !MAIL_ITEMS.includes(type)) this.#followUps++;
  }

  /** Rows another module writes once the case is stored. */
  whenStored(write: () => void | Promise<void>): void {
    this.#after.push(write);
  }

  /** The timeline entries of these types written so far, oldest first. */
  entries(types: readonly string[]): { type: string; data: Record<string, unknown> }[] {
    return this.#entries.filter((e) => types.includes(e.type));
  }

  /**
   * Inserts the case as it is, then everything written for it; `settled` when no follow-up work
   * is left for `settle`. Returns the outbox items it wrote when they are all mail or scheduled
   * (none due that could change the case): the caller may perform them in this transaction.
   */
  async flush(q: Handle, row: CaseRow, options: { settled: boolean }): Promise<OutboxItem[]> {
    row.changeSeq = changeSeqForInsert(q);
    await insertWholeRow(q, q.tables.cases, row);
    await insertRows(q, 'case_events', EVENT_COLUMNS, this.#events);
    const ids = await insertRows(q, 'outbox', OUTBOX_COLUMNS, this.#outbox);
    if (!options.settled || this.#followUps > 0) return [];
    settledRows.add(row);
    if (ids.length === 0) return [];
    return this.#outbox.map(([type, caseId, payload, createdAt, availableAt], i) => ({
      id: ids[i]!,
      type: type as string,
      caseId: caseId as number,
      payload: JSON.parse(payload as string) as Record<string, unknown>,
      attempts: 0,
      createdAt: createdAt as number,
      availableAt: availableAt as number,
    }));
  }

  /** The deferred writes: run once the context writes through. */
  afterwards(): (() => void | Promise<void>)[] {
    return this.#after;
  }
}
