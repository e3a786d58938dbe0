/**
 * Churn % = churned customers / customers × 100 for [from, to):
 * - customers: those that existed at the end of the period (`created_at < to`); with a
 *   queue, those of them who had a case created before `to` that is now in that queue;
 * - churned: those of them with a churn mark (`churned = true`) dated in [from, to) who are
 *   still churned at the end of the period (their latest mark dated before `to` is a
 *   churned mark). Someone marked and un-marked within the period does not count; a
 *   customer counts once however many marks they have.
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
  const inScope = `cu.created_at < @to AND (@queue IS NULL OR EXISTS (
      SELECT 1 FROM cases k WHERE k.customer_id = cu.id AND k.queue_id = @queue AND k.created_at < @to))`;
  const params = { from: q.from, to: q.to, queue: q.queue };
  const customers = c.prepare<[typeof params], { n: number }>(`SELECT count(*) AS n FROM customers cu WHERE ${inScope}`).get(params)!.n;
  const churnedCustomerIds = c
    .prepare<[typeof params], { id: number }>(
      `SELECT cu.id FROM customers cu
       WHERE ${inScope}
         AND EXISTS (SELECT 1 FROM customer_churn_marks m WHERE m.customer_id = cu.id AND m.churned = 1 AND m.at >= @from AND m.at < @to)
         AND (SELECT m.churned FROM customer_churn_marks m WHERE m.customer_id = cu.id AND m.at < @to ORDER BY m.at DESC, m.id DESC LIMIT 1) = 1
       ORDER BY cu.id`,
    )
    .all(params)
    .map((r) => r.id);
  return { customers, churned: churnedCustomerIds.length, percent: percent(churnedCustomerIds.length, customers), churnedCustomerIds };
}
