/**
 * The trigger that queues webhook events (`case_events_webhooks`, migration 0038 / pg 0014)
 * sleeps on SQLite while no subscription is enabled (src/db/dormant-triggers.ts): it ran for
 * every timeline entry only to find none. Whatever enables a subscription wakes it in the same
 * transaction (`createWebhook`, `enableWebhook`); deleting or disabling the last one puts it to
 * sleep; every start checks it (`createServices`). PostgreSQL keeps its trigger.
 */
import type { Database as Sqlite } from 'better-sqlite3';
import { sleepTrigger, wakeTrigger } from '../db/dormant-triggers.js';
import { sqliteOf, type Handle } from '../db/store/index.js';

export const WEBHOOK_TRIGGER = 'case_events_webhooks';

/** The trigger's own condition: a subscription that may want an event. */
const WANTED = 'SELECT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE enabled = 1 AND deleted_at IS NULL)';

/** Wakes the trigger when a subscription is enabled, puts it to sleep when none is. */
export function syncWebhookTriggerOn(sqlite: Sqlite): void {
  if (sqlite.prepare<[], number>(WANTED).pluck().get() === 1) wakeTrigger(sqlite, WEBHOOK_TRIGGER);
  else sleepTrigger(sqlite, WEBHOOK_TRIGGER);
}

/** `syncWebhookTriggerOn` in the transaction of `q` (nothing on PostgreSQL). */
export function syncWebhookTrigger(q: Handle): void {
  if (q.dialect === 'sqlite') syncWebhookTriggerOn(sqliteOf(q).$client);
}
