/**
 * CSAT % = satisfied ratings / all ratings × 100, over the ratings given in [from, to)
 * (`case_ratings.created_at`; a case holds one rating, and rating again replaces it, so a
 * case counts once, in the period of its latest rating). With a queue: ratings of cases
 * now in that queue.
 */
import type { Services } from '../services.js';
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

export function csat(services: Services, q: DashboardQuery): CsatMetric {
  const rows = services.db.$client
    .prepare<[number, number, string | null, string | null], { case_id: number; satisfied: number }>(
      `SELECT r.case_id, r.satisfied FROM case_ratings r JOIN cases c ON c.id = r.case_id
       WHERE r.created_at >= ? AND r.created_at < ? AND (? IS NULL OR c.queue_id = ?)
       ORDER BY r.created_at, r.id`,
    )
    .all(q.from, q.to, q.queue, q.queue);
  const satisfiedCaseIds = rows.filter((r) => r.satisfied === 1).map((r) => r.case_id);
  return {
    ratings: rows.length,
    satisfied: satisfiedCaseIds.length,
    percent: percent(satisfiedCaseIds.length, rows.length),
    ratedCaseIds: rows.map((r) => r.case_id),
    satisfiedCaseIds,
  };
}
