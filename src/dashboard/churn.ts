/**
 * Churn % = churned customers / customers at the start of the period × 100, for [from, to)
 * (the usual definition: of those who were customers when the period began, how many left):
 * - customers at the start: created before `from` and not churned at `from` (their latest
 *   mark dated before `from`, by date then id, is not a churned mark, or they have none);
 *   with a queue, those of them who had a case created before `to` that is now in that queue.
 *   Customers who joined during the period are in neither number;
 * - churned: those of them who are churned at the end of the period (their latest mark dated
 *   before `to` is a churned mark) — so they were marked churned in the period. Someone
 *   marked and un-marked within the period does not count; a customer counts once however
 *   many marks they have.
 */
import type { Services } from '../services.js';
import type { DashboardQuery } from './period.js';
import { percent } from './stats.js';

export interface ChurnMetric {
  customers: number;
  churned: number;
  percent: number | null;
  churnedCustomerIds: number[];
}

export function churn(services: Services, q: DashboardQuery): ChurnMetric {
  const c = services.db.$client;
  const latestMarkBefore = (instant: string) =>
    `(SELECT m.churned FROM customer_churn_marks m WHERE m.customer_id = cu.id AND m.at < ${instant} ORDER BY m.at DESC, m.id DESC LIMIT 1)`;
  const inScope = `cu.created_at < @from AND coalesce(${latestMarkBefore('@from')}, 0) = 0 AND (@queue IS NULL OR EXISTS (
      SELECT 1 FROM cases k WHERE k.customer_id = cu.id AND k.queue_id = @queue AND k.created_at < @to))`;
  const params = { from: q.from, to: q.to, queue: q.queue };
  const customers = c.prepare<[typeof params], { n: number }>(`SELECT count(*) AS n FROM customers cu WHERE ${inScope}`).get(params)!.n;
  const churnedCustomerIds = c
    .prepare<[typeof params], { id: number }>(
      `SELECT cu.id FROM customers cu
       WHERE ${inScope} AND ${latestMarkBefore('@to')} = 1
       ORDER BY cu.id`,
    )
    .all(params)
    .map((r) => r.id);
  return { customers, churned: churnedCustomerIds.length, percent: percent(churnedCustomerIds.length, customers), churnedCustomerIds };
}
