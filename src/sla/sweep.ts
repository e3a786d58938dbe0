/**
 * The SLA sweep: records every warning and breach that has fallen due, exactly once.
 *
 * Due timers are found through the partial index `sla_timers_next_idx` on each timer's next
 * pending instant (`slaNextAtSql`: its warning, else its breach; only timers with one pending are in it),
 * so a sweep costs what is due, not what is open. Timers are handled in batches: each batch is
 * read, then recorded in one transaction in which a conditional UPDATE decides, per timer,
 * whether this sweep records it (`... AND breached_at IS NULL`). Two sweeps at once, or a
 * restart in between, never record a warning or breach twice: whoever loses the update skips
 * it. In the same transaction the timeline entry is written, and the outbox items that make
 * the workflow react after commit:
 * - `case.event` when the workflow names rulesets for the event (the `sla` fact rides along);
 * - `sla.dispatch` when the workflow has `on` transitions for it (see dispatch-event.ts).
 * The case row itself is not touched (a breached timer keeps its due time, so `sla_due_at`
 * stays right), so a sweep never waits for people working on the case; their commands read the
 * case's timers locked (timer-rows.ts), so a mark and a command's change never overwrite each other.
 *
 * Breaches are handled before warnings (in each batch): a timer whose due time has also passed gets only its
 * breach (a warning after the fact helps nobody), and its warning is dropped for good.
 */
import { caseRef } from '../cases/case-ref.js';
import type { Handle } from '../db/store/index.js';
export { DUE_TIMERS_SQL } from './sweep/due-sql.js';
import type { DueRow, SweepEvent, SweepOutboxItem } from './sweep/due-sql.js';
import * as pgSweep from './sweep/pg.js';
import * as sqliteSweep from './sweep/sqlite.js';
import type { SlaFact } from '../rules/facts.js';
import { SYSTEM_ACTOR } from '../roles.js';
import type { Services } from '../services.js';
import type { WorkflowDefinition } from '../workflow/definition.js';

export type SlaEventType = 'sla.warning' | 'sla.breached';

export interface SweepOptions {
  /** The sweep's "now" (default: the clock). */
  now?: number;
  /** Timers recorded per transaction (default 250: a batch holds the event loop for a few ms). */
  batchSize?: number;
  /** Stops between batches once aborted (shutdown); the rest is recorded by the next sweep. */
  signal?: AbortSignal;
  /** How many recorded entries to list in the result (default 100). */
  detailLimit?: number;
}

export interface SweepEntry {
  type: SlaEventType;
  caseId: string;
  metric: string;
  dueAt: string;
}

export interface SweepResult {
  at: string;
  warnings: number;
  breaches: number;
  /** Due timers another sweep recorded first. */
  skipped: number;
  entries: SweepEntry[];
  /** More were recorded than `entries` lists. */
  truncated: boolean;
}

/** The SQL that differs: the due timers' query, and how a batch is recorded (row by row on SQLite's cached statements, set-based on PostgreSQL). */
const sweepSql = (q: Handle) => (q.dialect === 'sqlite' ? sqliteSweep : pgSweep);

/** How a workflow version reacts to an SLA event: rules to run, transitions listening. */
interface Reaction {
  rules: boolean;
  transitions: boolean;
}

function reactionTo(def: WorkflowDefinition, type: SlaEventType): Reaction {
  return {
    rules: (def.triggers?.[type]?.length ?? 0) > 0,
    transitions: Object.values(def.transitions).some((t) => t.on?.includes(type)),
  };
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function eventData(type: SlaEventType, row: DueRow, now: number): { timeline: Record<string, unknown>; sla: SlaFact } {
  const overdueMinutes = Math.max(0, Math.floor((now - row.due_at) / 60_000));
  const common = { metric: row.metric, policy: row.policy, queue: row.queue_id, priority: row.priority, dueAt: row.due_at };
  if (type === 'sla.breached') {
    return {
      timeline: { ...common, overdueMinutes },
      sla: { metric: row.metric, state: 'breached', policy: row.policy, dueAt: row.due_at, overdueMinutes },
    };
  }
  return {
    timeline: { ...common, minutesLeft: Math.max(0, Math.ceil((row.due_at - now) / 60_000)) },
    sla: { metric: row.metric, state: 'running', policy: row.policy, dueAt: row.due_at, overdueMinutes: 0 },
  };
}

/** How each workflow version reacts to each SLA event, looked up once per sweep. */
export type Reactions = Map<string, Reaction>;

/**
 * Records `type` for the timers of `rows` that are still due at `now`, as one batch inside the
 * caller's transaction: the conditional mark decides, per timer, whether this call records it
 * (another sweep, or a command that noticed the breach, may have been first); for each won timer
 * the timeline entry (with `data` added) and, when `react`, the outbox items of the workflow's
 * reaction. Returns the won ids, each with its due time as marked. Used by the sweep, and
 * without the reaction by a command that stops or pauses a clock already past its due time
 * (case-timers.ts).
 */
export async function recordSlaEvents(
  services: Services,
  q: Handle,
  type: SlaEventType,
  rows: readonly DueRow[],
  now: number,
  { reactions = new Map(), react: reacts = true, data = {} }: { reactions?: Reactions; react?: boolean; data?: Record<string, unknown> } = {},
): Promise<Map<number, number>> {
  const reaction = (row: DueRow): Reaction => {
    const key = `${row.workflow}@${row.workflow_version}\u0000${type}`;
    let r = reactions.get(key);
    if (!r) {
      r = reactionTo(services.definitions.workflow(row.workflow, row.workflow_version).definition, type);
      reactions.set(key, r);
    }
    return r;
  };
  // Written in row order: neighbouring timers and cases share pages (a third faster when cold).
  const ordered = [...rows].sort((a, b) => a.id - b.id);
  const won = await sweepSql(q).markTimers(q, type, ordered.map((r) => r.id), now);
  const events: SweepEvent[] = [];
  const outbox: SweepOutboxItem[] = [];
  for (const read of ordered) {
    const dueAt = won.get(read.id);
    if (dueAt === undefined) continue;
    // The due time as marked: a command may have re-targeted the clock since the batch was read.
    const row = dueAt === read.due_at ? read : { ...read, due_at: dueAt };
    const { timeline, sla } = eventData(type, row, now);
    events.push({ caseId: row.case_id, type, data: JSON.stringify({ ...timeline, ...data }) });
    if (!reacts) continue;
    const react = reaction(row);
    if (react.transitions) outbox.push({ type: 'sla.dispatch', caseId: row.case_id, payload: JSON.stringify({ type, data: timeline }) });
    if (react.rules) outbox.push({ type: 'case.event', caseId: row.case_id, payload: JSON.stringify({ type, data: { ...timeline, sla }, actor: SYSTEM_ACTOR }) });
  }
  await sweepSql(q).insertRecords(q, events, outbox, now);
  return won;
}

/** Records every warning and breach due at `now` (see the file comment). */
export async function sweepSla(services: Services, options: SweepOptions = {}): Promise<SweepResult> {
  const now = options.now ?? services.clock.now();
  const batchSize = options.batchSize ?? 250;
  const detailLimit = options.detailLimit ?? 100;
  const result: SweepResult = { at: new Date(now).toISOString(), warnings: 0, breaches: 0, skipped: 0, entries: [], truncated: false };
  const reactions: Reactions = new Map();

  const recordBatch = async (q: Handle, type: SlaEventType, rows: readonly DueRow[]): Promise<number> => {
    const won = await recordSlaEvents(services, q, type, rows, now, { reactions });
    for (const row of rows) {
      const dueAt = won.get(row.id);
      if (dueAt === undefined) continue;
      if (result.entries.length < detailLimit) {
        result.entries.push({ type, caseId: caseRef(row.case_id), metric: row.metric, dueAt: new Date(dueAt).toISOString() });
      } else {
        result.truncated = true;
      }
    }
    return won.size;
  };

  const lostIds = new Set<number>();
  for (;;) {
    const rows = await services.store.query((q) => sweepSql(q).dueTimers(q, now, batchSize));
    // Timers this sweep failed to update and that are still due were not taken by another
    // sweep (they would have left the index): stop instead of looping on them.
    if (rows.length === 0 || rows.every((r) => lostIds.has(r.id))) break;
    await yieldToLoop();
    if (options.signal?.aborted) break;
    const breaches = rows.filter((r) => r.breach_due === 1);
    const warnings = rows.filter((r) => r.breach_due !== 1);
    const [breached, warned] = await services.store.write(async (q) => [await recordBatch(q, 'sla.breached', breaches), await recordBatch(q, 'sla.warning', warnings)] as const);
    result.breaches += breached;
    result.warnings += warned;
    result.skipped += rows.length - breached - warned;
    if (breached + warned < rows.length) for (const r of rows) lostIds.add(r.id);
  }
  if (result.breaches + result.warnings > 0) {
    services.logger.info('SLA sweep', { warnings: result.warnings, breaches: result.breaches, skipped: result.skipped });
  }
  return result;
}
