/**
 * Alerts about cases waiting too long for an agent. A queue's `wait_alert_minutes` (or the
 * server default, QUEUE_WAIT_ALERT_MINUTES, when the queue has none; 0 turns it off) is how
 * long a case may wait (wall-clock minutes since `waiting_since`) before the managers of its
 * queue are told, by mail through the notification outbox (`queueManagers`, `case-waiting`).
 *
 * Each alert is recorded exactly once per case, waiting spell and threshold: the row in
 * `case_wait_alerts` (unique on case, waiting_since, threshold) is inserted in the same
 * transaction as the timeline entry (`case.waitAlerted`) and the outbox item, and only the
 * sweep whose insert wins writes them. Two sweeps at once, or a restart between a sweep
 * and its mail, never alert twice; a case that is assigned and waits again later is a new
 * spell and alerts again. The case row is not touched, so alerts never conflict with work
 * on the case. Runs with every SLA sweep.
 */
import { caseRef } from '../cases/case-ref.js';
import { all, run } from '../db/store/rows.js';
import type { Services } from '../services.js';

export interface WaitAlertOptions {
  /** The sweep's "now" (default: the clock). */
  now?: number;
  /** Cases alerted per transaction (default 500). */
  batchSize?: number;
}

export interface WaitAlertResult {
  alerted: number;
  /** Due alerts another sweep recorded first. */
  skipped: number;
  /** The cases alerted (at most 100). */
  cases: string[];
}

interface DueRow {
  id: number;
  queue_id: string;
  waiting_since: number;
  threshold: number;
}

// The same SQL on both dialects (rows.ts: SQLite's cached statements, PostgreSQL's numbered parameters).
// Parameters: the server default, now. The threshold in force is the queue's own setting or the
// default; cases already alerted for it are left out. The batch size is written into the SQL as
// LIMIT n (a bound LIMIT makes SQLite prepare the statement again on every call).
const DUE = `
      SELECT c.id, c.queue_id, c.waiting_since, t.threshold
      FROM cases c
      JOIN (SELECT id, COALESCE(wait_alert_minutes, ?) AS threshold FROM queues) t ON t.id = c.queue_id
      WHERE c.waiting_since IS NOT NULL AND t.threshold > 0 AND c.waiting_since + t.threshold * CAST(60000 AS BIGINT) <= ?
        AND NOT EXISTS (SELECT 1 FROM case_wait_alerts a
                        WHERE a.case_id = c.id AND a.waiting_since = c.waiting_since AND a.threshold_minutes = t.threshold)
      ORDER BY c.waiting_since, c.id`;
const dueSql = (limit: number): string => {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`not a batch size: ${limit}`);
  return `${DUE} LIMIT ${limit}`;
};
// Inserts only while the case still waits in the same spell; the unique index refuses a second
// alert (ON CONFLICT DO NOTHING: SQLite's upsert syntax too, the SELECT having its WHERE).
// Parameters: threshold, now, case id, waiting_since, queue.
const CLAIM = `
      INSERT INTO case_wait_alerts (case_id, queue_id, waiting_since, threshold_minutes, alerted_at)
      SELECT c.id, c.queue_id, c.waiting_since, ?, ? FROM cases c WHERE c.id = ? AND c.waiting_since = ? AND c.queue_id = ?
      ON CONFLICT DO NOTHING`;
const INSERT_EVENT = `INSERT INTO case_events (case_id, type, at, actor_type, actor_id, data) VALUES (?, 'case.waitAlerted', ?, 'system', NULL, ?)`;
const INSERT_OUTBOX = `INSERT INTO outbox (type, case_id, payload, created_at, available_at) VALUES ('notification.send', ?, ?, ?, ?)`;

/** Records (and queues the mail for) every wait alert due at `now`; see the file comment. */
export async function alertLongWaits(services: Services, options: WaitAlertOptions = {}): Promise<WaitAlertResult> {
  const now = options.now ?? services.clock.now();
  const due = dueSql(options.batchSize ?? 500);
  const result: WaitAlertResult = { alerted: 0, skipped: 0, cases: [] };
  const lost = new Set<number>();
  for (;;) {
    const rows = await services.store.query((q) => all<DueRow>(q, due, [services.queueWaitAlertMinutes, now]));
    // Rows this sweep failed to claim and that still show up: stop instead of looping on them.
    if (rows.length === 0 || rows.every((r) => lost.has(r.id))) break;
    const batch = await services.store.write(async (q) => {
      const out = { alerted: [] as number[], lost: [] as number[] };
      for (const row of rows) {
        if (lost.has(row.id)) continue;
        if ((await run(q, CLAIM, [row.threshold, now, row.id, row.waiting_since, row.queue_id])) !== 1) {
          out.lost.push(row.id);
          continue;
        }
        const data = {
          queue: row.queue_id,
          waitingSince: row.waiting_since,
          waitedMinutes: Math.floor((now - row.waiting_since) / 60_000),
          thresholdMinutes: row.threshold,
        };
        await run(q, INSERT_EVENT, [row.id, now, JSON.stringify(data)]);
        const payload = { to: 'queueManagers', template: 'case-waiting', source: 'queue wait alert', event: 'case.waitAlerted', data };
        await run(q, INSERT_OUTBOX, [row.id, JSON.stringify(payload), now, now]);
        out.alerted.push(row.id);
      }
      return out;
    });
    // Counted once committed (PostgreSQL may run the write again after a serialization failure).
    for (const id of batch.lost) lost.add(id);
    result.skipped += batch.lost.length;
    result.alerted += batch.alerted.length;
    for (const id of batch.alerted) if (result.cases.length < 100) result.cases.push(caseRef(id));
  }
  if (result.alerted > 0) services.logger.info('Queue wait alerts', { alerted: result.alerted, skipped: result.skipped });
  return result;
}
