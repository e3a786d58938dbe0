/**
 * Backlog and escalations per bucket of the period (days or weeks, see period.ts).
 *
 * Backlog: the cases open at the end of each bucket, rebuilt from the timeline — a case
 * is open from its creation until it enters a resolved or closed state of its workflow
 * version (pending states count as open), and open again from a reopen. A reopened case
 * therefore counts in every bucket it is open at the end of, and never twice. With a
 * queue: cases in that queue at that moment (routing, escalations and transfers move
 * them). The bucket still running when the dashboard is built is measured now; buckets
 * that have not started yet are left out.
 *
 * Escalations: `case.escalated` entries per bucket. With a queue: escalations out of or
 * into that queue.
 */
import { breathe, LONG_READS, type Handle } from '../db/store/index.js';
import { all, get, json, keysetPages } from '../db/store/rows.js';
import type { Services } from '../services.js';
import { isOpenCategory } from '../workflow/transition.js';
import { bucketsOf, type Bucket, type DashboardQuery } from './period.js';

export interface SeriesPoint {
  bucket: Bucket;
  value: number;
}

export interface Series {
  unit: 'day' | 'week';
  points: SeriesPoint[];
}

interface CandidateRow {
  id: number;
  created_at: number;
  queue_id: string;
  workflow: string;
  workflow_version: number;
}

interface EventRow {
  case_id: number;
  type: string;
  at: number;
  /** JSON text on SQLite, parsed on PostgreSQL (rows.ts `json`). */
  data: unknown;
}

// The same SQL on both dialects (booleans compared with TRUE).
// A case unchanged since before the period (`updated_at` moves with every change a case's
// timeline records: src/workflow/context.ts) is, at every point of it, what its row says now:
// counted by its row, without reading its timeline. It was created before the period too: said
// so that the planner may start from `cases_created_idx` when few cases are that old.
// Parameters: from, from[, queue].
const QUIET_OPEN = (queue: string) => `SELECT count(*) AS n FROM cases WHERE open = TRUE AND updated_at < ? AND created_at < ?${queue}`;
const QUIET_OPEN_ALL = QUIET_OPEN('');
const QUIET_OPEN_IN_QUEUE = QUIET_OPEN(' AND queue_id = ?');
const QUIET_OPEN_IDS = (queue: string) => `SELECT id FROM cases WHERE open = TRUE AND updated_at < ? AND created_at < ?${queue} ORDER BY id`;
const QUIET_OPEN_IDS_ALL = QUIET_OPEN_IDS('');
const QUIET_OPEN_IDS_IN_QUEUE = QUIET_OPEN_IDS(' AND queue_id = ?');
// The cases changed in or after the period and created before its last point, a page at a
// time in id order. Parameters: from, up to, after id, page size.
const CHANGED = `SELECT id, created_at, queue_id, workflow, workflow_version FROM cases
       WHERE updated_at >= ? AND created_at < ? AND id > ? ORDER BY id LIMIT ?`;
// The entries that move a case in or out of the backlog, of the `n` cases of one page.
const CHANGES = (n: number) => `SELECT case_id, type, at, data FROM case_events
     WHERE case_id IN (${'?, '.repeat(n - 1)}?)
       AND type IN ('case.routed', 'case.transitioned', 'case.escalated', 'case.transferred')
     ORDER BY case_id, id`;
// Parameters: from, to.
// A page (LONG_READS) after the (at, id) last read. Parameters: from, to, at, id, page size.
const ESCALATIONS = `SELECT id, case_id, at, data FROM case_events WHERE type = 'case.escalated' AND at >= ? AND at < ? AND (at, id) > (?, ?) ORDER BY at, id LIMIT ?`;

/** Where each bucket's backlog is measured: just before its end, or now for the running bucket. */
function measurePoints(buckets: readonly Bucket[], now: number): number[] {
  return buckets.map((b) => (b.end > now ? now + 1 : b.end));
}

/** The index of the first of the ascending `points` above `at` (points.length when none is). */
function firstAbove(points: readonly number[], at: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]! > at) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Counts, at each of the ascending `points`, the cases open then (in the queue, with one),
 * by replaying each changed case's timeline; `onStretch` hears every interval a case counted in.
 */
async function replayChanged(tx: Handle, services: Services, q: DashboardQuery, points: readonly number[], onStretch: (caseId: number, start: number, end: number) => void): Promise<void> {
  const upTo = points[points.length - 1]!;
  const categories = new Map<string, Record<string, string>>();
  const categoryOf = (workflow: string, version: number, state: string): string | undefined => {
    const key = `${workflow}@${version}`;
    let states = categories.get(key);
    if (!states) {
      const def = services.definitions.workflow(workflow, version).definition;
      states = Object.fromEntries(Object.entries(def.states).map(([name, s]) => [name, s.category]));
      categories.set(key, states);
    }
    return states[state];
  };

  let after = 0;
  for (;;) {
    const size = LONG_READS.idsPerPage;
    const page = await all<CandidateRow>(tx, CHANGED, [q.from, upTo, after, size]);
    if (page.length === 0) return;
    after = page[page.length - 1]!.id;
    const events = new Map<number, EventRow[]>();
    const ids = page.map((c) => c.id);
    for (const row of await all<EventRow>(tx, CHANGES(ids.length), ids)) {
      const list = events.get(row.case_id);
      if (list) list.push(row);
      else events.set(row.case_id, [row]);
    }
    for (const c of page) {
      const list = (events.get(c.id) ?? []).map((e) => ({ type: e.type, at: e.at, parsed: json<Record<string, unknown>>(e.data) }));
      const first = list.find((e) => e.type !== 'case.transitioned');
      const initialQueue =
        first?.type === 'case.routed' && typeof first.parsed.queue === 'string'
          ? first.parsed.queue
          : typeof first?.parsed.fromQueue === 'string'
            ? first.parsed.fromQueue
            : c.queue_id;
      const def = services.definitions.workflow(c.workflow, c.workflow_version).definition;
      let open = isOpenCategory(def.states[def.initial]!.category);
      let queue = initialQueue;
      let since = c.created_at;
      const counts = () => open && (q.queue === null || queue === q.queue);
      let counting = counts();
      const change = (at: number) => {
        const next = counts();
        if (next === counting) return;
        if (counting) onStretch(c.id, since, at);
        else since = at;
        counting = next;
      };
      for (const e of list) {
        if (e.at >= upTo) break;
        if (e.type === 'case.transitioned' && typeof e.parsed.to === 'string') {
          const category = categoryOf(c.workflow, c.workflow_version, e.parsed.to);
          if (category) open = isOpenCategory(category as Parameters<typeof isOpenCategory>[0]);
        } else if ((e.type === 'case.escalated' || e.type === 'case.transferred') && typeof e.parsed.queue === 'string') {
          queue = e.parsed.queue;
        } else continue;
        change(e.at);
      }
      if (counting) onStretch(c.id, since, Infinity);
    }
    if (page.length < size) return;
    await breathe(tx);
  }
}

/**
 * Open cases at the end of each bucket; `idsAt` also collects the case ids of one bucket. Inside
 * the caller's read (`tx`). The cases unchanged since before the period are counted by their
 * rows in one statement; the others are replayed from their timelines a page at a time, so
 * memory stays flat however many cases the period holds.
 */
export async function backlog(tx: Handle, services: Services, q: DashboardQuery, idsAt?: number): Promise<Series & { caseIds: number[] }> {
  const now = services.clock.now();
  const period = bucketsOf(q);
  const unit = period.unit;
  const buckets = period.buckets.filter((b) => b.start <= now);
  if (buckets.length === 0) return { unit, points: [], caseIds: [] };
  const points = measurePoints(buckets, now);
  // Cases counted from each point on: +1 where a stretch starts counting, −1 after its last point.
  const steps = new Array<number>(points.length + 1).fill(0);
  const caseIds = new Set<number>();

  const quietParams = q.queue === null ? [q.from, q.from] : [q.from, q.from, q.queue];
  const quiet = await get<{ n: number | string }>(tx, q.queue === null ? QUIET_OPEN_ALL : QUIET_OPEN_IN_QUEUE, quietParams);
  steps[0]! += Number(quiet?.n ?? 0);
  if (idsAt !== undefined) {
    for (const r of await all<{ id: number }>(tx, q.queue === null ? QUIET_OPEN_IDS_ALL : QUIET_OPEN_IDS_IN_QUEUE, quietParams)) caseIds.add(r.id);
  }

  await replayChanged(tx, services, q, points, (caseId, start, end) => {
    // The points p with start < p ≤ end.
    const first = firstAbove(points, start);
    const after = end === Infinity ? points.length : firstAbove(points, end);
    if (first >= after) return;
    steps[first]!++;
    steps[after]!--;
    if (idsAt !== undefined && first <= idsAt && idsAt < after) caseIds.add(caseId);
  });

  let open = 0;
  const counts = points.map((_, i) => (open += steps[i]!));
  return { unit, points: buckets.map((bucket, i) => ({ bucket, value: counts[i]! })), caseIds: [...caseIds].sort((a, b) => a - b) };
}

export interface EscalationSeries extends Series {
  /** Case ids per bucket, in timeline order (a case escalated twice appears twice). */
  caseIds: number[][];
}

/** Inside the caller's read (`tx`). */
export async function escalations(tx: Handle, q: DashboardQuery): Promise<EscalationSeries> {
  const { unit, buckets } = bucketsOf(q);
  const ids: number[][] = buckets.map(() => []);
  let index = 0;
  const pages = keysetPages<{ id: number; case_id: number; at: number; data: unknown }>(tx, ESCALATIONS, q.from, (after, size) => [q.from, q.to, ...after, size], (r) => [r.at, r.id]);
  for await (const page of pages) for (const row of page) {
    if (q.queue !== null) {
      const data = json<Record<string, unknown>>(row.data);
      if (data.queue !== q.queue && data.fromQueue !== q.queue) continue;
    }
    while (index < buckets.length - 1 && row.at >= buckets[index]!.end) index++;
    ids[index]!.push(row.case_id);
  }
  return { unit, points: buckets.map((bucket, i) => ({ bucket, value: ids[i]!.length })), caseIds: ids };
}
