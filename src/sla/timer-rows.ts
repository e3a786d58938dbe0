/**
 * Where a case's SLA timer rows live during its unit of work: in `sla_timers`, or — for a new
 * case not yet stored (intake, `CaseContext.create`) — with the unit of work, inserted after
 * the case in one statement when it is saved. case-timers.ts reads and writes them only here.
 */
import { rowMapper } from '../db/fast.js';
import { NO_DUE_AT } from '../db/schema/index.js';
import type { Tables } from '../db/store/index.js';
import { get, insertOne, insertRows, run, tableRowsOf, updateOf } from '../db/store/rows.js';
import type { CaseContext } from '../workflow/context.js';
import { isCounting, type NewTimerRow, type TimerRow } from './timer.js';

/** The columns a new timer is inserted with (all but the id), computed once: insertMany keeps its SQL with the array. */
let insertColumns: { keys: (keyof TimerRow & string)[]; columns: string[] } | null = null;
function timerInsert(table: Tables['slaTimers']): { keys: (keyof TimerRow & string)[]; columns: string[] } {
  if (!insertColumns) {
    const m = rowMapper(table);
    const keys = m.keys.filter((k) => k !== 'id');
    insertColumns = { keys, columns: keys.map((k) => m.columns[m.keys.indexOf(k)]!) };
  }
  return insertColumns;
}

/** The timers of new cases (not yet stored), in creation order; ids are provisional (negative). */
const unstoredTimers = new WeakMap<CaseContext, TimerRow[]>();

function pendingTimers(ctx: CaseContext): TimerRow[] | null {
  if (ctx.stored) return null;
  let timers = unstoredTimers.get(ctx);
  if (!timers) {
    const list: TimerRow[] = [];
    unstoredTimers.set(ctx, list);
    void ctx.whenStored(async () => {
      const table = ctx.q.tables.slaTimers;
      const m = rowMapper(table);
      const { keys, columns } = timerInsert(table);
      if (list.length > 0) await insertRows(ctx.q, m.table, columns, list.map((row) => keys.map((k) => m.toDriver(k, row[k]))));
      unstoredTimers.delete(ctx);
    });
    timers = list;
  }
  return timers;
}

/** A new case's timers as they will be inserted (copies, oldest first; provisional ids); null once it is stored. */
export function unstoredTimerRows(ctx: CaseContext): TimerRow[] | null {
  if (ctx.stored) return null;
  return (unstoredTimers.get(ctx) ?? []).map((t) => ({ ...t }));
}

/** A new case's rows are kept here, so these answer at once for it (no promise made per call: the intake's path). */
const DONE: Promise<void> = Promise.resolve();

export function loadTimers(ctx: CaseContext): Promise<TimerRow[]> {
  const pending = pendingTimers(ctx);
  return pending ? Promise.resolve(pending.map((t) => ({ ...t }))) : storedTimers(ctx);
}

async function storedTimers(ctx: CaseContext): Promise<TimerRow[]> {
  // Locked like the case row (PostgreSQL): the sweep marks timers warned or breached without
  // the case's lock, and a timer read before such a mark committed would be written back over it.
  return tableRowsOf(ctx.q, ctx.q.tables.slaTimers, 'SELECT * FROM sla_timers WHERE case_id = ? ORDER BY id', [ctx.case.id], { locked: true });
}

export function insertTimer(ctx: CaseContext, row: NewTimerRow): Promise<void> {
  const pending = pendingTimers(ctx);
  if (!pending) return insertOne(ctx.q, ctx.q.tables.slaTimers, row).then(() => undefined);
  // The id first: a spread followed by a property the source lacks makes a new hidden class on
  // every call once optimized (docs/performance.md, "New hidden classes"). A new row has no id.
  pending.push({ id: -(pending.length + 1), ...row });
  return DONE;
}

const UPDATE_TIMER = { except: ['id'] as 'id'[], where: 'id = ?' };

export async function saveTimer(ctx: CaseContext, row: TimerRow): Promise<void> {
  const pending = pendingTimers(ctx);
  if (pending) {
    const i = pending.findIndex((t) => t.id === row.id);
    if (i >= 0) pending[i] = { ...row };
    return;
  }
  const update = updateOf(ctx.q.tables.slaTimers, UPDATE_TIMER);
  await run(ctx.q, update.sql, [...update.values(row), row.id]);
}

export async function deleteTimer(ctx: CaseContext, row: TimerRow): Promise<void> {
  const pending = pendingTimers(ctx);
  if (pending) {
    const i = pending.findIndex((t) => t.id === row.id);
    if (i >= 0) pending.splice(i, 1);
    return;
  }
  await run(ctx.q, 'DELETE FROM sla_timers WHERE id = ?', [row.id]);
}

/**
 * `cases.sla_due_at` = the earliest due time of the case's counting timers, or NO_DUE_AT (a
 * breached timer that is paused or stopped keeps its due time, but sorts nothing: timer.ts).
 */
export function refreshSlaDueAt(ctx: CaseContext): Promise<void> {
  const pending = pendingTimers(ctx);
  if (!pending) return refreshStoredDueAt(ctx);
  ctx.case.slaDueAt = pending.reduce((min, t) => (t.dueAt !== null && t.dueAt < min && isCounting(t) ? t.dueAt : min), NO_DUE_AT);
  return DONE;
}

async function refreshStoredDueAt(ctx: CaseContext): Promise<void> {
  const row = await get<{ due: number | null }>(ctx.q, "SELECT min(due_at) AS due FROM sla_timers WHERE case_id = ? AND due_at IS NOT NULL AND state IN ('running', 'breached')", [ctx.case.id]);
  ctx.case.slaDueAt = row?.due ?? NO_DUE_AT;
}
