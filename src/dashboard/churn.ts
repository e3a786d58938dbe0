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
import type { Handle } from '../db/store/index.js';
import { all, get } from '../db/store/rows.js';
import type { DashboardQuery } from './period.js';
import { percent } from './stats.js';

export interface ChurnMetric {
  customers: number;
  churned: number;
  percent: number | null;
  churnedCustomerIds: number[];
}

/** The churned flag of the customer's latest mark dated before the instant bound next (null: no mark). */
const LATEST_MARK = `(SELECT m.churned FROM customer_churn_marks m WHERE m.customer_id = cu.id AND m.at < ? ORDER BY m.at DESC, m.id DESC LIMIT 1)`;
/** Customers at the start of the period (parameters: from, from). Booleans as TRUE/FALSE: the same SQL on both dialects. */
const AT_START = `cu.created_at < ? AND coalesce(${LATEST_MARK}, FALSE) = FALSE`;
/** …with a case created before the end that is now in the queue (parameters: queue, to). */
const IN_QUEUE = ` AND EXISTS (SELECT 1 FROM cases k WHERE k.customer_id = cu.id AND k.queue_id = ? AND k.created_at < ?)`;
const COUNT = `SELECT count(*) AS n FROM customers cu WHERE ${AT_START}`;
const CHURNED = (scope: string) => `SELECT cu.id FROM customers cu WHERE ${scope} AND ${LATEST_MARK} = TRUE ORDER BY cu.id`;
const CHURNED_ALL = CHURNED(AT_START);
const CHURNED_IN_QUEUE = CHURNED(AT_START + IN_QUEUE);
const COUNT_IN_QUEUE = COUNT + IN_QUEUE;

/** Inside the caller's read (`tx`). */
export async function churn(tx: Handle, q: DashboardQuery): Promise<ChurnMetric> {
  const scope = q.queue === null ? [q.from, q.from] : [q.from, q.from, q.queue, q.to];
  const counted = await get<{ n: number }>(tx, q.queue === null ? COUNT : COUNT_IN_QUEUE, scope);
  const customers = counted?.n ?? 0;
  const rows = await all<{ id: number }>(tx, q.queue === null ? CHURNED_ALL : CHURNED_IN_QUEUE, [...scope, q.to]);
  const churnedCustomerIds = rows.map((r) => r.id);
  return { customers, churned: churnedCustomerIds.length, percent: percent(churnedCustomerIds.length, customers), churnedCustomerIds };
}
