/**
 * CSAT % = satisfied ratings / all ratings × 100, over the ratings given in [from, to)
 * (`case_ratings.created_at`; a rating belongs to a resolution and rating again replaces it, so
 * a resolution counts once, in the period of its latest rating; the rating of an earlier
 * resolution, superseded by a reopen, still counts when it was given). With a queue: ratings
 * of cases now in that queue.
 */
import { and, asc, eq, gte, lt } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';
import type { DashboardQuery } from './period.js';
import { percent } from './stats.js';

export interface CsatMetric {
  ratings: number;
  satisfied: number;
  /** Percent, one decimal; null without ratings. */
  percent: number | null;
  ratedCaseIds: number[];
  satisfiedCaseIds: number[];
}

/** Inside the caller's read (`tx`). */
export async function csat(tx: Handle, q: DashboardQuery): Promise<CsatMetric> {
  const { caseRatings: r, cases: c } = tx.tables;
  const rows = await tx.db
    .select({ caseId: r.caseId, satisfied: r.satisfied })
    .from(r)
    .innerJoin(c, eq(c.id, r.caseId))
    .where(and(gte(r.createdAt, q.from), lt(r.createdAt, q.to), q.queue === null ? undefined : eq(c.queueId, q.queue)))
    .orderBy(asc(r.createdAt), asc(r.id));
  const satisfiedCaseIds = rows.filter((r) => r.satisfied).map((r) => r.caseId);
  return {
    ratings: rows.length,
    satisfied: satisfiedCaseIds.length,
    percent: percent(satisfiedCaseIds.length, rows.length),
    ratedCaseIds: rows.map((r) => r.caseId),
    satisfiedCaseIds,
  };
}
