/**
 * The trigger that queues webhook events (`case_events_webhooks`, migration 0038 / pg 0014)
 * sleeps on SQLite while no subscription is enabled (src/db/dormant-triggers.ts): it ran for
 * every timeline entry only to find none. Whatever enables a subscription wakes it in the same
 * transaction (`createWebhook`, `enableWebhook`); deleting or disabling the last one puts it to
 * sleep; every start checks it (`createServices`). PostgreSQL keeps its trigger.
 */
import type { Database as Sqlite } from 'better-sqlite3';
import { sleepTrigger, triggerSettled, wakeTrigger } from '../db/dormant-triggers.js';
import { sqliteOf, type Handle } from '../db/store/index.js';

export const WEBHOOK_TRIGGER = 'case_events_webhooks';

/** The trigger's own condition: a subscription that may want an event. */
const WANTED = 'SELECT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE enabled = 1 AND deleted_at IS NULL)';

const wanted = (sqlite: Sqlite) => sqlite.prepare<[], number>(WANTED).pluck().get() === 1;

/** Wakes the trigger when a subscription is enabled, puts it to sleep when none is. */
function settle(sqlite: Sqlite): void {
  if (wanted(sqlite)) wakeTrigger(sqlite, WEBHOOK_TRIGGER);
  else sleepTrigger(sqlite, WEBHOOK_TRIGGER);
}

/**
 * `settle`, in the caller's transaction; outside one (every start), when it has something to
 * change, in a transaction of its own begun IMMEDIATE that reads again: another process that
 * enables a subscription meanwhile commits before that read (so it wakes the trigger) or after
 * it (its own write wakes it), never between the read and the DROP, which would leave the
 * trigger asleep with a subscription enabled and its events lost until the next start. When
 * nothing is to change it writes nothing (a read-only or busy database starts as fast).
 */
export function syncWebhookTriggerOn(sqlite: Sqlite): void {
  if (sqlite.inTransaction) settle(sqlite);
  else if (!triggerSettled(sqlite, WEBHOOK_TRIGGER, wanted(sqlite))) sqlite.transaction(() => settle(sqlite)).immediate();
}

/** `syncWebhookTriggerOn` in the transaction of `q` (nothing on PostgreSQL). */
export function syncWebhookTrigger(q: Handle): void {
  if (q.dialect === 'sqlite') syncWebhookTriggerOn(sqliteOf(q).$client);
}
