/**
 * The outbox's queue on PostgreSQL (queue.ts): any number of workers, on any number of
 * instances, drain one table. A wave is claimed in one statement — the candidates selected
 * `FOR UPDATE SKIP LOCKED … LIMIT n` and their lease written by the same `UPDATE … RETURNING`
 * — so two workers never take the same row: a row another worker is claiming is skipped, not
 * waited for, and one it has claimed carries a lease (`locked_until`) the next look respects.
 * A worker that dies leaves its rows leased until `locked_until`; then they are candidates
 * again (their attempt counted, so a row that kills its worker every time still gives up).
 *
 * Why this SQL differs from SQLite's: SQLite has one writer, so its claim reads every due row
 * (held ones included) and claims each with a conditional UPDATE; PostgreSQL's row locks and
 * `SKIP LOCKED` do that work here, and a case's order cannot rest on seeing its held first
 * item, so a candidate is the first pending due item of its case (`NOT EXISTS` an earlier one):
 * its successors stay out of every worker's wave until it is done or retried later. Payloads
 * are jsonb (`payload->>'target'`), the type lists JSON arrays as on SQLite.
 *
 * Handlers' `inTransaction` works on the synchronous SQLite connection, so on PostgreSQL no
 * item is performed inside the claim's transaction: each is performed after the commit, as an
 * item whose handler declines.
 */
import { and, eq, gt, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';
import { LANE_ITEM_TYPES_JSON, LANE_TYPE_CONDITION, LOCAL_TYPE_CONDITION, LOCK_MS, MAIL_ITEMS, WAVE } from './limits.js';
import type { OutboxItem } from './outbox.js';
import { reserveLane, type ClaimedWave, type Look, type OutboxQueue, type WaveContext } from './queue.js';

/** Due lane items read per look. */
const LANE_READ = 64;
const MAIL = JSON.stringify(MAIL_ITEMS);

interface PgRow {
  id: number;
  type: string;
  case_id: number | null;
  payload: Record<string, unknown>;
  attempts: number;
  available_at: number;
  created_at: number;
}

const COLUMNS = sql.raw('o.id, o.type, o.case_id, o.payload, o.attempts, o.available_at, o.created_at');

function toItem(row: PgRow): OutboxItem {
  return { id: row.id, type: row.type, caseId: row.case_id, payload: row.payload, attempts: row.attempts, availableAt: row.available_at, createdAt: row.created_at };
}

/** Types in (or not in) a JSON array of types. */
const typeIn = (alias: string, types: string) => sql`${sql.raw(alias)}.type IN (SELECT jsonb_array_elements_text(${types}::jsonb))`;
const typeNotIn = (alias: string, types: string) => sql`${sql.raw(alias)}.type NOT IN (SELECT jsonb_array_elements_text(${types}::jsonb))`;
/**
 * The lane types' condition, and its converse: for the built-in ones as `outbox_lane_due_idx`
 * and `outbox_local_due_idx` name them (PostgreSQL may then read that index instead of every
 * pending item), else `typeIn` and `typeNotIn`.
 */
const laneTypeIn = (alias: string, types: string) => (types === LANE_ITEM_TYPES_JSON ? sql.raw(`${alias}.${LANE_TYPE_CONDITION}`) : typeIn(alias, types));
const laneTypeNotIn = (alias: string, types: string) => (types === LANE_ITEM_TYPES_JSON ? sql.raw(`${alias}.${LOCAL_TYPE_CONDITION}`) : typeNotIn(alias, types));
const pendingDue = (alias: string, now: number) =>
  sql`${sql.raw(alias)}.done_at IS NULL AND ${sql.raw(alias)}.failed_at IS NULL AND ${sql.raw(alias)}.available_at <= ${now}`;
const unleased = (now: number) => sql`(o.locked_until IS NULL OR o.locked_until <= ${now})`;

/**
 * The candidates of a look: pending, due, not leased, and the first item of their case among
 * the items `kind` selects (`e` below: the same kind, pending and due, earlier in the order).
 */
function candidates(look: Pick<Look, 'now' | 'caseId' | 'inLanes'>, kind: 'wave' | 'lanes', busyTargets = '[]'): SQL {
  const { now, inLanes } = look;
  const selects = (alias: string): SQL =>
    kind === 'lanes'
      ? laneTypeIn(alias, inLanes)
      : look.caseId !== undefined
        ? sql`${laneTypeNotIn(alias, inLanes)} AND ${typeNotIn(alias, MAIL)}`
        : laneTypeNotIn(alias, inLanes);
  // A case's settle takes its items by id (as SQLite's dueForCase); the waves by (available_at, id).
  const earlier = look.caseId !== undefined && kind === 'wave' ? sql`e.id < o.id` : sql`(e.available_at, e.id) < (o.available_at, o.id)`;
  return sql`${pendingDue('o', now)} AND ${selects('o')} AND ${unleased(now)}
    ${look.caseId !== undefined && kind === 'wave' ? sql`AND o.case_id = ${look.caseId}` : sql``}
    ${kind === 'lanes' ? sql`AND coalesce(o.payload->>'target', '') NOT IN (SELECT jsonb_array_elements_text(${busyTargets}::jsonb))` : sql``}
    AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.case_id = o.case_id AND ${pendingDue('e', now)} AND ${selects('e')} AND ${earlier})`;
}

const order = (look: Pick<Look, 'caseId'>) => (look.caseId !== undefined ? sql.raw('o.id') : sql.raw('o.available_at, o.id'));

/** Claims up to `n` candidates in one statement: locked (others' skipped), leased, returned. */
async function claimCandidates(q: Handle, ctx: WaveContext, n: number): Promise<OutboxItem[]> {
  // Not the items this process is still performing: one whose lease ran out meanwhile (a slow
  // receiver) would be claimed again, then neither performed (it is in flight) nor waited for.
  const performing = ctx.inFlight.size > 0 ? sql`AND o.id NOT IN (SELECT jsonb_array_elements_text(${JSON.stringify([...ctx.inFlight.keys()])}::jsonb)::bigint)` : sql``;
  const rows = await q.all<PgRow>(sql`
    WITH picked AS (
      SELECT o.id FROM outbox o WHERE ${candidates(ctx, 'wave')} ${performing}
      ORDER BY ${order(ctx)} LIMIT ${n}
      FOR UPDATE OF o SKIP LOCKED
    )
    UPDATE outbox o SET locked_until = ${ctx.now + LOCK_MS}, locked_by = ${ctx.owner}, attempts = o.attempts + 1
    FROM picked WHERE o.id = picked.id
    RETURNING o.id, o.type, o.case_id, o.payload, o.attempts - 1 AS attempts, o.available_at, o.created_at`);
  // RETURNING keeps no order: the wave's is the candidates'.
  const key = ctx.caseId !== undefined ? (r: PgRow) => [r.id, 0] : (r: PgRow) => [r.available_at, r.id];
  const wave = rows.sort((a, b) => key(a)[0]! - key(b)[0]! || key(a)[1]! - key(b)[1]!).map(toItem);
  // In flight at once, as on SQLite: another drain of this process that skipped these locked
  // rows waits for them (a run that rolls back untracks them: drain.ts).
  for (const item of wave) ctx.track(item);
  return wave;
}

/**
 * Locks the due lane items whose target has a free slot, reserves what it can, and claims
 * those. Whether a due lane item was left out because another transaction holds it locked (a
 * drain's claim under way, its slot not yet reserved in this process): when nothing was
 * reserved, nothing is in flight in the lanes and the look read fewer rows than it may, a
 * candidate it did not read is one.
 */
async function claimForLanes(q: Handle, ctx: WaveContext): Promise<{ skipped: boolean }> {
  const lanes = (busy: string) => candidates({ now: ctx.now, caseId: undefined, inLanes: ctx.inLanes }, 'lanes', busy);
  const busy = ctx.busyTargets();
  const rows = await q.all<PgRow>(sql`
    SELECT ${COLUMNS} FROM outbox o WHERE ${lanes(busy)}
    ORDER BY o.available_at, o.id LIMIT ${LANE_READ}
    FOR UPDATE OF o SKIP LOCKED`);
  const reserved = rows.map(toItem).filter((item) => reserveLane(ctx, item));
  if (reserved.length === 0) {
    // Items in flight in this process's lanes (every refusal is one in the way: its slot,
    // target or case): a full drain waits for them and then looks again, so it need not look
    // again now (nor spin on rows another drain read and refused).
    if (rows.length === LANE_READ || (ctx.lanes?.size ?? 0) > 0) return { skipped: false };
    const read = JSON.stringify(rows.map((row) => row.id));
    const held = await q.get<{ due: boolean }>(sql`SELECT EXISTS (SELECT 1 FROM outbox o WHERE ${lanes(busy)}
      AND o.id NOT IN (SELECT jsonb_array_elements_text(${read}::jsonb)::bigint)) AS due`);
    return { skipped: held?.due === true };
  }
  // Still locked by this transaction: the claim cannot miss.
  await q.run(sql`UPDATE outbox SET locked_until = ${ctx.now + LOCK_MS}, locked_by = ${ctx.owner}, attempts = attempts + 1
    WHERE id IN (SELECT jsonb_array_elements_text(${JSON.stringify(reserved.map((item) => item.id))}::jsonb)::bigint)`);
  ctx.toLanes.push(...reserved);
  return { skipped: false };
}

export const pgQueue: OutboxQueue = {
  // Outside a transaction the store's query handle is its pool's: one per store.
  key: (q) => q.db,
  async worthAWave(q, look) {
    if (look.flightsToAwait) return true;
    const wave = sql`EXISTS (SELECT 1 FROM outbox o WHERE ${candidates(look, 'wave')})`;
    const lanes = look.caseId === undefined && look.inLanes !== '[]' && look.lookLanes(true) ? sql` OR EXISTS (SELECT 1 FROM outbox o WHERE ${candidates(look, 'lanes', look.busyTargets())})` : sql``;
    const row = await q.get<{ due: boolean }>(sql`SELECT (${wave}${lanes}) AS due`);
    return row?.due === true;
  },
  async claimWave(q, ctx): Promise<ClaimedWave> {
    // Items other drains of this process perform are leased, so not read: a drain waits for
    // them as SQLite's does for the held rows it reads. A settle for its case's, before claiming
    // (one item of a case at a time); a full drain for all of them, looked up after its claim.
    // A row another drain has locked but not yet tracked is `skipped`: drain.ts looks again.
    let wave: OutboxItem[];
    let elsewhere: Promise<void>[];
    let lanes = { skipped: false };
    if (ctx.caseId !== undefined) {
      elsewhere = [...ctx.inFlight.values()].filter((f) => f.caseId === ctx.caseId).map((f) => f.done);
      wave = elsewhere.length > 0 ? [] : await claimCandidates(q, ctx, 1);
      if (ctx.lookLanes(wave.length === 0, true)) lanes = await claimForLanes(q, ctx);
    } else {
      wave = await claimCandidates(q, ctx, Math.min(ctx.limit, WAVE));
      if (ctx.lookLanes(wave.length === 0, true)) lanes = await claimForLanes(q, ctx);
      const mine = new Set(wave.map((item) => item.id));
      elsewhere = [...ctx.inFlight].filter(([id]) => !mine.has(id)).map(([, f]) => f.done);
    }
    // Nothing claimed, nothing in flight here, yet an item (a settle: its case's) still reads as
    // claimable: another transaction has it locked — a drain's claim between its UPDATE and its
    // commit, whose answer has not reached this process yet. A lane item likewise, between the
    // claim's read and its slot's reservation: the full drain then saw no slot taken and
    // returned before the delivery another drain of this process was about to make.
    const nothing = wave.length === 0 && elsewhere.length === 0 && ctx.toLanes.length === 0;
    const skipped = nothing && (lanes.skipped || (await q.get<{ due: boolean }>(sql`SELECT EXISTS (SELECT 1 FROM outbox o WHERE ${candidates(ctx, 'wave')}) AS due`))?.due === true);
    return { wave, elsewhere, here: 0, skipped };
  },
  async complete(q, id, now) {
    await pgQueue.markDone(q, id, now);
  },
  async recordFailure(q, id, failure) {
    const o = q.tables.outbox;
    await q.db
      .update(o)
      .set(failure.giveUp ? { lastError: failure.message, failedAt: failure.at, lockedUntil: null, lockedBy: null } : { lastError: failure.message, availableAt: failure.at, lockedUntil: null, lockedBy: null })
      .where(and(eq(o.id, id), isNull(o.doneAt)));
  },
  async markDone(q, id, now) {
    const o = q.tables.outbox;
    const rows = await q.db
      .update(o)
      .set({ doneAt: now, lockedUntil: null, lockedBy: null, lastError: null })
      .where(and(eq(o.id, id), isNull(o.doneAt)))
      .returning({ id: o.id });
    return rows.length === 1;
  },
  async holders(q, now) {
    const o = q.tables.outbox;
    const rows = await q.db
      .selectDistinct({ holder: o.lockedBy })
      .from(o)
      .where(and(isNull(o.doneAt), isNull(o.failedAt), isNotNull(o.lockedBy), gt(o.lockedUntil, now)));
    return rows.map((row) => row.holder!);
  },
  async release(q, holder) {
    const o = q.tables.outbox;
    const rows = await q.db
      .update(o)
      .set({ lockedUntil: null, lockedBy: null })
      .where(and(eq(o.lockedBy, holder), isNull(o.doneAt), isNull(o.failedAt)))
      .returning({ id: o.id });
    return rows.length;
  },
};
