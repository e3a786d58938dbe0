/**
 * Where a case's SLA timer rows live during its unit of work: in `sla_timers`, or — for a new
 * case not yet stored (intake, `CaseContext.create`) — with the unit of work, inserted after
 * the case in one statement when it is saved. case-timers.ts reads and writes them only here.
 */
import { insertMany, insertRow, rowMapper, rowUpdate, statement } from '../db/fast.js';
import { NO_DUE_AT, slaTimers } from '../db/schema/index.js';
import type { CaseContext } from '../workflow/context.js';
import type { NewTimerRow, TimerRow } from './timer.js';

/** The columns a new timer is inserted with (all but the id), computed once: insertMany keeps its SQL with the array. */
let insertColumns: { keys: (keyof TimerRow & string)[]; columns: string[] } | null = null;
function timerInsert(): { keys: (keyof TimerRow & string)[]; columns: string[] } {
  if (!insertColumns) {
    const m = rowMapper(slaTimers);
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
    ctx.whenStored(() => {
      const m = rowMapper(slaTimers);
      const { keys, columns } = timerInsert();
      if (list.length > 0) insertMany(ctx.services.db, m.table, columns, list.map((row) => keys.map((k) => m.toDriver(k, row[k]))));
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

export function loadTimers(ctx: CaseContext): TimerRow[] {
  const pending = pendingTimers(ctx);
  if (pending) return pending.map((t) => ({ ...t }));
  const m = rowMapper(slaTimers);
  return statement<[number], Record<string, unknown>>(ctx.services.db, 'SELECT * FROM sla_timers WHERE case_id = ? ORDER BY id')
    .all(ctx.case.id)
    .map((r) => m.fromRow(r));
}

export function insertTimer(ctx: CaseContext, row: NewTimerRow): void {
  const pending = pendingTimers(ctx);
  if (pending) pending.push({ ...row, id: -(pending.length + 1) });
  else insertRow(ctx.services.db, slaTimers, row);
}

const UPDATE_TIMER = rowUpdate(slaTimers, { except: ['id'], where: 'id = ?' });

export function saveTimer(ctx: CaseContext, row: TimerRow): void {
  const pending = pendingTimers(ctx);
  if (pending) {
    const i = pending.findIndex((t) => t.id === row.id);
    if (i >= 0) pending[i] = { ...row };
    return;
  }
  statement(ctx.services.db, UPDATE_TIMER.sql).run(...UPDATE_TIMER.values(row), row.id);
}

export function deleteTimer(ctx: CaseContext, row: TimerRow): void {
  const pending = pendingTimers(ctx);
  if (pending) {
    const i = pending.findIndex((t) => t.id === row.id);
    if (i >= 0) pending.splice(i, 1);
    return;
  }
  statement<[number]>(ctx.services.db, 'DELETE FROM sla_timers WHERE id = ?').run(row.id);
}

/** `cases.sla_due_at` = the earliest due time of the case's counting timers, or NO_DUE_AT. */
export function refreshSlaDueAt(ctx: CaseContext): void {
  const pending = pendingTimers(ctx);
  if (pending) {
    const due = pending.reduce((min, t) => (t.dueAt !== null && t.dueAt < min ? t.dueAt : min), NO_DUE_AT);
    ctx.case.slaDueAt = due;
    return;
  }
  const row = statement<[number], { due: number | null }>(ctx.services.db, 'SELECT min(due_at) AS due FROM sla_timers WHERE case_id = ? AND due_at IS NOT NULL').get(ctx.case.id);
  ctx.case.slaDueAt = row?.due ?? NO_DUE_AT;
}
