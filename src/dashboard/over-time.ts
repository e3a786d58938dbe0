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
import type { Handle } from '../db/store/index.js';
import { all, json } from '../db/store/rows.js';
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

// The same SQL on both dialects (booleans compared with TRUE). Parameters: up to, from.
const CANDIDATES = `SELECT id, created_at, queue_id, workflow, workflow_version FROM cases
       WHERE created_at < ? AND (open = TRUE OR updated_at >= ?) ORDER BY id`;
const CANDIDATE_EVENTS = `SELECT e.case_id, e.type, e.at, e.data FROM cases c JOIN case_events e ON e.case_id = c.id
     WHERE c.created_at < ? AND (c.open = TRUE OR c.updated_at >= ?)
       AND e.type IN ('case.routed', 'case.transitioned', 'case.escalated', 'case.transferred')
     ORDER BY e.case_id, e.id`;
// Parameters: from, to.
const ESCALATIONS = `SELECT case_id, at, data FROM case_events WHERE type = 'case.escalated' AND at >= ? AND at < ? ORDER BY at, id`;

/** An interval in which a case was open (and in one queue): it counts at points p with start < p ≤ end. */
interface Stretch {
  caseId: number;
  start: number;
  end: number;
}

/** Where each bucket's backlog is measured: just before its end, or now for the running bucket. */
function measurePoints(buckets: readonly Bucket[], now: number): number[] {
  return buckets.map((b) => (b.end > now ? now + 1 : b.end));
}

async function openStretches(tx: Handle, services: Services, q: DashboardQuery, upTo: number): Promise<Stretch[]> {
  const candidates = await all<CandidateRow>(tx, CANDIDATES, [upTo, q.from]);
  if (candidates.length === 0) return [];
  const events = new Map<number, EventRow[]>();
  for (const row of await all<EventRow>(tx, CANDIDATE_EVENTS, [upTo, q.from])) {
    const list = events.get(row.case_id) ?? [];
    list.push(row);
    events.set(row.case_id, list);
  }
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

  const out: Stretch[] = [];
  for (const c of candidates) {
    const list = (events.get(c.id) ?? []).map((e) => ({ ...e, parsed: json<Record<string, unknown>>(e.data) }));
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
      if (counting) out.push({ caseId: c.id, start: since, end: at });
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
    if (counting) out.push({ caseId: c.id, start: since, end: Infinity });
  }
  return out;
}

/** Open cases at the end of each bucket; `idsAt` also collects the case ids of one bucket. Inside the caller's read (`tx`). */
export async function backlog(tx: Handle, services: Services, q: DashboardQuery, idsAt?: number): Promise<Series & { caseIds: number[] }> {
  const now = services.clock.now();
  const all = bucketsOf(q);
  const unit = all.unit;
  const buckets = all.buckets.filter((b) => b.start <= now);
  const points = measurePoints(buckets, now);
  const counts = new Array<number>(buckets.length).fill(0);
  const caseIds = new Set<number>();
  const last = points.length ? Math.max(...points) : q.to;
  for (const s of await openStretches(tx, services, q, last)) {
    points.forEach((p, i) => {
      if (s.start < p && p <= s.end) {
        counts[i]!++;
        if (i === idsAt) caseIds.add(s.caseId);
      }
    });
  }
  return { unit, points: buckets.map((bucket, i) => ({ bucket, value: counts[i]! })), caseIds: [...caseIds].sort((a, b) => a - b) };
}

export interface EscalationSeries extends Series {
  /** Case ids per bucket, in timeline order (a case escalated twice appears twice). */
  caseIds: number[][];
}

/** Inside the caller's read (`tx`). */
export async function escalations(tx: Handle, q: DashboardQuery): Promise<EscalationSeries> {
  const { unit, buckets } = bucketsOf(q);
  const rows = await all<{ case_id: number; at: number; data: unknown }>(tx, ESCALATIONS, [q.from, q.to]);
  const ids: number[][] = buckets.map(() => []);
  let index = 0;
  for (const row of rows) {
    if (q.queue !== null) {
      const data = json<Record<string, unknown>>(row.data);
      if (data.queue !== q.queue && data.fromQueue !== q.queue) continue;
    }
    while (index < buckets.length - 1 && row.at >= buckets[index]!.end) index++;
    ids[index]!.push(row.case_id);
  }
  return { unit, points: buckets.map((bucket, i) => ({ bucket, value: ids[i]!.length })), caseIds: ids };
}
